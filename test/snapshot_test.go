package test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assetHashRE matches the SHA-256 hex digests CDK derives from asset
// contents: file names of Lambda code and image tags change with every edit
// of the sources, which says nothing about the infrastructure.
var assetHashRE = regexp.MustCompile(`[0-9a-f]{64}`)

// normalize pretty-prints a template with asset hashes replaced, so that
// golden files change only when the infrastructure does.
func normalize(template any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "<" and ">" of CloudFormation types readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(template); err != nil {
		return nil, err
	}
	return assetHashRE.ReplaceAll(buf.Bytes(), []byte("<asset-hash>")), nil
}

func TestNormalizeHidesAssetHashes(t *testing.T) {
	template := func(hash string) any {
		return map[string]any{"Resources": map[string]any{"Fn": map[string]any{
			"Properties": map[string]any{"Code": map[string]any{"S3Key": hash + ".zip"}, "Memory": 128},
		}}}
	}
	a, err := normalize(template(strings.Repeat("ab", 32)))
	require.NoError(t, err)
	b, err := normalize(template(strings.Repeat("cd", 32)))
	require.NoError(t, err)
	assert.Equal(t, string(a), string(b), "templates that differ only in asset hashes")
	assert.Contains(t, string(a), `"S3Key": "<asset-hash>.zip"`)
	assert.Contains(t, string(a), `"Memory": 128`, "normalize keeps everything else")
}

func TestSnapshots(t *testing.T) {
	require.NotEmpty(t, stacks)
	for _, stack := range stacks {
		name := *stack.StackName()
		t.Run(name, func(t *testing.T) {
			got, err := normalize(assertions.Template_FromStack(stack, nil).ToJSON())
			require.NoError(t, err)
			golden := filepath.Join("testdata", name+".template.json")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "no golden file; run go test ./test -update and review it")
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
				t.Errorf("template of %s differs from %s (-want +got):\n%s\nIf the change is intended, run go test ./test -update and review the diff.", name, golden, diff)
			}
		})
	}
}

// TestSnapshotsAreComplete fails when a golden file has no stack any more,
// so renamed or removed environments do not leave stale snapshots behind.
func TestSnapshotsAreComplete(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.template.json"))
	require.NoError(t, err)
	var want []string
	for _, s := range stacks {
		want = append(want, filepath.Join("testdata", *s.StackName()+".template.json"))
	}
	assert.ElementsMatch(t, want, files, "golden files in testdata/")
}

package test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/google/go-cmp/cmp"
	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// definitions returns the resolved definitions of stack's state machines.
func definitions(t *testing.T, stack awscdk.Stack) map[string][]byte {
	t.Helper()
	template, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
	require.NoError(t, err)
	defs, err := cfn.Definitions(template)
	require.NoError(t, err)
	return defs
}

func TestStateMachineDefinitions(t *testing.T) {
	require.NotEmpty(t, stacks)
	for _, stack := range stacks {
		name := *stack.StackName()
		defs := definitions(t, stack)
		assert.Len(t, defs, 2, "%s has the training and the inference state machine", name)
		for _, kind := range []string{"training", "inference"} {
			def, ok := defs[kind]
			if !assert.True(t, ok, "%s has a %s state machine", name, kind) {
				continue
			}
			t.Run(name+"/"+kind, func(t *testing.T) {
				// The image tag is the asset hash, which follows the job code.
				def := assetHashRE.ReplaceAll(def, []byte("<asset-hash>"))
				golden := filepath.Join("testdata", name+"."+kind+".asl.json")
				if *update {
					require.NoError(t, os.WriteFile(golden, def, 0o644))
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err, "no golden file; run go test ./test -update and review it")
				if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(def), "\n")); diff != "" {
					t.Errorf("%s %s definition differs from %s (-want +got):\n%s", name, kind, golden, diff)
				}
				checkTasks(t, def)
				validateASL(t, def)
			})
		}
	}
}

// checkTasks fails on any Task state without Retry, Catch or a timeout.
func checkTasks(t *testing.T, def []byte) {
	t.Helper()
	var doc struct {
		States map[string]map[string]any
	}
	require.NoError(t, json.Unmarshal(def, &doc))
	var names []string
	for n := range doc.States {
		names = append(names, n)
	}
	sort.Strings(names)
	tasks := 0
	for _, n := range names {
		s := doc.States[n]
		if s["Type"] != "Task" {
			continue
		}
		tasks++
		for _, field := range []string{"Retry", "Catch"} {
			list, _ := s[field].([]any)
			assert.NotEmpty(t, list, "task %s has no %s", n, field)
		}
		_, timeout := s["TimeoutSeconds"]
		_, timeoutPath := s["TimeoutSecondsPath"]
		assert.True(t, timeout || timeoutPath, "task %s has no timeout", n)
	}
	assert.NotZero(t, tasks, "the definition has tasks")
}

// validateASL runs asl-validator (npm, installed by scripts/test.sh) on def.
func validateASL(t *testing.T, def []byte) {
	t.Helper()
	validator := filepath.Join("..", "node_modules", ".bin", "asl-validator")
	if _, err := os.Stat(validator); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("asl-validator is not installed (%v); scripts/test.sh runs npm ci", err)
		}
		t.Skip("asl-validator is not installed; run npm ci (scripts/test.sh does)")
	}
	path := filepath.Join(t.TempDir(), "definition.json")
	require.NoError(t, os.WriteFile(path, def, 0o644))
	out, err := exec.Command(validator, "--json-path", path).CombinedOutput()
	assert.NoError(t, err, "asl-validator:\n%s", out)
}

package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pseudoParameters gives the pseudo parameters fixed values, so that
// resolved definitions hold valid ARNs and stay deterministic.
var pseudoParameters = map[string]string{
	"AWS::Partition": "aws",
	"AWS::Region":    "us-east-1",
	"AWS::AccountId": "123456789012",
	"AWS::URLSuffix": "amazonaws.com",
}

// subRE matches a ${Name} of an Fn::Sub.
var subRE = regexp.MustCompile(`\$\{[^}]+\}`)

// resolve turns a CloudFormation string expression (a literal, Ref, GetAtt
// or Fn::Join of those) into a plain string, with placeholders for the
// values only a deployment knows.
func resolve(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			if p, ok := pseudoParameters[ref]; ok {
				return p, nil
			}
			return "ref-" + strings.ToLower(ref), nil
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) == 2 {
			return fmt.Sprintf("arn:aws:placeholder:us-east-1:123456789012:%s/%s", strings.ToLower(att[0].(string)), att[1]), nil
		}
		if sub, ok := v["Fn::Sub"].(string); ok {
			return subRE.ReplaceAllStringFunc(sub, func(m string) string {
				name := m[2 : len(m)-1]
				if p, ok := pseudoParameters[name]; ok {
					return p
				}
				return "ref-" + strings.ToLower(name)
			}), nil
		}
		if join, ok := v["Fn::Join"].([]any); ok && len(join) == 2 {
			parts, _ := join[1].([]any)
			var out []string
			for _, p := range parts {
				s, err := resolve(p)
				if err != nil {
					return "", err
				}
				out = append(out, s)
			}
			return strings.Join(out, join[0].(string)), nil
		}
	}
	return "", fmt.Errorf("cannot resolve %v", v)
}

// definitions returns the resolved, indented ASL definition of every state
// machine of stack by its StateMachineName's last part (training,
// inference).
func definitions(t *testing.T, stack awscdk.Stack) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	machines := assertions.Template_FromStack(stack, nil).FindResources(jsii.String("AWS::StepFunctions::StateMachine"), nil)
	for id, res := range *machines {
		props := (*res)["Properties"].(map[string]any)
		def, err := resolve(props["DefinitionString"])
		require.NoError(t, err, "definition of %s", id)
		name, err := resolve(props["StateMachineName"])
		require.NoError(t, err)
		var buf bytes.Buffer
		// Indent keeps the order of the states as CDK rendered them.
		require.NoError(t, json.Indent(&buf, []byte(def), "", "  "), "definition of %s is JSON", id)
		buf.WriteByte('\n')
		out[name[strings.LastIndex(name, "-")+1:]] = buf.Bytes()
	}
	return out
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

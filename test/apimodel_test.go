package test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/internal/apimodel"
)

// taskState is a Task state of a synthesized definition.
type taskState struct {
	where      string // "MlPipeline-dev training Preprocess"
	resource   string
	parameters any
}

func taskStates(t *testing.T) []taskState {
	t.Helper()
	var out []taskState
	for _, stack := range stacks {
		defs := definitions(t, stack)
		for _, kind := range []string{"training", "inference"} {
			var doc struct {
				States map[string]struct {
					Type       string
					Resource   string
					Parameters any
				}
			}
			require.NoError(t, json.Unmarshal(defs[kind], &doc))
			for name, st := range doc.States {
				if st.Type == "Task" {
					out = append(out, taskState{where: *stack.StackName() + " " + kind + " " + name, resource: st.Resource, parameters: st.Parameters})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b taskState) int { return strings.Compare(a.where, b.where) })
	return out
}

// TestTaskParametersMatchTheAPIModels validates the Parameters of every
// Task of every environment's definitions against the service's published
// API model: member names and nesting, required members, and the types,
// enums, lengths and patterns of the values written in the definition.
// Values computed at run time ("Name.$") are checked for their member name
// here and for their value by the local run (localrun/runner), which
// validates every request it serves.
func TestTaskParametersMatchTheAPIModels(t *testing.T) {
	models := apimodel.OpenOrSkip(t)
	tasks := taskStates(t)
	require.NotEmpty(t, tasks)
	for _, ts := range tasks {
		task, err := models.Task(ts.resource)
		if !assert.NoError(t, err, ts.where) {
			continue
		}
		for _, v := range task.Validate(apimodel.Static(ts.parameters), apimodel.Options{}) {
			t.Errorf("%s: %s request: %s", ts.where, task.Describe(), v)
		}
	}
}

// TestPatternsOfOurRequestsCompile lists every pattern that the members our
// Tasks set must match and proves that each is checked: translated to RE2
// or compiled by the backtracking engine.
func TestPatternsOfOurRequestsCompile(t *testing.T) {
	models := apimodel.OpenOrSkip(t)
	patterns := map[string][]string{} // pattern -> "service Shape"
	for _, ts := range taskStates(t) {
		task, err := models.Task(ts.resource)
		require.NoError(t, err, ts.where)
		svc := task.Operation.Service
		collectPatterns(svc, task.Operation.Input.Shape, task.Request(apimodel.Static(ts.parameters)), patterns)
	}
	require.NotEmpty(t, patterns)
	for _, p := range slices.Sorted(maps.Keys(patterns)) {
		_, err := apimodel.Compile(p)
		assert.NoError(t, err, "used by %v", patterns[p])
		t.Logf("%-40s %s", strings.Join(patterns[p], ", "), p)
	}
}

// collectPatterns records the pattern of every string shape that value
// (a request or part of one) sets.
func collectPatterns(svc *apimodel.Service, shape string, value any, into map[string][]string) {
	sh := svc.Shapes[shape]
	if sh == nil {
		return
	}
	if sh.Pattern != "" {
		use := fmt.Sprintf("%s %s", svc.Name, shape)
		if !slices.Contains(into[sh.Pattern], use) {
			into[sh.Pattern] = append(into[sh.Pattern], use)
		}
	}
	switch v := value.(type) {
	case map[string]any:
		for k, x := range v {
			switch {
			case sh.Type == "structure":
				if m, ok := sh.Members[k]; ok {
					collectPatterns(svc, m.Shape, x, into)
				}
			case sh.Type == "map":
				collectPatterns(svc, sh.Key.Shape, k, into)
				collectPatterns(svc, sh.Value.Shape, x, into)
			}
		}
	case []any:
		if sh.Member != nil {
			for _, x := range v {
				collectPatterns(svc, sh.Member.Shape, x, into)
			}
		}
	}
}

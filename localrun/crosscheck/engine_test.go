package crosscheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// engineScript runs aws-local-stepfunctions over a batch of cases.
var engineScript = filepath.Join(project, "scripts", "aslengine.mjs")

// engineCase is one execution for scripts/aslengine.mjs.
type engineCase struct {
	Name       string            `json:"name"`
	Definition json.RawMessage   `json:"definition"`
	Input      any               `json:"input"`
	Context    map[string]any    `json:"context"`
	Mocks      map[string][]mock `json:"mocks"`
}

// mock is a Task state's answer to one call: a result, or an error name
// and cause.
type mock struct {
	Result any    `json:"result"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
}

// engineTrace is what scripts/aslengine.mjs reports for one case.
type engineTrace struct {
	Name     string   `json:"name"`
	Problems []string `json:"problems"`
	trace
}

// needEngine returns the node executable, or skips the test when Node.js or
// the npm package is missing; under CI a missing tool is a failure.
func needEngine(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(project, "node_modules", "aws-local-stepfunctions", "package.json"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node or node_modules/aws-local-stepfunctions is missing (%v); scripts/test.sh runs npm ci", err)
		}
		t.Skipf("node or node_modules/aws-local-stepfunctions is missing (%v); run npm ci (scripts/test.sh does)", err)
	}
	return node
}

// runEngine runs every case in one Node.js process and returns the traces
// in the same order.
func runEngine(t *testing.T, node string, cases []engineCase) []engineTrace {
	t.Helper()
	in, err := json.Marshal(map[string]any{"cases": cases})
	if err != nil {
		t.Fatalf("encode the engine's cases: %v", err)
	}
	cmd := exec.Command(node, engineScript)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", node, engineScript, err, stderr.Bytes())
	}
	var out struct{ Cases []engineTrace }
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("%s printed no traces: %v\n%s", engineScript, err, stdout.Bytes())
	}
	if len(out.Cases) != len(cases) {
		t.Fatalf("%s returned %d traces for %d cases", engineScript, len(out.Cases), len(cases))
	}
	for i := range out.Cases {
		out.Cases[i].trace = canonical(out.Cases[i].trace)
	}
	return out.Cases
}

// engineFailSuffix names the Fail state that forEngine puts after a Fail
// state it turned into a Pass state.
const engineFailSuffix = "-EngineFail"

// forEngine adapts a definition to what aws-local-stepfunctions 3.0.0
// supports, without changing what it does on AWS, and returns the names of
// the states it added (dropped again from the engine's trace).
//
// The engine reads a Fail state's ErrorPath and CausePath as reference
// paths only. On AWS they may also be intrinsic functions that return a
// string ("Fail workflow state", AWS Step Functions Developer Guide,
// https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html:
// "You can also specify CausePath using an intrinsic function that returns
// a string"), which our definitions use for the rejected model's cause. Such
// a Fail state becomes a Pass state of the same name whose Parameters
// evaluate the same expressions (the engine supports intrinsic functions
// there), followed by a Fail state that reads them with reference paths; so
// the engine still evaluates every expression itself.
func forEngine(def []byte) ([]byte, []string, error) {
	doc, err := decode(def)
	if err != nil {
		return nil, nil, err
	}
	states, _ := doc["States"].(map[string]any)
	var added []string
	for _, name := range slices.Sorted(maps.Keys(states)) {
		st, _ := states[name].(map[string]any)
		if st["Type"] != "Fail" || !isIntrinsic(st["ErrorPath"]) && !isIntrinsic(st["CausePath"]) {
			continue
		}
		fail := map[string]any{"Type": "Fail"}
		params := map[string]any{}
		for _, f := range []string{"Error", "Cause"} {
			if v, ok := st[f]; ok {
				fail[f] = v
			}
			if v, ok := st[f+"Path"]; ok {
				params[f+".$"] = v
				fail[f+"Path"] = "$." + f
			}
		}
		failName := name + engineFailSuffix
		if _, taken := states[failName]; taken {
			return nil, nil, fmt.Errorf("state %q: the definition already has a state %q", name, failName)
		}
		states[name] = map[string]any{"Type": "Pass", "Comment": "Fail state " + name + ", its expressions evaluated for aws-local-stepfunctions", "Parameters": params, "Next": failName}
		states[failName] = fail
		added = append(added, failName)
	}
	out, err := json.Marshal(doc)
	return out, added, err
}

func isIntrinsic(v any) bool {
	s, ok := v.(string)
	return ok && strings.HasPrefix(s, "States.")
}

// contextPathRE matches a reference to the Context Object.
var contextPathRE = regexp.MustCompile(`\$\$\.[A-Za-z0-9_.]+`)

// contextFields are the Context Object paths whose values the engine gets
// right (see engineContext); a definition that reads any other fails the
// test until engineContext supplies it.
var contextFields = []string{"$$.Execution.Name", "$$.Execution.Input", "$$.Execution.RedriveCount", "$$.State.RetryCount"}

// checkEngineSupport reports what a definition uses that the engine would
// evaluate unlike AWS, by state name.
func checkEngineSupport(def []byte) []string {
	doc, err := decode(def)
	if err != nil {
		return []string{err.Error()}
	}
	states, _ := doc["States"].(map[string]any)
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(states)) {
		st, _ := states[name].(map[string]any)
		walkStrings(st, func(s string) {
			for _, p := range contextPathRE.FindAllString(s, -1) {
				if !slices.ContainsFunc(contextFields, func(f string) bool { return p == f || strings.HasPrefix(p, f+".") }) {
					problems = append(problems, fmt.Sprintf("state %q reads %s, which the engine's Context Object does not hold as AWS does; supply it in engineContext", name, p))
				}
			}
		})
		if st["Type"] == "Pass" {
			// The engine uses Result only when it is truthy in JavaScript;
			// AWS passes any Result on ("Pass workflow state",
			// https://docs.aws.amazon.com/step-functions/latest/dg/state-pass.html).
			if r, ok := st["Result"]; ok && (r == nil || r == false || r == "" || r == json.Number("0")) {
				problems = append(problems, fmt.Sprintf("state %q has the Result %v, which the engine ignores", name, r))
			}
		}
	}
	return problems
}

// engineContext is the Context Object the engine starts an execution
// with. The engine keeps one object for the whole execution: it sets
// Execution.Input and Execution.StartTime itself and never updates State.*
// from state to state. On AWS ("Accessing execution data from the Context
// object in Step Functions",
// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html)
// Execution.RedriveCount is 0 until an execution is redriven and
// State.RetryCount is the number of retries of the current attempt: 0 on
// every first attempt, which is all the compared paths make (see
// recorder.wrap, which fails a path that retries).
func engineContext(execution string) map[string]any {
	return map[string]any{
		"Execution": map[string]any{"Name": execution, "RedriveCount": 0},
		"State":     map[string]any{"RetryCount": 0},
	}
}

// decode decodes JSON keeping numbers as written.
func decode(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("definition: %w", err)
	}
	return doc, nil
}

func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case map[string]any:
		for k, x := range v {
			f(k)
			walkStrings(x, f)
		}
	case []any:
		for _, x := range v {
			walkStrings(x, f)
		}
	}
}

package asl

import (
	"encoding/json"
	"testing"
)

// FuzzIntrinsic compiles and evaluates arbitrary value expressions, the
// strings of "key.$" fields: they must compile or fail with an error, and
// evaluate or fail with a TaskError, never panic.
func FuzzIntrinsic(f *testing.F) {
	for _, seed := range []string{
		"$.a", "$$.Execution.Name", "$.list[0]", "$.a.b.c",
		"States.Format('s3://{}/{}/', $.bucket, $$.Execution.Name)",
		"States.Hash(States.Format('{}/{}/{}', $$.Execution.Name, $$.Execution.RedriveCount, $$.State.RetryCount), 'MD5')",
		"States.StringToJson($.body)", "States.JsonToString($.a)", "States.JsonMerge($.a, $.b, false)",
		"States.Array(1, 'x', $.a)", "States.ArrayGetItem($.list, 1)", "States.MathAdd($.n, -1)", "States.UUID()",
		`States.Format('\{\} {}', 'x')`, "States.Format('{}')", "States.Nope()",
	} {
		f.Add(seed)
	}
	input := map[string]any{
		"a": map[string]any{"b": map[string]any{"c": "d"}}, "b": map[string]any{"e": 1.0},
		"bucket": "data", "list": []any{"x", json.Number("2")}, "n": json.Number("3"), "body": `{"k": [1, 2]}`,
	}
	context := map[string]any{
		"Execution": map[string]any{"Name": "run-1", "RedriveCount": json.Number("0")},
		"State":     map[string]any{"RetryCount": json.Number("0")},
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := compileExpr(s)
		if err != nil {
			return
		}
		_ = x.String()
		v, terr := x.eval(&env{input: input, context: context, uuid: func() string { return "00000000-0000-4000-8000-000000000000" }})
		if terr == nil {
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("%q evaluated to %v, which is not JSON: %v", s, v, err)
			}
		}
	})
}

// FuzzParse parses arbitrary definitions: Parse either returns a state
// machine or an error, never panics. The seeds are small on purpose: the
// fuzzer minimizes every new input, which is slow on whole definitions.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
		`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"Message.$":"States.Format('{}', $.a)"},` +
			`"ResultPath":null,"TimeoutSeconds":300,"Retry":[{"ErrorEquals":["States.Timeout"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":2,"JitterStrategy":"FULL"}],` +
			`"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"F"}],"Next":"C"},` +
			`"C":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericLessThanEqualsPath":"$.y","Next":"S"},{"Not":{"Variable":"$.z","IsPresent":true},"Next":"F"}],"Default":"F"},` +
			`"S":{"Type":"Succeed"},"F":{"Type":"Fail","Error":"E","CausePath":"$.error.Cause"}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sm, err := Parse(b)
		if err == nil {
			_ = sm.Resources()
		}
	})
}

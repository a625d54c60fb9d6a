package asl

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const addResource = "arn:aws:states:us-east-1:123456789012:task:X"

// add sums val1 and val2 like the task of the spec's worked examples.
func add(_ context.Context, c Call) (any, error) {
	p := c.Parameters.(map[string]any)
	a, _ := integer(p["val1"])
	b, _ := integer(p["val2"])
	return a + b, nil
}

func TestInputAndOutputProcessing(t *testing.T) {
	const input = `{"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}}`
	tests := []struct {
		name, fields, want string
	}{
		{"spec example: InputPath, ResultPath, OutputPath", `"InputPath": "$.numbers", "ResultPath": "$.sum", "OutputPath": "$"`,
			`{"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}, "sum": 7}`},
		{"default ResultPath replaces the input", `"InputPath": "$.numbers"`, `7`},
		{"OutputPath selects the result", `"InputPath": "$.numbers", "ResultPath": "$.sum", "OutputPath": "$.sum"`, `7`},
		{"ResultPath null keeps the raw input", `"InputPath": "$.numbers", "ResultPath": null`, input},
		{"OutputPath null gives an empty object", `"InputPath": "$.numbers", "OutputPath": null`, `{}`},
		{"Parameters with paths and nested literals", `"Parameters": {"val1.$": "$.numbers.val1", "val2.$": "$['numbers']['val2']", "meta": {"list": [{"t.$": "$.title"}, 1]}}, "ResultPath": "$.sum"`,
			`{"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}, "sum": 7}`},
		{"ResultSelector reshapes the result", `"InputPath": "$.numbers", "ResultSelector": {"total.$": "$", "label.$": "States.Format('sum={}', $)", "fixed": "yes"}, "ResultPath": "$.out"`,
			`{"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}, "out": {"total": 7, "label": "sum=7", "fixed": "yes"}}`},
		{"ResultPath into a new nested object", `"InputPath": "$.numbers", "ResultPath": "$.results.sum"`,
			`{"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}, "results": {"sum": 7}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := mustParse(t, `{"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": "`+addResource+`", `+tc.fields+`, "End": true}}}`)
			res := newRecorder(map[string]Handler{addResource: add}).runJSON(t, sm, input)
			require.Equal(t, StatusSucceeded, res.Status, res.Cause)
			assert.JSONEq(t, tc.want, toJSON(t, res.Output))
		})
	}
}

func TestResultSelectorSpecExample(t *testing.T) {
	// The spec's ResultSelector example: pick fields out of a service
	// response and store them under ResultPath.
	sm := mustParse(t, `{"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": "r",
		"ResultSelector": {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType", "SomethingElse.$": "$.resourceType"},
		"ResultPath": "$.EMROutput", "End": true}}}`)
	handler := func(context.Context, Call) (any, error) {
		return map[string]any{"resourceType": "elasticmapreduce", "resource": "createCluster.sync",
			"output": map[string]any{"SdkHttpMetadata": map[string]any{"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"}}, nil
	}
	res := newRecorder(map[string]Handler{"r": handler}).runJSON(t, sm, `{"foo": "bar"}`)
	require.Equal(t, StatusSucceeded, res.Status)
	assert.JSONEq(t, `{"foo": "bar", "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce", "SomethingElse": "elasticmapreduce"}}`, toJSON(t, res.Output))
}

func TestMissingPathIsRuntimeError(t *testing.T) {
	tests := []struct{ name, state string }{
		{"InputPath", `"Type": "Pass", "InputPath": "$.nope", "Next": "Done"`},
		{"Parameters", `"Type": "Pass", "Parameters": {"x.$": "$.nope"}, "Next": "Done"`},
		{"OutputPath", `"Type": "Pass", "OutputPath": "$.nope", "Next": "Done"`},
		{"Choice Variable", `"Type": "Choice", "Choices": [{"Variable": "$.nope", "StringEquals": "a", "Next": "Done"}], "Default": "Done"`},
		{"Task Parameters with Catch States.ALL", `"Type": "Task", "Resource": "r", "Parameters": {"x.$": "$.nope"}, "Retry": [{"ErrorEquals": ["States.ALL"]}], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}], "Next": "Done"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := mustParse(t, `{"StartAt": "S", "States": {"S": {`+tc.state+`}, "Done": {"Type": "Succeed"}}}`)
			calls := 0
			rec := newRecorder(map[string]Handler{"r": failing("X", &calls)})
			res := rec.runJSON(t, sm, `{"a": 1}`)
			assert.Equal(t, StatusFailed, res.Status)
			assert.Equal(t, ErrRuntime, res.Error)
			assert.Contains(t, res.Cause, "$.nope")
			assert.Zero(t, calls)
			assert.Empty(t, rec.waits, "States.Runtime must not be retried")
		})
	}
}

func TestContextObject(t *testing.T) {
	sm := mustParse(t, `{"StartAt": "Ctx", "States": {"Ctx": {"Type": "Pass", "Parameters": {
		"exec.$": "$$.Execution", "state.$": "$$.State", "sm.$": "$$.StateMachine", "task.$": "$$.Task", "inputA.$": "$$.Execution.Input.a"}, "End": true}}}`)
	sm.Name = "Training"
	res := newRecorder(nil).runJSON(t, sm, `{"a": 1}`)
	require.Equal(t, StatusSucceeded, res.Status, res.Cause)
	assert.JSONEq(t, `{
		"exec": {"Id": "arn:aws:states:local:000000000000:execution:Training:exec-1", "Name": "exec-1", "Input": {"a": 1},
			"StartTime": "2024-01-02T03:04:05.678Z", "RoleArn": "arn:aws:iam::000000000000:role/local-run", "RedriveCount": 0},
		"state": {"Name": "Ctx", "EnteredTime": "2024-01-02T03:04:05.678Z", "RetryCount": 0},
		"sm": {"Id": "arn:aws:states:local:000000000000:stateMachine:Training", "Name": "Training"},
		"task": {},
		"inputA": 1}`, toJSON(t, res.Output))
}

func TestPassResult(t *testing.T) {
	sm := mustParse(t, `{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"x-datum": 0.381018, "y-datum": 622.2269926397355}, "ResultPath": "$.coords", "Next": "Q"},
		"Q": {"Type": "Pass", "InputPath": "$.coords", "End": true}}}`)
	res := newRecorder(nil).runJSON(t, sm, `{"georefOf": "Home"}`)
	require.Equal(t, StatusSucceeded, res.Status)
	assert.JSONEq(t, `{"x-datum": 0.381018, "y-datum": 622.2269926397355}`, toJSON(t, res.Output))
	assert.Equal(t, []string{"P", "Q"}, res.States)
}

func TestChoiceOperators(t *testing.T) {
	const input = `{"n": 5, "m": 7, "s": "beta", "t": "gamma", "star": "a*b", "b": true, "nul": null, "obj": {}}`
	tests := []struct {
		rule  string
		match bool
	}{
		{`"Variable": "$.n", "NumericEquals": 5`, true},
		{`"Variable": "$.n", "NumericEquals": 5.0`, true},
		{`"Variable": "$.n", "NumericLessThan": 5`, false},
		{`"Variable": "$.n", "NumericGreaterThan": 4.5`, true},
		{`"Variable": "$.n", "NumericLessThanEquals": 5`, true},
		{`"Variable": "$.n", "NumericGreaterThanEquals": 6`, false},
		{`"Variable": "$.n", "NumericEqualsPath": "$.m"`, false},
		{`"Variable": "$.n", "NumericLessThanPath": "$.m"`, true},
		{`"Variable": "$.n", "NumericGreaterThanPath": "$.m"`, false},
		{`"Variable": "$.m", "NumericLessThanEqualsPath": "$.m"`, true},
		{`"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.m"`, false},
		{`"Variable": "$.s", "NumericEquals": 5`, false},
		{`"Variable": "$.s", "StringEquals": "beta"`, true},
		{`"Variable": "$.s", "StringEqualsPath": "$.t"`, false},
		{`"Variable": "$.s", "StringLessThan": "gamma"`, true},
		{`"Variable": "$.n", "StringEquals": "5"`, false},
		{`"Variable": "$.s", "StringMatches": "b*a"`, true},
		{`"Variable": "$.s", "StringMatches": "*et*"`, true},
		{`"Variable": "$.s", "StringMatches": "*x*"`, false},
		{`"Variable": "$.s", "StringMatches": "beta*"`, true},
		{`"Variable": "$.s", "StringMatches": "bet"`, false},
		{`"Variable": "$.s", "StringMatches": "b*t*a*"`, true},
		{`"Variable": "$.star", "StringMatches": "a\\*b"`, true},
		{`"Variable": "$.s", "StringMatches": "bet\\*"`, false},
		{`"Variable": "$.n", "StringMatches": "*"`, false},
		{`"Variable": "$.b", "BooleanEquals": true`, true},
		{`"Variable": "$.s", "BooleanEquals": true`, false},
		{`"Variable": "$.nope", "IsPresent": false`, true},
		{`"Variable": "$.n", "IsPresent": true`, true},
		{`"Variable": "$.nul", "IsNull": true`, true},
		{`"Variable": "$.n", "IsNull": true`, false},
		{`"Variable": "$.n", "IsNumeric": true`, true},
		{`"Variable": "$.s", "IsNumeric": true`, false},
		{`"Variable": "$.s", "IsString": true`, true},
		{`"Variable": "$.obj", "IsString": false`, true},
		{`"Variable": "$$.Execution.Name", "StringEquals": "exec-1"`, true},
		{`"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.s", "StringEquals": "beta"}]`, true},
		{`"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.s", "StringEquals": "x"}]`, false},
		{`"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.s", "StringEquals": "beta"}]`, true},
		{`"Or": [{"Variable": "$.n", "NumericEquals": 1}, {"Variable": "$.s", "StringEquals": "x"}]`, false},
		{`"Not": {"Variable": "$.s", "StringEquals": "x"}`, true},
		{`"Not": {"Variable": "$.s", "StringEquals": "beta"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			sm := mustParse(t, `{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{`+tc.rule+`, "Next": "Yes"}], "Default": "No"},
				"Yes": {"Type": "Succeed"}, "No": {"Type": "Succeed"}}}`)
			res := newRecorder(nil).runJSON(t, sm, input)
			require.Equal(t, StatusSucceeded, res.Status, res.Cause)
			want := "No"
			if tc.match {
				want = "Yes"
			}
			assert.Equal(t, []string{"C", want}, res.States)
		})
	}
}

func TestChoiceFirstMatchAndNoMatch(t *testing.T) {
	sm := mustParse(t, `{"StartAt": "C", "States": {"C": {"Type": "Choice", "OutputPath": "$.v", "Choices": [
		{"Variable": "$.v", "NumericGreaterThan": 10, "Next": "Big"},
		{"Variable": "$.v", "NumericGreaterThan": 1, "Next": "Medium"}]},
		"Big": {"Type": "Succeed"}, "Medium": {"Type": "Succeed"}}}`)
	rec := newRecorder(nil)
	res := rec.runJSON(t, sm, `{"v": 50}`)
	assert.Equal(t, []string{"C", "Big"}, res.States)
	assert.Equal(t, "50", toJSON(t, res.Output))

	res = rec.runJSON(t, sm, `{"v": 0}`)
	assert.Equal(t, StatusFailed, res.Status)
	assert.Equal(t, ErrNoChoiceMatched, res.Error)
	assert.Contains(t, res.Cause, `"C"`)
}

func TestFailState(t *testing.T) {
	tests := []struct {
		name, fields, wantError, wantCause string
	}{
		{"literals", `"Error": "E", "Cause": "because"`, "E", "because"},
		{"paths", `"ErrorPath": "$.err.Error", "CausePath": "$.err.Cause"`, "TaskBroke", "it broke"},
		{"intrinsic", `"Error": "ModelRejected", "CausePath": "States.Format('mse = {} is above the threshold {}', $.mse, $.threshold)"`, "ModelRejected", "mse = 9 is above the threshold 6"},
		{"context", `"ErrorPath": "$$.State.Name", "CausePath": "$$.Execution.Name"`, "F", "exec-1"},
		{"non-string path", `"ErrorPath": "$.mse"`, ErrRuntime, "not a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := mustParse(t, `{"StartAt": "F", "States": {"F": {"Type": "Fail", `+tc.fields+`}}}`)
			res := newRecorder(nil).runJSON(t, sm, `{"mse": 9, "threshold": 6, "err": {"Error": "TaskBroke", "Cause": "it broke"}}`)
			assert.Equal(t, StatusFailed, res.Status)
			assert.Equal(t, tc.wantError, res.Error)
			assert.Contains(t, res.Cause, tc.wantCause)
		})
	}
}

func TestRetryCountsAndWaits(t *testing.T) {
	tests := []struct {
		name      string
		retry     string
		rand      float64
		wantCalls int
		wantWaits []time.Duration
	}{
		{"MaxAttempts 2 retries twice", `"IntervalSeconds": 30, "MaxAttempts": 2, "BackoffRate": 2`, 1, 3, []time.Duration{30 * time.Second, 60 * time.Second}},
		{"defaults: 1s, 3 attempts, rate 2", ``, 1, 4, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"MaxDelaySeconds caps the wait", `"IntervalSeconds": 30, "MaxAttempts": 4, "BackoffRate": 3, "MaxDelaySeconds": 100`, 1, 5,
			[]time.Duration{30 * time.Second, 90 * time.Second, 100 * time.Second, 100 * time.Second}},
		{"FULL jitter scales the capped wait", `"IntervalSeconds": 10, "MaxAttempts": 2, "MaxDelaySeconds": 15, "JitterStrategy": "FULL"`, 0.25, 3,
			[]time.Duration{2500 * time.Millisecond, 3750 * time.Millisecond}},
		{"NONE jitter ignores Rand", `"IntervalSeconds": 10, "MaxAttempts": 1, "JitterStrategy": "NONE"`, 0.25, 2, []time.Duration{10 * time.Second}},
		{"MaxAttempts 0 never retries", `"MaxAttempts": 0`, 1, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			retry := `"ErrorEquals": ["Flaky"]`
			if tc.retry != "" {
				retry += ", " + tc.retry
			}
			sm := mustParse(t, `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "Retry": [{`+retry+`}], "End": true}}}`)
			calls := 0
			rec := newRecorder(map[string]Handler{"r": failing("Flaky", &calls)})
			rec.Rand = func() float64 { return tc.rand }
			res := rec.runJSON(t, sm, `{}`)
			assert.Equal(t, StatusFailed, res.Status)
			assert.Equal(t, "Flaky", res.Error)
			assert.Equal(t, tc.wantCalls, calls)
			assert.Equal(t, tc.wantWaits, rec.waits)
		})
	}
}

func TestRetryJitterStaysWithinBounds(t *testing.T) {
	sm := mustParse(t, `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r",
		"Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 30, "MaxAttempts": 5, "MaxDelaySeconds": 300, "JitterStrategy": "FULL"}], "End": true}}}`)
	calls := 0
	rec := newRecorder(map[string]Handler{"r": failing("Flaky", &calls)})
	rec.Rand = nil // the default source
	for range 20 {
		rec.waits = nil
		rec.runJSON(t, sm, `{}`)
		require.Len(t, rec.waits, 5)
		for i, w := range rec.waits {
			limit := min(30*time.Second<<i, 300*time.Second)
			assert.GreaterOrEqual(t, w, time.Duration(0))
			assert.LessOrEqual(t, w, limit)
		}
	}
}

func TestRetryMatchingAndRetryCount(t *testing.T) {
	sm := mustParse(t, `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r",
		"Parameters": {"n.$": "$$.State.RetryCount"},
		"Retry": [{"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "MaxAttempts": 2},
		          {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5}],
		"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Z"}], "End": true}, "Z": {"Type": "Succeed"}}}`)
	// The spec's example: ErrorA, ErrorB, ErrorC, ErrorB. The first two use
	// the first retrier, the third the second, and the fourth finds the
	// first retrier exhausted and goes to Catch.
	names := []string{"ErrorA", "ErrorB", "ErrorC", "ErrorB"}
	var seen []int
	var retryCounts []any
	handler := func(_ context.Context, c Call) (any, error) {
		seen = append(seen, c.RetryCount)
		retryCounts = append(retryCounts, c.Parameters.(map[string]any)["n"])
		return nil, &TaskError{Name: names[len(seen)-1]}
	}
	rec := newRecorder(map[string]Handler{"r": handler})
	res := rec.runJSON(t, sm, `{}`)
	assert.Equal(t, StatusSucceeded, res.Status)
	assert.Equal(t, []string{"T", "Z"}, res.States)
	assert.Equal(t, []int{0, 1, 2, 3}, seen)
	assert.Equal(t, "[0,1,2,3]", toJSON(t, retryCounts))
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 5 * time.Second}, rec.waits)

	// An error no retrier names is not retried at all.
	names = []string{"Other"}
	seen, rec.waits = nil, nil
	res = rec.runJSON(t, sm, `{}`)
	assert.Equal(t, []int{0}, seen)
	assert.Empty(t, rec.waits)
	assert.Equal(t, "Z", res.States[len(res.States)-1])
}

func TestCatch(t *testing.T) {
	tests := []struct {
		name, errName, catch string
		wantNext             string
		wantOutput           string
	}{
		{"exact name with ResultPath", "Custom", `[{"ErrorEquals": ["Custom"], "ResultPath": "$.error", "Next": "Handler"}]`, "Handler",
			`{"in": 1, "error": {"Error": "Custom", "Cause": "boom"}}`},
		{"default ResultPath replaces the input", "Custom", `[{"ErrorEquals": ["Custom"], "Next": "Handler"}]`, "Handler",
			`{"Error": "Custom", "Cause": "boom"}`},
		{"ResultPath null keeps the input", "Custom", `[{"ErrorEquals": ["Custom"], "ResultPath": null, "Next": "Handler"}]`, "Handler", `{"in": 1}`},
		{"first matching catcher wins", "Custom", `[{"ErrorEquals": ["Other"], "Next": "Other"}, {"ErrorEquals": ["Custom"], "ResultPath": null, "Next": "Handler"}, {"ErrorEquals": ["States.ALL"], "Next": "Other"}]`, "Handler", `{"in": 1}`},
		{"States.ALL", "Custom", `[{"ErrorEquals": ["States.ALL"], "ResultPath": null, "Next": "Handler"}]`, "Handler", `{"in": 1}`},
		{"States.TaskFailed matches any task error", "Custom", `[{"ErrorEquals": ["States.TaskFailed"], "ResultPath": null, "Next": "Handler"}]`, "Handler", `{"in": 1}`},
		{"names match exactly", "Custom", `[{"ErrorEquals": ["custom", "Custom.Sub"], "Next": "Handler"}]`, "", ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := mustParse(t, `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "Catch": `+tc.catch+`, "Next": "Other"},
				"Handler": {"Type": "Succeed"}, "Other": {"Type": "Fail", "Error": "WrongCatcher"}}}`)
			calls := 0
			rec := newRecorder(map[string]Handler{"r": failing(tc.errName, &calls)})
			res := rec.runJSON(t, sm, `{"in": 1}`)
			if tc.wantNext == "" {
				assert.Equal(t, StatusFailed, res.Status)
				assert.Equal(t, tc.errName, res.Error)
				assert.Equal(t, "boom", res.Cause)
				return
			}
			require.Equal(t, StatusSucceeded, res.Status, res.Error)
			assert.Equal(t, []string{"T", tc.wantNext}, res.States)
			assert.JSONEq(t, tc.wantOutput, toJSON(t, res.Output))
			var kinds []string
			for _, ev := range rec.events {
				kinds = append(kinds, ev.Kind)
			}
			assert.Equal(t, []string{EventEnter, EventCatch, EventExit, EventEnter, EventExit}, kinds)
		})
	}
}

func TestPlainHandlerErrorIsTaskFailed(t *testing.T) {
	sm := mustParse(t, `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true}}}`)
	rec := newRecorder(map[string]Handler{"r": func(context.Context, Call) (any, error) {
		return nil, fmt.Errorf("wrapped: %w", errors.New("disk full"))
	}})
	res := rec.runJSON(t, sm, `{}`)
	assert.Equal(t, StatusFailed, res.Status)
	assert.Equal(t, ErrTaskFailed, res.Error)
	assert.Equal(t, "wrapped: disk full", res.Cause)

	// A *TaskError wrapped in another error keeps its name.
	rec.Handlers["r"] = func(context.Context, Call) (any, error) {
		return nil, fmt.Errorf("ctx: %w", &TaskError{Name: "S3.NoSuchKey", Cause: "missing"})
	}
	res = rec.runJSON(t, sm, `{}`)
	assert.Equal(t, "S3.NoSuchKey", res.Error)
}

func TestTaskTimeout(t *testing.T) {
	t.Parallel()
	blocking := func(ctx context.Context, _ Call) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	tests := []struct {
		name, policy, wantLast, wantError string
		wantCalls                         int
	}{
		{"caught by States.Timeout", `"Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Handled"}]`, "Handled", "", 1},
		{"not matched by States.TaskFailed", `"Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Handled"}]`, "T", ErrTimeout, 1},
		{"caught by States.ALL", `"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]`, "Handled", "", 1},
		{"retried by States.Timeout", `"Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1}]`, "T", ErrTimeout, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sm := mustParse(t, `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "TimeoutSeconds": 1, `+tc.policy+`, "Next": "Handled"},
				"Handled": {"Type": "Succeed"}}}`)
			calls := 0
			rec := newRecorder(map[string]Handler{"r": func(ctx context.Context, c Call) (any, error) {
				calls++
				return blocking(ctx, c)
			}})
			res := rec.runJSON(t, sm, `{}`)
			assert.Equal(t, tc.wantLast, res.States[len(res.States)-1])
			assert.Equal(t, tc.wantError, res.Error)
			assert.Equal(t, tc.wantCalls, calls)
			if tc.wantLast == "Handled" && tc.name == "caught by States.Timeout" {
				assert.Equal(t, ErrTimeout, res.Output.(map[string]any)["error"].(map[string]any)["Error"])
			}
		})
	}
}

func TestExecutionTimeout(t *testing.T) {
	t.Parallel()
	sm := mustParse(t, `{"StartAt": "T", "TimeoutSeconds": 1, "States": {"T": {"Type": "Task", "Resource": "r",
		"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}], "End": true}, "Handled": {"Type": "Succeed"}}}`)
	rec := newRecorder(map[string]Handler{"r": func(ctx context.Context, _ Call) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	res := rec.runJSON(t, sm, `{}`)
	assert.Equal(t, StatusTimedOut, res.Status)
	assert.Equal(t, ErrTimeout, res.Error)
	assert.Equal(t, []string{"T"}, res.States, "an execution timeout is not catchable")
}

func TestExecutorErrors(t *testing.T) {
	sm := mustParse(t, `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
		"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}], "End": true}, "Handled": {"Type": "Succeed"}}}`)

	t.Run("unknown resource", func(t *testing.T) {
		_, err := newRecorder(map[string]Handler{}).Run(context.Background(), sm, "e", map[string]any{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "arn:aws:states:::sns:publish")
	})
	t.Run("handler panic", func(t *testing.T) {
		rec := newRecorder(map[string]Handler{"arn:aws:states:::sns:publish": func(context.Context, Call) (any, error) { panic("kaboom") }})
		_, err := rec.Run(context.Background(), sm, "e", map[string]any{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "kaboom")
		assert.Contains(t, err.Error(), `"T"`)
	})
	t.Run("result that is not JSON", func(t *testing.T) {
		rec := newRecorder(map[string]Handler{"arn:aws:states:::sns:publish": func(context.Context, Call) (any, error) { return make(chan int), nil }})
		_, err := rec.Run(context.Background(), sm, "e", map[string]any{})
		require.Error(t, err)
	})
	t.Run("canceled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		rec := newRecorder(map[string]Handler{"arn:aws:states:::sns:publish": func(ctx context.Context, _ Call) (any, error) {
			cancel()
			<-ctx.Done()
			return nil, ctx.Err()
		}})
		_, err := rec.Run(ctx, sm, "e", map[string]any{})
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("canceled during a retry wait", func(t *testing.T) {
		retrying := mustParse(t, `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "Retry": [{"ErrorEquals": ["X"]}], "End": true}}}`)
		calls := 0
		ex := &Executor{Handlers: map[string]Handler{"r": failing("X", &calls)}}
		ctx, cancel := context.WithCancel(context.Background())
		ex.Observe = func(ev Event) {
			if ev.Kind == EventRetry {
				cancel()
			}
		}
		_, err := ex.Run(ctx, retrying, "e", nil)
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, calls)
	})
}

func TestResultPathMatchFailureIsCatchable(t *testing.T) {
	sm := mustParse(t, `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "ResultPath": "$.s.x",
		"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}], "End": true}, "Handled": {"Type": "Succeed"}}}`)
	res := newRecorder(map[string]Handler{"r": echo}).runJSON(t, sm, `{"s": "not an object"}`)
	require.Equal(t, StatusSucceeded, res.Status)
	assert.Equal(t, ErrResultPathMatchFailure, res.Output.(map[string]any)["error"].(map[string]any)["Error"])
}

func TestHandlerReceivesCallAndCopy(t *testing.T) {
	sm := mustParse(t, `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "InputPath": "$.p", "ResultPath": "$.r", "End": true}}}`)
	var got Call
	rec := newRecorder(map[string]Handler{"r": func(_ context.Context, c Call) (any, error) {
		got = c
		c.Parameters.(map[string]any)["k"] = "mutated"
		return struct {
			N float64 `json:"n"`
		}{2}, nil
	}})
	res := rec.runJSON(t, sm, `{"p": {"k": "v"}}`)
	assert.Equal(t, Call{Resource: "r", Parameters: map[string]any{"k": "mutated"}, StateName: "T", ExecutionName: "exec-1"}, got)
	assert.JSONEq(t, `{"p": {"k": "v"}, "r": {"n": 2}}`, toJSON(t, res.Output))
}

func TestStatesRuntimeIsNeitherRetriedNorCaught(t *testing.T) {
	// Step Functions documents that States.ALL does not catch States.Runtime
	// and that States.Runtime is never retried; naming it does not help.
	sm := mustParse(t, `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r",
		"Retry": [{"ErrorEquals": ["States.Runtime"]}, {"ErrorEquals": ["States.ALL"]}],
		"Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "Handled"}, {"ErrorEquals": ["States.ALL"], "Next": "Handled"}], "End": true},
		"Handled": {"Type": "Succeed"}}}`)
	calls := 0
	rec := newRecorder(map[string]Handler{"r": failing(ErrRuntime, &calls)})
	res := rec.runJSON(t, sm, `{}`)
	assert.Equal(t, StatusFailed, res.Status)
	assert.Equal(t, ErrRuntime, res.Error)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"T"}, res.States)
}

func TestErrorMatches(t *testing.T) {
	tests := []struct {
		equals []string
		name   string
		want   bool
	}{
		{[]string{"States.ALL"}, "Custom", true},
		{[]string{"States.ALL"}, ErrTimeout, true},
		{[]string{"States.ALL"}, ErrRuntime, false},
		{[]string{"States.Runtime"}, ErrRuntime, false},
		{[]string{"States.TaskFailed"}, "Custom", true},
		{[]string{"States.TaskFailed"}, ErrTaskFailed, true},
		{[]string{"States.TaskFailed"}, ErrTimeout, false},
		{[]string{"States.Timeout"}, ErrTimeout, true},
		{[]string{"A", "B"}, "B", true},
		{[]string{"A"}, "a", false},
		{[]string{"A"}, "A.B", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, errorMatches(tc.equals, tc.name), "%v vs %s", tc.equals, tc.name)
	}
}

package asl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRejectsUnsupportedAndInvalid(t *testing.T) {
	const done = `, "Done": {"Type": "Succeed"}`
	tests := []struct {
		name, def string
		want      []string
	}{
		{"Map state", `{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true}}}`, []string{`"M"`, `"Map"`}},
		{"Parallel state", `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true}}}`, []string{`"P"`, `"Parallel"`}},
		{"Wait state", `{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}`, []string{`"W"`, `"Wait"`}},
		{"HeartbeatSeconds", `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "HeartbeatSeconds": 5, "End": true}}}`, []string{`"T"`, "HeartbeatSeconds"}},
		{"Credentials", `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "Credentials": {}, "End": true}}}`, []string{`"T"`, "Credentials"}},
		{"ItemSelector", `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "ItemSelector": {}, "End": true}}}`, []string{`"T"`, "ItemSelector"}},
		{"JSONata state", `{"StartAt": "T", "States": {"T": {"Type": "Pass", "QueryLanguage": "JSONata", "End": true}}}`, []string{`"T"`, "JSONata"}},
		{"JSONata machine", `{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {"Type": "Succeed"}}}`, []string{"JSONata"}},
		{"unknown top-level field", `{"StartAt": "T", "Foo": 1, "States": {"T": {"Type": "Succeed"}}}`, []string{"Foo"}},
		{"wildcard path", `{"StartAt": "T", "States": {"T": {"Type": "Pass", "InputPath": "$.a[*]", "End": true}}}`, []string{`"T"`, "$.a[*]"}},
		{"unknown intrinsic", `{"StartAt": "T", "States": {"T": {"Type": "Pass", "Parameters": {"x.$": "States.Base64Encode($.a)"}, "End": true}}}`, []string{`"T"`, "States.Base64Encode"}},
		{"timestamp operator", `{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.t", "TimestampEquals": "2020-01-01T00:00:00Z", "Next": "Done"}]}` + done + `}}`, []string{`"C"`, "TimestampEquals"}},
		{"unknown retrier field", `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "Retry": [{"ErrorEquals": ["X"], "Foo": 1}], "End": true}}}`, []string{`"T"`, "Foo"}},
		{"States.ALL not alone", `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "Catch": [{"ErrorEquals": ["States.ALL", "X"], "Next": "Done"}], "End": true}` + done + `}}`, []string{`"T"`, "States.ALL"}},
		{"States.ALL not last", `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}], "End": true}}}`, []string{`"T"`, "States.ALL"}},
		{"BackoffRate below 1", `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}], "End": true}}}`, []string{"BackoffRate"}},
		{"missing StartAt state", `{"StartAt": "Nope", "States": {"T": {"Type": "Succeed"}}}`, []string{`"Nope"`}},
		{"missing Next target", `{"StartAt": "T", "States": {"T": {"Type": "Pass", "Next": "Nope"}}}`, []string{`"T"`, `"Nope"`}},
		{"missing Catch target", `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "Catch": [{"ErrorEquals": ["X"], "Next": "Nope"}], "End": true}}}`, []string{`"Nope"`}},
		{"missing Default target", `{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "Done"}], "Default": "Nope"}` + done + `}}`, []string{`"Nope"`}},
		{"unreachable state", `{"StartAt": "T", "States": {"T": {"Type": "Succeed"}, "Lost": {"Type": "Succeed"}}}`, []string{`"Lost"`, "reachable"}},
		{"neither Next nor End", `{"StartAt": "T", "States": {"T": {"Type": "Pass"}}}`, []string{`"T"`, "End"}},
		{"Next and End", `{"StartAt": "T", "States": {"T": {"Type": "Pass", "Next": "T", "End": true}}}`, []string{`"T"`, "End"}},
		{"nested rule with Next", `{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.a", "IsPresent": true, "Next": "Done"}, "Next": "Done"}]}` + done + `}}`, []string{`"C"`, "nested"}},
		{"operator type mismatch", `{"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": "1", "Next": "Done"}]}` + done + `}}`, []string{`"C"`, "NumericEquals"}},
		{"ErrorPath and Error", `{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}}`, []string{`"F"`, "mutually exclusive"}},
		{"context ResultPath", `{"StartAt": "T", "States": {"T": {"Type": "Pass", "ResultPath": "$$.x", "End": true}}}`, []string{`"T"`, "ResultPath"}},
		{"not JSON", `{"StartAt": `, []string{"decoding"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.def))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestParseAcceptsOptionalTopLevelFields(t *testing.T) {
	sm, err := Parse([]byte(`{"Comment": "c", "Version": "1.0", "QueryLanguage": "JSONPath", "TimeoutSeconds": 60, "StartAt": "T",
		"States": {"T": {"Type": "Task", "Resource": "b", "Next": "U"}, "U": {"Type": "Task", "Resource": "a", "Next": "V"}, "V": {"Type": "Task", "Resource": "b", "End": true}}}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, sm.Resources())
}

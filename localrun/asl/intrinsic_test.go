package asl

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testEnv() *env {
	return &env{
		input: map[string]any{
			"s":     "x",
			"int":   json.Number("9"),
			"flt":   json.Number("4.2"),
			"whole": json.Number("6.0"),
			"obj":   map[string]any{"a": json.Number("1"), "b": "two"},
			"over":  map[string]any{"b": "three", "c": true},
			"arr":   []any{"p", "q", "r"},
			"json":  `{"m":{"v":4.2},"l":[1,"a"]}`,
			"empty": "",
			"abc":   "abc",
		},
		context: map[string]any{"Execution": map[string]any{"Name": "run-7"}, "State": map[string]any{"RetryCount": json.Number("0")}},
		uuid:    func() string { return "11111111-2222-4333-8444-555555555555" },
	}
}

func TestIntrinsicFunctions(t *testing.T) {
	tests := []struct {
		name, expr string
		want       any
	}{
		{"format string", "States.Format('a {} b', $.s)", "a x b"},
		{"format integer", "States.Format('{}', $.int)", "9"},
		{"format integral float", "States.Format('{}', $.whole)", "6"},
		{"format fraction", "States.Format('{}', $.flt)", "4.2"},
		{"format literals", "States.Format('{} {} {} {}', 'lit', 3, true, null)", "lit 3 true null"},
		{"format context", "States.Format('run {}', $$.Execution.Name)", "run run-7"},
		{"format escapes", `States.Format('\{\} \'{}\' \\ end', $.s)`, `{} 'x' \ end`},
		{"format no placeholders", "States.Format('plain')", "plain"},
		{"nested hash of format (md5sum of run-7/0)", "States.Hash(States.Format('{}/{}', $$.Execution.Name, $$.State.RetryCount), 'MD5')", "84697428509cb58911684fecb95bcb0a"},
		{"string to json", "States.StringToJson($.json)", map[string]any{"m": map[string]any{"v": json.Number("4.2")}, "l": []any{json.Number("1"), "a"}}},
		{"json to string", "States.JsonToString($.obj)", `{"a":1,"b":"two"}`},
		{"json round trip", "States.JsonToString(States.StringToJson($.json))", `{"l":[1,"a"],"m":{"v":4.2}}`},
		{"json merge shallow", "States.JsonMerge($.obj, $.over, false)", map[string]any{"a": json.Number("1"), "b": "three", "c": true}},
		{"md5 empty", "States.Hash($.empty, 'MD5')", "d41d8cd98f00b204e9800998ecf8427e"},
		{"sha1 empty", "States.Hash($.empty, 'SHA-1')", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"sha256 abc", "States.Hash($.abc, 'SHA-256')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"sha384 abc", "States.Hash($.abc, 'SHA-384')", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
		{"sha512 abc", "States.Hash('abc', 'SHA-512')", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
		{"array", "States.Array($.s, 1, States.Array())", []any{"x", json.Number("1"), []any{}}},
		{"array get item", "States.ArrayGetItem($.arr, 1)", "q"},
		{"array get item nested", "States.ArrayGetItem(States.Array('a', 'b'), States.MathAdd(0, 1))", "b"},
		{"math add", "States.MathAdd($.int, -3)", json.Number("6")},
		{"uuid", "States.UUID()", "11111111-2222-4333-8444-555555555555"},
		{"spaces between arguments", "States.Format( '{}-{}' ,  $.s ,$['s'] )", "x-x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, err := compileExpr(tc.expr)
			require.NoError(t, err)
			got, terr := x.eval(testEnv())
			require.Nil(t, terr)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestIntrinsicCompileErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"States.Base64Encode($.s)", "States.Base64Encode"},
		{"States.Format('{} {}', $.s)", "2 placeholders but 1 values"},
		{"States.Format($.s)", "must be a string literal"},
		{"States.Format('{', $.s)", "neither escaped"},
		{"States.JsonMerge($.obj, $.over, true)", "shallow merge"},
		{"States.Hash($.s, 'SHA-3')", "SHA-3"},
		{"States.StringToJson('{}')", "unescaped"},
		{"States.UUID(1)", "takes 0 arguments"},
		{"States.Format('x'", "missing )"},
		{"States.Format('x') trailing", "unexpected text"},
		{"States.Format('a', $.a[*])", "$.a[*]"},
		{"States.Format('\\n')", "invalid escape"},
		{"Other.Fn()", "neither a path nor an intrinsic"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := compileExpr(tc.expr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestIntrinsicRuntimeErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"States.StringToJson($.s)", "States.StringToJson($.s)"},
		{"States.StringToJson($.int)", "not a string"},
		{"States.Format('{}', $.obj)", "JSON object"},
		{"States.ArrayGetItem($.arr, 3)", "index 3"},
		{"States.MathAdd($.flt, 1)", "integers"},
		{"States.JsonMerge($.obj, $.arr, false)", "JSON objects"},
		{"States.Hash($.int, 'MD5')", "not a string"},
		{"States.Format('{}', $.nope)", "$.nope"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			x, err := compileExpr(tc.expr)
			require.NoError(t, err)
			_, terr := x.eval(testEnv())
			require.NotNil(t, terr)
			assert.Equal(t, ErrRuntime, terr.Name)
			assert.Contains(t, terr.Cause, tc.want)
		})
	}
}

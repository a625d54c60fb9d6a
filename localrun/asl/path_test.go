package asl

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPathGet(t *testing.T) {
	data := map[string]any{
		"a":     map[string]any{"b": "ab"},
		"list":  []any{map[string]any{"x": json.Number("1")}, "second"},
		"odd-k": "dash",
	}
	tests := []struct {
		path  string
		want  any
		found bool
	}{
		{"$", data, true},
		{"$.a.b", "ab", true},
		{"$['a']['b']", "ab", true},
		{"$.list[1]", "second", true},
		{"$.list[0].x", json.Number("1"), true},
		{"$.odd-k", "dash", true},
		{"$.missing", nil, false},
		{"$.list[2]", nil, false},
		{"$.a.b.c", nil, false},
		{"$.a[0]", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p, err := parsePath(tc.path)
			require.NoError(t, err)
			got, found := p.get(data)
			assert.Equal(t, tc.found, found)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParsePathRejectsUnsupportedSyntax(t *testing.T) {
	for _, s := range []string{"a.b", "$..a", "$.*", "$.a[*]", "$.a[-1]", "$.a[0:2]", "$.a[?(@.b)]", "$.", "$['a", "$.a b"} {
		t.Run(s, func(t *testing.T) {
			_, err := parsePath(s)
			require.Error(t, err)
			assert.Contains(t, err.Error(), s)
		})
	}
}

func TestPathSetCopiesAndCreates(t *testing.T) {
	in := map[string]any{"a": map[string]any{"keep": true}, "arr": []any{"x"}}
	p, err := parsePath("$.a.b.c")
	require.NoError(t, err)
	out, ok := p.set(in, "v")
	require.True(t, ok)
	assert.Equal(t, map[string]any{"a": map[string]any{"keep": true, "b": map[string]any{"c": "v"}}, "arr": []any{"x"}}, out)
	assert.Equal(t, map[string]any{"keep": true}, in["a"], "the input must not be modified")

	p, err = parsePath("$.arr[0]")
	require.NoError(t, err)
	out, ok = p.set(in, "y")
	require.True(t, ok)
	assert.Equal(t, []any{"y"}, out.(map[string]any)["arr"])
	assert.Equal(t, []any{"x"}, in["arr"])

	for _, bad := range []string{"$.a.keep.x", "$.arr[3]", "$.missing[0]"} {
		p, err := parsePath(bad)
		require.NoError(t, err)
		_, ok := p.set(in, "v")
		assert.False(t, ok, bad)
	}
}

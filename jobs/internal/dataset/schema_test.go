package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dataDir is the repository's data directory, seen from this package.
var dataDir = filepath.Join("..", "..", "..", "data")

func TestLoadShippedSchemas(t *testing.T) {
	tests := []struct {
		dir      string
		task     Task
		header   bool
		columns  int
		features int
		target   string
	}{
		{"abalone", Regression, true, 9, 8, "Rings"},
		{"adult", BinaryClassification, false, 15, 14, "income"},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			s, err := Load(filepath.Join(dataDir, tc.dir, "schema.json"))
			require.NoError(t, err)
			assert.Equal(t, tc.task, s.Task)
			assert.Equal(t, tc.header, s.Header)
			assert.Len(t, s.Columns, tc.columns)
			assert.Len(t, s.FeatureIndexes(), tc.features)
			assert.Equal(t, tc.target, s.Columns[s.TargetIndex()].Name)
			assert.Equal(t, -1, s.IDIndex())
			assert.NoError(t, s.Validate())
		})
	}
}

// validSchema returns a small valid regression schema with every field that
// Parse would default already set, so that Validate accepts it as is.
func validSchema() *Schema {
	return &Schema{
		Columns: []Column{
			{Name: "key", Type: Categorical},
			{Name: "x", Type: Numeric},
			{Name: "c", Type: Categorical},
			{Name: "y", Type: Numeric},
		},
		Target:        "y",
		Task:          Regression,
		Separator:     ",",
		MissingValues: []string{""},
	}
}

// binary turns s into a binary classification schema with target c.
func binary(s *Schema) {
	s.Task = BinaryClassification
	s.Target = "c"
	s.PositiveLabel = "yes"
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(s *Schema)
		wantErr string // empty: valid
	}{
		{"valid regression", func(s *Schema) {}, ""},
		{"valid binary", binary, ""},
		{"valid binary with trim suffix and id", func(s *Schema) {
			binary(s)
			s.LabelTrimSuffix = "."
			s.ID = "key"
		}, ""},
		{"valid multi-byte separator", func(s *Schema) { s.Separator = ", " }, ""},
		{"no columns", func(s *Schema) { s.Columns = nil },
			`schema: columns: empty; want the target and at least one feature column`},
		{"empty name", func(s *Schema) { s.Columns[2].Name = "" },
			`schema: columns[2].name: empty; every column needs a name`},
		{"duplicate name", func(s *Schema) { s.Columns[2].Name = "x" },
			`schema: columns[2].name: "x" is also the name of columns[1]; want unique names`},
		{"bad column type", func(s *Schema) { s.Columns[1].Type = "float" },
			`schema: columns[1].type: "float" is not a column type; want "numeric" or "categorical"`},
		{"empty column type", func(s *Schema) { s.Columns[0].Type = "" },
			`schema: columns[0].type: "" is not a column type; want "numeric" or "categorical"`},
		{"bad task", func(s *Schema) { s.Task = "multiclass" },
			`schema: task: "multiclass" is not a task; want "regression" or "binary_classification"`},
		{"target not a column", func(s *Schema) { s.Target = "Y" },
			`schema: target: "Y" is not a column; want one of "key", "x", "c", "y"`},
		{"target empty", func(s *Schema) { s.Target = "" },
			`schema: target: "" is not a column; want one of "key", "x", "c", "y"`},
		{"regression target categorical", func(s *Schema) { s.Target = "c" },
			`schema: target: "c" is categorical; task "regression" needs a numeric target`},
		{"regression with positive label", func(s *Schema) { s.PositiveLabel = "1" },
			`schema: positiveLabel: "1" is set for task "regression"; want it empty, only "binary_classification" uses it`},
		{"regression with trim suffix", func(s *Schema) { s.LabelTrimSuffix = "." },
			`schema: labelTrimSuffix: "." is set for task "regression"; want it empty, only "binary_classification" uses it`},
		{"binary target numeric", func(s *Schema) { binary(s); s.Target = "x" },
			`schema: target: "x" is numeric; task "binary_classification" needs a categorical target, compared as text to positiveLabel`},
		{"binary without positive label", func(s *Schema) { binary(s); s.PositiveLabel = "" },
			`schema: positiveLabel: empty; task "binary_classification" needs the target value that means the positive class`},
		{"positive label ends with trim suffix", func(s *Schema) { binary(s); s.PositiveLabel = ">50K."; s.LabelTrimSuffix = "." },
			`schema: positiveLabel: ">50K." ends with labelTrimSuffix ".", so no trimmed label can match it; want the label without the suffix`},
		{"positive label is a missing value", func(s *Schema) { binary(s); s.PositiveLabel = "?"; s.MissingValues = []string{"", "?"} },
			`schema: positiveLabel: "?" is one of missingValues; want a value that is not missing`},
		{"id not a column", func(s *Schema) { s.ID = "row" },
			`schema: id: "row" is not a column; want one of "key", "x", "c", "y", or no id`},
		{"id is the target", func(s *Schema) { s.ID = "y" },
			`schema: id: "y" is the target; want another column, or no id`},
		{"no feature column", func(s *Schema) {
			s.Columns = s.Columns[:1]
			s.Columns = append(s.Columns, Column{Name: "y", Type: Numeric})
			s.ID = "key"
		},
			`schema: columns: no feature column; want at least one column besides the target "y" and the id`},
		{"empty separator", func(s *Schema) { s.Separator = "" },
			`schema: separator: empty; want one or more characters, such as ","`},
		{"separator with quote", func(s *Schema) { s.Separator = `"` },
			`schema: separator: "\"" contains a quote or a line break; want other characters`},
		{"separator with newline", func(s *Schema) { s.Separator = ",\n" },
			`schema: separator: ",\n" contains a quote or a line break; want other characters`},
		{"separator not UTF-8", func(s *Schema) { s.Separator = "\xc3" },
			`schema: separator: "\xc3" is not valid UTF-8; want UTF-8 text`},
		{"max categories on a categorical feature", func(s *Schema) { s.Columns[2].MaxCategories = 3 }, ""},
		{"negative max categories", func(s *Schema) { s.Columns[2].MaxCategories = -1 },
			`schema: columns[2].maxCategories: -1 is negative; want a positive count, or 0 for the default 100`},
		{"max categories on a numeric column", func(s *Schema) { s.Columns[1].MaxCategories = 5 },
			`schema: columns[1].maxCategories: 5 is set for numeric column "x"; want it only on categorical feature columns`},
		{"max categories on the id", func(s *Schema) { s.ID = "key"; s.Columns[0].MaxCategories = 5 },
			`schema: columns[0].maxCategories: 5 is set for "key", which is not a feature (the target or the id); want it only on categorical feature columns`},
		{"comment prefix with line break", func(s *Schema) { s.CommentPrefix = "#\r" },
			`schema: commentPrefix: "#\r" contains a line break; want characters that start a line`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := validSchema()
			tc.edit(s)
			err := s.Validate()
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tc.wantErr)
		})
	}
}

func TestParseDefaults(t *testing.T) {
	s, err := Parse([]byte(`{"columns":[{"name":"a","type":"numeric"},{"name":"b","type":"numeric"}],"target":"b","task":"regression","header":true}`))
	require.NoError(t, err)
	assert.Equal(t, ",", s.Separator)
	assert.Equal(t, []string{""}, s.MissingValues)
	assert.Equal(t, []int{0}, s.FeatureIndexes())
}

func TestParseErrors(t *testing.T) {
	const cols = `"columns":[{"name":"a","type":"numeric"},{"name":"b","type":"numeric"}]`
	const rest = `"target":"b","task":"regression","header":true`
	const fieldList = `"columns", "target", "task", "positiveLabel", "id", "header", "separator", "missingValues", "commentPrefix", "labelTrimSuffix"`
	tests := []struct {
		name    string
		json    string
		wantErr string
	}{
		{"empty input", ``, `schema: unexpected end of JSON; want a complete JSON object`},
		{"truncated", `{` + cols, `schema: unexpected end of JSON; want a complete JSON object`},
		{"syntax error", `{` + cols + `,}`, `schema: invalid JSON at byte offset 73: invalid character '}' looking for beginning of object key string`},
		{"not an object", `[1]`, `schema: want a JSON object, got an array`},
		{"null", `null`, `schema: want a JSON object, got null`},
		{"unknown field", `{` + cols + `,` + rest + `,"sep":";"}`,
			`schema: unknown field "sep"; want one of ` + fieldList},
		{"field in another case", `{` + cols + `,"Target":"b","task":"regression","header":true}`,
			`schema: unknown field "Target"; want one of ` + fieldList},
		{"field given twice", `{` + cols + `,` + rest + `,"target":"a"}`,
			`schema: field "target" given twice; want each field once`},
		{"unknown column field", `{"columns":[{"name":"a","type":"numeric"},{"name":"b","kind":"numeric"}],` + rest + `}`,
			`schema: columns[1]: unknown field "kind"; want one of "name", "type", "maxCategories"`},
		{"column field given twice", `{"columns":[{"name":"a","type":"numeric","name":"c"},{"name":"b","type":"numeric"}],` + rest + `}`,
			`schema: columns[0]: field "name" given twice; want each field once`},
		{"wrong type", `{` + cols + `,"target":"b","task":"regression","header":"yes"}`,
			`schema: header: got a JSON string; want true or false`},
		{"wrong type in column", `{"columns":[{"name":1,"type":"numeric"}],` + rest + `}`,
			`schema: columns.name: got a JSON number; want a string`},
		{"columns not an array", `{"columns":{},` + rest + `}`,
			`schema: columns: got a JSON object; want an array of objects`},
		{"missing values not strings", `{` + cols + `,` + rest + `,"missingValues":[null, 1]}`,
			`schema: missingValues: got a JSON number; want a string`},
		{"max categories not an integer", `{"columns":[{"name":"a","type":"categorical","maxCategories":"10"},{"name":"b","type":"numeric"}],` + rest + `}`,
			`schema: columns.maxCategories: got a JSON string; want an integer`},
		{"data after the object", `{` + cols + `,` + rest + `} {}`,
			`schema: unexpected data after the schema object; want a single JSON object`},
		{"invalid after decoding", `{` + cols + `,"target":"c","task":"regression","header":true}`,
			`schema: target: "c" is not a column; want one of "a", "b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.json))
			assert.EqualError(t, err, tc.wantErr)
			assert.Nil(t, s)
		})
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"columns":[]}`), 0o644))
	missing := filepath.Join(dir, "missing.json")

	_, err := Load(bad)
	assert.EqualError(t, err, "schema file "+bad+": columns: empty; want the target and at least one feature column")
	_, err = Load(missing)
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), missing)
}

func TestIndexes(t *testing.T) {
	s := validSchema()
	s.ID = "key"
	assert.Equal(t, 3, s.TargetIndex())
	assert.Equal(t, 0, s.IDIndex())
	assert.Equal(t, []int{1, 2}, s.FeatureIndexes())

	s.ID = ""
	s.Target = "x"
	assert.Equal(t, 1, s.TargetIndex())
	assert.Equal(t, -1, s.IDIndex())
	assert.Equal(t, []int{0, 2, 3}, s.FeatureIndexes())
}

func TestFingerprint(t *testing.T) {
	const compact = `{"columns":[{"name":"a","type":"numeric"},{"name":"b","type":"numeric"}],"target":"b","task":"regression","header":true}`
	const spelledOut = `{
		"task": "regression", "header": true, "target": "b",
		"separator": ",", "missingValues": [""],
		"columns": [{"type": "numeric", "name": "a"}, {"name": "b", "type": "numeric"}]
	}`
	a, err := Parse([]byte(compact))
	require.NoError(t, err)
	b, err := Parse([]byte(spelledOut))
	require.NoError(t, err)
	// A pinned value: models record fingerprints, so the canonical form
	// must not change by accident.
	assert.Equal(t, "d92bb7209c1ee30f41e2f5391bfedb6fe9463ee184ea585fee121349a74572dd", a.Fingerprint())
	assert.Equal(t, a.Fingerprint(), b.Fingerprint(), "formatting, field order and defaults must not matter")
	assert.Len(t, a.Fingerprint(), 64)

	// Without Parse's defaults, the fingerprint is the same.
	c := a.clone()
	c.Separator, c.MissingValues = "", nil
	assert.Equal(t, a.Fingerprint(), c.Fingerprint())

	changes := map[string]func(s *Schema){
		"target":    func(s *Schema) { s.Target = "a" },
		"type":      func(s *Schema) { s.Columns[0].Type = Categorical },
		"order":     func(s *Schema) { s.Columns[0], s.Columns[1] = s.Columns[1], s.Columns[0] },
		"separator": func(s *Schema) { s.Separator = ";" },
		"missing":   func(s *Schema) { s.MissingValues = []string{"NA"} },
	}
	for name, change := range changes {
		d := a.clone()
		change(d)
		assert.NotEqual(t, a.Fingerprint(), d.Fingerprint(), name)
	}
}

func TestWriteJSON(t *testing.T) {
	s, err := Load(filepath.Join(dataDir, "adult", "schema.json"))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, s.WriteJSON(&buf))
	assert.Contains(t, buf.String(), "\n  \"positiveLabel\": \">50K\",\n", "indented, without HTML escapes")
	again, err := Parse(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, s, again)
	assert.Equal(t, s.Fingerprint(), again.Fingerprint())

	// Defaults are written out, so the stored file does not depend on them.
	minimal := validSchema()
	minimal.Separator, minimal.MissingValues = "", nil
	buf.Reset()
	require.NoError(t, minimal.WriteJSON(&buf))
	assert.Contains(t, buf.String(), `"separator": ","`)
	assert.Contains(t, buf.String(), `"missingValues": [`)
	assert.Empty(t, minimal.Separator, "WriteJSON must not change the schema")

	assert.EqualError(t, s.WriteJSON(failingWriter{}), "writing schema: disk full")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestParseRoundTrip(t *testing.T) {
	for _, dir := range []string{"abalone", "adult"} {
		t.Run(dir, func(t *testing.T) {
			s, err := Load(filepath.Join(dataDir, dir, "schema.json"))
			require.NoError(t, err)
			data, err := json.Marshal(s)
			require.NoError(t, err)
			again, err := Parse(data)
			require.NoError(t, err)
			assert.Equal(t, s, again)
			assert.Equal(t, s.Fingerprint(), again.Fingerprint())
		})
	}
}

func TestParseIgnoresByteOrderMark(t *testing.T) {
	const doc = `{"columns":[{"name":"a","type":"numeric"},{"name":"b","type":"numeric"}],"target":"b","task":"regression","header":true}`
	want, err := Parse([]byte(doc))
	require.NoError(t, err)
	got, err := Parse([]byte("\xef\xbb\xbf" + doc))
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// TestMaxCategoriesKeepsFingerprints: a schema that does not set
// maxCategories has the fingerprint it had before the field existed, so
// models trained before it still load.
func TestMaxCategoriesKeepsFingerprints(t *testing.T) {
	data, err := json.Marshal(validSchema())
	require.NoError(t, err)
	assert.NotContains(t, string(data), "maxCategories")
}

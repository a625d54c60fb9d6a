package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const abaloneHeader = "Sex,Length,Diameter,Height,Whole_Weight,Shucked_Weight,Viscera_Weight,Shell_Weight,Rings\n"

// abaloneRows returns n valid abalone rows.
func abaloneRows(n int) string {
	var b strings.Builder
	for i := range n {
		sex := []string{"M", "F", "I"}[i%3]
		b.WriteString(sex + ",0.455,0.365,0.095,0.514,0.2245,0.101,0.15," + []string{"15", "7", "9", "10"}[i%4] + "\n")
	}
	return b.String()
}

// trainedModel trains a small abalone model once for the tests that need
// one and returns its directory.
func trainedModel(t *testing.T) string {
	t.Helper()
	dir := pipeline(t, nil, data("abalone", "schema.json"), []string{"-input", data("abalone", "abalone.csv")},
		[]string{"-hp", "num_round=5"}, data("abalone", "abalone.csv"))
	return filepath.Join(dir, "model")
}

// regularFiles lists the files below dir; a missing dir has none.
func regularFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if os.IsNotExist(err) {
			return nil
		}
		if err == nil && !info.IsDir() {
			files = append(files, path)
		}
		return err
	})
	require.NoError(t, err)
	return files
}

func TestBadInput(t *testing.T) {
	model := trainedModel(t)
	archive := func(t *testing.T, content []byte) string {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "model.tar.gz"), content, 0o644))
		return dir
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(bytes.Repeat([]byte("model.json\x00"), 4000))
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	tests := []struct {
		name string
		job  string
		// input is the data file's content (written as in.csv); schema, when
		// set, replaces the abalone schema; model, when set, is the model.
		input  string
		schema string
		model  func(t *testing.T) string
		// want is the start of the failure reason, or "" for success.
		want string
	}{
		{name: "empty file", job: "preprocess", input: "", want: "in.csv: no header line"},
		{name: "header only", job: "preprocess", input: abaloneHeader, want: "input "},
		{name: "missing column", job: "preprocess", input: strings.Replace(abaloneHeader, "Height,", "", 1) + "M,1,2,3,4,5,6,7\n",
			want: `in.csv:1: header: missing column "Height"`},
		{name: "extra column", job: "preprocess", input: strings.TrimSuffix(abaloneHeader, "\n") + ",Age\n" + "M,1,2,3,4,5,6,7,8,9\n",
			want: `in.csv:1: header: unknown column "Age"`},
		{name: "wrong type", job: "preprocess", input: abaloneHeader + abaloneRows(3) + "M,long,0.3,0.1,0.5,0.2,0.1,0.15,9\n",
			want: `in.csv:5: column "Length": "long" is not a number`},
		{name: "NaN", job: "preprocess", input: abaloneHeader + "M,NaN,0.3,0.1,0.5,0.2,0.1,0.15,9\n", want: `in.csv:2: column "Length": "NaN"`},
		{name: "Inf", job: "infer", input: abaloneHeader + "M,0.4,Inf,0.1,0.5,0.2,0.1,0.15,9\n", want: `in.csv:2: column "Diameter": "Inf"`},
		{name: "non-UTF-8", job: "preprocess", input: abaloneHeader + "\xff\xfe,0.4,0.3,0.1,0.5,0.2,0.1,0.15,9\n", want: `in.csv:2: column "Sex"`},
		{name: "10 MB line", job: "infer", input: abaloneHeader + abaloneRows(2) + "M," + strings.Repeat("1", 10<<20) + "\n", want: "in.csv:4: line longer than 1048576 bytes"},
		{name: "10 MB line in preprocess", job: "preprocess", input: abaloneHeader + "M," + strings.Repeat("1", 10<<20) + "\n" + abaloneRows(20), want: "in.csv:2: line longer than 1048576 bytes"},
		{name: "schema names a missing target", job: "preprocess", input: abaloneHeader + abaloneRows(20),
			schema: `{"columns": [{"name": "Sex", "type": "categorical"}, {"name": "Length", "type": "numeric"}], "target": "Rings", "task": "regression", "header": true}`,
			want:   "schema"},
		{name: "truncated model archive", job: "infer", input: abaloneHeader + abaloneRows(3),
			model: func(t *testing.T) string { return archive(t, gz.Bytes()[:gz.Len()/2]) }, want: "model "},
		{name: "corrupted model archive", job: "evaluate", input: "9,1,0,0,0,0.1,0.2,0.3,0.4,0.5,0.6,0.7\n",
			model: func(t *testing.T) string { return archive(t, []byte("this is not gzip")) }, want: "model "},
		{name: "unseen category is scored, not failed", job: "infer", input: abaloneHeader + "X,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\n"},
		{name: "wrong type in inference input", job: "infer", input: abaloneHeader + abaloneRows(3) + "M,0.4,0.3,0.1,heavy,0.2,0.1,0.15,9\n",
			want: `in.csv:5: column "Whole_Weight": "heavy" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in.csv")
			require.NoError(t, os.WriteFile(in, []byte(tt.input), 0o644))
			schema := data("abalone", "schema.json")
			if tt.schema != "" {
				schema = filepath.Join(dir, "schema.json")
				require.NoError(t, os.WriteFile(schema, []byte(tt.schema), 0o644))
			}
			modelDir := model
			if tt.model != nil {
				modelDir = tt.model(t)
			}
			out := filepath.Join(dir, "out")
			failure := filepath.Join(dir, "message")
			var args []string
			switch tt.job {
			case "preprocess":
				args = []string{"-input", in, "-schema", schema, "-output", out}
			case "evaluate":
				args = []string{"-model", modelDir, "-test", in, "-output", out}
			case "infer":
				args = []string{"-model", modelDir, "-input", in, "-output", out}
			}
			code, _, stderr := job(t, tt.job, nil, append(args, "-failure-file", failure)...)
			if tt.want == "" {
				assert.Equal(t, 0, code, "exit code; stderr: %s", stderr)
				assert.NotEmpty(t, regularFiles(t, out))
				return
			}
			assert.NotEqual(t, 0, code, "exit code")
			reason, err := os.ReadFile(failure)
			require.NoError(t, err, "failure file; stderr: %s", stderr)
			first, _, _ := strings.Cut(string(reason), "\n")
			assert.True(t, strings.HasPrefix(first, tt.want), "failure reason %q, want it to start with %q", first, tt.want)
			assert.LessOrEqual(t, len(reason), 1024, "SageMaker shows the first 1 KB")
			assert.Empty(t, regularFiles(t, out), "no output file is left behind")
		})
	}
}

// TestInferSkipsBadRowsAndKeepsIDs runs a pipeline on abalone with an id
// column added, then scores a file with bad rows under -on-bad-row=skip.
func TestInferSkipsBadRowsAndKeepsIDs(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile(data("abalone", "abalone.csv"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var withID strings.Builder
	withID.WriteString("id," + lines[0] + "\n")
	for i, l := range lines[1:] {
		fmt.Fprintf(&withID, "r%d,%s\n", i, l)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "train.csv"), []byte(withID.String()), 0o644))
	schema, err := os.ReadFile(data("abalone", "schema.json"))
	require.NoError(t, err)
	schemaWithID := strings.Replace(string(schema), `"columns": [`, `"id": "id", "columns": [{"name": "id", "type": "categorical"},`, 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "schema.json"), []byte(schemaWithID), 0o644))

	// Rows to score: no target column, a quoted id, two bad rows.
	score := "id," + strings.Replace(strings.TrimSuffix(abaloneHeader, "\n"), ",Rings", "", 1) + "\n" +
		"a,M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15\n" +
		"b,M,0.455,broken,0.095,0.514,0.2245,0.101,0.15\n" +
		"\"c,1\",F,0.53,0.42,0.135,0.677,0.2565,0.1415,0.21\n" +
		"d,M,0.455\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "score.csv"), []byte(score), 0o644))

	run := pipeline(t, nil, filepath.Join(dir, "schema.json"), []string{"-input", filepath.Join(dir, "train.csv")},
		[]string{"-hp", "num_round=5"}, filepath.Join(dir, "train.csv"))
	out := filepath.Join(dir, "scored")
	stdout := mustRun(t, "infer", nil, "-model", filepath.Join(run, "model"), "-input", filepath.Join(dir, "score.csv"),
		"-output", out, "-on-bad-row", "skip")
	assert.Contains(t, stdout, "score.csv: 2 rows scored, 2 rejected")

	predictions, err := os.ReadFile(filepath.Join(out, "score.csv.out"))
	require.NoError(t, err)
	got := strings.Split(strings.TrimSpace(string(predictions)), "\n")
	require.Len(t, got, 3)
	assert.Equal(t, "id,prediction", got[0])
	assert.True(t, strings.HasPrefix(got[1], "a,"), "first prediction row %q keeps its id", got[1])
	assert.True(t, strings.HasPrefix(got[2], `"c,1",`), "an id with a comma is quoted: %q", got[2])

	rejected, err := os.ReadFile(filepath.Join(out, "score.csv.rejected.csv"))
	require.NoError(t, err)
	assert.Equal(t, "line,reason\n"+
		`3,"score.csv:3: column ""Diameter"": ""broken"" is not a number"`+"\n"+
		`5,"score.csv:5: got 3 fields, want 9"`+"\n", string(rejected))

	// Without skip, the first bad row fails the job and nothing is written.
	failOut := filepath.Join(dir, "failed")
	code, _, stderr := job(t, "infer", nil, "-model", filepath.Join(run, "model"), "-input", filepath.Join(dir, "score.csv"), "-output", failOut)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, `score.csv:3: column "Diameter": "broken" is not a number`)
	assert.Empty(t, regularFiles(t, failOut))
}

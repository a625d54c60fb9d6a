package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
)

var abalone = filepath.Join("..", "..", "data", "abalone")

// testModel writes a small model of the bundled abalone sample (schema,
// preprocessor and three trees, as the train job writes them) to a new
// directory and returns it.
func testModel(t testing.TB) string {
	t.Helper()
	schema, err := dataset.Load(filepath.Join(abalone, "schema.json"))
	require.NoError(t, err)
	table := features.NewTable(schema)
	require.NoError(t, table.ReadFile(filepath.Join(abalone, "abalone.csv")))
	rows := make([]int, table.Len())
	for i := range rows {
		rows[i] = i
	}
	prep, err := features.Fit(table, rows)
	require.NoError(t, err)
	cols := prep.NumFeatures()
	data := make([]float32, len(rows)*cols)
	labels := make([]float32, len(rows))
	for _, r := range rows {
		require.NoError(t, prep.TransformRow(table, r, data[r*cols:(r+1)*cols]))
		labels[r] = float32(table.Labels[r])
	}
	params := gbt.DefaultParams()
	params.NumRound = 3
	model, err := gbt.Train(context.Background(), params, gbt.Matrix{Rows: len(rows), Cols: cols, Data: data}, labels, nil, nil, nil)
	require.NoError(t, err)

	dir := t.TempDir()
	for name, write := range map[string]func(io.Writer) error{
		modelio.ModelFile:        model.WriteJSON,
		modelio.PreprocessorFile: prep.WriteJSON,
		modelio.SchemaFile:       schema.WriteJSON,
	} {
		var b bytes.Buffer
		require.NoError(t, write(&b))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644))
	}
	return dir
}

// infer runs the job with args and returns the files it left in out and
// its error.
func infer(t *testing.T, out string, args ...string) ([]string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append(args, "-output", out, "-failure-file", ""), func(string) string { return "" }, nil, &stdout, &stderr)
	entries, rerr := os.ReadDir(out)
	if rerr != nil && !os.IsNotExist(rerr) {
		require.NoError(t, rerr)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}

func TestInferWithoutDataRowsFails(t *testing.T) {
	model := testModel(t)
	raw, err := os.ReadFile(filepath.Join(abalone, "abalone.csv"))
	require.NoError(t, err)
	header, _, _ := strings.Cut(string(raw), "\n")
	header += "\n"

	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	headerOnly := write("header-only.csv", header)
	twoHeaders := filepath.Dir(write("headers/a.csv", header))
	write("headers/b.csv", header)
	mixed := filepath.Dir(write("mixed/a.csv", header))
	write("mixed/b.csv", header+strings.SplitN(string(raw), "\n", 3)[1]+"\n")

	files, err := infer(t, filepath.Join(dir, "out1"), "-model", model, "-input", headerOnly)
	require.Error(t, err)
	assert.Equal(t, "no rows to score: input "+headerOnly+" has 1 file and no data rows; valid: at least one data row", err.Error())
	assert.Empty(t, files, "no predictions file, not even a header-only one")

	files, err = infer(t, filepath.Join(dir, "out2"), "-model", model, "-input", twoHeaders, "-on-bad-row", "skip")
	require.Error(t, err)
	assert.Equal(t, "no rows to score: input "+twoHeaders+" has 2 files and no data rows; valid: at least one data row", err.Error())
	assert.Empty(t, files, "neither predictions nor rejected rows files")

	// A header-only file next to one with rows is scored as it is: the input
	// as a whole has rows.
	files, err = infer(t, filepath.Join(dir, "out3"), "-model", model, "-input", mixed)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.csv.out", "b.csv.out"}, files)
}

func TestInferScoresEveryRow(t *testing.T) {
	model := testModel(t)
	out := filepath.Join(t.TempDir(), "out")
	files, err := infer(t, out, "-model", model, "-input", filepath.Join(abalone, "abalone.csv"))
	require.NoError(t, err)
	assert.Equal(t, []string{"abalone.csv.out"}, files)
	raw, err := os.ReadFile(filepath.Join(abalone, "abalone.csv"))
	require.NoError(t, err)
	predictions, err := os.ReadFile(filepath.Join(out, "abalone.csv.out"))
	require.NoError(t, err)
	assert.Equal(t, strings.Count(string(raw), "\n"), strings.Count(string(predictions), "\n"), "a header and a prediction per data row")
}

// TestInferEmptyShard: with ShardedByS3Key, an instance of a multi-instance
// job may get no file at all; it has nothing to do. A single instance
// without files is still an error.
func TestInferEmptyShard(t *testing.T) {
	model := testModel(t)
	for _, tt := range []struct {
		hosts   []string
		wantErr bool
	}{
		{[]string{"algo-1", "algo-2", "algo-3"}, false},
		{[]string{"algo-1"}, true},
	} {
		root := t.TempDir()
		rc, err := json.Marshal(map[string]any{"current_host": tt.hosts[len(tt.hosts)-1], "hosts": tt.hosts})
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(root, "config"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, "config", "resourceconfig.json"), rc, 0o644))
		input := filepath.Join(root, "processing", "input")
		require.NoError(t, os.MkdirAll(input, 0o755))
		out := filepath.Join(root, "processing", "output")
		var stdout, stderr bytes.Buffer
		getenv := func(k string) string {
			if k == sagemaker.RootEnv {
				return root
			}
			return ""
		}
		err = run(context.Background(), []string{"-model", model, "-input", input, "-output", out, "-failure-file", ""}, getenv, nil, &stdout, &stderr)
		if tt.wantErr {
			assert.ErrorIs(t, err, features.ErrNoDataFiles, "%d hosts", len(tt.hosts))
			continue
		}
		require.NoError(t, err, "%d hosts", len(tt.hosts))
		assert.Contains(t, stdout.String(), "no input files in this instance's shard")
		entries, _ := os.ReadDir(out)
		assert.Empty(t, entries, "outputs of an empty shard")
	}
}

// TestInferIgnoresTheTarget: unlabeled inference data often keeps the
// target column with empty fields; infer does not use it, so neither an
// empty nor a garbage target fails a row, with or without skipping.
func TestInferIgnoresTheTarget(t *testing.T) {
	model := testModel(t)
	raw, err := os.ReadFile(filepath.Join(abalone, "abalone.csv"))
	require.NoError(t, err)
	lines := strings.SplitN(string(raw), "\n", 4)
	// The target, Rings, is the last column.
	cut := func(l string) string { return l[:strings.LastIndexByte(l, ',')+1] }
	input := lines[0] + "\n" + cut(lines[1]) + "\n" + cut(lines[2]) + "unknown\n" + lines[1] + "\n"
	in := filepath.Join(t.TempDir(), "unlabeled.csv")
	require.NoError(t, os.WriteFile(in, []byte(input), 0o644))
	for _, mode := range []string{"fail", "skip"} {
		out := filepath.Join(t.TempDir(), "out")
		_, err := infer(t, out, "-model", model, "-input", in, "-on-bad-row", mode)
		require.NoError(t, err, "-on-bad-row=%s", mode)
		predictions, err := os.ReadFile(filepath.Join(out, "unlabeled.csv.out"))
		require.NoError(t, err)
		got := strings.Split(strings.TrimSpace(string(predictions)), "\n")
		require.Len(t, got, 4, "-on-bad-row=%s: a header and three predictions", mode)
		assert.Equal(t, got[1], got[3], "a row with an empty target scores as with its target")
		if mode == "skip" {
			rejected, err := os.ReadFile(filepath.Join(out, "unlabeled.csv.rejected.csv"))
			require.NoError(t, err)
			assert.Equal(t, "line,reason\n", string(rejected))
		}
	}
}

func TestInferRejectsNegativeWorkers(t *testing.T) {
	_, err := infer(t, filepath.Join(t.TempDir(), "out"), "-model", testModel(t), "-input", filepath.Join(abalone, "abalone.csv"), "-workers", "-5")
	assert.EqualError(t, err, "-workers = -5 is invalid; valid: 0 (one per core) or a positive count")
}

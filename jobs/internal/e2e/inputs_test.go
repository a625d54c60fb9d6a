package e2e

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeFile writes content to dir/name (a slash path), making folders.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// lines counts the lines of the file at p.
func countLines(t *testing.T, p string) int {
	t.Helper()
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	return strings.Count(string(raw), "\n")
}

// trainedModel trains a small abalone model for the tests that need one
// and returns its directory.
func trainedModel(t *testing.T) string {
	t.Helper()
	dir := pipeline(t, nil, data("abalone", "schema.json"), []string{"-input", data("abalone", "abalone.csv")},
		[]string{"-hp", "num_round=5"}, data("abalone", "abalone.csv"))
	return filepath.Join(dir, "model")
}

// TestNestedAndLinkedInputs runs preprocess and infer on an input folder
// as SageMaker lays out nested S3 keys (a.csv and 2024/b.csv), with a
// symbolic link to a file elsewhere: every file is read, and infer writes
// each file's predictions under the same relative path.
func TestNestedAndLinkedInputs(t *testing.T) {
	model := trainedModel(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "input")
	writeFile(t, input, "a.csv", abaloneHeader+abaloneRows(99))
	writeFile(t, input, "2024/b.csv", abaloneHeader+abaloneRows(4177))
	writeFile(t, input, ".hidden/c.csv", "not data")
	elsewhere := writeFile(t, dir, "elsewhere/c.csv", abaloneHeader+abaloneRows(10))
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(input, "2024", "linked.csv")))

	out := mustRun(t, "preprocess", nil, "-schema", data("abalone", "schema.json"), "-input", input, "-output", filepath.Join(dir, "pre"))
	assert.Contains(t, out, "preprocess: 4286 rows -> ", "99 + 4177 + 10 rows")

	predictions := filepath.Join(dir, "predictions")
	out = mustRun(t, "infer", nil, "-model", model, "-input", input, "-output", predictions)
	assert.Contains(t, out, "infer: 3 files, 4286 rows scored")
	// Messages and outputs follow the lexical order of the relative path.
	assert.Less(t, strings.Index(out, "infer: 2024/b.csv: 4177 rows"), strings.Index(out, "infer: 2024/linked.csv: 10 rows"))
	assert.Less(t, strings.Index(out, "infer: 2024/linked.csv: 10 rows"), strings.Index(out, "infer: a.csv: 99 rows"))
	var got []string
	for _, f := range regularFiles(t, predictions) {
		rel, err := filepath.Rel(predictions, f)
		require.NoError(t, err)
		got = append(got, filepath.ToSlash(rel))
	}
	assert.Equal(t, []string{"2024/b.csv.out", "2024/linked.csv.out", "a.csv.out", "drift/algo-1/drift.html", "drift/algo-1/drift.json", "drift/algo-1/summary.json"}, got)
	assert.Equal(t, 4177+1, countLines(t, filepath.Join(predictions, "2024", "b.csv.out")), "header and one line per row")
}

// TestInputLinkLoopFails: a folder that links back to the input fails
// preprocess and infer with a message naming the link.
func TestInputLinkLoopFails(t *testing.T) {
	model := trainedModel(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "input")
	writeFile(t, input, "2024/a.csv", abaloneHeader+abaloneRows(20))
	require.NoError(t, os.Symlink("..", filepath.Join(input, "2024", "loop")))
	want := "folder 2024/loop is the folder . again (through a symbolic link); valid: each folder once"

	code, _, stderr := job(t, "preprocess", nil, "-schema", data("abalone", "schema.json"), "-input", input, "-output", filepath.Join(dir, "pre"), "-failure-file", filepath.Join(dir, "failure-pre"))
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, want)
	code, _, stderr = job(t, "infer", nil, "-model", model, "-input", input, "-output", filepath.Join(dir, "predictions"), "-failure-file", filepath.Join(dir, "failure-infer"))
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, want)
	assert.Empty(t, regularFiles(t, filepath.Join(dir, "predictions")))
}

// gzipFile writes content gzipped to dir/name.
func gzipFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(content))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return writeFile(t, dir, name, buf.String())
}

// TestGzipInputs runs preprocess, evaluate and infer on gzipped CSV files:
// each reads them as the CSV they hold, with the same results as plain.
func TestGzipInputs(t *testing.T) {
	model := trainedModel(t)
	dir := t.TempDir()
	csv := abaloneHeader + abaloneRows(500)
	plain := writeFile(t, dir, "plain/a.csv", csv)
	gz := gzipFile(t, dir, "gz/a.csv.gz", csv)

	outPlain := mustRun(t, "preprocess", nil, "-schema", data("abalone", "schema.json"), "-input", plain, "-output", filepath.Join(dir, "pre-plain"))
	outGz := mustRun(t, "preprocess", nil, "-schema", data("abalone", "schema.json"), "-input", gz, "-output", filepath.Join(dir, "pre-gz"))
	assert.Equal(t, strings.ReplaceAll(outPlain, "pre-plain", "pre-gz"), outGz)
	for _, split := range []string{"train/train.csv", "test/test.csv", "preprocessor/preprocessor.json"} {
		a, err := os.ReadFile(filepath.Join(dir, "pre-plain", filepath.FromSlash(split)))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dir, "pre-gz", filepath.FromSlash(split)))
		require.NoError(t, err)
		assert.Equal(t, a, b, "%s from the gzipped input", split)
	}

	// evaluate on a gzipped test split.
	test, err := os.ReadFile(filepath.Join(dir, "pre-plain", "test", "test.csv"))
	require.NoError(t, err)
	gzTest := filepath.Dir(gzipFile(t, dir, "test-gz/test.csv.gz", string(test)))
	mustRun(t, "evaluate", nil, "-model", model, "-test", filepath.Join(dir, "pre-plain", "test"), "-output", filepath.Join(dir, "eval-plain"))
	mustRun(t, "evaluate", nil, "-model", model, "-test", gzTest, "-output", filepath.Join(dir, "eval-gz"))
	a, err := os.ReadFile(filepath.Join(dir, "eval-plain", "evaluation.json"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "eval-gz", "evaluation.json"))
	require.NoError(t, err)
	assert.Equal(t, string(a), string(b), "evaluation.json of the gzipped test split")

	mustRun(t, "infer", nil, "-model", model, "-input", filepath.Dir(plain), "-output", filepath.Join(dir, "pred-plain"))
	out := mustRun(t, "infer", nil, "-model", model, "-input", filepath.Dir(gz), "-output", filepath.Join(dir, "pred-gz"))
	assert.Contains(t, out, "infer: a.csv.gz: 500 rows scored")
	a, err = os.ReadFile(filepath.Join(dir, "pred-plain", "a.csv.out"))
	require.NoError(t, err)
	b, err = os.ReadFile(filepath.Join(dir, "pred-gz", "a.csv.gz.out"))
	require.NoError(t, err)
	assert.Equal(t, string(a), string(b), "predictions of the gzipped input")
}

// TestTruncatedGzipInputFails: a damaged gzip file fails with a message
// that names it and says it is gzip, not with a CSV error.
func TestTruncatedGzipInputFails(t *testing.T) {
	dir := t.TempDir()
	gz := gzipFile(t, dir, "a.csv.gz", abaloneHeader+abaloneRows(500))
	raw, err := os.ReadFile(gz)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(gz, raw[:len(raw)-20], 0o644))
	code, _, stderr := job(t, "preprocess", nil, "-schema", data("abalone", "schema.json"), "-input", gz, "-output", filepath.Join(dir, "pre"), "-failure-file", filepath.Join(dir, "failure"))
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "gzip data of "+gz+": unexpected EOF")
}

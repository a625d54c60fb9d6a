package e2e

import (
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
func lines(t *testing.T, p string) int {
	t.Helper()
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	return strings.Count(string(raw), "\n")
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
	assert.Equal(t, []string{"2024/b.csv.out", "2024/linked.csv.out", "a.csv.out"}, got)
	assert.Equal(t, 4177+1, lines(t, filepath.Join(predictions, "2024", "b.csv.out")), "header and one line per row")
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

package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommitPublishesAll(t *testing.T) {
	dir := t.TempDir()
	var s Set
	a, err := s.Create(filepath.Join(dir, "a", "one.csv"))
	require.NoError(t, err)
	b, err := s.Create(filepath.Join(dir, "two.csv"))
	require.NoError(t, err)
	_, err = a.WriteString("1\n")
	require.NoError(t, err)
	_, err = b.WriteString("2\n")
	require.NoError(t, err)

	_, err = os.Stat(filepath.Join(dir, "a", "one.csv"))
	assert.True(t, os.IsNotExist(err), "nothing appears before Commit")

	require.NoError(t, s.Commit())
	got, err := os.ReadFile(filepath.Join(dir, "a", "one.csv"))
	require.NoError(t, err)
	assert.Equal(t, "1\n", string(got))
	got, err = os.ReadFile(filepath.Join(dir, "two.csv"))
	require.NoError(t, err)
	assert.Equal(t, "2\n", string(got))
	assert.Equal(t, []string{"a", "two.csv"}, names(t, dir), "no temporary file stays")
	info, err := os.Stat(filepath.Join(dir, "two.csv"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm(), "outputs are world-readable like any written file")
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	var s Set
	f, err := s.Create(filepath.Join(dir, "out.csv"))
	require.NoError(t, err)
	_, err = f.WriteString("partial")
	require.NoError(t, err)
	s.Abort()
	s.Abort()
	assert.Empty(t, names(t, dir), "Abort removes the temporary files")
}

func TestCommitFailureRemovesEverything(t *testing.T) {
	dir := t.TempDir()
	var s Set
	_, err := s.Create(filepath.Join(dir, "first.csv"))
	require.NoError(t, err)
	// A directory where the second file should go makes its rename fail.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "second.csv", "x"), 0o755))
	_, err = s.Create(filepath.Join(dir, "second.csv"))
	require.NoError(t, err)
	require.Error(t, s.Commit())
	assert.Equal(t, []string{"second.csv"}, names(t, dir), "the first file is removed again and no temporary file stays")
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

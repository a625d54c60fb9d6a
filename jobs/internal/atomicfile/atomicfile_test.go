package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
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

func TestCreateFailsWhereTheDirectoryCannotBeMade(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
	var s Set
	_, err := s.Create(filepath.Join(dir, "file", "out.csv"))
	require.Error(t, err, "Create under a regular file")
	require.NoError(t, s.Commit(), "a failed Create adds nothing to commit")
	assert.Equal(t, []string{"file"}, names(t, dir))
}

func TestCreateFailsWhereNoTemporaryFileCanBeMade(t *testing.T) {
	dir := t.TempDir()
	// The temporary name adds a dot and a suffix to the base name, so a
	// base name at the file system's limit of 255 bytes cannot be used.
	long := filepath.Join(dir, strings.Repeat("n", 255))
	var s Set
	_, err := s.Create(long)
	require.Error(t, err, "Create(%d-byte name)", 255)
	require.NoError(t, s.Commit())
	assert.Empty(t, names(t, dir), "nothing is left behind")
}

func TestCommitWriteFailureRemovesEverything(t *testing.T) {
	dir := t.TempDir()
	var s Set
	first, err := s.Create(filepath.Join(dir, "first.csv"))
	require.NoError(t, err)
	second, err := s.Create(filepath.Join(dir, "second.csv"))
	require.NoError(t, err)
	_, err = second.WriteString("2\n")
	require.NoError(t, err)
	// Closing the first file underneath stands for a disk that fails the
	// final sync: Commit must then publish neither file.
	require.NoError(t, first.f.Close())
	err = s.Commit()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "write "+filepath.Join(dir, "first.csv")+":", "the error names the file")
	assert.Empty(t, names(t, dir), "no output and no temporary file stays")
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

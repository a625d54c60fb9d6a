package features

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeTree creates the files (relative slash paths) under a new directory
// and returns it.
func writeTree(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(f+"\n"), 0o644))
	}
	return dir
}

func names(inputs []Input) []string {
	var out []string
	for _, in := range inputs {
		out = append(out, in.Name)
	}
	return out
}

func TestInputsReadsSubfoldersInLexicalOrder(t *testing.T) {
	dir := writeTree(t, "a.csv", "2024/b.csv", "2024/01/c.csv", "2024-old.csv", ".hidden.csv", ".git/x.csv", "z/.DS_Store", "z/y.csv")
	inputs, err := Inputs(dir)
	require.NoError(t, err)
	// Byte order of the relative path: '-' (0x2d) sorts before '/' (0x2f),
	// unlike a walk that finishes each folder first.
	assert.Equal(t, []string{"2024-old.csv", "2024/01/c.csv", "2024/b.csv", "a.csv", "z/y.csv"}, names(inputs))
	for _, in := range inputs {
		data, err := os.ReadFile(in.Path)
		require.NoError(t, err)
		assert.Equal(t, in.Name+"\n", string(data), "Path of %s", in.Name)
	}

	files, err := InputFiles(dir)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "2024", "01", "c.csv"), files[1])
}

func TestInputsOfAFile(t *testing.T) {
	dir := writeTree(t, "sub/a.csv")
	inputs, err := Inputs(filepath.Join(dir, "sub", "a.csv"))
	require.NoError(t, err)
	assert.Equal(t, []Input{{Path: filepath.Join(dir, "sub", "a.csv"), Name: "a.csv"}}, inputs)
}

func TestInputsFollowsSymbolicLinks(t *testing.T) {
	outside := writeTree(t, "shared.csv", "more/m.csv")
	dir := writeTree(t, "a.csv")
	require.NoError(t, os.Symlink(filepath.Join(outside, "shared.csv"), filepath.Join(dir, "linked.csv")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "more"), filepath.Join(dir, "more")))
	inputs, err := Inputs(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.csv", "linked.csv", "more/m.csv"}, names(inputs))
	assert.Equal(t, filepath.Join(dir, "more", "m.csv"), inputs[2].Path)
}

func TestInputsRejects(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"a link loop", func(t *testing.T, dir string) {
			require.NoError(t, os.Symlink("..", filepath.Join(dir, "sub", "up")))
		}, "folder sub/up is the folder . again (through a symbolic link); valid: each folder once"},
		{"two links to one folder", func(t *testing.T, dir string) {
			other := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(other, "o.csv"), []byte("x\n"), 0o644))
			require.NoError(t, os.Symlink(other, filepath.Join(dir, "l1")))
			require.NoError(t, os.Symlink(other, filepath.Join(dir, "l2")))
		}, "folder l2 is the folder l1 again (through a symbolic link)"},
		{"a link to a file read anyway", func(t *testing.T, dir string) {
			require.NoError(t, os.Symlink(filepath.Join("sub", "a.csv"), filepath.Join(dir, "z.csv")))
		}, "z.csv is the file sub/a.csv again (through a symbolic link); valid: each file once"},
		{"a broken link", func(t *testing.T, dir string) {
			require.NoError(t, os.Symlink("nowhere.csv", filepath.Join(dir, "b.csv")))
		}, "b.csv is a symbolic link to nothing readable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, "sub/a.csv")
			tt.setup(t, dir)
			_, err := Inputs(dir)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "input "+dir+": "+tt.want)
		})
	}
}

func TestInputsWithoutDataFiles(t *testing.T) {
	dir := writeTree(t, ".hidden.csv", "sub/.DS_Store")
	_, err := Inputs(dir)
	assert.ErrorIs(t, err, ErrNoDataFiles)
}

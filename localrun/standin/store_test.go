package standin

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreRoundTrip(t *testing.T) {
	s := &Store{Root: t.TempDir()}
	require.NoError(t, s.Put("s3://b/data/a.csv", bytes.NewBufferString("a")))
	require.NoError(t, s.Put("s3://b/data/sub/b.csv", bytes.NewBufferString("b")))
	require.NoError(t, s.Put("s3://b/data2/c.csv", bytes.NewBufferString("c")))
	require.NoError(t, s.Put("s3://b/model.tar.gz", bytes.NewBufferString("m")))

	got, err := s.Get("s3://b/data/a.csv")
	require.NoError(t, err)
	assert.Equal(t, "a", string(got))
	assert.Equal(t, "a", readFile(t, filepath.Join(s.Root, "b", "data", "a.csv")), "objects are files below Root/bucket")

	_, err = s.Get("s3://b/data/missing.csv")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = s.Get("s3://b/data")
	assert.ErrorIs(t, err, fs.ErrNotExist, "a prefix is not an object")

	keys, err := s.List("s3://b/data")
	require.NoError(t, err)
	assert.Equal(t, []string{"data/a.csv", "data/sub/b.csv"}, keys, "a prefix is a directory: data2/ is not under data")
	keys, err = s.List("s3://b")
	require.NoError(t, err)
	assert.Equal(t, []string{"data/a.csv", "data/sub/b.csv", "data2/c.csv", "model.tar.gz"}, keys)
	keys, err = s.List("s3://b/nothing/")
	require.NoError(t, err)
	assert.Empty(t, keys)

	dir := t.TempDir()
	require.NoError(t, s.Download("s3://b/data/", dir))
	assert.Equal(t, "a", readFile(t, filepath.Join(dir, "a.csv")))
	assert.Equal(t, "b", readFile(t, filepath.Join(dir, "sub", "b.csv")))
	assert.NoFileExists(t, filepath.Join(dir, "c.csv"))

	one := t.TempDir()
	require.NoError(t, s.Download("s3://b/model.tar.gz", one))
	assert.Equal(t, "m", readFile(t, filepath.Join(one, "model.tar.gz")), "a URI naming one object downloads that file into dir")

	require.NoError(t, s.Upload(dir, "s3://other/copy/"))
	keys, err = s.List("s3://other/copy")
	require.NoError(t, err)
	assert.Equal(t, []string{"copy/a.csv", "copy/sub/b.csv"}, keys)

	f := filepath.Join(t.TempDir(), "f.txt")
	require.NoError(t, os.WriteFile(f, []byte("file"), 0o600))
	require.NoError(t, s.PutFile("s3://b/f.txt", f))
	got, err = s.Get("s3://b/f.txt")
	require.NoError(t, err)
	assert.Equal(t, "file", string(got))
}

func TestStoreRejectsBadURIs(t *testing.T) {
	base := t.TempDir()
	s := &Store{Root: filepath.Join(base, "root")}
	for _, uri := range []string{
		"http://b/k", "/b/k", "s3://", "s3:///k", "s3://b/../escape", "s3://b/a/../../escape",
		"s3://../k", "s3://b/a//k", "s3://b/./k", `s3://b/a\..\k`,
	} {
		assert.Error(t, s.Put(uri, bytes.NewBufferString("x")), "Put %s", uri)
		_, err := s.Get(uri)
		assert.Error(t, err, "Get %s", uri)
		_, err = s.List(uri)
		assert.Error(t, err, "List %s", uri)
		assert.Error(t, s.Download(uri, t.TempDir()), "Download %s", uri)
		assert.Error(t, s.Upload(t.TempDir(), uri), "Upload %s", uri)
	}
	assert.Error(t, s.Put("s3://b/dir/", bytes.NewBufferString("x")), "a key ending in / is not an object")
	assert.Error(t, s.Put("s3://b", bytes.NewBufferString("x")), "a bucket is not an object")
	entries, err := os.ReadDir(base)
	require.NoError(t, err)
	for _, d := range entries {
		assert.Equal(t, "root", d.Name(), "nothing was written outside Root")
	}
}

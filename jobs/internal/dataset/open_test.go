package dataset

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func gzipped(t *testing.T, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, p := range parts { // one gzip member each
		zw := gzip.NewWriter(&buf)
		_, err := zw.Write([]byte(p))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
	}
	return buf.Bytes()
}

func TestOpenReadsGzipByContent(t *testing.T) {
	csv := "a,b\n1,2\n3,4\n"
	dir := t.TempDir()
	tests := []struct {
		name string
		data []byte
	}{
		{"plain.csv", []byte(csv)},
		{"a.csv.gz", gzipped(t, csv)},
		{"named-plainly.csv", gzipped(t, csv)},
		{"two-members.csv.gz", gzipped(t, "a,b\n1,2\n", "3,4\n")},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, tt.name)
		require.NoError(t, os.WriteFile(p, tt.data, 0o644))
		f, err := Open(p)
		require.NoError(t, err, tt.name)
		got, err := io.ReadAll(f)
		require.NoError(t, err, tt.name)
		require.NoError(t, f.Close())
		assert.Equal(t, csv, string(got), "Open(%s)", tt.name)
	}
	for _, short := range []string{"", "\x1f"} {
		p := filepath.Join(dir, "short")
		require.NoError(t, os.WriteFile(p, []byte(short), 0o644))
		f, err := Open(p)
		require.NoError(t, err)
		got, err := io.ReadAll(f)
		require.NoError(t, err)
		f.Close()
		assert.Equal(t, short, string(got), "a file shorter than the magic bytes reads as it is")
	}
}

func TestOpenReportsDamagedGzip(t *testing.T) {
	dir := t.TempDir()
	good := gzipped(t, "a,b\n1,2\n3,4\n")

	header := filepath.Join(dir, "header.csv.gz")
	require.NoError(t, os.WriteFile(header, []byte{0x1f, 0x8b, 0, 0}, 0o644))
	_, err := Open(header)
	assert.ErrorContains(t, err, header+" starts as gzip but is not")

	truncated := filepath.Join(dir, "truncated.csv.gz")
	require.NoError(t, os.WriteFile(truncated, good[:len(good)-6], 0o644))
	f, err := Open(truncated)
	require.NoError(t, err)
	_, err = io.ReadAll(f)
	f.Close()
	assert.ErrorContains(t, err, "gzip data of "+truncated+": unexpected EOF")
}

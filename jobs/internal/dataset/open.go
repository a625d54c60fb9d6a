package dataset

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// gzipMagic starts every gzip stream (RFC 1952).
var gzipMagic = [2]byte{0x1f, 0x8b}

// Open opens the data file at path for reading. A gzip file, recognised by
// its content (the magic bytes 1f 8b) whatever its name, is decompressed
// as it is read, so that "a.csv.gz" reads as the CSV it holds;
// concatenated gzip members read as one stream. Anything else is read as
// it is. Errors in the compressed data surface from Read and name the file.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var magic [2]byte
	// ReadAt leaves the offset where it was; a file shorter than the magic
	// bytes is not gzip.
	if n, err := f.ReadAt(magic[:], 0); n < len(magic) || magic != gzipMagic {
		if err != nil && !errors.Is(err, io.EOF) {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s starts as gzip but is not: %w", path, err)
	}
	return &gzipFile{gz: gz, f: f, path: path}, nil
}

// gzipFile decompresses an open file.
type gzipFile struct {
	gz   *gzip.Reader
	f    *os.File
	path string
}

func (g *gzipFile) Read(p []byte) (int, error) {
	n, err := g.gz.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("gzip data of %s: %w", g.path, err)
	}
	return n, err
}

func (g *gzipFile) Close() error {
	return errors.Join(g.gz.Close(), g.f.Close())
}

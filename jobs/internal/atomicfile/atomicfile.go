// Package atomicfile writes job outputs so that a failed job leaves none
// behind: every file is written under a temporary name in its destination
// directory and renamed into place only when the whole job has succeeded.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Set is a group of output files that appear together or not at all.
// The zero value is ready to use; a Set is not safe for concurrent use.
type Set struct {
	files []*File
}

// File is one output file being written.
type File struct {
	*bufio.Writer
	f    *os.File
	path string
}

// Create starts writing the file at path, creating its directory. Nothing
// appears at path before Commit.
func (s *Set) Create(path string) (*File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	// CreateTemp makes the file private; outputs are ordinary readable files.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	file := &File{Writer: bufio.NewWriterSize(f, 1<<20), f: f, path: path}
	s.files = append(s.files, file)
	return file, nil
}

// Commit flushes, syncs and closes every file, then renames each into
// place. On error it removes what it can, so that no partial output stays.
func (s *Set) Commit() error {
	for _, file := range s.files {
		if err := file.close(); err != nil {
			s.Abort()
			return fmt.Errorf("write %s: %w", file.path, err)
		}
	}
	for i, file := range s.files {
		if err := os.Rename(file.f.Name(), file.path); err != nil {
			for _, done := range s.files[:i] {
				os.Remove(done.path)
			}
			s.Abort()
			return fmt.Errorf("write %s: %w", file.path, err)
		}
	}
	s.files = nil
	return nil
}

// Abort removes every temporary file of the set. It is safe to call after
// Commit and more than once.
func (s *Set) Abort() {
	for _, file := range s.files {
		file.f.Close()
		os.Remove(file.f.Name())
	}
	s.files = nil
}

func (file *File) close() error {
	return errors.Join(file.Flush(), file.f.Sync(), file.f.Close())
}

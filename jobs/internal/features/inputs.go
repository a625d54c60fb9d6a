package features

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNoDataFiles is the error InputFiles wraps when a directory holds no
// data file.
var ErrNoDataFiles = errors.New("no data files in the directory")

// Input is one data file of a job's input.
type Input struct {
	// Path is where the file is.
	Path string
	// Name is the file's path relative to the input directory, with
	// slashes ("2024/b.csv"), or its base name when the input is a file.
	// Messages name the file by it, and outputs made per input file keep
	// it as their relative path.
	Name string
}

// Inputs returns the data files of path: path itself when it is a file, or
// every file below the directory path, in subfolders too, since SageMaker
// lays out the S3 keys under an input prefix as folders ("raw/data/2024/
// b.csv" becomes 2024/b.csv). The rules:
//   - Files come in the lexical (byte) order of Name, whatever the file
//     system returns, so that the same files always give the same rows.
//   - Files and folders whose name starts with "." are skipped (".DS_Store",
//     ".ipynb_checkpoints/").
//   - Symbolic links are followed to the file or folder they point to. A
//     file or folder reached twice (a link loop, or a link to a file that is
//     also read directly) fails instead of reading the data twice, and so do
//     a broken link and an entry that is neither a file nor a folder.
//
// It fails when there is no file, so that a job never runs on nothing.
func Inputs(root string) ([]Input, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []Input{{Path: root, Name: filepath.Base(root)}}, nil
	}
	w := walker{root: root, dirs: []visited{{name: ".", info: info}}}
	if err := w.walk(root, ""); err != nil {
		return nil, fmt.Errorf("input %s: %w", root, err)
	}
	if len(w.files) == 0 {
		return nil, fmt.Errorf("input %s: %w", root, ErrNoDataFiles)
	}
	// A file reached through a link may be one read directly too.
	for _, l := range w.files {
		if !l.link {
			continue
		}
		for _, f := range w.files {
			if f.name != l.name && os.SameFile(f.info, l.info) {
				first, second := min(f.name, l.name), max(f.name, l.name)
				return nil, fmt.Errorf("input %s: %s is the file %s again (through a symbolic link); valid: each file once", root, second, first)
			}
		}
	}
	slices.SortFunc(w.files, func(a, b visited) int { return strings.Compare(a.name, b.name) })
	inputs := make([]Input, len(w.files))
	for i, f := range w.files {
		inputs[i] = Input{Path: filepath.Join(root, filepath.FromSlash(f.name)), Name: f.name}
	}
	return inputs, nil
}

// InputFiles returns the paths of [Inputs].
func InputFiles(root string) ([]string, error) {
	inputs, err := Inputs(root)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(inputs))
	for i, in := range inputs {
		paths[i] = in.Path
	}
	return paths, nil
}

// visited is a file or folder Inputs has reached.
type visited struct {
	name string // relative, with slashes
	info fs.FileInfo
	link bool // reached through a symbolic link
}

type walker struct {
	root  string
	dirs  []visited
	files []visited
}

func (w *walker) walk(dir, rel string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p, name := filepath.Join(dir, e.Name()), path.Join(rel, e.Name())
		link := e.Type()&fs.ModeSymlink != 0
		info, err := os.Stat(p) // follows links
		if err != nil {
			if link {
				return fmt.Errorf("%s is a symbolic link to nothing readable: %w", name, err)
			}
			return err
		}
		switch {
		case info.Mode().IsRegular():
			w.files = append(w.files, visited{name, info, link})
		case info.IsDir():
			for _, d := range w.dirs {
				if os.SameFile(d.info, info) {
					return fmt.Errorf("folder %s is the folder %s again (through a symbolic link); valid: each folder once", name, d.name)
				}
			}
			w.dirs = append(w.dirs, visited{name, info, link})
			if err := w.walk(p, name); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s is neither a regular file nor a folder (mode %s); valid: data files, or folders of them", name, info.Mode().Type())
		}
	}
	return nil
}

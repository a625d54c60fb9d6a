package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// RunMarker is the file a run keeps in its run directory. A later run
// empties a directory only when it holds this file, that is when a run made
// it; the file is also the lock that keeps two runs out of one directory.
const RunMarker = ".mlpipeline-run"

// markerText is the marker's first line, for a person who finds the file.
const markerText = "This directory belongs to the mlpipeline local run (go run ./localrun): every run empties it first, except this file.\n"

// input is one path the run reads and so must never remove.
type input struct{ name, path string }

// prepareRunDir makes dir ready for a run and locks it against other runs:
// a directory that does not exist is created, an empty one adopted, one an
// earlier run made (it holds RunMarker) emptied; anything else is refused,
// and so is a run directory that is, holds or lies inside one of the
// inputs. It returns the resolved run directory and the function that
// releases the lock; the marker stays.
func prepareRunDir(dir string, inputs []input) (string, func(), error) {
	abs, err := resolve(dir)
	if err != nil {
		return "", nil, fmt.Errorf("run directory %s: %w", dir, err)
	}
	for _, in := range inputs {
		if err := checkApart(abs, in); err != nil {
			return "", nil, err
		}
	}
	info, err := os.Lstat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return "", nil, fmt.Errorf("run directory: %w", err)
		}
	case err != nil:
		return "", nil, fmt.Errorf("run directory: %w", err)
	case !info.IsDir():
		return "", nil, fmt.Errorf("run directory %s is a file, not a directory: the run does not replace files; choose a new or empty directory (-run-dir)", abs)
	default:
		entries, err := os.ReadDir(abs)
		if err != nil {
			return "", nil, fmt.Errorf("run directory: %w", err)
		}
		if len(entries) > 0 && !holdsMarker(entries) {
			return "", nil, fmt.Errorf("run directory %s is not empty and no local run made it (it has no %s file): the run empties its run directory, so it refuses to; choose a new or empty directory (-run-dir), or remove this one yourself", abs, RunMarker)
		}
	}
	release, err := lockRunDir(abs)
	if err != nil {
		return "", nil, err
	}
	if err := emptyRunDir(abs); err != nil {
		release()
		return "", nil, err
	}
	return abs, release, nil
}

// resolve returns the absolute form of path with symbolic links resolved,
// also when path, or its end, does not exist yet.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var rest []string
	for p := abs; ; p = filepath.Dir(p) {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(p) == p {
			return "", err
		}
		rest = append([]string{filepath.Base(p)}, rest...)
	}
}

// checkApart fails when dir is the input, holds it, or lies inside it: a
// run directory inside the project is fine (the default run/local is), one
// that holds the project is not.
func checkApart(dir string, in input) error {
	if in.path == "" {
		return nil
	}
	p, err := resolve(in.path)
	if err != nil {
		return fmt.Errorf("%s %s: %w", in.name, in.path, err)
	}
	switch {
	case p == dir:
		return fmt.Errorf("run directory %s is the %s: the run empties its run directory, so it must be apart from the inputs; choose another directory (-run-dir)", dir, in.name)
	case within(p, dir):
		return fmt.Errorf("run directory %s holds the %s %s: the run empties its run directory, so it must be apart from the inputs; choose another directory (-run-dir)", dir, in.name, p)
	case within(dir, p) && in.name != "project":
		return fmt.Errorf("run directory %s is inside the %s %s, which the run reads: choose a directory outside it (-run-dir)", dir, in.name, p)
	}
	return nil
}

// within tells whether path lies below dir.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func holdsMarker(entries []os.DirEntry) bool {
	for _, e := range entries {
		if e.Name() == RunMarker && e.Type().IsRegular() {
			return true
		}
	}
	return false
}

// lockRunDir takes an exclusive lock on the marker in dir, creating it,
// and writes this process's ID into it. A second run fails at once, naming
// the process that holds the lock. The lock goes with the process, so a
// run that was killed leaves none behind.
func lockRunDir(dir string) (func(), error) {
	path := filepath.Join(dir, RunMarker)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another local run is using %s%s: wait for it to end, or choose another directory (-run-dir)", dir, holder(path))
		}
		return nil, fmt.Errorf("run directory: lock %s: %w", path, err)
	}
	release := func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
	text := markerText + "pid " + strconv.Itoa(os.Getpid()) + "\n"
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt([]byte(text), 0)
	}
	if err != nil {
		release()
		return nil, fmt.Errorf("run directory: write %s: %w", path, err)
	}
	return release, nil
}

// holder returns " (pid N)" for the run whose ID the marker holds, or "".
func holder(marker string) string {
	data, err := os.ReadFile(marker)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if pid, ok := strings.CutPrefix(line, "pid "); ok {
			if _, err := strconv.Atoi(pid); err == nil {
				return " (pid " + pid + ")"
			}
		}
	}
	return ""
}

// emptyRunDir removes everything in dir but the marker.
func emptyRunDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("run directory: %w", err)
	}
	for _, e := range entries {
		if e.Name() == RunMarker {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("run directory: %w", err)
		}
	}
	return nil
}

// Command coverage reports the test command's coverage: it merges coverage
// profiles (the unit tests' from go test -coverprofile, the processes'
// converted by go tool covdata textfmt), writes the merged profile, and
// prints one table with the share of statements run per package and in
// total. A package below its floor (floors.go) fails the command, which
// then names the package's functions with the most statements not run.
//
// Packages floors.go excludes are left out of the table and the total.
// scripts/test.sh runs it after the tests.
//
// Usage:
//
//	coverage [-root dir] [-o merged.txt] [-top n] profile...
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "coverage:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coverage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: coverage [-root dir] [-o merged.txt] [-top n] profile...

Merges text coverage profiles, prints the share of statements run per
package and in total, and fails when a package is below its floor
(scripts/coverage/floors.go), naming its functions with the most
statements not run.

`)
		fs.PrintDefaults()
	}
	root := fs.String("root", ".", "the module's root directory (holds go.mod)")
	out := fs.String("o", "", "write the merged profile to this file (for go tool cover -html)")
	top := fs.Int("top", 5, "functions to name for a package below its floor")
	if err := fs.Parse(args); err != nil {
		return err
	}
	module, err := modulePath(*root)
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no profiles given")
	}
	merged, err := mergeFiles(fs.Args())
	if err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, merged.format(), 0o644); err != nil {
			return err
		}
	}
	rep, err := newReport(merged, module, *root)
	if err != nil {
		return err
	}
	rep.print(stdout, *top)
	if below := rep.below(); len(below) > 0 {
		return fmt.Errorf("%d package(s) below their coverage floor: %s", len(below), strings.Join(below, ", "))
	}
	return nil
}

// modulePath reads the module path from root's go.mod.
func modulePath(root string) (string, error) {
	name := filepath.Join(root, "go.mod")
	data, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	path := modfile.ModulePath(data)
	if path == "" {
		return "", fmt.Errorf("%s: no module line", name)
	}
	return path, nil
}

// relative returns an import path relative to the module's path ("." for
// the module's root package).
func relative(module, path string) string {
	if path == module {
		return "."
	}
	if rel, ok := strings.CutPrefix(path, module+"/"); ok {
		return rel
	}
	return path
}

// Package coverbuild lets the test command count the statements that the
// binaries tests build and start as processes run (the job binaries of the
// process tests and of the local run), not only those of the test binaries.
//
// scripts/test.sh sets DirEnv to a directory. Code that builds a binary for
// a test then adds BuildFlags to its go build, and starts the binary with
// Env added to its environment, so that the binary writes its coverage
// counters there when it exits; scripts/coverage merges them with the unit
// tests' profile. With DirEnv unset (plain go test, the local run) both
// return nothing and builds stay as they were.
package coverbuild

import (
	"os"
	"path/filepath"
)

// DirEnv is the environment variable that holds the directory the
// instrumented binaries write their coverage counters to.
const DirEnv = "MLPIPELINE_COVERDIR"

// Mode is the coverage mode of the instrumented binaries. It must be the
// -covermode of the unit tests in scripts/test.sh, since profiles of
// different modes cannot be merged; "set" is the cheapest, and whether a
// statement ran is all the coverage table reports.
const Mode = "set"

// Packages is the -coverpkg pattern of the instrumented binaries: every
// package of the module that a binary links, so that a job's shared
// packages are counted too.
const Packages = "github.com/mlpipeline-go/mlpipeline/..."

// BuildFlags returns the go build flags that instrument a binary for
// coverage when DirEnv is set, and nil otherwise.
func BuildFlags() []string {
	if os.Getenv(DirEnv) == "" {
		return nil
	}
	return []string{"-cover", "-covermode=" + Mode, "-coverpkg=" + Packages}
}

// Env returns the environment entry that makes an instrumented binary
// write its counters to DirEnv's directory ("GOCOVERDIR=dir", made
// absolute, since processes may start in other directories) when DirEnv
// is set, and nil otherwise. It overrides the GOCOVERDIR that go test sets
// for the test binary itself, a temporary directory go test removes.
func Env() []string {
	dir := os.Getenv(DirEnv)
	if dir == "" {
		return nil
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return []string{"GOCOVERDIR=" + dir}
}

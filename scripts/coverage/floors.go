package main

import "strings"

// floor is the least share of a package's statements (percent) that the
// tests must run.
type floor struct {
	// pattern is a package path relative to the module root; a trailing
	// "/..." matches the folder and everything below it, "..." matches all.
	pattern string
	percent float64
}

// floors are the coverage floors of the test command, the first matching
// pattern a package's. The job binaries and the local run's ASL executor
// carry the pipeline's numbers and its definitions' meaning, and so are
// held higher than the rest (issue 21).
var floors = []floor{
	{"jobs/...", 85},
	{"internal/sagemaker", 85},
	{"localrun/asl", 85},
	{"...", 75},
}

// excluded are the module's packages the table and the total leave out
// (their tests still run). bench is the
// benchmark harness: a program a person runs to time the jobs at scale
// (README, Benchmarks), not part of what the pipeline ships or runs, and
// timing runs are not what tests do.
var excluded = []string{"bench"}

// floorOf returns the floor of pkg, a package path relative to the module
// root.
func floorOf(pkg string) float64 {
	for _, f := range floors {
		if matches(f.pattern, pkg) {
			return f.percent
		}
	}
	return 0
}

// matches reports whether the package path pkg matches pattern.
func matches(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == dir || strings.HasPrefix(pkg, dir+"/")
	}
	return pkg == pattern
}

// isExcluded reports whether pkg, relative to the module root, is left out
// of the measure.
func isExcluded(pkg string) bool {
	for _, e := range excluded {
		if matches(e, pkg) {
			return true
		}
	}
	return false
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// module is a small module whose sources the profiles below describe.
const module = "testdata/module"

// unitProfile is what go test -covermode=set -coverprofile wrote for the
// test module when a test ran Used and B.
const unitProfile = `mode: set
example.com/m/jobs/a/a.go:5.17,8.2 2 1
example.com/m/jobs/a/a.go:11.19,15.2 3 0
example.com/m/jobs/a/a.go:21.24,23.2 1 0
example.com/m/other/b.go:5.14,7.2 1 1
`

// writeProfile writes a profile into a temporary file and returns its path.
func writeProfile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profile.txt")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

func TestMergeCountsABlockRunWhenAnyProfileRanIt(t *testing.T) {
	process := writeProfile(t, `mode: set
example.com/m/jobs/a/a.go:21.24,23.2 1 1
example.com/m/jobs/a/a.go:5.17,8.2 2 0
`)
	merged, err := mergeFiles([]string{writeProfile(t, unitProfile), process})
	require.NoError(t, err)
	assert.Equal(t, `mode: set
example.com/m/jobs/a/a.go:5.17,8.2 2 1
example.com/m/jobs/a/a.go:11.19,15.2 3 0
example.com/m/jobs/a/a.go:21.24,23.2 1 1
example.com/m/other/b.go:5.14,7.2 1 1
`, string(merged.format()))
}

func TestMergeAddsCountsInCountMode(t *testing.T) {
	a := writeProfile(t, "mode: count\nexample.com/m/other/b.go:5.14,7.2 1 2\n")
	b := writeProfile(t, "mode: count\nexample.com/m/other/b.go:5.14,7.2 1 3\n")
	merged, err := mergeFiles([]string{a, b})
	require.NoError(t, err)
	assert.Equal(t, "mode: count\nexample.com/m/other/b.go:5.14,7.2 1 5\n", string(merged.format()))
}

func TestMergeRejectsProfilesThatDisagree(t *testing.T) {
	for name, tc := range map[string]struct{ second, want string }{
		"mode": {
			second: "mode: atomic\nexample.com/m/other/b.go:5.14,7.2 1 1\n",
			want:   `mode "atomic", but the profiles before it have "set"`,
		},
		"statements": {
			second: "mode: set\nexample.com/m/other/b.go:5.14,7.2 4 1\n",
			want:   "example.com/m/other/b.go:5.14,7.2 has 4 statements, but 1 in the profiles before it",
		},
	} {
		t.Run(name, func(t *testing.T) {
			second := writeProfile(t, tc.second)
			_, err := mergeFiles([]string{writeProfile(t, unitProfile), second})
			require.Error(t, err)
			assert.Contains(t, err.Error(), second+": "+tc.want)
		})
	}
}

func TestBelowFloorFailsNamingTheFunctionsNotRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	merged := filepath.Join(t.TempDir(), "merged.txt")
	err := run([]string{"-root", module, "-o", merged, writeProfile(t, unitProfile)}, &stdout, &stderr)
	require.Error(t, err)
	assert.Equal(t, "1 package(s) below their coverage floor: jobs/a", err.Error())
	out := stdout.String()
	assert.Equal(t, `
coverage: statements run by the unit and process tests (floors: scripts/coverage/floors.go)
package statements     run  floor
jobs/a           6   33.3%    85%  below floor
other            1  100.0%    75%
total            7   42.9%

jobs/a: 33.3% of statements run, below its floor of 85%; the functions with the most statements not run:
  jobs/a/a.go:11: Unused: 3 of 3 statements not run
  jobs/a/a.go:21: (*T).Get: 1 of 1 statements not run
`, out)
	assert.NotContains(t, out, "Used:", "a function whose statements all ran is not named")
	written, err := os.ReadFile(merged)
	require.NoError(t, err)
	assert.Equal(t, unitProfile, string(written))
}

func TestTopLimitsTheFunctionsNamed(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run([]string{"-root", module, "-top", "1", writeProfile(t, unitProfile)}, &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, stdout.String(), "Unused")
	assert.NotContains(t, stdout.String(), "Get")
}

func TestAllAtTheirFloorsPass(t *testing.T) {
	process := writeProfile(t, `mode: set
example.com/m/jobs/a/a.go:11.19,15.2 3 1
example.com/m/jobs/a/a.go:21.24,23.2 1 1
`)
	var stdout, stderr bytes.Buffer
	require.NoError(t, run([]string{"-root", module, writeProfile(t, unitProfile), process}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "total            7  100.0%\n")
	assert.NotContains(t, stdout.String(), "below")
}

func TestExcludedPackagesAreLeftOut(t *testing.T) {
	profile := writeProfile(t, unitProfile+"example.com/m/bench/main.go:3.13,5.2 9 0\n")
	var stdout, stderr bytes.Buffer
	err := run([]string{"-root", module, profile}, &stdout, &stderr)
	require.Error(t, err, "jobs/a stays below its floor")
	assert.NotContains(t, stdout.String(), "bench")
	assert.Contains(t, stdout.String(), "total            7   42.9%\n")
}

func TestFloorOf(t *testing.T) {
	for pkg, want := range map[string]float64{
		"jobs/train":          85,
		"jobs/internal/gbt":   85,
		"localrun/asl":        85,
		"localrun/runner":     75,
		"localrun/standin":    75,
		"jobsx":               75,
		"constructs/pipeline": 75,
		"internal/iamsim":     75,
		"scripts/coverage":    75,
		"localrun/asl/xx":     75,
	} {
		assert.Equal(t, want, floorOf(pkg), "floorOf(%q)", pkg)
	}
}

func TestErrorsNameTheirCause(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no profiles":    {[]string{"-root", module}, "no profiles given"},
		"missing file":   {[]string{"-root", module, "nonexistent.txt"}, "nonexistent.txt"},
		"no go.mod":      {[]string{"-root", t.TempDir(), "x.txt"}, "go.mod"},
		"bad profile":    {[]string{"-root", module, writeProfile(t, "mode: set\nnot a block\n")}, `line "not a block" doesn't match expected format`},
		"missing source": {[]string{"-root", module, writeProfile(t, "mode: set\nexample.com/m/jobs/gone/g.go:1.1,2.2 1 0\n")}, filepath.Join(module, "jobs", "gone", "g.go")},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tc.args, &stdout, &stderr)
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tc.want), "run(%q) = %v, want an error naming %q", tc.args, err, tc.want)
		})
	}
}

package runner

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tempDir is t.TempDir with symbolic links resolved, as the run's
// messages show paths.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	return dir
}

// userFiles writes files a user owns under dir and returns a check that
// they are all still there, unchanged.
func userFiles(t *testing.T, dir string, names ...string) func() {
	t.Helper()
	for _, n := range names {
		path := filepath.Join(dir, n)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte("mine: "+n), 0o644))
	}
	return func() {
		t.Helper()
		for _, n := range names {
			data, err := os.ReadFile(filepath.Join(dir, n))
			if assert.NoError(t, err, "%s survives", n) {
				assert.Equal(t, "mine: "+n, string(data), "%s is unchanged", n)
			}
		}
	}
}

// TestRunRefusesWhatItDidNotCreate: the run directories that lost a
// user's files before (a file, a folder of the user's, the data folder)
// are refused before anything is written, and their content stays.
func TestRunRefusesWhatItDidNotCreate(t *testing.T) {
	dir := tempDir(t)
	intact := userFiles(t, dir, "README.md", "notes/todo.txt", "data/a.csv", "data/schema.json")
	for _, tt := range []struct {
		name string
		opt  Options
		want string
	}{
		{"a file", Options{RunDir: filepath.Join(dir, "README.md")},
			"run directory " + filepath.Join(dir, "README.md") + " is a file, not a directory"},
		{"a folder of the user's", Options{RunDir: filepath.Join(dir, "notes")},
			"run directory " + filepath.Join(dir, "notes") + " is not empty and no local run made it (it has no .mlpipeline-run file)"},
		{"the data folder", Options{RunDir: filepath.Join(dir, "data"), Data: filepath.Join(dir, "data")},
			"run directory " + filepath.Join(dir, "data") + " is the data"},
		{"inside the data folder", Options{RunDir: filepath.Join(dir, "data", "run"), Data: filepath.Join(dir, "data")},
			"run directory " + filepath.Join(dir, "data", "run") + " is inside the data " + filepath.Join(dir, "data")},
		{"holding the schema", Options{RunDir: filepath.Join(dir, "data"), Schema: filepath.Join(dir, "data", "schema.json")},
			"run directory " + filepath.Join(dir, "data") + " holds the schema " + filepath.Join(dir, "data", "schema.json")},
		{"holding the inference data", Options{RunDir: dir, InferenceData: filepath.Join(dir, "data", "a.csv")},
			"run directory " + dir + " holds the inference data"},
		{"the data file", Options{RunDir: filepath.Join(dir, "data", "a.csv"), Data: filepath.Join(dir, "data", "a.csv")},
			"run directory " + filepath.Join(dir, "data", "a.csv") + " is the data"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.ProjectDir = project
			_, err := Run(context.Background(), tt.opt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			intact()
			_, err = os.Stat(filepath.Join(dir, "notes", RunMarker))
			assert.ErrorIs(t, err, os.ErrNotExist, "no marker is left in a refused directory")
		})
	}
}

func TestRunDirNeverHoldsTheProject(t *testing.T) {
	abs, err := filepath.Abs(project)
	require.NoError(t, err)
	for _, dir := range []string{project, filepath.Dir(abs)} {
		_, _, err := prepareRunDir(dir, []input{{"project", project}})
		assert.ErrorContains(t, err, "must be apart from the inputs", "prepareRunDir(%s)", dir)
	}
	// A run directory inside the project is fine: the default is run/local.
	assert.NoError(t, checkApart(filepath.Join(abs, "run", "local"), input{"project", project}))
}

// TestRunDirSymlinkedInputs: an input reached through a symbolic link is
// recognised as the run directory it is.
func TestRunDirSymlinkedInputs(t *testing.T) {
	dir := tempDir(t)
	intact := userFiles(t, dir, "data/a.csv")
	require.NoError(t, os.Symlink(filepath.Join(dir, "data"), filepath.Join(dir, "link")))
	_, _, err := prepareRunDir(filepath.Join(dir, "link"), []input{{"data", filepath.Join(dir, "data", "a.csv")}})
	assert.ErrorContains(t, err, "holds the data")
	intact()
}

// TestRunDirAdoptsEmptyAndEmptiesItsOwn: a new or empty directory becomes
// a run directory; one a run made is emptied by the next run, marker
// aside.
func TestRunDirAdoptsEmptyAndEmptiesItsOwn(t *testing.T) {
	for _, dir := range []string{tempDir(t), filepath.Join(tempDir(t), "new", "run")} {
		got, release, err := prepareRunDir(dir, nil)
		require.NoError(t, err, "prepareRunDir(%s)", dir)
		assert.Equal(t, dir, got)
		marker, err := os.ReadFile(filepath.Join(dir, RunMarker))
		require.NoError(t, err, "the marker is written")
		assert.Contains(t, string(marker), "pid "+strconv.Itoa(os.Getpid()))
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "s3", "bucket"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "s3", "bucket", "x"), nil, 0o644))
		release()

		_, release, err = prepareRunDir(dir, nil)
		require.NoError(t, err, "a run directory is reused")
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1, "only the marker is left")
		assert.Equal(t, RunMarker, entries[0].Name())
		release()
	}
}

// TestRunDirLock: while a run holds its directory, a second run fails at
// once, naming the process, and removes nothing of the first.
func TestRunDirLock(t *testing.T) {
	dir := tempDir(t)
	_, release, err := prepareRunDir(dir, nil)
	require.NoError(t, err)
	intact := userFiles(t, dir, "jobs/train/algo-1/model.json")

	_, _, err = prepareRunDir(dir, nil)
	assert.EqualError(t, err, "another local run is using "+dir+" (pid "+strconv.Itoa(os.Getpid())+"): wait for it to end, or choose another directory (-run-dir)")
	_, err = Run(context.Background(), Options{ProjectDir: project, RunDir: dir})
	assert.ErrorContains(t, err, "another local run is using "+dir)
	intact()

	release()
	_, release, err = prepareRunDir(dir, nil)
	require.NoError(t, err, "the lock is released with the run")
	release()
}

// TestRunDirLockWriteFails: a marker that cannot be written fails the run
// instead of leaving it without the holder's ID. A file size limit of one
// byte makes the write fail (Go ignores SIGXFSZ, so write returns EFBIG).
func TestRunDirLockWriteFails(t *testing.T) {
	dir := tempDir(t)
	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old))
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1, Max: old.Max}))
	release, err := lockRunDir(dir)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old))
	if err == nil {
		release()
	}
	assert.ErrorContains(t, err, "run directory: write "+filepath.Join(dir, RunMarker)+": ")
}

// TestRunChecksOptionsFirst: options that could only fail late fail Run at
// once, before the run directory is touched.
func TestRunChecksOptionsFirst(t *testing.T) {
	adult := filepath.Join(project, "data", "adult", "schema.json")
	abalone := filepath.Join(project, "data", "abalone", "schema.json")
	for _, tt := range []struct {
		name string
		opt  Options
		want string
	}{
		{"binary metric on regression data", Options{GateMetric: "auc", GateThreshold: 0.9},
			`quality-gate metric "auc" (-gate-metric) is not one evaluate reports for the task "regression" of the schema ` + abalone + `; valid: mae, mse, r2, rmse`},
		{"regression metric on binary data", Options{Schema: adult, GateMetric: "rmse", GateThreshold: 3},
			`quality-gate metric "rmse" (-gate-metric) is not one evaluate reports for the task "binary_classification" of the schema ` + adult + `; valid: accuracy, auc, f1, log_loss, precision, recall`},
		{"the environment's metric on binary data", Options{Schema: adult},
			`quality-gate metric "mse" (qualityGate.metric of environment "dev" in ` + filepath.Join(project, "cdk.json") + `; -gate-metric with -threshold overrides it) is not one evaluate reports for the task "binary_classification"`},
		{"NaN threshold", Options{GateMetric: "mse", GateThreshold: math.NaN()}, "GateThreshold (-threshold) = NaN is invalid; valid: a finite number"},
		{"infinite threshold", Options{GateMetric: "mse", GateThreshold: math.Inf(1)}, "GateThreshold (-threshold) = +Inf is invalid; valid: a finite number"},
		{"NaN input threshold", Options{TrainingInput: map[string]any{"threshold": math.NaN()}}, "training input threshold = NaN is invalid; valid: a finite number"},
		{"infinite input threshold", Options{TrainingInput: map[string]any{"threshold": math.Inf(-1)}}, "training input threshold = -Inf is invalid; valid: a finite number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			tt.opt.ProjectDir, tt.opt.RunDir = project, dir
			_, err := Run(context.Background(), tt.opt)
			assert.ErrorContains(t, err, tt.want)
			entries, _ := os.ReadDir(dir)
			assert.Empty(t, entries, "nothing is written")
		})
	}
}

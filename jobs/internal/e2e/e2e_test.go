package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bin holds the built job binaries by name.
var bin = map[string]string{}

var jobs = []string{"preprocess", "train", "evaluate", "infer"}

// trackInputs reads every source and data file the binaries depend on. The
// go command caches test results by the files a test opens; the binaries
// are built and run in subprocesses, so without this an edited job would
// not invalidate the cached result.
func trackInputs() error {
	for _, root := range []string{"../..", "../../../data", "../../../go.mod", "../../../go.sum"} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			_, err = os.ReadFile(path)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// TestInputsAreTracked reads the inputs inside a test, where the go
// command's test log sees the reads (it does not see TestMain's).
func TestInputsAreTracked(t *testing.T) {
	require.NoError(t, trackInputs())
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mlpipeline-jobs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cover := coverJobs()
	for _, job := range jobs {
		bin[job] = filepath.Join(dir, job)
		out, err := exec.Command("go", append(append([]string{"build"}, cover...), "-o", bin[job], "../../"+job)...).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", job, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// data returns the path of a bundled sample file.
func data(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "..", "data"}, parts...)...)
}

// job runs a job binary with args and env (added to this process's) and
// returns its exit code, stdout and stderr.
func job(t *testing.T, name string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin[name], args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exitErr, ok := err.(*exec.ExitError); ok {
		return exitErr.ExitCode(), stdout.String(), stderr.String()
	}
	require.NoError(t, err, "start %s", name)
	return 0, stdout.String(), stderr.String()
}

// mustRun runs a job that must succeed.
func mustRun(t *testing.T, name string, env []string, args ...string) string {
	t.Helper()
	code, stdout, stderr := job(t, name, env, args...)
	require.Equal(t, 0, code, "%s %v exit code; stderr:\n%s", name, args, stderr)
	return stdout
}

// abaloneHyperparameters are the canonical SageMaker abalone example's.
var abaloneHyperparameters = []string{
	"-hp", "max_depth=5", "-hp", "eta=0.2", "-hp", "gamma=4", "-hp", "min_child_weight=6",
	"-hp", "subsample=0.7", "-hp", "num_round=50",
}

// pipeline runs the four jobs in sequence and returns the run's directory.
func pipeline(t *testing.T, env []string, schema string, input []string, train []string, inferInput string) string {
	t.Helper()
	dir := t.TempDir()
	pre := filepath.Join(dir, "preprocess")
	mustRun(t, "preprocess", env, append([]string{"-schema", schema, "-output", pre}, input...)...)
	mustRun(t, "train", env, append([]string{
		"-train", filepath.Join(pre, "train"), "-validation", filepath.Join(pre, "validation"),
		"-preprocessor", filepath.Join(pre, "preprocessor"),
		"-hyperparameters", filepath.Join(dir, "none.json"), "-resource-config", filepath.Join(dir, "none.json"),
		"-model-dir", filepath.Join(dir, "model"),
	}, train...)...)
	mustRun(t, "evaluate", env, "-model", filepath.Join(dir, "model"), "-test", filepath.Join(pre, "test"), "-output", filepath.Join(dir, "evaluation"))
	mustRun(t, "infer", env, "-model", filepath.Join(dir, "model"), "-input", inferInput, "-output", filepath.Join(dir, "predictions"))
	return dir
}

func metric(t *testing.T, dir, group, name string) float64 {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "evaluation", "evaluation.json"))
	require.NoError(t, err)
	var doc map[string]map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &doc))
	var m struct{ Value float64 }
	require.NoError(t, json.Unmarshal(doc[group][name], &m), "%s.%s in evaluation.json", group, name)
	return m.Value
}

func TestHelpListsEveryFlag(t *testing.T) {
	want := map[string][]string{
		"preprocess": {"-input", "-test-input", "-schema", "-output", "-train-fraction", "-validation-fraction", "-seed", "-failure-file"},
		"train":      {"-train", "-validation", "-preprocessor", "-hyperparameters", "-resource-config", "-model-dir", "-hp", "-failure-file"},
		"evaluate":   {"-model", "-test", "-output", "-threshold", "-failure-file"},
		"infer":      {"-model", "-input", "-output", "-on-bad-row", "-threshold", "-workers", "-failure-file"},
	}
	code, _, stderr := job(t, "train", nil, "train", "-h")
	assert.Equal(t, 0, code, "train accepts SageMaker's default \"train\" argument: %s", stderr)
	for _, name := range jobs {
		code, _, stderr := job(t, name, nil, "-h")
		assert.Equal(t, 0, code, "%s -h exit code", name)
		assert.Contains(t, stderr, "Usage: "+name)
		for _, flag := range want[name] {
			assert.Contains(t, stderr, "  "+flag+" ", "%s -h lists %s", name, flag)
		}
	}
}

func TestAbalonePipeline(t *testing.T) {
	dir := pipeline(t, nil, data("abalone", "schema.json"), []string{"-input", data("abalone", "abalone.csv")},
		abaloneHyperparameters, data("abalone", "abalone.csv"))
	mse := metric(t, dir, "regression_metrics", "mse")
	assert.LessOrEqual(t, mse, 4.5, "abalone test MSE with the canonical hyperparameters and a 70/15/15 split")
	t.Logf("abalone test MSE %.4f", mse)
	out, err := os.ReadFile(filepath.Join(dir, "predictions", "abalone.csv.out"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	assert.Equal(t, "prediction", lines[0])
	assert.Len(t, lines, 4177+1, "one prediction per input row, after the header")
	for _, f := range []string{"report.html", "evaluation.json"} {
		info, err := os.Stat(filepath.Join(dir, "evaluation", f))
		require.NoError(t, err)
		assert.NotZero(t, info.Size(), f)
	}
	// The baseline goes from preprocess through the model to infer, which
	// finds no drift in the data the model was trained on.
	for _, f := range []string{"statistics.json", "constraints.json"} {
		written, err := os.ReadFile(filepath.Join(dir, "preprocess", "preprocessor", f))
		require.NoError(t, err)
		packaged, err := os.ReadFile(filepath.Join(dir, "model", f))
		require.NoError(t, err)
		assert.Equal(t, written, packaged, "train packages %s as preprocess wrote it", f)
	}
	summary, err := os.ReadFile(filepath.Join(dir, "predictions", "drift", "algo-1", "summary.json"))
	require.NoError(t, err)
	var drift struct {
		Drift   bool
		Drifted []string
	}
	require.NoError(t, json.Unmarshal(summary, &drift))
	assert.False(t, drift.Drift, "scoring the training file: %s", summary)
	assert.Empty(t, drift.Drifted)
}

func TestAdultPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 32k rows; run without -short")
	}
	dir := pipeline(t, nil, data("adult", "schema.json"),
		[]string{"-input", data("adult", "adult.train.csv"), "-test-input", data("adult", "adult.test.csv")},
		[]string{"-hp", "num_round=200", "-hp", "eta=0.1", "-hp", "max_depth=6", "-hp", "early_stopping_rounds=10"},
		data("adult", "adult.test.csv"))
	auc := metric(t, dir, "binary_classification_metrics", "auc")
	assert.GreaterOrEqual(t, auc, 0.92, "adult test AUC")
	t.Logf("adult test AUC %.4f", auc)
	out, err := os.ReadFile(filepath.Join(dir, "predictions", "adult.test.csv.out"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(out), "prediction,probability\n"))
	assert.Equal(t, 16281+1, strings.Count(string(out), "\n"))
}

// hashTree returns the sha256 of every file below dir, by relative path.
func hashTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	require.NoError(t, filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		sum := sha256.Sum256(data)
		sums[rel] = hex.EncodeToString(sum[:])
		return nil
	}))
	return sums
}

func TestRunsAreByteIdentical(t *testing.T) {
	run := func(env []string) map[string]string {
		dir := pipeline(t, env, data("abalone", "schema.json"), []string{"-input", data("abalone", "abalone.csv")},
			abaloneHyperparameters, data("abalone", "abalone.csv"))
		sums := hashTree(t, dir)
		require.Contains(t, sums, filepath.Join("model", "model.json"))
		require.Contains(t, sums, filepath.Join("predictions", "abalone.csv.out"))
		return sums
	}
	one := run([]string{"GOMAXPROCS=1"})
	all := run([]string{fmt.Sprintf("GOMAXPROCS=%d", max(runtime.NumCPU(), 2))})
	again := run(nil)
	assert.Equal(t, one, all, "every output with GOMAXPROCS=1 and with all cores")
	assert.Equal(t, all, again, "every output of two runs")
}

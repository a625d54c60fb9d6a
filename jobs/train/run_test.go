package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runFails runs the job with args under a fresh SageMaker root, whose
// channels are empty, and returns its error, checking that the failure
// file SageMaker shows holds the same reason and no model was written.
func runFails(t *testing.T, root string, args ...string) string {
	t.Helper()
	getenv := func(k string) string {
		if k == sagemaker.RootEnv {
			return root
		}
		return ""
	}
	err := run(context.Background(), args, getenv, strings.NewReader(""), io.Discard, io.Discard)
	require.Error(t, err, "run(%q)", args)
	message, rerr := os.ReadFile(sagemaker.Training.FailurePath(sagemaker.Paths{Root: root}))
	require.NoError(t, rerr, "the failure file")
	assert.Equal(t, err.Error(), string(message), "the failure file holds the error")
	_, serr := os.Stat(sagemaker.Paths{Root: root}.Model())
	assert.True(t, os.IsNotExist(serr), "no model directory is written")
	return err.Error()
}

func TestHyperparameterFlagMustBeNameValue(t *testing.T) {
	for _, bad := range []string{"max_depth", "=5"} {
		got := runFails(t, t.TempDir(), "-hp", bad)
		assert.Contains(t, got, `"`+bad+`" is not name=value`, "-hp %s", bad)
	}
}

func TestMoreThanOneInstanceFails(t *testing.T) {
	root := t.TempDir()
	config := filepath.Join(root, "resourceconfig.json")
	require.NoError(t, os.WriteFile(config, []byte(`{"current_host": "algo-1", "hosts": ["algo-1", "algo-2"]}`), 0o644))
	got := runFails(t, root, "-resource-config", config)
	assert.Equal(t, "train runs on one instance, the job has 2; valid: instance count 1 (SageMaker's built-in XGBoost trains on the same splits across instances)", got)
}

// preprocessor is what preprocess writes for the bundled abalone sample
// (go run ./jobs/preprocess -schema data/abalone/schema.json -input
// data/abalone/abalone.csv): a regression task with 11 features.
const preprocessor = "testdata/abalone-preprocessor"

func TestObjectiveMustFitTheSchemasTask(t *testing.T) {
	got := runFails(t, t.TempDir(), "-preprocessor", preprocessor, "-hp", "objective=binary:logistic")
	assert.Equal(t, `hyperparameter objective = "binary:logistic" does not fit the schema's task "regression"; valid: "reg:squarederror"`, got)
}

func TestSplitsMustHaveThePreprocessorsFeatures(t *testing.T) {
	dir := t.TempDir()
	split := filepath.Join(dir, "split.csv")
	require.NoError(t, os.WriteFile(split, []byte("1,0.5,0.5\n2,0.1,0.2\n"), 0o644))
	got := runFails(t, t.TempDir(), "-preprocessor", preprocessor, "-train", split, "-validation", split)
	assert.Equal(t, "feature count: train 2, validation 2, preprocessor 11; valid: all equal (splits and preprocessor from the same preprocess run)", got)
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
)

// TestInferReadsUBJSONModels converts the model of a model directory to
// XGBoost's UBJSON format with XGBoost itself, once as model.ubj and once
// as xgboost-model (SageMaker's name), and checks that infer writes the
// same bytes as with model.json. Without Debian's python3-xgboost it is
// skipped, and fails under CI, as the gbt package's XGBoost tests.
func TestInferReadsUBJSONModels(t *testing.T) {
	model := testModel(t)
	input := filepath.Join(abalone, "abalone.csv")
	out := filepath.Join(t.TempDir(), "json")
	_, err := infer(t, out, "-model", model, "-input", input)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(out, "abalone.csv.out"))
	require.NoError(t, err)

	for _, name := range []string{modelio.UBJSONModelFile, modelio.BuiltinModelFile} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{modelio.PreprocessorFile, modelio.SchemaFile} {
				data, err := os.ReadFile(filepath.Join(model, f))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, f), data, 0o644))
			}
			// save_model picks the format from the extension; rename
			// afterwards for xgboost-model.
			saved := filepath.Join(dir, "saved.ubj")
			script := "import sys, xgboost; xgboost.Booster(model_file=sys.argv[1]).save_model(sys.argv[2])"
			if msg, err := exec.Command("/usr/bin/python3", "-c", script, filepath.Join(model, modelio.ModelFile), saved).CombinedOutput(); err != nil {
				skip := t.Skipf
				if os.Getenv("CI") != "" {
					skip = t.Fatalf
				}
				skip("XGBoost for Python (python3-xgboost) cannot convert the model: %v: %s", err, strings.TrimSpace(string(msg)))
			}
			require.NoError(t, os.Rename(saved, filepath.Join(dir, name)))
			out := filepath.Join(t.TempDir(), "ubj")
			_, err := infer(t, out, "-model", dir, "-input", input)
			require.NoError(t, err, "infer with %s in UBJSON", name)
			got, err := os.ReadFile(filepath.Join(out, "abalone.csv.out"))
			require.NoError(t, err)
			assert.Truef(t, string(want) == string(got), "predictions with %s in UBJSON differ from those with model.json", name)
		})
	}
}

package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create the golden file")
	assert.Equal(t, string(want), string(got))
}

func TestWriteEvaluationRegressionGolden(t *testing.T) {
	r, err := ComputeRegression([]float64{1, 2, 3, 4}, []float64{1.5, 2, 2, 5})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteEvaluation(&buf, r.Report()))
	golden(t, "regression.golden.json", buf.Bytes())
}

func TestWriteEvaluationBinaryGolden(t *testing.T) {
	b, err := ComputeBinary([]float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.5)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteEvaluation(&buf, b.Report()))
	golden(t, "binary.golden.json", buf.Bytes())
}

// lookup follows a Step Functions style path such as
// regression_metrics.mse.value through decoded JSON.
func lookup(t *testing.T, doc map[string]any, keys ...string) any {
	t.Helper()
	var v any = doc
	for _, k := range keys {
		m, ok := v.(map[string]any)
		require.True(t, ok, "%v is not an object at %q", v, k)
		v, ok = m[k]
		require.True(t, ok, "missing key %q", k)
	}
	return v
}

func TestWriteEvaluationPaths(t *testing.T) {
	r := Regression{N: 7, MSE: 4, RMSE: 2, MAE: 1.5, R2: 0.25}
	var buf bytes.Buffer
	require.NoError(t, WriteEvaluation(&buf, r.Report()))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	assert.Equal(t, 4.0, lookup(t, doc, "regression_metrics", "mse", "value"))
	assert.Equal(t, 2.0, lookup(t, doc, "regression_metrics", "rmse", "value"))
	assert.Equal(t, 1.5, lookup(t, doc, "regression_metrics", "mae", "value"))
	assert.Equal(t, 0.25, lookup(t, doc, "regression_metrics", "r2", "value"))
	assert.Equal(t, 7.0, lookup(t, doc, "metadata", "n"))
	assert.NotContains(t, doc, "binary_classification_metrics")
	assert.NotContains(t, doc["metadata"], "threshold")

	b := Binary{N: 10, Threshold: 0, AUC: 0.9, Accuracy: 0.8, Precision: 0.7, Recall: 0.6, F1: 0.5, LogLoss: 0.4,
		Confusion: Confusion{TN: 1, FP: 2, FN: 3, TP: 4}}
	buf.Reset()
	require.NoError(t, WriteEvaluation(&buf, b.Report()))
	doc = nil
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	for key, want := range map[string]float64{
		"auc": 0.9, "accuracy": 0.8, "precision": 0.7, "recall": 0.6, "f1": 0.5, "log_loss": 0.4,
	} {
		assert.Equal(t, want, lookup(t, doc, "binary_classification_metrics", key, "value"), key)
	}
	cm := []string{"binary_classification_metrics", "confusion_matrix"}
	assert.Equal(t, 1.0, lookup(t, doc, append(cm, "0", "0")...), "TN")
	assert.Equal(t, 2.0, lookup(t, doc, append(cm, "0", "1")...), "FP")
	assert.Equal(t, 3.0, lookup(t, doc, append(cm, "1", "0")...), "FN")
	assert.Equal(t, 4.0, lookup(t, doc, append(cm, "1", "1")...), "TP")
	// A zero threshold is still written: it is meaningful, not absent.
	assert.Equal(t, 0.0, lookup(t, doc, "metadata", "threshold"))
	assert.NotContains(t, doc, "regression_metrics")
}

func TestWriteEvaluationDeterministic(t *testing.T) {
	b, err := ComputeBinary([]float64{0, 1, 0, 1, 1}, []float64{0.2, 0.7, 0.65, 0.4, 0.99}, 0.5)
	require.NoError(t, err)
	var first, second bytes.Buffer
	require.NoError(t, WriteEvaluation(&first, b.Report()))
	require.NoError(t, WriteEvaluation(&second, b.Report()))
	assert.Equal(t, first.Bytes(), second.Bytes())
	assert.True(t, bytes.HasSuffix(first.Bytes(), []byte("}\n")))
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteEvaluationErrors(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		e    Evaluation
		want string
	}{
		{"no metrics", Evaluation{}, "exactly one of"},
		{"both kinds", Evaluation{Regression: &RegressionMetrics{}, Binary: &BinaryMetrics{}}, "exactly one of"},
		{"NaN regression metric", Regression{N: 1, R2: nan}.Report(), "regression_metrics.r2 = NaN"},
		{"Inf binary metric", Binary{N: 1, LogLoss: math.Inf(1)}.Report(), "binary_classification_metrics.log_loss = +Inf"},
		{"NaN threshold", Binary{N: 1, Threshold: nan}.Report(), "metadata.threshold = NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteEvaluation(&buf, tt.e)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Zero(t, buf.Len(), "nothing is written on error")
		})
	}

	err := WriteEvaluation(failingWriter{}, Regression{N: 1}.Report())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk full")
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/report"
)

func TestReportHeader(t *testing.T) {
	b := &modelio.Bundle{
		Schema:   &dataset.Schema{Target: "rings", Task: dataset.Regression},
		Metadata: &modelio.Metadata{Hyperparameters: map[string]string{"eta": "0.2"}},
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "processingjobconfig.json")
	require.NoError(t, os.WriteFile(config, []byte(`{"ProcessingJobName": "mlp-dev-evaluate-1",
		"Tags": [{"Key": "project", "Value": "ml"}, {"Key": "mlpipeline:execution", "Value": "nightly-7"}]}`), 0o644))

	h, err := reportHeader(b, config)
	require.NoError(t, err)
	assert.Equal(t, report.Header{
		Title:  "Model evaluation: rings (regression), execution nightly-7",
		Target: "rings", Task: "regression",
		Execution: "nightly-7", Job: "mlp-dev-evaluate-1",
		Hyperparameters: map[string]string{"eta": "0.2"},
	}, h)

	h, err = reportHeader(&modelio.Bundle{}, filepath.Join(dir, "missing.json"))
	require.NoError(t, err, "run by hand, outside SageMaker")
	assert.Equal(t, report.Header{Title: "Model evaluation"}, h)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{`), 0o644))
	_, err = reportHeader(b, bad)
	assert.ErrorContains(t, err, "processing job config "+bad+": ")
}

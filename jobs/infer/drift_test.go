package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/monitor"
)

// testModelWithBaseline is testModel with the baseline preprocess writes:
// that of the training rows of its default split of the abalone sample.
func testModelWithBaseline(t *testing.T) string {
	t.Helper()
	dir := testModel(t)
	schema, err := dataset.Load(filepath.Join(abalone, "schema.json"))
	require.NoError(t, err)
	table := features.NewTable(schema)
	require.NoError(t, table.ReadFile(filepath.Join(abalone, "abalone.csv")))
	split, err := features.SplitRows(table.Labels, 0.7, 0.15, 42, false)
	require.NoError(t, err)
	b := monitor.NewBaseline(table, split.Train, 42)
	var s, c bytes.Buffer
	require.NoError(t, b.Statistics.WriteJSON(&s))
	require.NoError(t, b.Constraints.WriteJSON(&c))
	require.NoError(t, os.WriteFile(filepath.Join(dir, modelio.StatisticsFile), s.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, modelio.ConstraintsFile), c.Bytes(), 0o644))
	return dir
}

// shifted writes a copy of the abalone sample with the column at scale
// multiplied by 1.5 and the category from replaced by to in the column at
// replace.
func shifted(t *testing.T, scale, replace int, from, to string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(abalone, "abalone.csv"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for i := 1; i < len(lines); i++ {
		f := strings.Split(lines[i], ",")
		x, err := strconv.ParseFloat(f[scale], 64)
		require.NoError(t, err)
		f[scale] = strconv.FormatFloat(1.5*x, 'g', -1, 64)
		if f[replace] == from {
			f[replace] = to
		}
		lines[i] = strings.Join(f, ",")
	}
	path := filepath.Join(t.TempDir(), "shifted.csv")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	return path
}

// runInfer runs the job and returns its stdout.
func runInfer(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append(args, "-failure-file", ""), func(string) string { return "" }, nil, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	return stdout.String()
}

func readSummary(t *testing.T, out string) monitor.Summary {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "drift", "algo-1", "summary.json"))
	require.NoError(t, err)
	var s monitor.Summary
	require.NoError(t, json.Unmarshal(data, &s))
	return s
}

func TestDriftOnAbalone(t *testing.T) {
	model := testModelWithBaseline(t)

	out := t.TempDir()
	log := runInfer(t, "-model", model, "-input", filepath.Join(abalone, "abalone.csv"), "-output", out)
	same := readSummary(t, out)
	assert.False(t, same.Drift, "scoring the training file: %+v", same)
	assert.Equal(t, []string{}, same.Drifted)
	assert.Equal(t, int64(4177), same.Rows)
	require.Len(t, same.Features, 8, "every feature column, the target not")
	for _, f := range same.Features {
		assert.Equal(t, monitor.StatusNone, f.Status, "%s: PSI %g", f.Name, f.Value)
	}
	assert.Contains(t, log, "infer: drift against the training baseline: no drift; report in "+filepath.Join(out, "drift", "algo-1"))

	out = t.TempDir()
	log = runInfer(t, "-model", model, "-input", shifted(t, 1, 0, "I", "X"), "-output", out)
	moved := readSummary(t, out)
	assert.True(t, moved.Drift)
	assert.Equal(t, []string{"Sex", "Length"}, moved.Drifted, "exactly the scaled and the replaced feature, in schema order")
	for _, f := range moved.Features {
		if f.Name == "Sex" {
			require.NotNil(t, f.UnseenShare)
			assert.InDelta(t, 1342.0/4177, *f.UnseenShare, 1e-9, "the share of the replaced category, now unseen")
		}
	}
	assert.Contains(t, log, "drift in 2 of 8 features (Sex, Length)")
	page, err := os.ReadFile(filepath.Join(out, "drift", "algo-1", "drift.html"))
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(page), "<svg"), "a plot per drifted feature")
	var report monitor.Report
	data, err := os.ReadFile(filepath.Join(out, "drift", "algo-1", "drift.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &report))
	assert.Equal(t, moved.Drifted, []string{report.Features[0].Name, report.Features[1].Name})
	assert.True(t, report.Features[0].Drift && report.Features[1].Drift)
}

// The counts are merged from the workers, so any number of them gives
// the same report.
func TestDriftReportDoesNotDependOnWorkers(t *testing.T) {
	model := testModelWithBaseline(t)
	input := shifted(t, 4, 0, "M", "F")
	var reports []string
	for _, workers := range []string{"1", "3"} {
		out := t.TempDir()
		runInfer(t, "-model", model, "-input", input, "-output", out, "-workers", workers)
		for _, name := range []string{"drift.json", "summary.json", "drift.html"} {
			data, err := os.ReadFile(filepath.Join(out, "drift", "algo-1", name))
			require.NoError(t, err)
			reports = append(reports, string(data))
		}
	}
	assert.Equal(t, reports[:3], reports[3:])
}

func TestNoDriftReport(t *testing.T) {
	input := filepath.Join(abalone, "abalone.csv")
	out := t.TempDir()
	log := runInfer(t, "-model", testModel(t), "-input", input, "-output", out)
	assert.NoDirExists(t, filepath.Join(out, "drift"), "a model without a baseline")
	assert.Contains(t, log, "has no statistics.json and constraints.json")
	assert.Contains(t, log, "no drift report")

	out = t.TempDir()
	log = runInfer(t, "-model", testModelWithBaseline(t), "-input", input, "-output", out, "-drift=false")
	assert.NoDirExists(t, filepath.Join(out, "drift"), "-drift=false")
	assert.NotContains(t, log, "drift")
}

// Each instance of a multi-instance job writes its own folder, named by
// its host.
func TestDriftFolderIsPerHost(t *testing.T) {
	root := t.TempDir()
	rc := filepath.Join(root, "config", "resourceconfig.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(rc), 0o755))
	require.NoError(t, os.WriteFile(rc, []byte(`{"current_host": "algo-2", "hosts": ["algo-1", "algo-2"]}`), 0o644))
	out := t.TempDir()
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-model", testModelWithBaseline(t), "-input", filepath.Join(abalone, "abalone.csv"), "-output", out, "-failure-file", ""},
		func(k string) string {
			if k == sagemaker.RootEnv {
				return root
			}
			return ""
		}, nil, &stdout, &bytes.Buffer{})
	require.NoError(t, err)
	entries, err := os.ReadDir(filepath.Join(out, "drift"))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "algo-2", entries[0].Name())
}

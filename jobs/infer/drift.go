package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/atomicfile"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/monitor"
)

// driftDir is the folder of -output that holds the drift reports, one
// subfolder per instance (SageMaker uploads every instance's output folder
// to the same S3 prefix, so each instance's files need their own names).
const driftDir = "drift"

// Files of an instance's drift folder.
const (
	driftReportFile  = "drift.json"
	driftHTMLFile    = "drift.html"
	driftSummaryFile = "summary.json"
)

// drift counts the scored rows against the model's baseline; workers
// count into their own monitor.Counts and merge them when a file is done.
// Its methods do nothing on a nil *drift, which is the job without a
// drift check.
type drift struct {
	m     *monitor.Monitor
	mu    sync.Mutex
	total *monitor.Counts
}

// newDrift returns the drift check of bundle, or nil, saying why on
// stdout, when the model has no baseline.
func newDrift(bundle *modelio.Bundle, modelPath string, stdout io.Writer) (*drift, error) {
	if bundle.Baseline == nil {
		fmt.Fprintf(stdout, "infer: model %s has no %s and %s (a model trained before baselines, or by SageMaker's built-in XGBoost); no drift report\n", modelPath, modelio.StatisticsFile, modelio.ConstraintsFile)
		return nil, nil
	}
	m, err := monitor.New(bundle.Baseline.Statistics, bundle.Schema)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", modelPath, err)
	}
	return &drift{m: m, total: m.NewCounts()}, nil
}

// counts returns new counts for one worker.
func (d *drift) counts() *monitor.Counts {
	if d == nil {
		return nil
	}
	return d.m.NewCounts()
}

// merge adds a worker's counts to the total.
func (d *drift) merge(c *monitor.Counts) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.total.Merge(c)
}

// write writes the drift report, its HTML page and its summary under
// output/drift/HOST/, HOST being the instance the resource config at
// rcPath names, and returns the line to log once they are committed.
func (d *drift) write(files *atomicfile.Set, output, rcPath string) (string, error) {
	if d == nil {
		return "", nil
	}
	rc, err := sagemaker.ReadResourceConfig(rcPath)
	if err != nil {
		return "", err
	}
	r := d.total.Report(rc.CurrentHost)
	sum := r.Summary()
	dir := filepath.Join(output, driftDir, rc.CurrentHost)
	for _, file := range []struct {
		name string
		fill func(io.Writer) error
	}{{driftReportFile, r.WriteJSON}, {driftHTMLFile, r.WriteHTML}, {driftSummaryFile, sum.WriteJSON}} {
		f, err := files.Create(filepath.Join(dir, file.name))
		if err != nil {
			return "", err
		}
		if err := file.fill(f); err != nil {
			return "", fmt.Errorf("write %s: %w", file.name, err)
		}
	}
	verdict := "no drift"
	if sum.Drift {
		verdict = fmt.Sprintf("drift in %d of %d features (%s)", len(sum.Drifted), len(sum.Features), strings.Join(sum.Drifted, ", "))
	}
	return fmt.Sprintf("infer: drift against the training baseline: %s; report in %s\n", verdict, dir), nil
}

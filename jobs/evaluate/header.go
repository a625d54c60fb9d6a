package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/report"
)

// executionTag is the tag with which the pipeline names the execution
// that started a job: sagemakerjob.ExecutionTagKey, repeated here because
// the jobs do not depend on the CDK packages.
const executionTag = "mlpipeline:execution"

// reportHeader says what the report is about, from the inputs only (the
// same inputs give the same report): the data set from the model's
// schema, the hyperparameters from its metadata, and the processing job
// and the execution that started it from jobConfig, SageMaker's
// processingjobconfig.json, when the job runs in SageMaker (or the local
// run). The model's registry version is not known yet when a model is
// evaluated (it is registered after the quality gate), and the model
// carries no training time, so the header names neither.
func reportHeader(b *modelio.Bundle, jobConfig string) (report.Header, error) {
	h := report.Header{Title: "Model evaluation"}
	if b.Schema != nil {
		h.Target, h.Task = b.Schema.Target, string(b.Schema.Task)
		h.Title += fmt.Sprintf(": %s (%s)", h.Target, h.Task)
	}
	if b.Metadata != nil {
		h.Hyperparameters = b.Metadata.Hyperparameters
	}
	data, err := os.ReadFile(jobConfig)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil // not started by SageMaker: run by hand with flags
	}
	if err != nil {
		return h, err
	}
	var cfg struct {
		ProcessingJobName string
		Tags              []struct{ Key, Value string }
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return h, fmt.Errorf("processing job config %s: %w", jobConfig, err)
	}
	h.Job = cfg.ProcessingJobName
	for _, t := range cfg.Tags {
		if t.Key == executionTag {
			h.Execution = t.Value
		}
	}
	if h.Execution != "" {
		h.Title += ", execution " + h.Execution
	}
	return h, nil
}

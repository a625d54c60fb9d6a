// Command evaluate scores a model on the test split and writes
// evaluation.json in SageMaker's model-quality layout (regression_metrics or
// binary_classification_metrics, each metric as {"value": ...}) and a
// self-contained HTML report with plots.
//
// It follows the SageMaker processing container contract: every path is a
// flag whose default is the /opt/ml/processing path a processing job maps
// it to, so the same binary runs locally.
package main

import (
	"context"
	"os"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/jobcli"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	os.Exit(jobcli.ExitCode(err))
}

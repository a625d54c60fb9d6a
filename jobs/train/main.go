// Command train fits gradient-boosted trees (histogram method) on the
// header-less, target-first train and validation splits that preprocess
// writes, with XGBoost's hyperparameter names and early stopping on the
// validation split, and writes the model directory: the trees in XGBoost's
// JSON model format, the preprocessor, the schema and a metadata file.
//
// It follows the SageMaker training container contract: channels under
// /opt/ml/input/data, hyperparameters.json, /opt/ml/model; every path is a
// flag, so the same binary runs locally.
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

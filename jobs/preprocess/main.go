// Command preprocess reads raw CSV files through a data schema, splits the
// rows into seeded train, validation and test sets (stratified for
// classification), fits a preprocessor on the training rows only, and writes
// the splits as header-less CSV with the target first, the fitted
// preprocessor and a profile of the training data.
//
// It follows the SageMaker processing container contract: every path is a
// flag whose default is the /opt/ml/processing path a processing job maps
// it to, so the same binary runs locally with flags pointing at directories.
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

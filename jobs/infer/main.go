// Command infer is batch inference: it reads raw CSV files in the layout
// preprocess reads (the target column may be absent), applies the model's
// preprocessor and trees, and writes one predictions CSV per input file, in
// input order. It streams each file in constant memory and uses all cores.
// It processes exactly the files it is given: with ShardedByS3Key, SageMaker
// hands every instance its own share.
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

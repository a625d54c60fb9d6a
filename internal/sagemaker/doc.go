// Package sagemaker implements the parts of the Amazon SageMaker container
// contract that our job binaries (preprocess, train, evaluate, infer) rely on:
// where SageMaker mounts inputs and collects outputs, how it passes
// hyperparameters and cluster layout, and where a failing job leaves the
// reason SageMaker shows in the console and in DescribeTrainingJob or
// DescribeProcessingJob.
//
// Everything hangs off a [Paths] value rather than hard-coded constants so
// that tests and local runs can point the same code at a temporary
// directory. Missing configuration files are treated as a single-host local
// run, not as errors, so a binary behaves the same on a laptop as in a
// one-instance job.
//
// A job's main function is expected to look like this:
//
//	func main() {
//		ctx := context.Background()
//		if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
//			sagemaker.Fail(os.Stderr, sagemaker.Training, sagemaker.Default(), err)
//			os.Exit(1)
//		}
//	}
package sagemaker

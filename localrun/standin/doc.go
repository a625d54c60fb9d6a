// Package standin provides stand-ins for the AWS services the pipeline's state
// machines call, so that the synthesized definitions can run on one machine:
// S3 is a directory tree ([Store]), SageMaker processing and training jobs
// are local processes of the same job binaries with the container's /opt/ml
// remapped below a run directory, SNS notifications are printed, and the
// SageMaker model registry is a JSON file.
//
// [Handlers] returns one [Handler] per Task resource ARN, ready for the ASL
// executor: [Call], [Handler] and [TaskError] are its types.
//
// Errors follow Step Functions' conventions so that Retry and Catch clauses
// behave as they would on AWS: a failed job is a [TaskError] named
// "States.TaskFailed" whose cause is the JSON text of the job's description,
// and an AWS SDK integration error is named "<Service>.<ExceptionName>", such
// as "S3.NoSuchKeyException". Errors that are not a *TaskError mean the local
// environment itself is broken (a disk error, a missing [Config] field) or
// the context was cancelled; they are not something AWS would report.
package standin

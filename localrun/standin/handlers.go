package standin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/mlpipeline-go/mlpipeline/internal/iamsim"
	"github.com/mlpipeline-go/mlpipeline/localrun/asl"
)

// Call is one invocation of a Task state's resource: the executor's call.
type Call = asl.Call

// Handler performs a Call and returns its result as decoded JSON, or an
// error; a *TaskError fails the task with an ASL error name.
type Handler = asl.Handler

// TaskError fails a task with the ASL error Name and Cause, which Retry and
// Catch clauses match and which end up in the state's error output.
type TaskError = asl.TaskError

// The resource ARNs Handlers serves, in the "aws" partition, the one the
// local run resolves templates in.
const (
	// ResourceProcessingJob runs a SageMaker processing job to completion.
	ResourceProcessingJob = "arn:aws:states:::sagemaker:createProcessingJob.sync"
	// ResourceTrainingJob runs a SageMaker training job to completion.
	ResourceTrainingJob = "arn:aws:states:::sagemaker:createTrainingJob.sync"
	// ResourceGetObject reads an S3 object.
	ResourceGetObject = "arn:aws:states:::aws-sdk:s3:getObject"
	// ResourcePublish publishes an SNS message.
	ResourcePublish = "arn:aws:states:::sns:publish"
	// ResourceCreateModelPackage registers a model version.
	ResourceCreateModelPackage = "arn:aws:states:::aws-sdk:sagemaker:createModelPackage"
	// ResourceListModelPackages lists model versions.
	ResourceListModelPackages = "arn:aws:states:::aws-sdk:sagemaker:listModelPackages"
	// ResourceDescribeModelPackage describes one model version.
	ResourceDescribeModelPackage = "arn:aws:states:::aws-sdk:sagemaker:describeModelPackage"
)

// Config says where the local stand-ins keep their state and which
// executables play the job containers.
type Config struct {
	// Store holds the objects that S3 URIs name.
	Store *Store
	// RunDir holds the jobs: a job gets RunDir/jobs/<job name>/<host>/ as
	// its /opt/ml, and RunDir/jobs/<job name>/<host>.log as its full log.
	RunDir string
	// Binaries maps a container entrypoint's binary name (the base name of
	// ContainerEntrypoint[0], such as "preprocess", "train", "evaluate" or
	// "infer") to the local executable that plays it.
	Binaries map[string]string
	// RegistryFile is the JSON file that holds the model registry; it
	// persists across executions.
	RegistryFile string
	// Notify receives the SNS messages, one line each. Nil discards them.
	Notify io.Writer
	// Log receives the jobs' stdout and stderr lines, each prefixed with
	// its log stream, "<job name>/<host>: ". Nil discards them (the per-job log files are kept regardless).
	Log io.Writer
	// Env is extra environment for job processes, "KEY=value" each; a job's
	// own Environment parameter overrides it.
	Env []string
	// OnPublish, when set, receives every message the SNS publish stand-in
	// accepts, after Notify has printed it, so that a caller can check what
	// was notified. Tasks running concurrently may call it concurrently.
	OnPublish func(Notification)
	// MaxRuntimeScale multiplies the maximum runtime of every job
	// (StoppingCondition.MaxRuntimeInSeconds, or SageMaker's default) before
	// it is enforced. It exists for tests and failure drills only, which
	// need a job to overrun its limit in seconds rather than minutes; the
	// failure reason still names the seconds the request asked for. Zero or
	// less means 1, as on AWS.
	MaxRuntimeScale float64
	// Record, when set, receives the IAM authorization of every AWS
	// request the stand-ins make on the pipeline's behalf: who calls, the
	// action, the resource ARN and the request's condition keys (see
	// iam.go). Tasks running concurrently may call it concurrently.
	Record func(iamsim.Request)
	// ExecutionRole returns the ARN of the role of the state machine that
	// runs the named execution; the integrations' requests are made as that
	// role. Nil, or "", gives a placeholder role.
	ExecutionRole func(execution string) string
}

// Handlers returns the local handlers keyed by resource ARN in the "aws"
// partition (the Resource* constants).
//
// The handlers share cfg and are safe for concurrent use, as Parallel and
// Map states need.
func Handlers(cfg Config) map[string]Handler {
	s := &service{cfg: cfg}
	return map[string]Handler{
		ResourceProcessingJob:        s.processingJob,
		ResourceTrainingJob:          s.trainingJob,
		ResourceGetObject:            s.getObject,
		ResourcePublish:              s.publish,
		ResourceCreateModelPackage:   s.createModelPackage,
		ResourceListModelPackages:    s.listModelPackages,
		ResourceDescribeModelPackage: s.describeModelPackage,
		ResourceUpdateModelPackage:   s.updateModelPackage,
	}
}

// service is the state the handlers share.
type service struct {
	cfg Config
	// logMu serializes writes to cfg.Log, which concurrent jobs share.
	logMu sync.Mutex
	// messages counts published SNS messages, for deterministic ids.
	messages atomic.Int64
}

// validation returns the error an AWS SDK integration reports for a request
// the service rejects.
func validation(svc, format string, args ...any) error {
	return &TaskError{Name: svc + ".ValidationException", Cause: fmt.Sprintf(format, args...)}
}

// decodeParams converts the decoded-JSON parameters into a typed request.
// Going through JSON text accepts float64 and json.Number alike. Unknown
// fields are ignored rather than rejected: the stand-ins implement the part
// of each API the pipeline uses, and settings such as network isolation or
// KMS keys have no local meaning.
func decodeParams(svc string, params any, into any) error {
	b, err := json.Marshal(params)
	if err != nil {
		return validation(svc, "parameters are not JSON: %v", err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		return validation(svc, "invalid parameters: %v", err)
	}
	return nil
}

// stringMap is a map of string values, such as HyperParameters or
// Environment. SageMaker requires strings; numbers and booleans are turned
// into their JSON text so that a definition that forgot States.Format still
// runs locally with the value the job would see.
type stringMap map[string]string

// UnmarshalJSON accepts an object of scalar values.
func (m *stringMap) UnmarshalJSON(b []byte) error {
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	out := make(stringMap, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number:
			out[k] = v.String()
		case bool:
			out[k] = strconv.FormatBool(v)
		default:
			return fmt.Errorf("value of %q must be a string, not %T", k, v)
		}
	}
	*m = out
	return nil
}

// paramsMap returns the parameters as an object, or nil.
func paramsMap(params any) map[string]any {
	m, _ := params.(map[string]any)
	return m
}

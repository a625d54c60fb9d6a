package sagemakerjob

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
)

// processingLocalRoot is where processing containers find inputs and leave
// outputs (the SageMaker processing container contract).
const processingLocalRoot = "/opt/ml/processing/"

// maxProcessingInstances is the API's limit of ClusterConfig.InstanceCount.
const maxProcessingInstances = 100

// processingNameRe bounds InputName and OutputName, which the API leaves
// free-form.
var processingNameRe = regexp.MustCompile(`^.{1,256}$`)

// ProcessingJobProps configures a processing job task.
type ProcessingJobProps struct {
	// JobNamePrefix starts the name of every job the state creates (see
	// JobName) and scopes the state machine's permissions to those jobs:
	// 1 to 30 lowercase letters, digits and hyphens, starting with a letter.
	// Two job states of one state machine need different prefixes, or
	// their jobs' names collide.
	JobNamePrefix string
	// StateMachineRole is the role the state machine runs as; the task adds
	// the statements it needs to it (see the package documentation). An
	// immutable imported role ignores them: grant them yourself.
	StateMachineRole awsiam.IRole
	// Role is the SageMaker execution role the job runs as (RoleArn).
	Role awsiam.IRole
	// ImageUri is the job's container image (AppSpecification.ImageUri).
	ImageUri *string
	// Entrypoint is the container's command, such as
	// []string{"/usr/local/bin/preprocess"}.
	Entrypoint []string
	// Arguments are passed to Entrypoint.
	// Default: none.
	Arguments []string
	// Inputs are copied from S3 to their LocalPath before the container
	// starts.
	// Default: none.
	Inputs []Input
	// Outputs are uploaded from their LocalPath to S3 when the container
	// exits; at least one.
	Outputs []Output
	// InstanceType is the ML instance type of every instance.
	// Default: ml.m5.large.
	InstanceType string
	// InstanceCount is the number of instances, 1 to 100; inputs with
	// Distribution "ShardedByS3Key" are split among them.
	// Default: 1.
	InstanceCount int
	// VolumeSizeGB is the size of each instance's storage volume.
	// Default: 30.
	VolumeSizeGB int
	// MaxRuntime is how long the container may run before SageMaker stops
	// the job, at most 9 days. The state times out 10 minutes later.
	// Default: 1 hour.
	MaxRuntime awscdk.Duration
	// Environment holds the container's environment variables.
	// Default: none.
	Environment map[string]string
	// Tags are added to the job, next to ExecutionTagKey.
	// Default: only ExecutionTagKey.
	Tags map[string]string
	// NetworkIsolation cuts the container off from the network (inputs and
	// outputs still move).
	// Default: false.
	NetworkIsolation bool
	// SubnetIds and SecurityGroupIds place the job's instances in a VPC;
	// both or neither. Role then needs the EC2 network interface
	// permissions SageMaker documents.
	// Default: no VPC.
	SubnetIds []string
	// SecurityGroupIds: see SubnetIds.
	SecurityGroupIds []string
	// InterContainerTrafficEncryption encrypts the traffic between the
	// job's instances.
	// Default: false.
	InterContainerTrafficEncryption bool
	// VolumeKmsKey encrypts the instances' storage volumes; Role must be
	// allowed to use it. Instance types with local NVMe storage reject it.
	// Default: an AWS managed key.
	VolumeKmsKey awskms.IKey
	// OutputKmsKey encrypts the outputs in S3; Role must be allowed to use
	// it.
	// Default: the bucket's default encryption.
	OutputKmsKey awskms.IKey
	// ResultPath is where the state writes {ProcessingJobName,
	// ProcessingJobArn} in its input.
	// Default: "$.jobs.<state id>".
	ResultPath string
	// Comment describes the state in the definition.
	// Default: none.
	Comment string
	// NoDefaultRetry leaves out the retry on throttling and capacity errors.
	// Default: false, the state retries SageMaker.AmazonSageMakerException
	// and SageMaker.ResourceLimitExceededException
	// up to 5 times, 30 seconds apart at first, doubling up to 5 minutes,
	// with full jitter.
	NoDefaultRetry bool
}

func (p *ProcessingJobProps) common() common {
	return common{
		prefix: p.JobNamePrefix, stateMachineRole: p.StateMachineRole, role: p.Role, image: p.ImageUri,
		instanceType: p.InstanceType, instanceCount: p.InstanceCount, maxInstanceCount: maxProcessingInstances,
		volumeSizeGB: p.VolumeSizeGB, maxRuntime: p.MaxRuntime, maxRuntimeLimit: maxProcessingRuntime,
		environment: p.Environment, tags: p.Tags, subnetIds: p.SubnetIds, securityGroupIds: p.SecurityGroupIds,
		resultPath: p.ResultPath,
	}
}

// validate reports the first prop that NewProcessingJob cannot honour.
func (p *ProcessingJobProps) validate() error {
	if err := p.common().validate(); err != nil {
		return err
	}
	if len(p.Entrypoint) == 0 {
		return fmt.Errorf("invalid Entrypoint []; valid: the container's command, such as [\"/usr/local/bin/preprocess\"]")
	}
	if err := checkInputs(p.Inputs, processingNameRe, "1 to 256 characters"); err != nil {
		return err
	}
	for i, in := range p.Inputs {
		if err := checkLocalPath(fmt.Sprintf("Inputs[%d]", i), in.LocalPath); err != nil {
			return err
		}
		if in.ContentType != "" {
			return fmt.Errorf("invalid Inputs[%d].ContentType %q; valid: empty, as processing inputs have none", i, in.ContentType)
		}
	}
	if len(p.Outputs) == 0 {
		return fmt.Errorf("invalid Outputs []; valid: at least one output")
	}
	seen := map[string]bool{}
	for i, out := range p.Outputs {
		field := fmt.Sprintf("Outputs[%d]", i)
		if !processingNameRe.MatchString(out.Name) || seen[out.Name] {
			return fmt.Errorf("invalid %s.Name %q; valid: 1 to 256 characters, unique among Outputs", field, out.Name)
		}
		seen[out.Name] = true
		if err := checkLocation(field, out.S3Uri, out.S3UriPath); err != nil {
			return err
		}
		if err := checkLocalPath(field, out.LocalPath); err != nil {
			return err
		}
	}
	return nil
}

func checkLocalPath(field, path string) error {
	if !strings.HasPrefix(path, processingLocalRoot) || len(path) == len(processingLocalRoot) {
		return fmt.Errorf("invalid %s.LocalPath %q; valid: a directory under %s, such as %sinput/data", field, path, processingLocalRoot, processingLocalRoot)
	}
	return nil
}

// NewProcessingJob defines a task state that runs a SageMaker processing job
// to completion, and grants StateMachineRole what the task needs. Its result
// is {ProcessingJobName, ProcessingJobArn} at ResultPath. It panics when
// props are invalid, as CDK constructs do.
func NewProcessingJob(scope constructs.Construct, id string, props *ProcessingJobProps) awsstepfunctions.CustomState {
	if props == nil {
		props = &ProcessingJobProps{}
	}
	if err := props.validate(); err != nil {
		panic(fmt.Errorf("sagemakerjob: %s: %w", id, err))
	}
	runtime, _ := runtimeSeconds(props.MaxRuntime, maxProcessingRuntime)

	app := map[string]any{"ImageUri": *props.ImageUri, "ContainerEntrypoint": strs(props.Entrypoint)}
	if len(props.Arguments) > 0 {
		app["ContainerArguments"] = strs(props.Arguments)
	}
	inputs := make([]any, len(props.Inputs))
	for i, in := range props.Inputs {
		s3 := map[string]any{
			"LocalPath":              in.LocalPath,
			"S3DataType":             "S3Prefix",
			"S3InputMode":            "File",
			"S3DataDistributionType": distribution(in.Distribution),
		}
		setURI(s3, "S3Uri", in.S3Uri, in.S3UriPath)
		inputs[i] = map[string]any{"InputName": in.Name, "S3Input": s3}
	}
	outputs := make([]any, len(props.Outputs))
	for i, out := range props.Outputs {
		s3 := map[string]any{"LocalPath": out.LocalPath, "S3UploadMode": "EndOfJob"}
		setURI(s3, "S3Uri", out.S3Uri, out.S3UriPath)
		outputs[i] = map[string]any{"OutputName": out.Name, "S3Output": s3}
	}
	outputConfig := map[string]any{"Outputs": outputs}
	if props.OutputKmsKey != nil {
		outputConfig["KmsKeyId"] = *props.OutputKmsKey.KeyArn()
	}
	network := map[string]any{
		"EnableNetworkIsolation":                props.NetworkIsolation,
		"EnableInterContainerTrafficEncryption": props.InterContainerTrafficEncryption,
	}
	if vpc := renderVpc(props.SubnetIds, props.SecurityGroupIds); vpc != nil {
		network["VpcConfig"] = vpc
	}
	params := map[string]any{
		"AppSpecification":       app,
		"ProcessingOutputConfig": outputConfig,
		"ProcessingResources":    map[string]any{"ClusterConfig": renderResources(props.InstanceType, props.InstanceCount, props.VolumeSizeGB, props.VolumeKmsKey)},
		"StoppingCondition":      map[string]any{"MaxRuntimeInSeconds": int(runtime)},
		"NetworkConfig":          network,
	}
	if len(inputs) > 0 {
		params["ProcessingInputs"] = inputs
	}
	if len(props.Environment) > 0 {
		params["Environment"] = stringMap(props.Environment)
	}
	return newState(scope, id, job{
		kind:             "Processing",
		prefix:           props.JobNamePrefix,
		stateMachineRole: props.StateMachineRole,
		role:             props.Role,
		runtime:          runtime,
		resultPath:       props.ResultPath,
		comment:          props.Comment,
		noDefaultRetry:   props.NoDefaultRetry,
		parameters:       params,
		tags:             props.Tags,
		resultSelector: map[string]any{
			"ProcessingJobName.$": "$.ProcessingJobName",
			"ProcessingJobArn.$":  "$.ProcessingJobArn",
		},
	})
}

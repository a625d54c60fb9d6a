package sagemakerjob

import (
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
)

// maxTrainingInstances bounds ResourceConfig.InstanceCount like processing's;
// account quotas are far lower by default.
const maxTrainingInstances = 100

// channelNameRe is the API's pattern of Channel.ChannelName.
var channelNameRe = regexp.MustCompile(`^[A-Za-z0-9.\-_]{1,64}$`)

// TrainingJobProps configures a training job task.
type TrainingJobProps struct {
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
	// ImageUri is the training image (AlgorithmSpecification.TrainingImage).
	ImageUri *string
	// Entrypoint is the container's command
	// (AlgorithmSpecification.ContainerEntrypoint).
	// Default: the image's own, run with the argument "train", as the
	// SageMaker built-in algorithms expect.
	Entrypoint []string
	// Arguments are passed to Entrypoint
	// (AlgorithmSpecification.ContainerArguments).
	// Default: none.
	Arguments []string
	// Hyperparameters are written to
	// /opt/ml/input/config/hyperparameters.json.
	// Default: none.
	Hyperparameters map[string]string
	// HyperparametersPath is a JSONPath into the state input whose value is
	// an object of string hyperparameters; it replaces Hyperparameters.
	// Default: Hyperparameters.
	HyperparametersPath string
	// Inputs are the training channels (InputDataConfig), copied from S3 to
	// /opt/ml/input/data/<Name> before the container starts, in File mode.
	// LocalPath does not apply.
	// Default: none.
	Inputs []Input
	// Output is where SageMaker uploads model.tar.gz, made from
	// /opt/ml/model, under <S3Uri>/<job name>/output/
	// (OutputDataConfig.S3OutputPath). Name only documents it; LocalPath
	// does not apply.
	Output Output
	// MetricDefinitions make SageMaker scrape metrics from the job's logs.
	// Default: none.
	MetricDefinitions []MetricDefinition
	// InstanceType is the ML instance type of every instance.
	// Default: ml.m5.large.
	InstanceType string
	// InstanceCount is the number of instances, 1 to 100; the container
	// must train distributed to use more than one.
	// Default: 1.
	InstanceCount int
	// VolumeSizeGB is the size of each instance's storage volume.
	// Default: 30.
	VolumeSizeGB int
	// MaxRuntime is how long the container may run before SageMaker stops
	// the job, at most 28 days (accounts have a 5-day quota by default).
	// The state times out 10 minutes later.
	// Default: 1 hour.
	MaxRuntime awscdk.Duration
	// Environment holds the container's environment variables.
	// Default: none.
	Environment map[string]string
	// Tags are added to the job, next to ExecutionTagKey.
	// Default: only ExecutionTagKey.
	Tags map[string]string
	// NetworkIsolation cuts the container off from the network (channels
	// and the model still move) (EnableNetworkIsolation).
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
	// job's instances (EnableInterContainerTrafficEncryption).
	// Default: false.
	InterContainerTrafficEncryption bool
	// VolumeKmsKey encrypts the instances' storage volumes
	// (ResourceConfig.VolumeKmsKeyId); Role must be allowed to use it.
	// Instance types with local NVMe storage reject it.
	// Default: an AWS managed key.
	VolumeKmsKey awskms.IKey
	// OutputKmsKey encrypts the model in S3 (OutputDataConfig.KmsKeyId);
	// Role must be allowed to use it.
	// Default: the bucket's default encryption.
	OutputKmsKey awskms.IKey
	// ResultPath is where the state writes {TrainingJobName,
	// TrainingJobArn, ModelArtifacts} in its input, ModelArtifacts being
	// the S3 URI of model.tar.gz (the job's ModelArtifacts.S3ModelArtifacts).
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

func (p *TrainingJobProps) common() common {
	return common{
		prefix: p.JobNamePrefix, stateMachineRole: p.StateMachineRole, role: p.Role, image: p.ImageUri,
		instanceType: p.InstanceType, instanceCount: p.InstanceCount, maxInstanceCount: maxTrainingInstances,
		volumeSizeGB: p.VolumeSizeGB, maxRuntime: p.MaxRuntime, maxRuntimeLimit: maxTrainingRuntime,
		environment: p.Environment, tags: p.Tags, subnetIds: p.SubnetIds, securityGroupIds: p.SecurityGroupIds,
		resultPath: p.ResultPath,
	}
}

// validate reports the first prop that NewTrainingJob cannot honour.
func (p *TrainingJobProps) validate() error {
	if err := p.common().validate(); err != nil {
		return err
	}
	if err := checkInputs(p.Inputs, channelNameRe, "1 to 64 letters, digits, '.', '-' and '_'"); err != nil {
		return err
	}
	for i, in := range p.Inputs {
		if in.LocalPath != "" {
			return fmt.Errorf("invalid Inputs[%d].LocalPath %q; valid: empty, as training channels are at /opt/ml/input/data/<Name>", i, in.LocalPath)
		}
	}
	if p.Output.LocalPath != "" {
		return fmt.Errorf("invalid Output.LocalPath %q; valid: empty, as the model is uploaded from /opt/ml/model", p.Output.LocalPath)
	}
	if err := checkLocation("Output", p.Output.S3Uri, p.Output.S3UriPath); err != nil {
		return err
	}
	if len(p.Hyperparameters) > 0 && p.HyperparametersPath != "" {
		return fmt.Errorf("invalid HyperparametersPath %q with Hyperparameters set; valid: one of them", p.HyperparametersPath)
	}
	if err := checkPath("HyperparametersPath", p.HyperparametersPath); err != nil {
		return err
	}
	for i, m := range p.MetricDefinitions {
		if m.Name == "" || m.Regex == "" {
			return fmt.Errorf("invalid MetricDefinitions[%d] with Name %q and Regex %q; valid: both set", i, m.Name, m.Regex)
		}
	}
	return nil
}

// NewTrainingJob defines a task state that runs a SageMaker training job to
// completion, in File input mode, and grants StateMachineRole what the task
// needs. Its result is {TrainingJobName, TrainingJobArn, ModelArtifacts} at
// ResultPath, ModelArtifacts being the S3 URI of model.tar.gz. It panics
// when props are invalid, as CDK constructs do.
func NewTrainingJob(scope constructs.Construct, id string, props *TrainingJobProps) awsstepfunctions.CustomState {
	if props == nil {
		props = &TrainingJobProps{}
	}
	if err := props.validate(); err != nil {
		panic(fmt.Errorf("sagemakerjob: %s: %w", id, err))
	}
	runtime, _ := runtimeSeconds(props.MaxRuntime, maxTrainingRuntime)

	algorithm := map[string]any{"TrainingImage": *props.ImageUri, "TrainingInputMode": "File"}
	if len(props.Entrypoint) > 0 {
		algorithm["ContainerEntrypoint"] = strs(props.Entrypoint)
	}
	if len(props.Arguments) > 0 {
		algorithm["ContainerArguments"] = strs(props.Arguments)
	}
	if len(props.MetricDefinitions) > 0 {
		metrics := make([]any, len(props.MetricDefinitions))
		for i, m := range props.MetricDefinitions {
			metrics[i] = map[string]any{"Name": m.Name, "Regex": m.Regex}
		}
		algorithm["MetricDefinitions"] = metrics
	}
	channels := make([]any, len(props.Inputs))
	for i, in := range props.Inputs {
		s3 := map[string]any{"S3DataType": "S3Prefix", "S3DataDistributionType": distribution(in.Distribution)}
		setURI(s3, "S3Uri", in.S3Uri, in.S3UriPath)
		channel := map[string]any{"ChannelName": in.Name, "DataSource": map[string]any{"S3DataSource": s3}}
		if in.ContentType != "" {
			channel["ContentType"] = in.ContentType
		}
		channels[i] = channel
	}
	output := map[string]any{}
	setURI(output, "S3OutputPath", props.Output.S3Uri, props.Output.S3UriPath)
	if props.OutputKmsKey != nil {
		output["KmsKeyId"] = *props.OutputKmsKey.KeyArn()
	}
	params := map[string]any{
		"AlgorithmSpecification":                algorithm,
		"OutputDataConfig":                      output,
		"ResourceConfig":                        renderResources(props.InstanceType, props.InstanceCount, props.VolumeSizeGB, props.VolumeKmsKey),
		"StoppingCondition":                     map[string]any{"MaxRuntimeInSeconds": int(runtime)},
		"EnableNetworkIsolation":                props.NetworkIsolation,
		"EnableInterContainerTrafficEncryption": props.InterContainerTrafficEncryption,
	}
	if len(channels) > 0 {
		params["InputDataConfig"] = channels
	}
	if props.HyperparametersPath != "" {
		params["HyperParameters.$"] = props.HyperparametersPath
	} else if len(props.Hyperparameters) > 0 {
		params["HyperParameters"] = stringMap(props.Hyperparameters)
	}
	if vpc := renderVpc(props.SubnetIds, props.SecurityGroupIds); vpc != nil {
		params["VpcConfig"] = vpc
	}
	if len(props.Environment) > 0 {
		params["Environment"] = stringMap(props.Environment)
	}
	return newState(scope, id, job{
		kind:             "Training",
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
			"TrainingJobName.$": "$.TrainingJobName",
			"TrainingJobArn.$":  "$.TrainingJobArn",
			// The model.tar.gz URI itself, for a processing input or a
			// model package's ModelDataUrl.
			"ModelArtifacts.$": "$.ModelArtifacts.S3ModelArtifacts",
		},
	})
}

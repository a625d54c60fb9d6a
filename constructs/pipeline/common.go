// Package pipeline defines the pipeline's two state machines: training
// (preprocess, train, evaluate, quality gate, register, notify) and batch
// inference (latest approved model, sharded processing job, notify), their
// logging, tracing and failure alarms, the notification topic, and the
// EventBridge schedules that start them.
//
// Every state machine runs as a role of its own that holds exactly the
// permissions of its tasks; every task retries throttling and capacity
// errors, has a timeout, and is caught: a failure notifies with the error
// and cause and ends the execution failed.
package pipeline

import (
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/mlpipeline-go/mlpipeline/constructs/keys"
	"github.com/mlpipeline-go/mlpipeline/constructs/sagemakerjob"
)

// JobResources is the compute of one SageMaker job.
type JobResources struct {
	// InstanceType is a SageMaker ML instance type. Default: ml.m5.large.
	InstanceType string
	// InstanceCount is the number of instances. Default: 1.
	InstanceCount int
	// VolumeSizeGB is the ML storage volume per instance. Default: 30.
	VolumeSizeGB int
	// MaxRuntime stops the job when exceeded. Default: 1 hour.
	MaxRuntime awscdk.Duration
}

// JobSecurity hardens every SageMaker job of a pipeline. The zero value
// runs jobs outside any VPC, with network access and AWS managed volume
// keys.
type JobSecurity struct {
	// Subnets and SecurityGroups place every job's instances in a VPC;
	// both or neither. The subnets should have no route to the internet,
	// with VPC endpoints for what SageMaker fetches (see package network).
	// Multi-instance jobs then also encrypt the traffic between instances.
	// The job role needs the EC2 network interface permissions (see
	// package roles). Default: no VPC.
	Subnets []awsec2.ISubnet
	// SecurityGroups: see Subnets.
	SecurityGroups []awsec2.ISecurityGroup
	// NetworkIsolation cuts the job containers off from the network;
	// SageMaker still moves their inputs and outputs. The pipeline's jobs
	// read and write only their /opt/ml folders, so they need no network.
	// Default: false.
	NetworkIsolation bool
	// VolumeKmsKey encrypts every job instance's storage volume; the job
	// role must be allowed to create grants on it. Instance types with
	// local NVMe storage reject a volume key. Default: an AWS managed key.
	VolumeKmsKey awskms.IKey
}

func (s JobSecurity) validate() error {
	if (len(s.Subnets) == 0) != (len(s.SecurityGroups) == 0) {
		return fmt.Errorf("pipeline: security has %d subnets and %d security groups; valid: both empty, or both set", len(s.Subnets), len(s.SecurityGroups))
	}
	return nil
}

// processing applies s to the props of a processing job.
func (s JobSecurity) processing(p *sagemakerjob.ProcessingJobProps) *sagemakerjob.ProcessingJobProps {
	p.SubnetIds, p.SecurityGroupIds = s.subnetIDs(), s.securityGroupIDs()
	p.NetworkIsolation, p.VolumeKmsKey = s.NetworkIsolation, s.VolumeKmsKey
	p.InterContainerTrafficEncryption = len(s.Subnets) > 0 && p.InstanceCount > 1
	return p
}

// training applies s to the props of a training job.
func (s JobSecurity) training(p *sagemakerjob.TrainingJobProps) *sagemakerjob.TrainingJobProps {
	p.SubnetIds, p.SecurityGroupIds = s.subnetIDs(), s.securityGroupIDs()
	p.NetworkIsolation, p.VolumeKmsKey = s.NetworkIsolation, s.VolumeKmsKey
	p.InterContainerTrafficEncryption = len(s.Subnets) > 0 && p.InstanceCount > 1
	return p
}

func (s JobSecurity) subnetIDs() []string {
	ids := make([]string, len(s.Subnets))
	for i, sn := range s.Subnets {
		ids[i] = *sn.SubnetId()
	}
	return ids
}

func (s JobSecurity) securityGroupIDs() []string {
	ids := make([]string, len(s.SecurityGroups))
	for i, sg := range s.SecurityGroups {
		ids[i] = *sg.SecurityGroupId()
	}
	return ids
}

// ObservabilityProps configures what every state machine of the package
// shares: where it logs and where it notifies.
type ObservabilityProps struct {
	// Topic receives the notifications. Default: a new topic encrypted with
	// EncryptionKey that requires TLS.
	Topic awssns.ITopic
	// EncryptionKey encrypts the log group and a new topic.
	// Default: a new KMS key with rotation.
	EncryptionKey awskms.IKey
	// LogRetention is how long execution logs are kept. Default: one month.
	LogRetention awslogs.RetentionDays
	// RemovalPolicy applies to the log group. Default: RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
}

// namePattern is what a pipeline name must look like: it prefixes job names
// (at most 30 characters, see sagemakerjob) and resource names.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)

func validateName(field, name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("pipeline: %s %q is invalid; valid: 1 to 20 lowercase letters, digits or hyphens, starting with a letter", field, name)
	}
	return nil
}

// taskTimeout bounds the short SDK and notification tasks.
var taskTimeout = func() sfn.Timeout { return sfn.Timeout_Duration(awscdk.Duration_Minutes(jsii.Number(5))) }

// sageMakerAPIErrors are the retried errors of the SageMaker SDK tasks:
// throttling, and SageMaker's errors without a modelled exception.
var sageMakerAPIErrors = []string{"SageMaker.ThrottlingException", "SageMaker.AmazonSageMakerException"}

// apiRetry is the retry every SDK task gets: a timeout and the given
// throttling and transient service errors, with exponential backoff and
// full jitter. AWS SDK integrations name errors <Service>.<Error>Exception
// (S3.SlowDownException), so an unprefixed name would never match.
func apiRetry(errors ...string) *sfn.RetryProps {
	return &sfn.RetryProps{
		Errors:         jsii.Strings(append([]string{"States.Timeout"}, errors...)...),
		Interval:       awscdk.Duration_Seconds(jsii.Number(5)),
		BackoffRate:    jsii.Number(2),
		MaxAttempts:    jsii.Number(4),
		JitterStrategy: sfn.JitterType_FULL,
	}
}

// newStateMachineRole defines the role a state machine runs as; its tasks
// add exactly the permissions they need to it.
func newStateMachineRole(scope constructs.Construct, description string) awsiam.Role {
	return awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil),
		Description: jsii.String(description),
	})
}

// modelPackageArns returns the pattern of the ARNs of the versions of the
// model package group called group.
func modelPackageArns(scope constructs.Construct, group *string) *string {
	return awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{Service: jsii.String("sagemaker"), Resource: jsii.String("model-package"), ResourceName: jsii.String(*group + "/*")})
}

// observability is the topic, key and log group a state machine uses.
type observability struct {
	topic    awssns.ITopic
	key      awskms.IKey
	logGroup awslogs.LogGroup
}

// newObservability defines the log group of one state machine and, unless
// given, the topic and key.
func newObservability(scope constructs.Construct, props *ObservabilityProps) *observability {
	o := &observability{topic: props.Topic, key: props.EncryptionKey}
	removal := props.RemovalPolicy
	if removal == "" {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	if o.key == nil {
		o.key = awskms.NewKey(scope, jsii.String("Key"), &awskms.KeyProps{
			Description:       jsii.String("Encrypts the ML pipeline's execution logs and notifications."),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     removal,
		})
	}
	keys.AllowLogs(scope, o.key)
	retention := props.LogRetention
	if retention == "" {
		retention = awslogs.RetentionDays_ONE_MONTH
	}
	o.logGroup = awslogs.NewLogGroup(scope, jsii.String("Logs"), &awslogs.LogGroupProps{
		EncryptionKey: o.key,
		Retention:     retention,
		RemovalPolicy: removal,
	})
	if o.topic == nil {
		o.topic = NewTopic(scope, "Topic", o.key)
	}
	return o
}

// NewTopic defines a notification topic encrypted with key that accepts
// only TLS connections, and lets CloudWatch alarms publish to it.
func NewTopic(scope constructs.Construct, id string, key awskms.IKey) awssns.Topic {
	topic := awssns.NewTopic(scope, jsii.String(id), &awssns.TopicProps{
		MasterKey:  key,
		EnforceSSL: jsii.Bool(true),
	})
	// Alarms publish to an encrypted topic only if the key lets them.
	key.Grant(awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil),
		jsii.String("kms:Decrypt"), jsii.String("kms:GenerateDataKey*"))
	return topic
}

// stateMachine defines a state machine with logging, tracing and an alarm
// on failed or timed-out executions that notifies the topic.
func (o *observability) stateMachine(scope constructs.Construct, name string, role awsiam.IRole, definition sfn.IChainable, timeout awscdk.Duration) sfn.StateMachine {
	sm := sfn.NewStateMachine(scope, jsii.String("Resource"), &sfn.StateMachineProps{
		StateMachineName: jsii.String(name),
		DefinitionBody:   sfn.DefinitionBody_FromChainable(definition),
		Role:             role,
		TracingEnabled:   jsii.Bool(true),
		Timeout:          timeout,
		Logs: &sfn.LogOptions{
			Destination: o.logGroup,
			Level:       sfn.LogLevel_ALL,
			// Execution data holds S3 locations and metrics, not data, but
			// stays out of the logs so that they need no data clearance.
			IncludeExecutionData: jsii.Bool(false),
		},
	})
	failed := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("failed + timedOut"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"failed":   sm.MetricFailed(nil),
			"timedOut": sm.MetricTimedOut(nil),
		},
		Period: awscdk.Duration_Minutes(jsii.Number(5)),
	})
	alarm := awscloudwatch.NewAlarm(scope, jsii.String("FailedAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(fmt.Sprintf("An execution of %s failed or timed out.", name)),
		Metric:             failed,
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(o.topic))
	// Publishing to the encrypted topic needs its key.
	o.key.Grant(role, jsii.String("kms:GenerateDataKey"), jsii.String("kms:Decrypt"))
	suppressWildcards(role, name)
	return sm
}

// suppressWildcards documents, for cdk-nag, the wildcard resources of a
// state machine role that cannot be narrowed further.
func suppressWildcards(role awsiam.IRole, name string) {
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("Execution logging (logs:*LogDelivery*, DescribeLogGroups, DescribeResourcePolicies, PutResourcePolicy) " +
				"and X-Ray tracing have no resource-level permissions; AWS requires Resource \"*\" for them. " +
				"sagemaker:ListModelPackages is a List call that names no model package; it is granted on \"*\" and " +
				"narrowed by the group name in the request."),
			AppliesTo: &[]any{"Resource::*"},
		},
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("SageMaker job names are made per execution (prefix plus a hash of the execution name), so the " +
				"permission is scoped to this pipeline's prefix: the names cannot be known at deploy time."),
			AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String("/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):sagemaker:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]+):(processing|training)-job\\/[a-z0-9-]+-\\*$/g")}},
		},
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("Model versions are numbered by the registry as they are created; the permission covers the " +
				"versions of this pipeline's model package group only."),
			AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String("/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):sagemaker:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]+):model-package\\/[a-z0-9-]+\\/\\*$/g")}},
		},
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("Evaluation reports are written per execution under evaluation/; the state machine reads " +
				"evaluation.json of the execution it runs, so the grant is the evaluation/ prefix."),
			AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String("/^Resource::<[A-Za-z0-9]+\\.Arn>\\/evaluation\\/\\*$/g")}},
		},
	}, jsii.Bool(true))
}

// notify returns a task that publishes message (an intrinsic expression
// such as States.Format(...)) to the topic.
func (o *observability) notify(scope constructs.Construct, id, subject, message string) awsstepfunctionstasks.SnsPublish {
	task := awsstepfunctionstasks.NewSnsPublish(scope, jsii.String(id), &awsstepfunctionstasks.SnsPublishProps{
		Topic:       o.topic,
		Subject:     jsii.String(subject),
		Message:     sfn.TaskInput_FromJsonPathAt(jsii.String(message)),
		ResultPath:  sfn.JsonPath_DISCARD(),
		TaskTimeout: taskTimeout(),
	})
	task.AddRetry(&sfn.RetryProps{
		Errors:         jsii.Strings("SNS.ThrottledException", "SNS.InternalErrorException", "States.Timeout"),
		Interval:       awscdk.Duration_Seconds(jsii.Number(2)),
		BackoffRate:    jsii.Number(2),
		MaxAttempts:    jsii.Number(4),
		JitterStrategy: sfn.JitterType_FULL,
	})
	return task
}

// failurePath notifies the error a Catch stored at $.error, then fails the
// execution with that error and cause.
func (o *observability) failurePath(scope constructs.Construct, pipeline string) sfn.IChainable {
	failed := sfn.NewFail(scope, jsii.String("Failed"), &sfn.FailProps{
		ErrorPath: jsii.String("$.error.Error"),
		CausePath: jsii.String("$.error.Cause"),
	})
	notify := o.notify(scope, "NotifyFailure", "ML pipeline failed: "+pipeline,
		"States.Format('Execution {} of "+pipeline+" failed: {}: {}', $$.Execution.Name, $.error.Error, $.error.Cause)")
	// A notification that cannot be sent must not hide the original error.
	notify.AddCatch(failed, &sfn.CatchProps{ResultPath: jsii.String("$.notifyError")})
	return notify.Next(failed)
}

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

// sageMakerAPIErrors are the retried errors of the SageMaker AWS SDK tasks
// (arn:aws:states:::aws-sdk:sagemaker:...): throttling and the transient
// server errors, the common errors every SageMaker action can return
// ("Common Errors", Amazon SageMaker API Reference,
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html).
// An AWS SDK integration reports an error as <ServiceName>.<ErrorName>, both
// in Pascal case, with the suffix "Exception" added where the service's own
// name lacks it (InternalFailure gives SageMaker.InternalFailureException):
// "Learning to use AWS service SDK integrations in Step Functions", AWS Step
// Functions Developer Guide,
// https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html.
// SageMaker.AmazonSageMakerException is what the optimized SageMaker
// integration (createTrainingJob.sync) raises, not an SDK task, so it is
// not listed here.
var sageMakerAPIErrors = []string{
	"SageMaker.ThrottlingException",
	"SageMaker.InternalFailureException",
	"SageMaker.ServiceUnavailableException",
}

// s3APIErrors are the retried errors of the S3 AWS SDK tasks: S3's
// throttling (SlowDown) and its transient server error (InternalError),
// from "Error responses", Amazon S3 API Reference,
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html,
// named as AWS SDK integrations name them (see sageMakerAPIErrors): S3's
// codes lack the Exception suffix, which the integration adds.
var s3APIErrors = []string{"S3.InternalErrorException", "S3.SlowDownException"}

// snsPublishErrors are the retried errors of the optimized sns:publish
// integration: SNS throttling (Throttled), its transient server error
// (InternalError) and the throttling of the topic's KMS key, which Publish
// reports as KMSThrottling (Publish, Amazon SNS API Reference,
// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html), named
// <Service>.<Error>Exception as the service integrations name errors
// ("Handling errors in Step Functions workflows", AWS Step Functions
// Developer Guide,
// https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html),
// and the task's timeout.
var snsPublishErrors = []string{"SNS.ThrottledException", "SNS.InternalErrorException", "SNS.KMSThrottlingException", "States.Timeout"}

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

// LogGroupName returns the name of the log group of the state machine
// called stateMachine: /aws/vendedlogs/states/<stateMachine>. Step
// Functions adds every log group it logs to to the account's CloudWatch
// Logs resource policy, which is limited to 5120 characters; log groups
// under /aws/vendedlogs/ need no entry there ("Avoiding Amazon CloudWatch
// Logs resource policy size restrictions", AWS Step Functions Developer
// Guide, https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html).
// The name is fixed, so the logs of a state machine are found by its name.
func LogGroupName(stateMachine string) string {
	return "/aws/vendedlogs/states/" + stateMachine
}

// newObservability defines the log group of the state machine called
// stateMachine and, unless given, the topic and key.
func newObservability(scope constructs.Construct, props *ObservabilityProps, stateMachine string) *observability {
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
		LogGroupName:  jsii.String(LogGroupName(stateMachine)),
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
// only TLS connections, and lets this account's CloudWatch alarms publish
// to it.
//
// The topic's policy replaces SNS's default one, which is what let
// CloudWatch publish, so it must allow cloudwatch.amazonaws.com itself;
// aws:SourceAccount and aws:SourceArn (this account's alarms in this
// Region) keep other accounts' alarms from using that grant, as "Using
// Amazon SNS topics for CloudWatch alarms" (CloudWatch User Guide,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html)
// and "Example cases for Amazon SNS access control" (SNS Developer Guide,
// https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html)
// show. A publisher to an encrypted topic also needs kms:GenerateDataKey*
// and kms:Decrypt on the topic's key ("Configuring AWS KMS permissions" in
// "Key management", SNS Developer Guide,
// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html), with
// the same conditions ("Cross-service confused deputy prevention", IAM User
// Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
func NewTopic(scope constructs.Construct, id string, key awskms.IKey) awssns.Topic {
	topic := awssns.NewTopic(scope, jsii.String(id), &awssns.TopicProps{
		MasterKey:  key,
		EnforceSSL: jsii.Bool(true),
	})
	stack := awscdk.Stack_Of(scope)
	alarms := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("cloudwatch"),
		Resource:     jsii.String("alarm"),
		ResourceName: jsii.String("*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	fromOwnAlarms := &map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
		"ArnLike":      map[string]any{"aws:SourceArn": alarms},
	}
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: fromOwnAlarms,
	}))
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToUseTheKeyForTheTopic"),
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: fromOwnAlarms,
	}), jsii.Bool(true))
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
		Errors:         jsii.Strings(snsPublishErrors...),
		Interval:       awscdk.Duration_Seconds(jsii.Number(2)),
		BackoffRate:    jsii.Number(2),
		MaxAttempts:    jsii.Number(4),
		JitterStrategy: sfn.JitterType_FULL,
	})
	return task
}

// InvalidInputError is the error an execution fails with when its input
// or its name cannot run the pipeline; the cause names the field and what
// is wrong with its value.
const InvalidInputError = "InvalidInput"

// tagRejectedChars are the characters Step Functions allows in execution
// names but SageMaker rejects in tag values. An execution name must not
// contain white space, < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : / or
// control characters (StartExecution, AWS Step Functions API Reference,
// https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html);
// a SageMaker tag value must match ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ (Tag,
// Amazon SageMaker API Reference,
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Tag.html).
// Of the printable ASCII characters, that leaves these four; the tests
// derive them from both services' API models.
var tagRejectedChars = []string{"!", "'", "(", ")"}

// checkExecutionName returns a Choice rule that matches an execution name
// ($.run, which Configure sets) that SageMaker would reject in the
// execution tag of every job (sagemakerjob.ExecutionTagKey), and the Pass
// state it leads to, which stores an InvalidInput error for next.
//
// The name is checked rather than left out of the tag: the tag is how a
// job, its logs and its costs are traced back to the execution, so it
// should carry the name as it is, and the States Language cannot replace
// characters. Rejected at once, before any job runs, the execution fails
// with the reason in its cause; unchecked, CreateProcessingJob would fail
// with a ValidationException, which the optimized integration reports as
// the retried SageMaker.AmazonSageMakerException, so only after every
// retry. Names outside printable ASCII that SageMaker rejects (symbols
// such as "€") still fail at the first job: wildcards cannot express
// Unicode classes.
func checkExecutionName(scope constructs.Construct, next sfn.IChainable) (sfn.Condition, sfn.IChainable) {
	conds := make([]sfn.Condition, len(tagRejectedChars))
	for i, c := range tagRejectedChars {
		conds[i] = sfn.Condition_StringMatches(jsii.String("$.run"), jsii.String("*"+c+"*"))
	}
	invalid := sfn.NewPass(scope, jsii.String("InvalidExecutionName"), &sfn.PassProps{
		Comment: jsii.String("The execution name would be the value of every job's " + sagemakerjob.ExecutionTagKey + " tag, which SageMaker rejects."),
		Parameters: &map[string]any{
			"Error": InvalidInputError,
			"Cause.$": "States.Format('The execution name {} has a character that SageMaker rejects in tag values: ! ( ) or an apostrophe; " +
				"valid: letters, digits and _ . = + - @. Start the execution again under another name.', $.run)",
		},
		ResultPath: jsii.String("$.error"),
	})
	invalid.Next(next)
	return sfn.Condition_Or(conds...), invalid
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

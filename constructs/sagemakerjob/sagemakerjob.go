// Package sagemakerjob defines Step Functions task states that run SageMaker
// processing and training jobs to completion (the ".sync" integrations
// createProcessingJob.sync and createTrainingJob.sync), with least-privilege
// IAM, job names that stay valid and unique across retries, tags that trace
// a job back to its execution, a timeout, and retries on SageMaker throttling
// and capacity errors.
//
// AWS CDK has no processing-job task (aws/aws-cdk#9537), and its training task
// has shipped with missing IAM actions, so the states here are built from
// awsstepfunctions.CustomState with the Amazon States Language written out,
// and tested against the synthesized definition and policy.
//
// # Why the constructors return the state itself
//
// NewProcessingJob and NewTrainingJob return awsstepfunctions.CustomState
// rather than an interface of this package wrapping it. A Go value that
// embeds a jsii object cannot be passed back into jsii: Next, Chain_Start,
// DefinitionBody_FromChainable and AddCatch would all panic on such a
// wrapper. Returning the jsii state keeps Next, AddRetry and AddCatch working
// as on any other state; everything else a wrapper could expose (the job name
// expression, the result paths) is documented here instead.
//
// # What the state does
//
// The state creates the job with the name described at JobName, waits for it
// to end, and fails with the job's failure when it fails. Its result is only
// the job's name and ARN (and, for training, the model artifact URI), written
// to ResultPath, so the large Describe output never counts against the 256 KB
// limit of an execution's state. It times out 10 minutes after the job's
// MaxRuntime (the allowance for provisioning instances and uploading outputs);
// on a timeout Step Functions stops the job. It uses the JSONPath query
// language, the state machine default.
//
// # Permissions
//
// Each constructor adds to StateMachineRole exactly what the .sync
// integration uses, and nothing on "*":
//   - sagemaker:Create/Describe/Stop<Kind>Job, sagemaker:AddTags and
//     sagemaker:ListTags on the jobs named "<JobNamePrefix>-*";
//   - iam:PassRole on Role, only when passed to sagemaker.amazonaws.com;
//   - events:PutTargets, events:PutRule and events:DescribeRule on the
//     managed rule through which Step Functions learns that a job ended.
//
// The KMS keys are used by SageMaker with Role, not by the state machine, so
// Role (or the key policy) must allow them; the state machine gets no KMS
// permission. Role's S3, ECR, CloudWatch Logs and VPC permissions are the
// caller's.
package sagemakerjob

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Input is one S3 prefix a job reads: a processing input or a training
// channel. Exactly one of S3Uri and S3UriPath is set.
type Input struct {
	// Name is the ProcessingInput.InputName, or the training ChannelName
	// (the job reads it from /opt/ml/input/data/<Name>).
	Name string
	// S3Uri is a fixed S3 URI, such as "s3://bucket/raw/"; it may be a token.
	S3Uri *string
	// S3UriPath is a JSONPath into the state input whose value is the S3
	// URI, such as "$.data.raw".
	S3UriPath string
	// LocalPath is where a processing job finds the input, under
	// /opt/ml/processing/. Processing jobs only.
	LocalPath string
	// Distribution is "FullyReplicated" (every instance gets every object)
	// or "ShardedByS3Key" (each instance gets 1/InstanceCount of the
	// objects). Default: FullyReplicated.
	Distribution string
	// ContentType is the MIME type of a training channel, such as
	// "text/csv". Training jobs only. Default: none.
	ContentType string
}

// Output is one S3 prefix a job writes. Exactly one of S3Uri and S3UriPath
// is set.
type Output struct {
	// Name is the ProcessingOutput.OutputName; a training job's output
	// has no name in the API, so there it only documents the output.
	Name string
	// S3Uri is a fixed S3 URI, such as "s3://bucket/curated/"; it may be a
	// token.
	S3Uri *string
	// S3UriPath is a JSONPath into the state input whose value is the S3
	// URI, such as "$.data.curated".
	S3UriPath string
	// LocalPath is the directory, under /opt/ml/processing/, whose files
	// the processing job uploads to the URI when it ends. Processing jobs
	// only.
	LocalPath string
}

// MetricDefinition makes SageMaker scrape a training metric from the job's
// logs.
type MetricDefinition struct {
	// Name is the metric's name, such as "validation:rmse".
	Name string
	// Regex finds the metric's value in a log line; its first group is the
	// value, such as "validation-rmse=([0-9.]+)".
	Regex string
}

// ExecutionTagKey is the tag every job gets, whose value is the name of the
// execution that created the job.
const ExecutionTagKey = "mlpipeline:execution"

// Defaults of the props.
const (
	defaultInstanceType  = "ml.m5.large"
	defaultInstanceCount = 1
	defaultVolumeSizeGB  = 30
	defaultMaxRuntime    = 3600 // seconds
	// provisioningAllowance is added to MaxRuntime for the state's
	// timeout: SageMaker's MaxRuntime counts from when the container
	// starts, not from when the job was created, and uploading outputs
	// after the container exits takes time too.
	provisioningAllowance = 600 // seconds
)

// Limits of the SageMaker API (CreateProcessingJob, CreateTrainingJob).
const (
	maxProcessingRuntime = 777600  // 9 days, ProcessingStoppingCondition
	maxTrainingRuntime   = 2419200 // 28 days, StoppingCondition; accounts default to a 5-day quota
	maxVolumeSizeGB      = 16384
	maxEnvironment       = 100
	maxSubnets           = 16
	maxSecurityGroups    = 5
	// maxTags leaves room for ExecutionTagKey in SageMaker's 50 tags.
	maxTags = 49
)

// retryErrors are the errors Step Functions reports when SageMaker throttles
// or is out of capacity as the job is created, named as the optimized
// SageMaker integration (createProcessingJob.sync, createTrainingJob.sync)
// names them: SageMaker.<Error>Exception. SageMaker.AmazonSageMakerException
// is that integration's name for SageMaker errors without a modelled
// exception, throttling ("Rate exceeded") among them, but also a bad request
// (ValidationException), which therefore fails only after the retries, at
// most 12.5 minutes later. SageMaker.ResourceLimitExceededException is an
// account quota (instances, concurrent jobs) in use, which frees up as other
// jobs end. Both are the names of the retry example of "Create and manage
// Amazon SageMaker AI jobs with Step Functions", AWS Step Functions Developer
// Guide, https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html.
// An unprefixed name such as ThrottlingException is not retried: no
// integration reports one ("Handling errors in Step Functions workflows",
// https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html:
// task errors other than the States.* ones carry their service's name).
// A failed job (States.TaskFailed) is not retried: it is a real failure.
var retryErrors = []string{
	"SageMaker.AmazonSageMakerException",
	"SageMaker.ResourceLimitExceededException",
}

// JobName returns the name of the job that a state with JobNamePrefix prefix
// creates in the execution named executionName, after redriveCount redrives
// of the execution and at retry retryCount of the state (both 0 at first):
// prefix, "-", and the MD5 hex digest of
// executionName + "/" + redriveCount + "/" + retryCount. The state computes
// the same value with the intrinsic
//
//	States.Format('<prefix>-{}', States.Hash(States.Format('{}/{}/{}', $$.Execution.Name, $$.Execution.RedriveCount, $$.State.RetryCount), 'MD5'))
//
// because SageMaker job names must match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$
// and be unique per account and region, while execution names may be 80
// characters long and contain '_' (and the States Language cannot cut or
// replace characters). The digest is 32 valid characters, so a prefix of at
// most 30 keeps the name within 63. The retry and redrive counts give every
// attempt a fresh name: creating a job again under the same name fails, and
// a redriven execution starts its retry counts at 0 again.
func JobName(prefix, executionName string, redriveCount, retryCount int) string {
	sum := md5.Sum([]byte(executionName + "/" + strconv.Itoa(redriveCount) + "/" + strconv.Itoa(retryCount)))
	return prefix + "-" + hex.EncodeToString(sum[:])
}

// jobNameExpression is the intrinsic that JobName mirrors.
func jobNameExpression(prefix string) string {
	return fmt.Sprintf("States.Format('%s-{}', States.Hash(States.Format('{}/{}/{}', $$.Execution.Name, $$.Execution.RedriveCount, $$.State.RetryCount), 'MD5'))", prefix)
}

// job is what NewProcessingJob and NewTrainingJob share once their props are
// valid.
type job struct {
	kind             string // "Processing" or "Training", as in the API's names
	prefix           string
	stateMachineRole awsiam.IRole
	role             awsiam.IRole
	runtime          float64 // MaxRuntimeInSeconds
	resultPath       string
	comment          string
	noDefaultRetry   bool
	parameters       map[string]any // without the job name, role and tags
	tags             map[string]string
	resultSelector   map[string]any
}

// newState defines the task state of j, its default retry and its IAM
// statements.
func newState(scope constructs.Construct, id string, j job) awsstepfunctions.CustomState {
	resultPath, err := defaultResultPath(id, j.resultPath)
	if err != nil {
		panic(fmt.Errorf("sagemakerjob: %s: %w", id, err))
	}
	stack := awscdk.Stack_Of(scope)
	params := map[string]any{
		j.kind + "JobName.$": jobNameExpression(j.prefix),
		"RoleArn":            *j.role.RoleArn(),
		"Tags":               renderTags(j.tags),
	}
	for k, v := range j.parameters {
		params[k] = v
	}
	stateJSON := map[string]any{
		"Type":           "Task",
		"Resource":       fmt.Sprintf("arn:%s:states:::sagemaker:create%sJob.sync", *stack.Partition(), j.kind),
		"Parameters":     params,
		"ResultSelector": j.resultSelector,
		"ResultPath":     resultPath,
		"TimeoutSeconds": int(j.runtime) + provisioningAllowance,
	}
	if j.comment != "" {
		stateJSON["Comment"] = j.comment
	}
	state := awsstepfunctions.NewCustomState(scope, jsii.String(id), &awsstepfunctions.CustomStateProps{StateJson: &stateJSON})
	if !j.noDefaultRetry {
		state.AddRetry(&awsstepfunctions.RetryProps{
			Errors:         jsii.Strings(retryErrors...),
			Interval:       awscdk.Duration_Seconds(jsii.Number(30)),
			BackoffRate:    jsii.Number(2),
			MaxAttempts:    jsii.Number(5),
			MaxDelay:       awscdk.Duration_Minutes(jsii.Number(5)),
			JitterStrategy: awsstepfunctions.JitterType_FULL,
		})
	}
	grant(stack, j)
	return state
}

// grant adds to the state machine role what the .sync integration of j
// calls, scoped to j's jobs and role.
func grant(stack awscdk.Stack, j job) {
	// Job names are always "<prefix>-<digest>", so "<prefix>-*" does not
	// reach the jobs of a longer prefix ("train" vs "trainer"). SageMaker
	// lowercases names in ARNs; prefixes and digests are lowercase already.
	jobs := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("sagemaker"),
		Resource:     jsii.String(strings.ToLower(j.kind) + "-job"),
		ResourceName: jsii.String(j.prefix + "-*"),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
	// Step Functions learns that a job ended from an EventBridge rule it
	// manages in the account; it creates the rule on first use.
	rule := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("events"),
		Resource:     jsii.String("rule"),
		ResourceName: jsii.String("StepFunctionsGetEventsForSageMaker" + j.kind + "JobsRule"),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			// Create and wait; Stop when the state times out or the
			// execution is stopped; AddTags for the tags given on create.
			// The policy Step Functions generates for this integration
			// has AddTags and ListTags on "*"; the jobs are enough.
			Actions: jsii.Strings(
				"sagemaker:Create"+j.kind+"Job",
				"sagemaker:Describe"+j.kind+"Job",
				"sagemaker:Stop"+j.kind+"Job",
				"sagemaker:AddTags",
				"sagemaker:ListTags",
			),
			Resources: &[]*string{jobs},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			// The job runs as the SageMaker role: the state machine
			// hands it over, to SageMaker and nothing else.
			Actions:   jsii.Strings("iam:PassRole"),
			Resources: &[]*string{j.role.RoleArn()},
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"iam:PassedToService": "sagemaker.amazonaws.com"},
			},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("events:PutTargets", "events:PutRule", "events:DescribeRule"),
			Resources: &[]*string{rule},
		}),
	}
	for _, s := range statements {
		j.stateMachineRole.AddToPrincipalPolicy(s)
	}
}

// defaultResultPath returns resultPath, or "$.jobs.<id>" when it is empty.
func defaultResultPath(id, resultPath string) (string, error) {
	if resultPath != "" {
		return resultPath, nil
	}
	if !fieldNameRe.MatchString(id) {
		return "", fmt.Errorf("invalid ResultPath \"\" with state id %q, which is not a JSONPath field name; valid: a ResultPath, or an id of letters, digits and '_'", id)
	}
	return "$.jobs." + id, nil
}

// renderTags returns tags as SageMaker Tags, sorted by key, followed by the
// execution tag.
func renderTags(tags map[string]string) []any {
	out := make([]any, 0, len(tags)+1)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, map[string]any{"Key": k, "Value": tags[k]})
	}
	return append(out, map[string]any{"Key": ExecutionTagKey, "Value.$": "$$.Execution.Name"})
}

// renderResources returns a ProcessingResources.ClusterConfig or a training
// ResourceConfig.
func renderResources(instanceType string, count, volumeGB int, key awskms.IKey) map[string]any {
	if instanceType == "" {
		instanceType = defaultInstanceType
	}
	if count == 0 {
		count = defaultInstanceCount
	}
	if volumeGB == 0 {
		volumeGB = defaultVolumeSizeGB
	}
	out := map[string]any{"InstanceType": instanceType, "InstanceCount": count, "VolumeSizeInGB": volumeGB}
	if key != nil {
		out["VolumeKmsKeyId"] = *key.KeyArn()
	}
	return out
}

// renderVpc returns a VpcConfig, or nil without subnets.
func renderVpc(subnets, securityGroups []string) map[string]any {
	if len(subnets) == 0 {
		return nil
	}
	return map[string]any{"Subnets": strs(subnets), "SecurityGroupIds": strs(securityGroups)}
}

// setURI sets key to uri, or key+".$" to path when path is set.
func setURI(m map[string]any, key string, uri *string, path string) {
	if path != "" {
		m[key+".$"] = path
		return
	}
	m[key] = *uri
}

func distribution(d string) string {
	if d == "" {
		return "FullyReplicated"
	}
	return d
}

func strs(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Validation shared by both job kinds. Messages read "invalid <prop>
// <value>; valid: <what is>"; NewProcessingJob and NewTrainingJob prefix
// them with the package and the state id.

var (
	prefixRe    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,29}$`)
	envKeyRe    = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	fieldNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// common holds the props both job kinds share, for validation.
type common struct {
	prefix           string
	stateMachineRole awsiam.IRole
	role             awsiam.IRole
	image            *string
	instanceType     string
	instanceCount    int
	maxInstanceCount int
	volumeSizeGB     int
	maxRuntime       awscdk.Duration
	maxRuntimeLimit  float64
	environment      map[string]string
	tags             map[string]string
	subnetIds        []string
	securityGroupIds []string
	resultPath       string
}

func (c common) validate() error {
	switch {
	case !prefixRe.MatchString(c.prefix):
		// Lowercase because SageMaker lowercases names in job ARNs and
		// the IAM statements match ARNs case-sensitively.
		return fmt.Errorf("invalid JobNamePrefix %q; valid: 1 to 30 lowercase letters, digits and hyphens, starting with a letter", c.prefix)
	case c.stateMachineRole == nil:
		return errors.New("invalid StateMachineRole nil; valid: the role the state machine runs as")
	case c.role == nil:
		return errors.New("invalid Role nil; valid: the SageMaker execution role the job runs as")
	case c.image == nil || *c.image == "":
		return errors.New("invalid ImageUri \"\"; valid: the URI of the job's container image")
	case c.instanceType != "" && !strings.HasPrefix(c.instanceType, "ml.") && !unresolved(c.instanceType):
		return fmt.Errorf("invalid InstanceType %q; valid: an ML instance type such as %q", c.instanceType, defaultInstanceType)
	case c.instanceCount < 0 || c.instanceCount > c.maxInstanceCount:
		return fmt.Errorf("invalid InstanceCount %d; valid: 0 for the default of %d, or 1 to %d", c.instanceCount, defaultInstanceCount, c.maxInstanceCount)
	case c.volumeSizeGB < 0 || c.volumeSizeGB > maxVolumeSizeGB:
		return fmt.Errorf("invalid VolumeSizeGB %d; valid: 0 for the default of %d, or 1 to %d", c.volumeSizeGB, defaultVolumeSizeGB, maxVolumeSizeGB)
	case len(c.environment) > maxEnvironment:
		return fmt.Errorf("invalid Environment of %d variables; valid: at most %d", len(c.environment), maxEnvironment)
	case len(c.tags) > maxTags:
		return fmt.Errorf("invalid Tags of %d tags; valid: at most %d, as the task adds %s", len(c.tags), maxTags, ExecutionTagKey)
	case (len(c.subnetIds) == 0) != (len(c.securityGroupIds) == 0) || len(c.subnetIds) > maxSubnets || len(c.securityGroupIds) > maxSecurityGroups:
		return fmt.Errorf("invalid SubnetIds and SecurityGroupIds of %d and %d entries; valid: both empty, or 1 to %d subnets and 1 to %d security groups",
			len(c.subnetIds), len(c.securityGroupIds), maxSubnets, maxSecurityGroups)
	case c.resultPath != "" && !strings.HasPrefix(c.resultPath, "$"):
		return fmt.Errorf("invalid ResultPath %q; valid: empty for $.jobs.<state id>, or a JSONPath starting with \"$\"", c.resultPath)
	}
	if _, err := runtimeSeconds(c.maxRuntime, c.maxRuntimeLimit); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(c.environment)) {
		if !envKeyRe.MatchString(k) {
			return fmt.Errorf("invalid Environment variable %q; valid: letters, digits and '_', not starting with a digit", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.tags)) {
		if k == "" || len(k) > 128 || strings.HasPrefix(k, "aws:") || k == ExecutionTagKey {
			return fmt.Errorf("invalid Tags key %q; valid: 1 to 128 characters, not starting with \"aws:\", other than %s", k, ExecutionTagKey)
		}
	}
	return nil
}

// runtimeSeconds returns d in whole seconds, or the default of 1 hour when
// d is nil.
func runtimeSeconds(d awscdk.Duration, limit float64) (float64, error) {
	if d == nil {
		return defaultMaxRuntime, nil
	}
	if *d.IsUnresolved() {
		// The state's TimeoutSeconds is computed from it at synth time.
		return 0, errors.New("invalid MaxRuntime token; valid: a literal duration")
	}
	s := *d.ToSeconds(&awscdk.TimeConversionOptions{Integral: jsii.Bool(false)})
	if s < 1 || s > limit || s != math.Trunc(s) {
		return 0, fmt.Errorf("invalid MaxRuntime %ss; valid: nil for the default of 1 hour, or whole seconds from 1 to %ss (%s days)",
			strconv.FormatFloat(s, 'f', -1, 64), strconv.FormatFloat(limit, 'f', -1, 64), strconv.FormatFloat(limit/86400, 'f', -1, 64))
	}
	return s, nil
}

// checkInputs checks what every input of either kind needs: a unique name
// matching nameRe, exactly one location, and a known distribution.
func checkInputs(inputs []Input, nameRe *regexp.Regexp, names string) error {
	seen := map[string]bool{}
	for i, in := range inputs {
		field := fmt.Sprintf("Inputs[%d]", i)
		if !nameRe.MatchString(in.Name) || seen[in.Name] {
			return fmt.Errorf("invalid %s.Name %q; valid: %s, unique among Inputs", field, in.Name, names)
		}
		seen[in.Name] = true
		if err := checkLocation(field, in.S3Uri, in.S3UriPath); err != nil {
			return err
		}
		switch in.Distribution {
		case "", "FullyReplicated", "ShardedByS3Key":
		default:
			return fmt.Errorf("invalid %s.Distribution %q; valid: FullyReplicated (the default) or ShardedByS3Key", field, in.Distribution)
		}
	}
	return nil
}

// checkLocation checks that exactly one of uri and path is set, and that it
// looks like an S3 URI or a JSONPath.
func checkLocation(field string, uri *string, path string) error {
	switch {
	case uri == nil && path == "":
		return fmt.Errorf("invalid %s without S3Uri or S3UriPath; valid: exactly one of them", field)
	case uri != nil && path != "":
		return fmt.Errorf("invalid %s with both S3Uri and S3UriPath; valid: exactly one of them", field)
	case uri != nil && !strings.HasPrefix(*uri, "s3://") && !unresolved(*uri):
		return fmt.Errorf("invalid %s.S3Uri %q; valid: an s3:// URI", field, *uri)
	}
	return checkPath(field+".S3UriPath", path)
}

// checkPath checks an optional JSONPath prop.
func checkPath(field, path string) error {
	if path != "" && !strings.HasPrefix(path, "$") {
		return fmt.Errorf("invalid %s %q; valid: a JSONPath starting with \"$\", such as \"$.data.raw\"", field, path)
	}
	return nil
}

// unresolved reports whether s is a token, resolved only at deploy time.
// Only strings holding a token's marker cross into jsii to ask.
func unresolved(s string) bool {
	return strings.Contains(s, "${Token[") && *awscdk.Token_IsUnresolved(s)
}

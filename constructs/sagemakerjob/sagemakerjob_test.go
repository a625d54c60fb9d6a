package sagemakerjob

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/mlpipeline-go/mlpipeline/internal/iamtest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Literal ARNs of brought resources, so that the rendered definitions and
// policies hold no hashed logical IDs.
const (
	jobRoleArn   = "arn:aws:iam::123456789012:role/sagemaker-job"
	volumeKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
	outputKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
)

// The templates under test, built once in one app: jsii costs seconds per app.
var (
	pipelineTemplate   assertions.Template // Preprocess -> Train, with a catch
	processingTemplate assertions.Template // one processing job on its own role
	trainingTemplate   assertions.Template // one training job on its own role
)

func TestMain(m *testing.M) {
	app := awscdk.NewApp(nil)

	// Every stack is defined before the first template is taken: taking one
	// synthesizes the app, after which the tree may not change.
	pipeline := awscdk.NewStack(app, jsii.String("Pipeline"), nil)
	role, jobRole, volumeKey, outputKey := testResources(pipeline)
	// The image URI holds a token, as an ECR asset's does.
	image := *awscdk.Aws_ACCOUNT_ID() + ".dkr.ecr.eu-west-1.amazonaws.com/mlpipeline:jobs"
	preprocess := NewProcessingJob(pipeline, "Preprocess", &ProcessingJobProps{
		JobNamePrefix:    "preprocess",
		StateMachineRole: role,
		Role:             jobRole,
		ImageUri:         &image,
		Entrypoint:       []string{"/usr/local/bin/preprocess"},
		Arguments:        []string{"--seed", "42"},
		Inputs: []Input{{
			Name: "raw", S3UriPath: "$.data.raw", LocalPath: "/opt/ml/processing/input/raw", Distribution: "ShardedByS3Key",
		}},
		Outputs: []Output{{
			Name: "curated", S3Uri: jsii.String("s3://team-data/curated/"), LocalPath: "/opt/ml/processing/output/curated",
		}},
		InstanceType:                    "ml.m5.xlarge",
		InstanceCount:                   2,
		VolumeSizeGB:                    50,
		MaxRuntime:                      awscdk.Duration_Hours(jsii.Number(2)),
		Environment:                     map[string]string{"LOG_LEVEL": "info"},
		Tags:                            map[string]string{"team": "ml", "cost-center": "42"},
		NetworkIsolation:                true,
		SubnetIds:                       []string{"subnet-1", "subnet-2"},
		SecurityGroupIds:                []string{"sg-1"},
		InterContainerTrafficEncryption: true,
		VolumeKmsKey:                    volumeKey,
		OutputKmsKey:                    outputKey,
		Comment:                         "Split and preprocess the raw data.",
	})
	train := NewTrainingJob(pipeline, "Train", &TrainingJobProps{
		JobNamePrefix:    "train",
		StateMachineRole: role,
		Role:             jobRole,
		ImageUri:         &image,
		Entrypoint:       []string{"/usr/local/bin/train"},
		Hyperparameters:  map[string]string{"max_depth": "6", "eta": "0.3"},
		Inputs: []Input{
			{Name: "train", S3UriPath: "$.data.train", ContentType: "text/csv"},
			{Name: "validation", S3Uri: jsii.String("s3://team-data/curated/validation/")},
		},
		Output:            Output{Name: "model", S3UriPath: "$.artifacts.models"},
		MetricDefinitions: []MetricDefinition{{Name: "validation:rmse", Regex: `validation-rmse=([0-9.]+)`}},
		OutputKmsKey:      outputKey,
	})
	failed := awsstepfunctions.NewFail(pipeline, jsii.String("Failed"), nil)
	preprocess.AddCatch(failed, &awsstepfunctions.CatchProps{ResultPath: jsii.String("$.error")})
	newStateMachine(pipeline, role, preprocess.Next(train))

	processing := awscdk.NewStack(app, jsii.String("Processing"), nil)
	role, jobRole, volumeKey, outputKey = testResources(processing)
	newStateMachine(processing, role, NewProcessingJob(processing, "Evaluate", &ProcessingJobProps{
		JobNamePrefix:    "evaluate",
		StateMachineRole: role,
		Role:             jobRole,
		ImageUri:         jsii.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlpipeline:jobs"),
		Entrypoint:       []string{"/usr/local/bin/evaluate"},
		Outputs:          []Output{{Name: "report", S3UriPath: "$.artifacts.evaluation", LocalPath: "/opt/ml/processing/evaluation"}},
		VolumeKmsKey:     volumeKey,
		OutputKmsKey:     outputKey,
	}))

	training := awscdk.NewStack(app, jsii.String("Training"), nil)
	role, jobRole, volumeKey, outputKey = testResources(training)
	newStateMachine(training, role, NewTrainingJob(training, "Train", &TrainingJobProps{
		JobNamePrefix:    "train",
		StateMachineRole: role,
		Role:             jobRole,
		ImageUri:         jsii.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlpipeline:jobs"),
		Output:           Output{S3Uri: jsii.String("s3://team-artifacts/models/")},
		VolumeKmsKey:     volumeKey,
		OutputKmsKey:     outputKey,
	}))

	pipelineTemplate = assertions.Template_FromStack(pipeline, nil)
	processingTemplate = assertions.Template_FromStack(processing, nil)
	trainingTemplate = assertions.Template_FromStack(training, nil)

	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// testResources defines a state machine role and brings the SageMaker role
// and the two keys.
func testResources(scope constructs.Construct) (awsiam.IRole, awsiam.IRole, awskms.IKey, awskms.IKey) {
	role := awsiam.NewRole(scope, jsii.String("StateMachineRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil),
	})
	jobRole := awsiam.Role_FromRoleArn(scope, jsii.String("JobRole"), jsii.String(jobRoleArn), &awsiam.FromRoleArnOptions{Mutable: jsii.Bool(false)})
	volumeKey := awskms.Key_FromKeyArn(scope, jsii.String("VolumeKey"), jsii.String(volumeKeyArn))
	outputKey := awskms.Key_FromKeyArn(scope, jsii.String("OutputKey"), jsii.String(outputKeyArn))
	return role, jobRole, volumeKey, outputKey
}

func newStateMachine(scope constructs.Construct, role awsiam.IRole, definition awsstepfunctions.IChainable) {
	awsstepfunctions.NewStateMachine(scope, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		DefinitionBody: awsstepfunctions.DefinitionBody_FromChainable(definition),
		Role:           role,
	})
}

// states returns the states of the one state machine in template, its
// definition's tokens replaced by placeholders: {"Ref": "X"} by "${X}" and
// {"Fn::GetAtt": ["X", "Arn"]} by "${X.Arn}".
func states(t *testing.T, template assertions.Template) map[string]any {
	t.Helper()
	machines := *template.FindResources(jsii.String("AWS::StepFunctions::StateMachine"), nil)
	require.Len(t, machines, 1, "state machines in the template")
	var definition map[string]any
	for _, m := range machines {
		text := resolve(t, (*m)["Properties"].(map[string]any)["DefinitionString"])
		require.NoError(t, json.Unmarshal([]byte(text), &definition), "definition %s", text)
	}
	return definition["States"].(map[string]any)
}

func resolve(t *testing.T, v any) string {
	t.Helper()
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if ref, ok := v["Ref"]; ok {
			return fmt.Sprintf("${%s}", ref)
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok {
			return fmt.Sprintf("${%s.%s}", att[0], att[1])
		}
		if join, ok := v["Fn::Join"].([]any); ok {
			var parts []string
			for _, p := range join[1].([]any) {
				parts = append(parts, resolve(t, p))
			}
			return strings.Join(parts, join[0].(string))
		}
	}
	require.Failf(t, "unexpected intrinsic", "%v", v)
	return ""
}

// jsonOf parses a JSON literal of a test.
func jsonOf(t *testing.T, text string) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(text), &v), "test JSON %s", text)
	return v
}

// defaultRetry is the Retry every job state gets unless NoDefaultRetry.
const defaultRetry = `[{
	"ErrorEquals": ["SageMaker.AmazonSageMakerException", "SageMaker.ResourceLimitExceededException"],
	"IntervalSeconds": 30, "MaxAttempts": 5, "BackoffRate": 2, "MaxDelaySeconds": 300, "JitterStrategy": "FULL"
}]`

func TestProcessingState(t *testing.T) {
	want := jsonOf(t, `{
		"Type": "Task",
		"Comment": "Split and preprocess the raw data.",
		"Resource": "arn:${AWS::Partition}:states:::sagemaker:createProcessingJob.sync",
		"Parameters": {
			"ProcessingJobName.$": "States.Format('preprocess-{}', States.Hash(States.Format('{}/{}/{}', $$.Execution.Name, $$.Execution.RedriveCount, $$.State.RetryCount), 'MD5'))",
			"RoleArn": "`+jobRoleArn+`",
			"AppSpecification": {
				"ImageUri": "${AWS::AccountId}.dkr.ecr.eu-west-1.amazonaws.com/mlpipeline:jobs",
				"ContainerEntrypoint": ["/usr/local/bin/preprocess"],
				"ContainerArguments": ["--seed", "42"]
			},
			"ProcessingInputs": [{
				"InputName": "raw",
				"S3Input": {
					"S3Uri.$": "$.data.raw",
					"LocalPath": "/opt/ml/processing/input/raw",
					"S3DataType": "S3Prefix",
					"S3InputMode": "File",
					"S3DataDistributionType": "ShardedByS3Key"
				}
			}],
			"ProcessingOutputConfig": {
				"Outputs": [{
					"OutputName": "curated",
					"S3Output": {"S3Uri": "s3://team-data/curated/", "LocalPath": "/opt/ml/processing/output/curated", "S3UploadMode": "EndOfJob"}
				}],
				"KmsKeyId": "`+outputKeyArn+`"
			},
			"ProcessingResources": {"ClusterConfig": {
				"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 50, "VolumeKmsKeyId": "`+volumeKeyArn+`"
			}},
			"StoppingCondition": {"MaxRuntimeInSeconds": 7200},
			"NetworkConfig": {
				"EnableNetworkIsolation": true,
				"EnableInterContainerTrafficEncryption": true,
				"VpcConfig": {"Subnets": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]}
			},
			"Environment": {"LOG_LEVEL": "info"},
			"Tags": [
				{"Key": "cost-center", "Value": "42"},
				{"Key": "team", "Value": "ml"},
				{"Key": "mlpipeline:execution", "Value.$": "$$.Execution.Name"}
			]
		},
		"ResultSelector": {"ProcessingJobName.$": "$.ProcessingJobName", "ProcessingJobArn.$": "$.ProcessingJobArn"},
		"ResultPath": "$.jobs.Preprocess",
		"TimeoutSeconds": 7800,
		"Next": "Train",
		"Retry": `+defaultRetry+`,
		"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}]
	}`)
	assert.Equal(t, want, states(t, pipelineTemplate)["Preprocess"], "state Preprocess")
}

func TestTrainingState(t *testing.T) {
	want := jsonOf(t, `{
		"Type": "Task",
		"Resource": "arn:${AWS::Partition}:states:::sagemaker:createTrainingJob.sync",
		"Parameters": {
			"TrainingJobName.$": "States.Format('train-{}', States.Hash(States.Format('{}/{}/{}', $$.Execution.Name, $$.Execution.RedriveCount, $$.State.RetryCount), 'MD5'))",
			"RoleArn": "`+jobRoleArn+`",
			"AlgorithmSpecification": {
				"TrainingImage": "${AWS::AccountId}.dkr.ecr.eu-west-1.amazonaws.com/mlpipeline:jobs",
				"TrainingInputMode": "File",
				"ContainerEntrypoint": ["/usr/local/bin/train"],
				"MetricDefinitions": [{"Name": "validation:rmse", "Regex": "validation-rmse=([0-9.]+)"}]
			},
			"HyperParameters": {"eta": "0.3", "max_depth": "6"},
			"InputDataConfig": [
				{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {
					"S3DataType": "S3Prefix", "S3Uri.$": "$.data.train", "S3DataDistributionType": "FullyReplicated"
				}}},
				{"ChannelName": "validation", "DataSource": {"S3DataSource": {
					"S3DataType": "S3Prefix", "S3Uri": "s3://team-data/curated/validation/", "S3DataDistributionType": "FullyReplicated"
				}}}
			],
			"OutputDataConfig": {"S3OutputPath.$": "$.artifacts.models", "KmsKeyId": "`+outputKeyArn+`"},
			"ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
			"StoppingCondition": {"MaxRuntimeInSeconds": 3600},
			"EnableNetworkIsolation": false,
			"EnableInterContainerTrafficEncryption": false,
			"Tags": [{"Key": "mlpipeline:execution", "Value.$": "$$.Execution.Name"}]
		},
		"ResultSelector": {
			"TrainingJobName.$": "$.TrainingJobName",
			"TrainingJobArn.$": "$.TrainingJobArn",
			"ModelArtifacts.$": "$.ModelArtifacts.S3ModelArtifacts"
		},
		"ResultPath": "$.jobs.Train",
		"TimeoutSeconds": 4200,
		"End": true,
		"Retry": `+defaultRetry+`
	}`)
	assert.Equal(t, want, states(t, pipelineTemplate)["Train"], "state Train")
}

// arn is how the template spells an ARN in the stack's partition, region
// and account.
func arn(service, resource string) string {
	return `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":` + service + `:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":` + resource + `"]]}`
}

func TestPermissions(t *testing.T) {
	passRole := `Allow iam:PassRole on "` + jobRoleArn + `" if {"StringEquals":{"iam:PassedToService":"sagemaker.amazonaws.com"}}`
	tests := []struct {
		name     string
		template assertions.Template
		want     []string
	}{
		{"processing", processingTemplate, []string{
			"Allow events:DescribeRule on " + arn("events", "rule/StepFunctionsGetEventsForSageMakerProcessingJobsRule"),
			"Allow events:PutRule on " + arn("events", "rule/StepFunctionsGetEventsForSageMakerProcessingJobsRule"),
			"Allow events:PutTargets on " + arn("events", "rule/StepFunctionsGetEventsForSageMakerProcessingJobsRule"),
			passRole,
			"Allow sagemaker:AddTags on " + arn("sagemaker", "processing-job/evaluate-*"),
			"Allow sagemaker:CreateProcessingJob on " + arn("sagemaker", "processing-job/evaluate-*"),
			"Allow sagemaker:DescribeProcessingJob on " + arn("sagemaker", "processing-job/evaluate-*"),
			"Allow sagemaker:ListTags on " + arn("sagemaker", "processing-job/evaluate-*"),
			"Allow sagemaker:StopProcessingJob on " + arn("sagemaker", "processing-job/evaluate-*"),
		}},
		{"training", trainingTemplate, []string{
			"Allow events:DescribeRule on " + arn("events", "rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule"),
			"Allow events:PutRule on " + arn("events", "rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule"),
			"Allow events:PutTargets on " + arn("events", "rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule"),
			passRole,
			"Allow sagemaker:AddTags on " + arn("sagemaker", "training-job/train-*"),
			"Allow sagemaker:CreateTrainingJob on " + arn("sagemaker", "training-job/train-*"),
			"Allow sagemaker:DescribeTrainingJob on " + arn("sagemaker", "training-job/train-*"),
			"Allow sagemaker:ListTags on " + arn("sagemaker", "training-job/train-*"),
			"Allow sagemaker:StopTrainingJob on " + arn("sagemaker", "training-job/train-*"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := iamtest.Permissions(t, tt.template, "")
			// The exact list, with KMS keys set: no more, no fewer, and no
			// KMS permission for the state machine.
			assert.Equal(t, tt.want, got, "permissions of the state machine role")
			for _, line := range got {
				assert.NotContains(t, line, ` on "*"`, "permission on every resource")
				assert.NotContains(t, line, "Allow * ", "every action allowed")
			}
		})
	}
}

func TestJobName(t *testing.T) {
	// md5("exec-1/0/2") from md5sum.
	assert.Equal(t, "train-22efb5091e7c3f0387b9dbbea925e69e", JobName("train", "exec-1", 0, 2), `JobName("train", "exec-1", 0, 2)`)

	// The longest prefix and execution name, with characters SageMaker
	// rejects, still give a valid name.
	sageMakerName := regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	prefix := "a23456789-123456789-1234567890"
	execution := "nightly_retrain_2026_01_01T03_00_00_" + strings.Repeat("x", 44)
	require.Len(t, prefix, 30)
	require.Len(t, execution, 80)
	for retry := 0; retry < 3; retry++ {
		name := JobName(prefix, execution, 0, retry)
		assert.Regexp(t, sageMakerName, name, "JobName(%q, %q, %d)", prefix, execution, retry)
		assert.LessOrEqual(t, len(name), 63, "len(JobName(%q, %q, %d))", prefix, execution, retry)
	}
	assert.NotEqual(t, JobName(prefix, execution, 0, 0), JobName(prefix, execution, 0, 1), "a retry gets a fresh name")
	assert.NotEqual(t, JobName(prefix, execution, 0, 0), JobName(prefix, execution, 1, 0), "a redrive gets a fresh name")
}

// TestJobNameMatchesIntrinsic evaluates the synthesized job name expressions
// and compares them with JobName, so that a local run names jobs as Step
// Functions does.
func TestJobNameMatchesIntrinsic(t *testing.T) {
	st := states(t, pipelineTemplate)
	context := map[string]any{"$$.Execution.Name": "nightly_retrain_2026-01-01", "$$.Execution.RedriveCount": 1, "$$.State.RetryCount": 3}
	for state, want := range map[string]string{
		"Preprocess": JobName("preprocess", "nightly_retrain_2026-01-01", 1, 3),
		"Train":      JobName("train", "nightly_retrain_2026-01-01", 1, 3),
	} {
		params := st[state].(map[string]any)["Parameters"].(map[string]any)
		var expr string
		for k, v := range params {
			if strings.HasSuffix(k, "JobName.$") {
				expr = v.(string)
			}
		}
		require.NotEmpty(t, expr, "job name expression of %s", state)
		got, rest := evalIntrinsic(t, expr, context)
		require.Empty(t, rest, "unparsed rest of %s", expr)
		assert.Equal(t, want, got, "eval(%s)", expr)
	}
}

// evalIntrinsic evaluates the subset of the intrinsic functions that the
// job names use: States.Format, States.Hash with MD5, string literals and
// context paths. It returns the value and the unparsed rest of s.
func evalIntrinsic(t *testing.T, s string, context map[string]any) (string, string) {
	t.Helper()
	s = strings.TrimLeft(s, " ")
	switch {
	case strings.HasPrefix(s, "'"):
		end := strings.Index(s[1:], "'")
		require.GreaterOrEqual(t, end, 0, "unterminated literal in %s", s)
		return s[1 : end+1], s[end+2:]
	case strings.HasPrefix(s, "$$."):
		end := strings.IndexAny(s, ",)")
		require.GreaterOrEqual(t, end, 0, "unterminated path in %s", s)
		v, ok := context[s[:end]]
		require.True(t, ok, "unknown path %s", s[:end])
		return fmt.Sprint(v), s[end:]
	}
	open := strings.Index(s, "(")
	require.Greater(t, open, 0, "not a function call: %s", s)
	name, rest := s[:open], s[open+1:]
	var args []string
	for {
		var arg string
		arg, rest = evalIntrinsic(t, rest, context)
		args = append(args, arg)
		rest = strings.TrimLeft(rest, " ")
		require.NotEmpty(t, rest, "unterminated call of %s", name)
		if rest[0] == ')' {
			rest = rest[1:]
			break
		}
		require.Equal(t, byte(','), rest[0], "argument separator in %s", rest)
		rest = rest[1:]
	}
	switch name {
	case "States.Format":
		out := args[0]
		for _, a := range args[1:] {
			require.Contains(t, out, "{}", "more arguments than {} in %s", args[0])
			out = strings.Replace(out, "{}", a, 1)
		}
		require.NotContains(t, out, "{}", "fewer arguments than {} in %s", args[0])
		return out, rest
	case "States.Hash":
		require.Equal(t, []string{args[0], "MD5"}, args, "States.Hash arguments")
		sum := md5.Sum([]byte(args[0]))
		return hex.EncodeToString(sum[:]), rest
	}
	require.Failf(t, "unsupported intrinsic", "%s", name)
	return "", ""
}

func TestDefaultResultPath(t *testing.T) {
	tests := []struct {
		id, resultPath, want, wantErr string
	}{
		{"Preprocess", "", "$.jobs.Preprocess", ""},
		{"Pre process", "$.pre", "$.pre", ""},
		{"Pre-process", "", "", `invalid ResultPath "" with state id "Pre-process", which is not a JSONPath field name; valid: a ResultPath, or an id of letters, digits and '_'`},
	}
	for _, tt := range tests {
		got, err := defaultResultPath(tt.id, tt.resultPath)
		if tt.wantErr != "" {
			assert.EqualError(t, err, tt.wantErr, "defaultResultPath(%q, %q)", tt.id, tt.resultPath)
			continue
		}
		assert.NoError(t, err, "defaultResultPath(%q, %q)", tt.id, tt.resultPath)
		assert.Equal(t, tt.want, got, "defaultResultPath(%q, %q)", tt.id, tt.resultPath)
	}
}

func TestConstructorsPanicWithStateID(t *testing.T) {
	want := `sagemakerjob: Preprocess: invalid JobNamePrefix ""; valid: 1 to 30 lowercase letters, digits and hyphens, starting with a letter`
	// Validation comes first, so no scope is needed to see it fail.
	assert.PanicsWithError(t, want, func() { NewProcessingJob(nil, "Preprocess", nil) }, "NewProcessingJob(nil props)")
	assert.PanicsWithError(t, strings.Replace(want, "Preprocess", "Train", 1), func() { NewTrainingJob(nil, "Train", &TrainingJobProps{}) }, "NewTrainingJob(zero props)")
}

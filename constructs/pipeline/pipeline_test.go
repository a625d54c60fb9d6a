package pipeline

import (
	"encoding/json"
	"fmt"
	"github.com/mlpipeline-go/mlpipeline/internal/iamtest"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/constructs/images"
	"github.com/mlpipeline-go/mlpipeline/constructs/storage"
)

// template is one stack with both pipelines and the schedules, built once:
// jsii costs seconds per app.
var (
	template assertions.Template
	// secureTemplate has both pipelines with JobSecurity set.
	secureTemplate assertions.Template
	stackName      = "Pipelines"
)

func TestMain(m *testing.M) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String(stackName), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
	})
	key := awskms.Key_FromKeyArn(stack, jsii.String("Key"), jsii.String("arn:aws:kms:eu-west-1:123456789012:key/k"))
	store := storage.NewStorage(stack, "Storage", &storage.StorageProps{
		EncryptionKey:  key,
		DataBucket:     awss3.Bucket_FromBucketName(stack, jsii.String("Data"), jsii.String("data")),
		ArtifactBucket: awss3.Bucket_FromBucketName(stack, jsii.String("Artifacts"), jsii.String("artifacts")),
	})
	image := images.NewJobImage(stack, "Image", &images.JobImageProps{ImageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jobs:1"})
	jobRole := awsiam.Role_FromRoleArn(stack, jsii.String("JobRole"), jsii.String("arn:aws:iam::123456789012:role/jobs"), nil)
	topicKey := awskms.NewKey(stack, jsii.String("TopicKey"), nil)
	obs := ObservabilityProps{Topic: NewTopic(stack, "Topic", topicKey), EncryptionKey: topicKey}
	training := NewTrainingPipeline(stack, "Training", &TrainingPipelineProps{
		ObservabilityProps: obs, Name: "mlp-test", Storage: store, Image: image, JobRole: jobRole,
		GateMetric: "binary_classification_metrics.auc", GateThreshold: 0.8, GateHigherIsBetter: true, ManualApproval: true,
	})
	inference := NewInferencePipeline(stack, "Inference", &InferencePipelineProps{
		ObservabilityProps: obs, Name: "mlp-test", Storage: store, Image: image, JobRole: jobRole,
		ModelPackageGroupName: training.ModelPackageGroupName(),
		Infer:                 JobResources{InstanceCount: 4},
	})
	NewSchedules(stack, "Schedules", &SchedulesProps{
		Training: training.StateMachine(), Inference: inference.StateMachine(),
		InferenceSchedule: "rate(1 day)",
	})

	// Secure: both pipelines with jobs in a VPC, isolated, with a volume key.
	secure := awscdk.NewStack(app, jsii.String("Secure"), nil)
	sstore := storage.NewStorage(secure, "Storage", nil)
	simage := images.NewJobImage(secure, "Image", &images.JobImageProps{ImageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jobs:1"})
	srole := awsiam.Role_FromRoleArn(secure, jsii.String("JobRole"), jsii.String("arn:aws:iam::123456789012:role/jobs"), nil)
	vpc := awsec2.Vpc_FromVpcAttributes(secure, jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId: jsii.String("vpc-0123456789abcdef0"), AvailabilityZones: jsii.Strings("eu-west-1a", "eu-west-1b"),
		IsolatedSubnetIds: jsii.Strings("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"),
	})
	security := JobSecurity{
		Subnets:          *vpc.IsolatedSubnets(),
		SecurityGroups:   []awsec2.ISecurityGroup{awsec2.SecurityGroup_FromSecurityGroupId(secure, jsii.String("Jobs"), jsii.String("sg-0123456789abcdef0"), nil)},
		NetworkIsolation: true,
		VolumeKmsKey:     sstore.Key(),
	}
	sobs := ObservabilityProps{EncryptionKey: sstore.Key()}
	straining := NewTrainingPipeline(secure, "Training", &TrainingPipelineProps{
		ObservabilityProps: sobs, Name: "mlp-secure", Storage: sstore, Image: simage, JobRole: srole,
		GateMetric: "regression_metrics.mse", GateThreshold: 5, Security: security,
		Train: JobResources{InstanceCount: 2},
	})
	NewInferencePipeline(secure, "Inference", &InferencePipelineProps{
		ObservabilityProps: sobs, Name: "mlp-secure", Storage: sstore, Image: simage, JobRole: srole,
		ModelPackageGroupName: straining.ModelPackageGroupName(), Security: security,
	})

	template = assertions.Template_FromStack(stack, nil)
	secureTemplate = assertions.Template_FromStack(secure, nil)
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// arn is how the template writes an ARN of this account and region.
func arn(service, resource string) string {
	return fmt.Sprintf(`{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":%s:eu-west-1:123456789012:%s"]]}`, service, resource)
}

// logsAndTracing are the statements CDK adds for execution logging and
// X-Ray; none of these actions supports resource-level permissions.
var logsAndTracing = []string{
	`Allow logs:CreateLogDelivery on "*"`, `Allow logs:DeleteLogDelivery on "*"`, `Allow logs:DescribeLogGroups on "*"`,
	`Allow logs:DescribeResourcePolicies on "*"`, `Allow logs:GetLogDelivery on "*"`, `Allow logs:ListLogDeliveries on "*"`,
	`Allow logs:PutResourcePolicy on "*"`, `Allow logs:UpdateLogDelivery on "*"`,
	`Allow xray:GetSamplingRules on "*"`, `Allow xray:GetSamplingTargets on "*"`, `Allow xray:PutTelemetryRecords on "*"`, `Allow xray:PutTraceSegments on "*"`,
}

// listModelPackages is the one grant on "*" besides logsAndTracing: a List
// call names no model package to authorize against.
const listModelPackages = `Allow sagemaker:ListModelPackages on "*"`

// jobStatements are what one SageMaker job task adds (see sagemakerjob).
func jobStatements(kind, Kind, prefix string) []string {
	job := arn("sagemaker", kind+"-job/"+prefix+"-*")
	rule := arn("events", "rule/StepFunctionsGetEventsForSageMaker"+Kind+"JobsRule")
	return []string{
		"Allow sagemaker:AddTags on " + job, "Allow sagemaker:Create" + Kind + "Job on " + job,
		"Allow sagemaker:Describe" + Kind + "Job on " + job, "Allow sagemaker:ListTags on " + job,
		"Allow sagemaker:Stop" + Kind + "Job on " + job,
		"Allow events:DescribeRule on " + rule, "Allow events:PutRule on " + rule, "Allow events:PutTargets on " + rule,
	}
}

const passRole = `Allow iam:PassRole on "arn:aws:iam::123456789012:role/jobs" if {"StringEquals":{"iam:PassedToService":"sagemaker.amazonaws.com"}}`

func sorted(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	sort.Strings(out)
	return out
}

// dedupe removes repeated lines: each job task adds PassRole and the
// events rule once per task, and identical statements are merged.
func dedupe(lines []string) []string {
	var out []string
	for i, l := range lines {
		if i == 0 || l != lines[i-1] {
			out = append(out, l)
		}
	}
	return out
}

func keyArn(t *testing.T) string {
	t.Helper()
	keys := template.FindResources(jsii.String("AWS::KMS::Key"), nil)
	require.Len(t, *keys, 1)
	for id := range *keys {
		return fmt.Sprintf(`{"Fn::GetAtt":["%s","Arn"]}`, id)
	}
	return ""
}

func TestTrainingRoleContract(t *testing.T) {
	key := keyArn(t)
	packages := arn("sagemaker", "model-package/mlp-test-models/*")
	want := dedupe(sorted(
		jobStatements("processing", "Processing", "mlp-test-preprocess"),
		jobStatements("training", "Training", "mlp-test-train"),
		jobStatements("processing", "Processing", "mlp-test-evaluate"),
		[]string{passRole, passRole, passRole},
		[]string{
			// ReadEvaluation: the report of this pipeline's runs.
			`Allow s3:GetObject on {"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":s3:::artifacts/evaluation/*"]]}`,
			`Allow s3:ListBucket on {"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":s3:::artifacts"]]} if {"StringLike":{"s3:prefix":"evaluation/*"}}`,
			`Allow kms:Decrypt on "arn:aws:kms:eu-west-1:123456789012:key/k"`,
			// RegisterModel: versions of this pipeline's group only (a
			// version is a model-package resource; the group is not one).
			"Allow sagemaker:CreateModelPackage on " + packages,
			// Notifications to the encrypted topic.
			`Allow sns:Publish on {"Ref":"Topic` + topicLogicalSuffix(t) + `"}`,
			"Allow kms:Decrypt on " + key, "Allow kms:GenerateDataKey on " + key,
		},
		logsAndTracing,
	))
	got := dedupe(iamtest.Permissions(t, template, "TrainingRole"))
	assert.Equal(t, want, got, "permissions of the training state machine role")
	checkNoWildcards(t, got)
}

func TestInferenceRoleContract(t *testing.T) {
	key := keyArn(t)
	packages := arn("sagemaker", "model-package/mlp-test-models/*")
	want := dedupe(sorted(
		jobStatements("processing", "Processing", "mlp-test-infer"),
		[]string{passRole},
		[]string{
			// A List call, on "*"; the versions it finds are described
			// only within the group.
			listModelPackages,
			"Allow sagemaker:DescribeModelPackage on " + packages,
			`Allow sns:Publish on {"Ref":"Topic` + topicLogicalSuffix(t) + `"}`,
			"Allow kms:Decrypt on " + key, "Allow kms:GenerateDataKey on " + key,
		},
		logsAndTracing,
	))
	got := dedupe(iamtest.Permissions(t, template, "InferenceRole"))
	assert.Equal(t, want, got, "permissions of the inference state machine role")
	checkNoWildcards(t, got)
}

func TestSchedulerRoleContract(t *testing.T) {
	got := iamtest.Permissions(t, template, "SchedulesRole")
	require.Len(t, got, 2, "the scheduler may start the two state machines and nothing else: %v", got)
	for _, line := range got {
		assert.True(t, strings.HasPrefix(line, `Allow states:StartExecution on {"Ref":"`), "scheduler permission %q", line)
	}
	assert.Contains(t, got[0]+got[1], `"Ref":"Training`)
	assert.Contains(t, got[0]+got[1], `"Ref":"Inference`)
	template.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(1)) // only the configured schedule
	template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{"ScheduleExpression": "rate(1 day)",
		"Targets": []any{assertions.Match_ObjectLike(&map[string]any{"Input": "{}"})}})
}

// checkNoWildcards fails on Action "*" and on Resource "*" outside the
// logging and tracing actions AWS requires it for.
func checkNoWildcards(t *testing.T, lines []string) {
	t.Helper()
	allowed := map[string]bool{}
	for _, l := range logsAndTracing {
		allowed[l] = true
	}
	allowed[listModelPackages] = true
	for _, l := range lines {
		assert.False(t, strings.HasPrefix(l, "Allow * "), "action * in %q", l)
		if strings.Contains(l, ` on "*"`) {
			assert.True(t, allowed[l], "resource * in %q, which AWS does not require", l)
		}
		if strings.Contains(l, "iam:PassRole") {
			assert.Contains(t, l, `"iam:PassedToService":"sagemaker.amazonaws.com"`, "PassRole without the PassedToService condition")
		}
	}
}

// topicLogicalSuffix returns the hash part of the topic's logical ID.
func topicLogicalSuffix(t *testing.T) string {
	t.Helper()
	topics := template.FindResources(jsii.String("AWS::SNS::Topic"), nil)
	require.Len(t, *topics, 1)
	for id := range *topics {
		return strings.TrimPrefix(id, "Topic")
	}
	return ""
}

func TestObservability(t *testing.T) {
	template.ResourceCountIs(jsii.String("AWS::StepFunctions::StateMachine"), jsii.Number(2))
	template.AllResourcesProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
		"TracingConfiguration": map[string]any{"Enabled": true},
		"LoggingConfiguration": assertions.Match_ObjectLike(&map[string]any{"Level": "ALL"}),
	})
	template.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{
		"KmsKeyId": assertions.Match_AnyValue(),
	})
	template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(2))
	template.HasResourceProperties(jsii.String("AWS::SageMaker::ModelPackageGroup"), map[string]any{"ModelPackageGroupName": "mlp-test-models"})
}

func TestValidate(t *testing.T) {
	good := func() TrainingPipelineProps {
		return TrainingPipelineProps{Name: "mlp-dev", Storage: fakeStorage{}, Image: fakeImage{}, JobRole: fakeRole{},
			GateMetric: "regression_metrics.mse", GateThreshold: 5}
	}
	tests := []struct {
		name string
		edit func(*TrainingPipelineProps)
		want string
	}{
		{"valid", func(*TrainingPipelineProps) {}, ""},
		{"name with capitals", func(p *TrainingPipelineProps) { p.Name = "MLP" }, `pipeline: name "MLP" is invalid`},
		{"name too long", func(p *TrainingPipelineProps) { p.Name = strings.Repeat("a", 21) }, "pipeline: name"},
		{"no storage", func(p *TrainingPipelineProps) { p.Storage = nil }, "pipeline: storage, image and job role are required"},
		{"metric outside evaluation.json", func(p *TrainingPipelineProps) { p.GateMetric = "mse" }, `pipeline: gate metric "mse" is invalid`},
		{"subnets without security groups", func(p *TrainingPipelineProps) { p.Security.Subnets = []awsec2.ISubnet{nil} },
			"pipeline: security has 1 subnets and 0 security groups; valid: both empty, or both set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good()
			tt.edit(&p)
			err := p.validate()
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	inf := InferencePipelineProps{Name: "mlp-dev", Storage: fakeStorage{}, Image: fakeImage{}, JobRole: fakeRole{}}
	assert.EqualError(t, inf.validate(), "pipeline: storage, image, job role and model package group name are required")
}

// Placeholders that satisfy the interfaces for validate(), which only
// checks that they are set.
type (
	fakeStorage struct{ storage.Storage }
	fakeImage   struct{ images.JobImage }
	fakeRole    struct{ awsiam.IRole }
)

// definitions returns the definitions of tmpl's state machines by the ID
// of their construct's parent (Training, Inference), with every token
// rendered as "TOKEN".
func definitions(t *testing.T, tmpl assertions.Template) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for id, res := range *tmpl.FindResources(jsii.String("AWS::StepFunctions::StateMachine"), nil) {
		join := (*res)["Properties"].(map[string]any)["DefinitionString"].(map[string]any)["Fn::Join"].([]any)
		var b strings.Builder
		for _, part := range join[1].([]any) {
			if s, ok := part.(string); ok {
				b.WriteString(s)
			} else {
				b.WriteString("TOKEN")
			}
		}
		var def map[string]any
		require.NoError(t, json.Unmarshal([]byte(b.String()), &def), "definition of %s", id)
		name := "Inference"
		if strings.HasPrefix(id, "Training") {
			name = "Training"
		}
		out[name] = def
	}
	return out
}

func TestJobSecurity(t *testing.T) {
	defs := definitions(t, secureTemplate)
	require.Len(t, defs, 2)
	vpc := map[string]any{"Subnets": []any{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}, "SecurityGroupIds": []any{"sg-0123456789abcdef0"}}
	jobs := map[string][]string{"Training": {"Preprocess", "Train", "Evaluate"}, "Inference": {"Infer"}}
	for sm, states := range jobs {
		for _, name := range states {
			params := defs[sm]["States"].(map[string]any)[name].(map[string]any)["Parameters"].(map[string]any)
			network, resources := params, params["ResourceConfig"]
			if name != "Train" {
				network = params["NetworkConfig"].(map[string]any)
				resources = params["ProcessingResources"].(map[string]any)["ClusterConfig"]
			}
			assert.Equal(t, vpc, network["VpcConfig"], "%s VpcConfig", name)
			assert.Equal(t, true, network["EnableNetworkIsolation"], "%s EnableNetworkIsolation", name)
			// Only Train runs on two instances.
			assert.Equal(t, name == "Train", network["EnableInterContainerTrafficEncryption"], "%s EnableInterContainerTrafficEncryption", name)
			assert.Equal(t, "TOKEN", resources.(map[string]any)["VolumeKmsKeyId"], "%s VolumeKmsKeyId", name)
		}
	}
	// Without JobSecurity, jobs are outside any VPC.
	for name, def := range definitions(t, template) {
		assert.NotContains(t, fmt.Sprint(def), "VpcConfig", "%s without JobSecurity", name)
	}
}

// TestLogGroups: each state machine logs to /aws/vendedlogs/states/<its
// name>, encrypted, with the configured retention and removal policy.
func TestLogGroups(t *testing.T) {
	groups := template.FindResources(jsii.String("AWS::Logs::LogGroup"), nil)
	var names []string
	for _, g := range *groups {
		props := (*g)["Properties"].(map[string]any)
		names = append(names, props["LogGroupName"].(string))
		assert.NotNil(t, props["KmsKeyId"], "log group %v is encrypted", props["LogGroupName"])
		assert.EqualValues(t, 30, props["RetentionInDays"], "default retention of one month")
		assert.Equal(t, "Retain", (*g)["DeletionPolicy"], "default removal policy")
	}
	sort.Strings(names)
	assert.Equal(t, []string{"/aws/vendedlogs/states/mlp-test-inference", "/aws/vendedlogs/states/mlp-test-training"}, names)
	assert.Equal(t, "/aws/vendedlogs/states/x", LogGroupName("x"))
}

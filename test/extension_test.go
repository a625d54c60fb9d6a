package test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/constructs/images"
	"github.com/mlpipeline-go/mlpipeline/constructs/pipeline"
	"github.com/mlpipeline-go/mlpipeline/constructs/roles"
	"github.com/mlpipeline-go/mlpipeline/constructs/storage"
)

// builtinXGBoost is SageMaker's built-in XGBoost algorithm image in
// us-east-1; it trains on the same header-less, target-first CSV splits.
const builtinXGBoost = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"

// extensionStack is what a platform team builds from the constructs: its
// own bucket, key and role, and SageMaker's built-in XGBoost for training.
var extensionStack awscdk.Stack

func buildExtension(app awscdk.App) {
	stack := awscdk.NewStack(app, jsii.String("PlatformTeam"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-east-1")},
	})
	key := awskms.NewKey(stack, jsii.String("TeamKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	logs := awss3.NewBucket(stack, jsii.String("TeamLogs"), &awss3.BucketProps{
		Encryption: awss3.BucketEncryption_S3_MANAGED, EnforceSSL: jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(), Versioned: jsii.Bool(true),
	})
	bucket := func(id string) awss3.IBucket {
		return awss3.NewBucket(stack, jsii.String(id), &awss3.BucketProps{
			Encryption: awss3.BucketEncryption_KMS, EncryptionKey: key, EnforceSSL: jsii.Bool(true),
			BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(), Versioned: jsii.Bool(true),
			ServerAccessLogsBucket: logs,
		})
	}
	store := storage.NewStorage(stack, "Storage", &storage.StorageProps{
		EncryptionKey: key, DataBucket: bucket("TeamData"), ArtifactBucket: bucket("TeamArtifacts"), AccessLogBucket: logs,
	})
	teamRole := awsiam.NewRole(stack, jsii.String("TeamJobRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil),
	})
	image := images.NewJobImage(stack, "Image", nil)
	jobRole := roles.NewSageMakerRole(stack, "JobRole", &roles.SageMakerRoleProps{Role: teamRole, Storage: store, Image: image})
	pipeline.NewTrainingPipeline(stack, "Training", &pipeline.TrainingPipelineProps{
		ObservabilityProps: pipeline.ObservabilityProps{EncryptionKey: key},
		Name:               "team",
		Storage:            store,
		Image:              image,
		JobRole:            jobRole.Role(),
		TrainingImageUri:   jsii.String(builtinXGBoost),
		Hyperparameters: map[string]string{
			"objective": "reg:squarederror", "num_round": "50", "max_depth": "5", "eta": "0.2",
		},
		GateMetric:    "regression_metrics.mse",
		GateThreshold: 6,
	})
	extensionStack = stack
}

func TestExtensionWithOwnStorageRoleAndBuiltinTraining(t *testing.T) {
	require.NotNil(t, extensionStack)
	template := assertions.Template_FromStack(extensionStack, nil)
	template.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(2))  // the team's job role and the state machine's
	template.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(3)) // the team's buckets only
	defs := definitions(t, extensionStack)
	require.Contains(t, defs, "training")
	def := string(defs["training"])
	assert.Contains(t, def, builtinXGBoost, "training uses the built-in algorithm's image")
	assert.Contains(t, def, ":role/ref-teamjobrole", "jobs run as the team's role")
	assert.Contains(t, def, "ref-teamdata", "jobs read the team's bucket")
	checkTasks(t, defs["training"])
	validateASL(t, defs["training"])
	annotations := assertions.Annotations_FromStack(extensionStack)
	for _, e := range nagFindings(annotations, "error") {
		t.Errorf("cdk-nag error %s", e)
	}
}

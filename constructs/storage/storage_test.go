package storage

import (
	"fmt"
	"github.com/mlpipeline-go/mlpipeline/internal/iamtest"
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
)

// The templates under test, built once in one app: jsii costs seconds per app.
var (
	destroyTemplate assertions.Template // new everything, DESTROY
	retainTemplate  assertions.Template // new everything, default policy
	byoTemplate     assertions.Template // key and buckets brought
	byoStorage      Storage
	grantTemplate   assertions.Template // a role granted one prefix each way
)

func TestMain(m *testing.M) {
	app := awscdk.NewApp(nil)

	// Every stack is defined before the first template is taken: taking one
	// synthesizes the app, after which the tree may not change.
	destroy := awscdk.NewStack(app, jsii.String("Destroy"), nil)
	NewStorage(destroy, "Storage", &StorageProps{RemovalPolicy: awscdk.RemovalPolicy_DESTROY, NoncurrentVersionExpirationDays: 30})

	retain := awscdk.NewStack(app, jsii.String("Retain"), nil)
	NewStorage(retain, "Storage", nil)

	byo := awscdk.NewStack(app, jsii.String("Byo"), nil)
	s := byo
	key := awskms.Key_FromKeyArn(s, jsii.String("Key"), jsii.String("arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"))
	byoStorage = NewStorage(s, "Storage", &StorageProps{
		EncryptionKey:  key,
		DataBucket:     awss3.Bucket_FromBucketName(s, jsii.String("Data"), jsii.String("team-data")),
		ArtifactBucket: awss3.Bucket_FromBucketName(s, jsii.String("Artifacts"), jsii.String("team-artifacts")),
	})
	role := awsiam.NewRole(s, jsii.String("ByoRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil)})
	byoStorage.GrantReadArtifacts(role, PrefixModels)

	grants := awscdk.NewStack(app, jsii.String("Grants"), nil)
	st := NewStorage(grants, "Storage", nil)
	role = awsiam.NewRole(grants, jsii.String("JobRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil)})
	st.GrantReadData(role, PrefixRaw)
	st.GrantWriteData(role, PrefixCurated)

	destroyTemplate = assertions.Template_FromStack(destroy, nil)
	retainTemplate = assertions.Template_FromStack(retain, nil)
	byoTemplate = assertions.Template_FromStack(byo, nil)
	grantTemplate = assertions.Template_FromStack(grants, nil)

	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		props   StorageProps
		wantErr string
	}{
		{"zero value", StorageProps{}, ""},
		{"retain", StorageProps{RemovalPolicy: awscdk.RemovalPolicy_RETAIN}, ""},
		{"destroy", StorageProps{RemovalPolicy: awscdk.RemovalPolicy_DESTROY, NoncurrentVersionExpirationDays: 1}, ""},
		{"snapshot", StorageProps{RemovalPolicy: awscdk.RemovalPolicy_SNAPSHOT},
			`storage: removal policy "SNAPSHOT" is not supported; valid: RETAIN or DESTROY`},
		{"negative expiration", StorageProps{NoncurrentVersionExpirationDays: -1},
			"storage: noncurrent version expiration -1 days is negative; valid: 0 for the default of 90, or a positive number of days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.props.validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestNewBucketsAreLockedDown(t *testing.T) {
	destroyTemplate.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(3))
	destroyTemplate.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(1))
	// Every bucket: public access blocked, versioned, old versions expire.
	destroyTemplate.AllResourcesProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
		"PublicAccessBlockConfiguration": map[string]any{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		},
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"LifecycleConfiguration": map[string]any{"Rules": []any{assertions.Match_ObjectLike(&map[string]any{
			"NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 30},
			"Status":                      "Enabled",
		})}},
	})
	// Every bucket policy denies plain HTTP and old TLS.
	destroyTemplate.AllResourcesProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{
				"Effect":    "Deny",
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			}),
			assertions.Match_ObjectLike(&map[string]any{
				"Effect":    "Deny",
				"Condition": map[string]any{"NumericLessThan": map[string]any{"s3:TlsVersion": 1.2}},
			}),
		})},
	})
	destroyTemplate.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{"EnableKeyRotation": true})
}

func TestDataAndArtifactBucketsUseKeyAndLogs(t *testing.T) {
	for _, prefix := range []string{"data/", "artifacts/"} {
		destroyTemplate.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
				"BucketKeyEnabled": true,
				"ServerSideEncryptionByDefault": map[string]any{
					"SSEAlgorithm":   "aws:kms",
					"KMSMasterKeyID": assertions.Match_ObjectLike(&map[string]any{"Fn::GetAtt": assertions.Match_ArrayWith(&[]any{"Arn"})}),
				},
			}}},
			"LoggingConfiguration": map[string]any{
				"DestinationBucketName": assertions.Match_ObjectLike(&map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("AccessLogBucket"))}),
				"LogFilePrefix":         prefix,
			},
		})
	}
	// S3 delivers server access logs only to buckets with SSE-S3.
	destroyTemplate.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
			"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"},
		}}},
	})
}

func TestRemovalPolicy(t *testing.T) {
	tests := []struct {
		name       string
		template   assertions.Template
		policy     string
		autoDelete int
	}{
		{"destroy", destroyTemplate, "Delete", 3},
		{"default retains", retainTemplate, "Retain", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, typ := range []string{"AWS::S3::Bucket", "AWS::KMS::Key"} {
				tt.template.AllResources(jsii.String(typ), map[string]any{
					"DeletionPolicy": tt.policy, "UpdateReplacePolicy": tt.policy,
				})
			}
			tt.template.ResourceCountIs(jsii.String("Custom::S3AutoDeleteObjects"), jsii.Number(float64(tt.autoDelete)))
		})
	}
	destroyTemplate.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{"PendingWindowInDays": 7})
}

func TestBringYourOwn(t *testing.T) {
	byoTemplate.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(0))
	byoTemplate.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(0))
	assert.Nil(t, byoStorage.AccessLogBucket(), "no access-log bucket when no bucket is created")
	assert.Equal(t, "team-data", *byoStorage.DataBucket().BucketName())
	// Grants on brought buckets cover the brought key.
	objects := `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":s3:::team-artifacts/models/*"]]}`
	bucket := `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":s3:::team-artifacts"]]}`
	want := []string{
		`Allow kms:Decrypt on "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"`,
		"Allow s3:GetObject on " + objects,
		"Allow s3:ListBucket on " + bucket + ` if {"StringLike":{"s3:prefix":"models/*"}}`,
	}
	assert.Equal(t, want, iamtest.Permissions(t, byoTemplate, ""), "permissions of GrantReadArtifacts(models/) on brought storage")
}

func TestGrantsAreLimitedToPrefix(t *testing.T) {
	const (
		bucket  = `{"Fn::GetAtt":["StorageDataBucketB1B922FA","Arn"]}`
		key     = `{"Fn::GetAtt":["StorageKeyBAA9457B","Arn"]}`
		objects = `{"Fn::Join":["",[{"Fn::GetAtt":["StorageDataBucketB1B922FA","Arn"]},"/%s*"]]}`
	)
	want := []string{
		"Allow kms:Decrypt on " + key,
		"Allow kms:Decrypt on " + key,
		"Allow kms:GenerateDataKey on " + key,
		"Allow s3:AbortMultipartUpload on " + fmt.Sprintf(objects, "curated/"),
		"Allow s3:GetObject on " + fmt.Sprintf(objects, "raw/"),
		"Allow s3:ListBucket on " + bucket + ` if {"StringLike":{"s3:prefix":"raw/*"}}`,
		"Allow s3:PutObject on " + fmt.Sprintf(objects, "curated/"),
	}
	assert.Equal(t, want, iamtest.Permissions(t, grantTemplate, ""), "permissions of GrantReadData(raw/) + GrantWriteData(curated/)")
}

func TestGrantRejectsWidePrefixes(t *testing.T) {
	for _, prefix := range []string{"", "raw", "/raw/", "raw/*", "r?w/"} {
		assert.Panics(t, func() { checkPrefix(prefix) }, "checkPrefix(%q) must panic", prefix)
	}
	assert.NotPanics(t, func() { checkPrefix("predictions/run-1/") })
}

package storage

import (
	"fmt"
	"github.com/mlpipeline-go/mlpipeline/internal/iamtest"
	"os"
	"strings"
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
	destroyTemplate    assertions.Template // new everything, DESTROY
	retainTemplate     assertions.Template // new everything, default policy
	byoTemplate        assertions.Template // key and buckets brought
	byoStorage         Storage
	grantTemplate      assertions.Template // a role granted one prefix each way
	restrictedTemplate assertions.Template // RestrictAccess to one role, DESTROY
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

	restricted := awscdk.NewStack(app, jsii.String("Restricted"), nil)
	rs := NewStorage(restricted, "Storage", &StorageProps{RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	jobRole := awsiam.NewRole(restricted, jsii.String("JobRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil)})
	admin := awsiam.Role_FromRoleName(restricted, jsii.String("Admin"), jsii.String("MlPipelineAdmin"), nil)
	rs.RestrictAccess([]awsiam.IRole{jobRole, admin})
	byoStorage.RestrictAccess([]awsiam.IRole{role})

	destroyTemplate = assertions.Template_FromStack(destroy, nil)
	restrictedTemplate = assertions.Template_FromStack(restricted, nil)
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

// bucketPolicy returns the policy document of the bucket whose logical ID
// starts with prefix.
func bucketPolicy(t *testing.T, template assertions.Template, prefix string) map[string]any {
	t.Helper()
	for _, res := range *template.FindResources(jsii.String("AWS::S3::BucketPolicy"), nil) {
		props := (*res)["Properties"].(map[string]any)
		if ref, _ := props["Bucket"].(map[string]any)["Ref"].(string); strings.HasPrefix(ref, prefix) {
			return props["PolicyDocument"].(map[string]any)
		}
	}
	t.Fatalf("no bucket policy for %s", prefix)
	return nil
}

func TestRestrictAccessDenies(t *testing.T) {
	const (
		jobRole   = `{"Fn::GetAtt":["JobRole014917C6","Arn"]}`
		key       = `{"Fn::GetAtt":["StorageKeyBAA9457B","Arn"]}`
		admin     = `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::",{"Ref":"AWS::AccountId"},":role/MlPipelineAdmin"]]}`
		other     = "arn:aws:iam::123456789012:role/Analyst"
		autoClean = `{"Fn::GetAtt":["CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092","Arn"]}`
	)
	kms := func(keyID string) map[string]string {
		return map[string]string{"s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": keyID}
	}
	tls := map[string]string{"aws:SecureTransport": "true"}
	tests := []struct {
		name    string
		req     iamtest.Request
		wantSid string
	}{
		{"job reads", iamtest.Request{Action: "s3:GetObject", PrincipalArn: jobRole, Context: tls}, ""},
		{"job lists", iamtest.Request{Action: "s3:ListBucket", PrincipalArn: jobRole, Context: tls}, ""},
		{"job uploads with the key", iamtest.Request{Action: "s3:PutObject", PrincipalArn: jobRole, Context: kms(key)}, ""},
		{"admin reads", iamtest.Request{Action: "s3:GetObjectVersion", PrincipalArn: admin, Context: tls}, ""},
		{"auto-delete provider deletes", iamtest.Request{Action: "s3:DeleteObject", PrincipalArn: autoClean, Context: tls}, ""},
		{"other role reads", iamtest.Request{Action: "s3:GetObject", PrincipalArn: other, Context: tls}, "DenyObjectAccessToOtherPrincipals"},
		{"other role lists", iamtest.Request{Action: "s3:ListBucketVersions", PrincipalArn: other, Context: tls}, "DenyObjectAccessToOtherPrincipals"},
		{"other role deletes", iamtest.Request{Action: "s3:DeleteObject", PrincipalArn: other, Context: tls}, "DenyObjectAccessToOtherPrincipals"},
		{"other role uploads with the key", iamtest.Request{Action: "s3:PutObject", PrincipalArn: other, Context: kms(key)}, "DenyObjectAccessToOtherPrincipals"},
		{"unencrypted upload", iamtest.Request{Action: "s3:PutObject", PrincipalArn: jobRole}, "DenyUploadsWithoutSSEKMS"},
		{"SSE-S3 upload", iamtest.Request{Action: "s3:PutObject", PrincipalArn: jobRole,
			Context: map[string]string{"s3:x-amz-server-side-encryption": "AES256"}}, "DenyUploadsWithoutSSEKMS"},
		{"aws/s3 key upload", iamtest.Request{Action: "s3:PutObject", PrincipalArn: jobRole,
			Context: map[string]string{"s3:x-amz-server-side-encryption": "aws:kms"}}, "DenyUploadsWithOtherKeys"},
		{"other key upload", iamtest.Request{Action: "s3:PutObject", PrincipalArn: jobRole,
			Context: kms("arn:aws:kms:eu-west-1:123456789012:key/other")}, "DenyUploadsWithOtherKeys"},
		{"job without TLS", iamtest.Request{Action: "s3:GetObject", PrincipalArn: jobRole,
			Context: map[string]string{"aws:SecureTransport": "false"}}, ""},
		{"other role manages the bucket", iamtest.Request{Action: "s3:PutBucketTagging", PrincipalArn: other, Context: tls}, ""},
	}
	for _, bucket := range []string{"StorageDataBucket", "StorageArtifactBucket"} {
		policy := bucketPolicy(t, restrictedTemplate, bucket)
		for _, tt := range tests {
			denied, sid := iamtest.Denied(t, policy, tt.req)
			if tt.name == "job without TLS" {
				// Denied by the TLS statement EnforceSSL adds, whose Sid is unset.
				assert.True(t, denied, "%s: %s denied", bucket, tt.name)
				continue
			}
			assert.Equal(t, tt.wantSid != "", denied, "%s: %s denied", bucket, tt.name)
			assert.Equal(t, tt.wantSid, sid, "%s: %s denying statement", bucket, tt.name)
		}
	}
	// Brought buckets keep their owner's policy; the access-log bucket is
	// written by the S3 logging service, which has no principal ARN.
	byoTemplate.ResourceCountIs(jsii.String("AWS::S3::BucketPolicy"), jsii.Number(0))
	logs := bucketPolicy(t, restrictedTemplate, "StorageAccessLogBucket")
	denied, _ := iamtest.Denied(t, logs, iamtest.Request{Action: "s3:PutObject", Context: tls})
	assert.False(t, denied, "the logging service writes access logs")
}

func TestGrantRejectsWidePrefixes(t *testing.T) {
	for _, prefix := range []string{"", "raw", "/raw/", "raw/*", "r?w/"} {
		assert.Panics(t, func() { checkPrefix(prefix) }, "checkPrefix(%q) must panic", prefix)
	}
	assert.NotPanics(t, func() { checkPrefix("predictions/run-1/") })
}

package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
	"github.com/mlpipeline-go/mlpipeline/internal/iamsim"
	"github.com/mlpipeline-go/mlpipeline/internal/iamtest"
)

// The templates under test, built once in one app: jsii costs seconds per app.
var (
	destroyTemplate    assertions.Template // new everything, DESTROY
	retainTemplate     assertions.Template // new everything, default policy
	byoTemplate        assertions.Template // key and buckets brought
	byoStorage         Storage
	grantTemplate      assertions.Template // a role granted one prefix each way
	restrictedTemplate assertions.Template // a role granted a prefix of each bucket, RestrictAccess to it and an admin role, DESTROY
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
	rs.GrantReadData(jobRole, PrefixRaw)
	rs.GrantWriteData(jobRole, PrefixCurated)
	rs.GrantReadArtifacts(jobRole, PrefixModels)
	rs.GrantWriteArtifacts(jobRole, PrefixModels)
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

// administratorAccess is the AWS managed policy AdministratorAccess, as
// the AWS Managed Policy Reference gives it: the identity policy the
// outside principals of these tests have, so that what denies them is the
// bucket policy alone.
var administratorAccess = map[string]any{"Version": "2012-10-17", "Statement": []any{
	map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}}}

// lambdaBasicExecutionRole is the ARN of the AWS managed policy of CDK's
// auto-delete provider role, and lambdaBasicExecutionPolicy its text as
// the AWS Managed Policy Reference gives it (version 1).
const lambdaBasicExecutionRole = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

var lambdaBasicExecutionPolicy = map[string]any{"Version": "2012-10-17", "Statement": []any{
	map[string]any{"Effect": "Allow", "Action": []any{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": "*"}}}

// resourceID returns the logical ID of the one resource of type typ
// whose logical ID starts with prefix.
func resourceID(t *testing.T, doc *cfn.Template, typ, prefix string) string {
	t.Helper()
	var ids []string
	for _, id := range doc.IDs(typ) {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	require.Len(t, ids, 1, "%s resources starting with %s", typ, prefix)
	return ids[0]
}

// tlsStatement returns the 1-based position of the statement of policy
// that denies requests without TLS (EnforceSSL's, which has no Sid).
func tlsStatement(t *testing.T, policy any) int {
	t.Helper()
	statements, _ := policy.(map[string]any)["Statement"].([]any)
	for i, st := range statements {
		cond, _ := st.(map[string]any)["Condition"].(map[string]any)
		if b, _ := cond["Bool"].(map[string]any); b["aws:SecureTransport"] == "false" {
			return i + 1
		}
	}
	t.Fatalf("no statement denies aws:SecureTransport false in %v", policy)
	return 0
}

// notDenied is the result a case wants when the evaluator cannot tell
// Allowed: no statement denies the request, and what allows it is outside
// the templates' policies.
const notDenied = "not ExplicitlyDenied"

// TestRestrictAccessDenies evaluates requests to the restricted buckets
// with a real IAM evaluator (internal/iamsim), against the template's
// identity and bucket policies: the granted role, the administrator's
// role and CDK's auto-delete provider get through, anyone else is denied
// whatever their own policies allow, and so is any upload without the key
// or any request without TLS.
func TestRestrictAccessDenies(t *testing.T) {
	template, err := json.Marshal(restrictedTemplate.ToJSON())
	require.NoError(t, err)
	doc, err := cfn.Parse(template)
	require.NoError(t, err)
	policies, err := iamsim.FromTemplate(template)
	require.NoError(t, err)
	arn := func(typ, prefix string) string {
		a, err := doc.ARN(resourceID(t, doc, typ, prefix))
		require.NoError(t, err)
		return a
	}
	jobRole := arn("AWS::IAM::Role", "JobRole")
	autoClean := arn("AWS::IAM::Role", "CustomS3AutoDeleteObjectsCustomResourceProviderRole")
	key := arn("AWS::KMS::Key", "StorageKey")
	// Roles from outside the template, with administrator permissions of
	// their own: the admin role RestrictAccess lets in and one it does not.
	admin := "arn:aws:iam::123456789012:role/MlPipelineAdmin"
	other := "arn:aws:iam::123456789012:role/Analyst"
	policies.Documents["AdministratorAccess"] = administratorAccess
	require.NoError(t, policies.AddPrincipal(admin, "AdministratorAccess"))
	require.NoError(t, policies.AddPrincipal(other, "AdministratorAccess"))
	policies.SetAWSManagedPolicy(lambdaBasicExecutionRole, lambdaBasicExecutionPolicy)

	tls := map[string]any{"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
	with := func(kv ...string) map[string]any {
		c := maps.Clone(tls)
		for i := 0; i < len(kv); i += 2 {
			c[kv[i]] = kv[i+1]
		}
		return c
	}
	sseKMS := func(keyArn string) map[string]any {
		return with("s3:x-amz-server-side-encryption", "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id", keyArn)
	}
	const (
		read  = "read"  // an object under the prefix the job role reads
		write = "write" // an object under the prefix the job role writes
		list  = "list"  // the bucket, listing the prefix the job role reads
	)
	tests := []struct {
		name, who, action, on string
		context               map[string]any
		want                  string   // Allowed, ExplicitlyDenied or notDenied
		denies                []string // the denying statements; "tls" for EnforceSSL's
	}{
		{"job reads", jobRole, "s3:GetObject", read, tls, "Allowed", nil},
		{"job lists", jobRole, "s3:ListBucket", list, tls, "Allowed", nil},
		{"job uploads with the key", jobRole, "s3:PutObject", write, sseKMS(key), "Allowed", nil},
		{"admin reads", admin, "s3:GetObjectVersion", read, tls, "Allowed", nil},
		// The bucket policy allows the provider its deletes.
		{"auto-delete provider deletes", autoClean, "s3:DeleteObject", read, tls, "Allowed", nil},
		{"other role reads", other, "s3:GetObject", read, tls, "ExplicitlyDenied", []string{"DenyObjectAccessToOtherPrincipals"}},
		{"other role lists", other, "s3:ListBucketVersions", list, tls, "ExplicitlyDenied", []string{"DenyObjectAccessToOtherPrincipals"}},
		{"other role deletes", other, "s3:DeleteObject", read, tls, "ExplicitlyDenied", []string{"DenyObjectAccessToOtherPrincipals"}},
		{"other role uploads with the key", other, "s3:PutObject", write, sseKMS(key), "ExplicitlyDenied", []string{"DenyObjectAccessToOtherPrincipals"}},
		// Without the header, the key ID is missing too.
		{"unencrypted upload", jobRole, "s3:PutObject", write, tls, "ExplicitlyDenied", []string{"DenyUploadsWithoutSSEKMS", "DenyUploadsWithOtherKeys"}},
		{"SSE-S3 upload", jobRole, "s3:PutObject", write, with("s3:x-amz-server-side-encryption", "AES256"),
			"ExplicitlyDenied", []string{"DenyUploadsWithoutSSEKMS", "DenyUploadsWithOtherKeys"}},
		{"aws/s3 key upload", jobRole, "s3:PutObject", write, with("s3:x-amz-server-side-encryption", "aws:kms"),
			"ExplicitlyDenied", []string{"DenyUploadsWithOtherKeys"}},
		{"other key upload", jobRole, "s3:PutObject", write, sseKMS("arn:aws:kms:eu-west-1:123456789012:key/other"),
			"ExplicitlyDenied", []string{"DenyUploadsWithOtherKeys"}},
		{"job without TLS", jobRole, "s3:GetObject", read, map[string]any{"aws:SecureTransport": "false"}, "ExplicitlyDenied", []string{"tls"}},
		// Bucket settings stay open to the account's administrators
		// (CloudFormation manages them), within their own policies.
		{"other role manages the bucket", other, "s3:PutBucketTagging", list, tls, "Allowed", nil},
	}
	type expectation struct {
		want   string
		denies []string
	}
	var reqs []iamsim.Request
	var wants []expectation
	for _, bucket := range []struct{ prefix, read, write string }{
		{"StorageDataBucket", PrefixRaw, PrefixCurated},
		{"StorageArtifactBucket", PrefixModels, PrefixModels},
	} {
		bucketArn := arn("AWS::S3::Bucket", bucket.prefix)
		tlsSt := fmt.Sprintf("statement %d", tlsStatement(t, policies.Documents[policies.Resource[bucketArn]]))
		for _, tt := range tests {
			r := iamsim.Request{Principal: tt.who, Action: tt.action, Context: tt.context, Note: bucket.prefix + ": " + tt.name}
			switch tt.on {
			case read:
				r.Resource = bucketArn + "/" + bucket.read + "part-0.csv"
			case write:
				r.Resource = bucketArn + "/" + bucket.write + "part-0.csv"
			case list:
				r.Resource = bucketArn
				if tt.action == "s3:ListBucket" {
					r.Context = with("s3:prefix", bucket.read)
				}
			}
			denies := slices.Clone(tt.denies)
			if i := slices.Index(denies, "tls"); i >= 0 {
				denies[i] = tlsSt
			}
			reqs = append(reqs, r)
			wants = append(wants, expectation{tt.want, denies})
		}
	}
	// The access-log bucket is written by the S3 logging service, whose
	// LogDeliveryWrite ACL grant the evaluator does not model: it must not
	// be denied. Brought buckets keep their owner's policy.
	dataArn := arn("AWS::S3::Bucket", "StorageDataBucket")
	reqs = append(reqs, iamsim.Request{Principal: "logging.s3.amazonaws.com", Action: "s3:PutObject",
		Resource: arn("AWS::S3::Bucket", "StorageAccessLogBucket") + "/data/2026-01-01-00-00-00-0000000000000000",
		Context:  with("aws:SourceAccount", cfn.AccountID, "aws:SourceArn", dataArn), Note: "the logging service writes access logs"})
	wants = append(wants, expectation{notDenied, nil})
	byoTemplate.ResourceCountIs(jsii.String("AWS::S3::BucketPolicy"), jsii.Number(0))

	got, err := iamsim.Evaluate(context.Background(), "", policies, reqs)
	require.NoError(t, err)
	for i, d := range got {
		if wants[i].want == notDenied {
			assert.NotEqual(t, "ExplicitlyDenied", d.Result, "%s", d)
			assert.NotEqual(t, "Error", d.Result, "%s", d)
			continue
		}
		assert.Equal(t, wants[i].want, d.Result, "%s", d)
		assert.Equal(t, wants[i].denies, d.ExplicitDenies(), "denying statements of %s", d)
	}
}

func TestGrantRejectsWidePrefixes(t *testing.T) {
	for _, prefix := range []string{"", "raw", "/raw/", "raw/*", "r?w/"} {
		assert.Panics(t, func() { checkPrefix(prefix) }, "checkPrefix(%q) must panic", prefix)
	}
	assert.NotPanics(t, func() { checkPrefix("predictions/run-1/") })
}

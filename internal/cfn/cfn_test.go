package cfn

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const template = `{
  "Parameters": {"BootstrapVersion": {"Type": "String", "Default": "/cdk-bootstrap/version"}},
  "Resources": {
    "DataBucketB1B922FA": {"Type": "AWS::S3::Bucket", "Properties": {}},
    "NamedBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Join": ["-", ["named", {"Ref": "AWS::AccountId"}]]}}},
    "JobRole156D9FCB": {"Type": "AWS::IAM::Role", "Properties": {}},
    "PathRole": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/ml/", "RoleName": "Runner"}},
    "StorageKey": {"Type": "AWS::KMS::Key", "Properties": {}},
    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
    "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/vendedlogs/states/mlp-dev-training"}},
    "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"StateMachineName": "mlp-dev-training"}},
    "Group": {"Type": "AWS::SageMaker::ModelPackageGroup", "Properties": {"ModelPackageGroupName": "mlp-dev-models"}},
    "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {}},
    "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}}
  }
}`

func TestResolve(t *testing.T) {
	doc, err := Parse([]byte(template))
	require.NoError(t, err)
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"bucket Ref is its generated name", map[string]any{"Ref": "DataBucketB1B922FA"}, "ref-databucketb1b922fa"},
		{"bucket name from its property", map[string]any{"Ref": "NamedBucket"}, "named-123456789012"},
		{"bucket Arn", map[string]any{"Fn::GetAtt": []any{"DataBucketB1B922FA", "Arn"}}, "arn:aws:s3:::ref-databucketb1b922fa"},
		{"role Arn", map[string]any{"Fn::GetAtt": []any{"JobRole156D9FCB", "Arn"}}, "arn:aws:iam::123456789012:role/ref-jobrole156d9fcb"},
		{"role Arn with a path", map[string]any{"Fn::GetAtt": "PathRole.Arn"}, "arn:aws:iam::123456789012:role/ml/Runner"},
		{"topic Ref is its ARN", map[string]any{"Ref": "Topic"}, "arn:aws:sns:us-east-1:123456789012:ref-topic"},
		{"log group Arn", map[string]any{"Fn::GetAtt": []any{"Logs", "Arn"}}, "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/mlp-dev-training:*"},
		{"state machine Ref is its ARN", map[string]any{"Ref": "Machine"}, "arn:aws:states:us-east-1:123456789012:stateMachine:mlp-dev-training"},
		{"model package group Ref is its ARN", map[string]any{"Ref": "Group"}, "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/mlp-dev-models"},
		{"alarm Arn", map[string]any{"Fn::GetAtt": []any{"Alarm", "Arn"}}, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ref-alarm"},
		{"parameter default", map[string]any{"Ref": "BootstrapVersion"}, "/cdk-bootstrap/version"},
		{"Fn::Sub with pseudo parameters, attributes and a literal", map[string]any{"Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketB1B922FA}/${!literal}"}, "arn:aws:s3:::ref-databucketb1b922fa/${literal}"},
		{"Fn::Sub with variables", map[string]any{"Fn::Sub": []any{"${A}/x", map[string]any{"A": map[string]any{"Fn::GetAtt": "DataBucketB1B922FA.Arn"}}}}, "arn:aws:s3:::ref-databucketb1b922fa/x"},
		{"Fn::Select of Fn::Split", map[string]any{"Fn::Select": []any{float64(1), map[string]any{"Fn::Split": []any{"/", "a/b/c"}}}}, "b"},
		{"nested objects and lists", map[string]any{"Resource": []any{map[string]any{"Ref": "AWS::Region"}, "x"}}, map[string]any{"Resource": []any{"us-east-1", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := doc.Resolve(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	keyArn, err := doc.String(map[string]any{"Fn::GetAtt": []any{"StorageKey", "Arn"}})
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`^arn:aws:kms:us-east-1:123456789012:key/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`), keyArn, "a key ARN in KMS's form")
	again, _ := doc.String(map[string]any{"Fn::GetAtt": []any{"StorageKey", "Arn"}})
	assert.Equal(t, keyArn, again, "the same template resolves to the same values")
	sg, err := doc.String(map[string]any{"Fn::GetAtt": []any{"Sg", "GroupId"}})
	require.NoError(t, err)
	assert.Regexp(t, `^sg-[0-9a-f]{17}$`, sg)
	sgRef, _ := doc.String(map[string]any{"Ref": "Sg"})
	assert.Equal(t, sg, sgRef, "a security group's Ref is its id")

	for _, bad := range []any{
		map[string]any{"Ref": "Missing"},
		map[string]any{"Fn::GetAtt": []any{"Topic", "Nonsense"}},
		map[string]any{"Fn::If": []any{"c", "a", "b"}},
		map[string]any{"Fn::Select": []any{float64(5), []any{"a"}}},
	} {
		_, err := doc.Resolve(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestPlaceholderFitsNames(t *testing.T) {
	long := "StorageArtifactBucketWithAVeryLongLogicalIdentifierThatGoesOnAndOn48D12CDB"
	assert.Len(t, Placeholder(long), 63)
	assert.Equal(t, "ref-bucket", Placeholder("Bucket"))
}

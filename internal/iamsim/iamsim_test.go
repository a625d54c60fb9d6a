package iamsim

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// template is a small template with a role, its policy, a bucket policy
// with a TLS-only deny and a topic policy that lets CloudWatch publish.
const template = `{"Resources": {
 "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
 "RolePolicy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "p", "Roles": [{"Ref": "Role"}], "PolicyDocument": {"Version": "2012-10-17", "Statement": [
   {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/raw/*"]]}}]}}},
 "Bucket": {"Type": "AWS::S3::Bucket"},
 "BucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [
   {"Sid": "TLSOnly", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]}, {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]}],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
 "Topic": {"Type": "AWS::SNS::Topic"},
 "TopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {"Topics": [{"Ref": "Topic"}], "PolicyDocument": {"Version": "2012-10-17", "Statement": [
   {"Sid": "Alarms", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish", "Resource": {"Ref": "Topic"},
    "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]}}}
}}`

func TestEvaluate(t *testing.T) {
	p, err := FromTemplate([]byte(template))
	require.NoError(t, err)
	role := "arn:aws:iam::123456789012:role/ref-role"
	topic := "arn:aws:sns:us-east-1:123456789012:ref-topic"
	assert.Equal(t, []string{"RolePolicy"}, p.Identity[role])
	assert.Equal(t, "BucketPolicy", p.resourcePolicy("arn:aws:s3:::ref-bucket/raw/a.csv"))
	tls := map[string]any{"aws:SecureTransport": "true"}
	reqs := []Request{
		{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::ref-bucket/raw/a.csv", Context: tls},
		{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::ref-bucket/raw/a.csv", Context: map[string]any{"aws:SecureTransport": "false"}},
		{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::ref-bucket/curated/a.csv", Context: tls},
		{Principal: "cloudwatch.amazonaws.com", Action: "sns:Publish", Resource: topic, Context: map[string]any{"aws:SourceAccount": "123456789012"}},
		{Principal: "cloudwatch.amazonaws.com", Action: "sns:Publish", Resource: topic, Context: map[string]any{"aws:SourceAccount": "111122223333"}},
		{Principal: "sagemaker.amazonaws.com", Action: "sts:AssumeRole", Resource: role},
		{Principal: "events.amazonaws.com", Action: "sts:AssumeRole", Resource: role},
		{Principal: role, Action: "s3:NoSuchAction", Resource: "arn:aws:s3:::ref-bucket/raw/a.csv"},
	}
	want := []string{"Allowed", "ExplicitlyDenied", "ImplicitlyDenied", "Allowed", "ImplicitlyDenied", "Allowed", "ImplicitlyDenied", "Error"}
	got, err := Evaluate(context.Background(), "", p, reqs)
	require.NoError(t, err)
	require.Len(t, got, len(reqs))
	for i, d := range got {
		assert.Equal(t, want[i], d.Result, "%s", d)
	}
	assert.Equal(t, "Allow Read of identity policy RolePolicy", got[0].Deciding[0].String())
	assert.Contains(t, got[1].String(), "Deny TLSOnly of resource policy BucketPolicy")
	assert.Contains(t, got[3].String(), "Allow Alarms of resource policy TopicPolicy")

	_, err = Check(context.Background(), "", p, reqs[:3])
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "2 of 3 calls")
	assert.Contains(t, msg, role+" s3:GetObject on arn:aws:s3:::ref-bucket/curated/a.csv: ImplicitlyDenied")
	assert.False(t, strings.Contains(msg, "raw/a.csv: Allowed"), msg)
}

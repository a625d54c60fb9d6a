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

// restricted is a template whose bucket denies object access to all but
// its role and an administrator's role defined elsewhere, and a role with
// an AWS managed policy.
const restricted = `{"Resources": {
 "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
 "Lambda": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
   "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}]}},
 "Bucket": {"Type": "AWS::S3::Bucket"},
 "BucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Principal": {"AWS": {"Fn::GetAtt": ["Lambda", "Arn"]}}, "Action": "s3:DeleteObject*", "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]}},
   {"Sid": "Others", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*Object*", "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]},
    "Condition": {"ArnNotLike": {"aws:PrincipalArn": [{"Fn::GetAtt": ["Role", "Arn"]}, {"Fn::GetAtt": ["Lambda", "Arn"]}, "arn:aws:iam::123456789012:role/Admin"]}}}]}}}
}}`

func TestOutsidePrincipals(t *testing.T) {
	p, err := FromTemplate([]byte(restricted))
	require.NoError(t, err)
	role := "arn:aws:iam::123456789012:role/ref-role"
	lambda := "arn:aws:iam::123456789012:role/ref-lambda"
	admin := "arn:aws:iam::123456789012:role/Admin"
	other := "arn:aws:iam::123456789012:role/Analyst"
	object := "arn:aws:s3:::ref-bucket/raw/a.csv"
	ctx := context.Background()
	assert.Contains(t, p.Identity, role, "a role without identity policies is known")

	// Strict by default: an unknown principal, a role whose AWS managed
	// policy's text is missing.
	_, err = Evaluate(ctx, "", p, []Request{{Principal: admin, Action: "s3:GetObject", Resource: object}})
	assert.ErrorContains(t, err, admin+" s3:GetObject on "+object+": the principal is not a role of the template")
	_, err = Evaluate(ctx, "", p, []Request{{Principal: lambda, Action: "s3:DeleteObject", Resource: object}})
	assert.ErrorContains(t, err, "AWS managed policy arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")

	p.Documents["admin"] = map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}}}
	require.NoError(t, p.AddPrincipal(admin, "admin"))
	require.NoError(t, p.AddPrincipal(other))
	assert.ErrorContains(t, p.AddPrincipal(role), "already known")
	assert.ErrorContains(t, p.AddPrincipal("arn:aws:iam::123456789012:role/X", "nope"), `no policy document named "nope"`)
	assert.ErrorContains(t, p.AddPrincipal("s3.amazonaws.com"), "not an IAM principal ARN")
	p.SetAWSManagedPolicy("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": []any{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": "*"}}})

	reqs := []Request{
		{Principal: admin, Action: "s3:GetObject", Resource: object},
		{Principal: other, Action: "s3:GetObject", Resource: object},
		{Principal: lambda, Action: "s3:DeleteObject", Resource: object},
		// The caller's own aws:PrincipalArn wins over the principal's.
		{Principal: admin, Action: "s3:GetObject", Resource: object, Context: map[string]any{"aws:PrincipalArn": other}},
		{Principal: role, Action: "s3:GetObject", Resource: object},
	}
	got, err := Evaluate(ctx, "", p, reqs)
	require.NoError(t, err)
	want := []struct {
		result string
		denies []string
	}{
		{"Allowed", nil},
		{"ExplicitlyDenied", []string{"Others"}},
		{"Allowed", nil},
		{"ExplicitlyDenied", []string{"Others"}},
		{"ImplicitlyDenied", nil},
	}
	for i, d := range got {
		assert.Equal(t, want[i].result, d.Result, "%s", d)
		assert.Equal(t, want[i].denies, d.ExplicitDenies(), "ExplicitDenies of %s", d)
	}
	assert.Nil(t, reqs[0].Context, "Evaluate leaves the requests as they are")
}

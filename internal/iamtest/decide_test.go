package iamtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDenied(t *testing.T) {
	role := map[string]any{"Fn::GetAtt": []any{"Role", "Arn"}}
	policy := map[string]any{"Statement": []any{
		map[string]any{"Sid": "Allow", "Effect": "Allow", "Action": "s3:*"},
		map[string]any{"Sid": "NoTLS", "Effect": "Deny", "Action": "s3:*",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}},
		map[string]any{"Sid": "OldTLS", "Effect": "Deny", "Action": "s3:*",
			"Condition": map[string]any{"NumericLessThan": map[string]any{"s3:TlsVersion": 1.2}}},
		map[string]any{"Sid": "Others", "Effect": "Deny", "Action": []any{"s3:*Object*", "s3:ListBucket*"},
			"Condition": map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": []any{role, "arn:aws:iam::1:role/Admin*"}}}},
	}}
	tests := []struct {
		req     Request
		wantSid string
	}{
		{Request{Action: "s3:GetObject", PrincipalArn: `{"Fn::GetAtt":["Role","Arn"]}`}, ""},
		{Request{Action: "s3:GetObject", PrincipalArn: "arn:aws:iam::1:role/Admins"}, ""},
		{Request{Action: "s3:GetObjectVersion", PrincipalArn: "arn:aws:iam::1:role/Other"}, "Others"},
		{Request{Action: "s3:ListBucketVersions"}, "Others"},
		{Request{Action: "s3:PutBucketPolicy", PrincipalArn: "arn:aws:iam::1:role/Other"}, ""},
		{Request{Action: "s3:PutBucketPolicy", Context: map[string]string{"aws:SecureTransport": "false"}}, "NoTLS"},
		{Request{Action: "s3:PutBucketPolicy", Context: map[string]string{"aws:SecureTransport": "true"}}, ""},
		{Request{Action: "s3:PutBucketPolicy", Context: map[string]string{"s3:TlsVersion": "1.1"}}, "OldTLS"},
		{Request{Action: "s3:PutBucketPolicy", Context: map[string]string{"s3:TlsVersion": "1.3"}}, ""},
	}
	for _, tt := range tests {
		denied, sid := Denied(t, policy, tt.req)
		assert.Equal(t, tt.wantSid != "", denied, "Denied(%+v)", tt.req)
		assert.Equal(t, tt.wantSid, sid, "Denied(%+v) statement", tt.req)
	}
}

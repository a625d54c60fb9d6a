// Package keys defines the pipeline's customer-managed KMS keys and lets
// the AWS services that encrypt with them use them.
package keys

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// NewKey defines a KMS key with automatic rotation that removal applies
// to. A key that is destroyed with its stack gets the shortest pending
// window KMS allows, 7 days, so a torn-down environment stops costing soon.
func NewKey(scope constructs.Construct, id, description string, removal awscdk.RemovalPolicy) awskms.Key {
	props := &awskms.KeyProps{
		Description:       jsii.String(description),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal,
	}
	if removal == awscdk.RemovalPolicy_DESTROY {
		props.PendingWindow = awscdk.Duration_Days(jsii.Number(7))
	}
	return awskms.NewKey(scope, jsii.String(id), props)
}

// AllowLogs lets CloudWatch Logs in the region of scope's stack encrypt log
// groups with key: it does so only if the key policy allows the regional
// logs service. An imported key's policy cannot be changed here.
//
// The statement holds only for log groups of the stack's account and
// region, which CloudWatch Logs names in the encryption context, so that
// no other account's log group can use the key through the service
// (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using
// AWS KMS", step 2).
func AllowLogs(scope constructs.Construct, key awskms.IKey) {
	stack := awscdk.Stack_Of(scope)
	groups := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: jsii.String("*"),
		ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	service := awsiam.NewServicePrincipal(jsii.String(fmt.Sprintf("logs.%s.amazonaws.com", *stack.Region())), nil)
	logs := awsiam.NewPrincipalWithConditions(service,
		&map[string]any{"ArnLike": map[string]any{"kms:EncryptionContext:aws:logs:arn": groups}})
	key.Grant(logs, jsii.String("kms:Encrypt*"), jsii.String("kms:Decrypt*"), jsii.String("kms:ReEncrypt*"),
		jsii.String("kms:GenerateDataKey*"))
	// DescribeKey carries no encryption context (Service Authorization
	// Reference), so the condition would deny it; it reveals only the key's
	// metadata.
	key.Grant(service, jsii.String("kms:Describe*"))
}

package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// nagException is a cdk-nag rule that the stack breaks on purpose, with
// the reason, on the resources below the construct at path (relative to
// the stack). The constructs suppress what is theirs to decide; these are
// decisions of the whole deployment, kept in one place for review.
type nagException struct {
	path   string
	rule   string
	reason string
}

var nagExceptions = []nagException{
	{"Storage/DataBucket", "NIST.800.53.R5-S3BucketReplicationEnabled", replicationReason},
	{"Storage/ArtifactBucket", "NIST.800.53.R5-S3BucketReplicationEnabled", replicationReason},
	{"Storage/AccessLogBucket", "NIST.800.53.R5-S3BucketReplicationEnabled",
		"Server access logs are an audit trail of the other buckets in the same Region; they are versioned and retained, not replicated."},
	{"Storage/AccessLogBucket", "NIST.800.53.R5-S3DefaultEncryptionKMS",
		"S3 server access logging cannot deliver to a bucket whose default encryption is SSE-KMS; this bucket uses SSE-S3 and holds only access logs."},
	{"JobRole", "NIST.800.53.R5-IAMNoInlinePolicy", inlinePolicyReason},
	{"Training/Role", "NIST.800.53.R5-IAMNoInlinePolicy", inlinePolicyReason},
	{"Inference/Role", "NIST.800.53.R5-IAMNoInlinePolicy", inlinePolicyReason},
	{"Schedules/Role", "NIST.800.53.R5-IAMNoInlinePolicy", inlinePolicyReason},
}

const (
	replicationReason = "Replication needs a destination bucket in a second Region, which this stack does not own. " +
		"Versioning with noncurrent-version retention and RemovalPolicy RETAIN protect the data in its Region; " +
		"where a second site is required, bring buckets with replication (storage.StorageProps DataBucket and ArtifactBucket)."
	inlinePolicyReason = "The role's policy is generated from the exact grants of the pipeline's tasks and belongs to this one role: " +
		"it is created, reviewed (IAM contract tests) and deleted with the role, and cannot be attached to another principal. " +
		"A managed policy would add a second, reusable copy of the same least-privilege statements without narrowing them."
)

// suppressNagFindings applies nagExceptions to the constructs of stack,
// which exist in every environment.
func suppressNagFindings(stack awscdk.Stack) {
	for _, e := range nagExceptions {
		cdknag.NagSuppressions_AddResourceSuppressionsByPath(stack, jsii.String("/"+*stack.StackName()+"/"+e.path),
			&[]*cdknag.NagPackSuppression{{Id: jsii.String(e.rule), Reason: jsii.String(e.reason)}}, jsii.Bool(true))
	}
}

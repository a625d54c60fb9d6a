// Package storage defines the pipeline's stores: a data bucket, an artifact
// bucket, an access-log bucket and the KMS key that encrypts them, with grants
// limited to one key prefix at a time.
package storage

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/mlpipeline-go/mlpipeline/constructs/keys"
)

// Key prefixes of the data bucket.
const (
	// PrefixRaw holds the raw input files of training.
	PrefixRaw = "raw/"
	// PrefixCurated holds the preprocessed splits and the fitted preprocessor.
	PrefixCurated = "curated/"
	// PrefixInference holds the raw files to score in batch inference.
	PrefixInference = "inference/"
	// PrefixPredictions holds batch inference output, one folder per run.
	PrefixPredictions = "predictions/"
)

// Key prefixes of the artifact bucket.
const (
	// PrefixModels holds trained models (model.tar.gz).
	PrefixModels = "models/"
	// PrefixEvaluation holds evaluation.json and the evaluation reports.
	PrefixEvaluation = "evaluation/"
)

// defaultNoncurrentVersionExpirationDays bounds what old object versions cost
// while leaving three months to recover an overwritten object.
const defaultNoncurrentVersionExpirationDays = 90

// StorageProps configures Storage. The zero value creates everything.
type StorageProps struct {
	// EncryptionKey encrypts the data and artifact buckets; when buckets are
	// brought, it must be the key that encrypts them so that grants cover it.
	// Default: a new KMS key with automatic rotation.
	EncryptionKey awskms.IKey
	// DataBucket holds raw, curated and inference data and predictions.
	// Default: a new versioned bucket encrypted with EncryptionKey.
	DataBucket awss3.IBucket
	// ArtifactBucket holds models and evaluation reports.
	// Default: a new versioned bucket encrypted with EncryptionKey.
	ArtifactBucket awss3.IBucket
	// AccessLogBucket receives the server access logs of the new buckets.
	// Default: a new bucket with S3-managed encryption (S3 cannot deliver
	// server access logs to a bucket that uses SSE-KMS), created only when
	// this construct creates a bucket.
	AccessLogBucket awss3.IBucket
	// RemovalPolicy applies to the key and the new buckets. DESTROY also
	// deletes the objects of the new buckets when the stack is deleted.
	// Default: RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
	// NoncurrentVersionExpirationDays is how long new buckets keep an object
	// version after it was overwritten or deleted.
	// Default: 90.
	NoncurrentVersionExpirationDays int
}

// validate reports the first prop that NewStorage cannot honour.
func (p *StorageProps) validate() error {
	switch p.RemovalPolicy {
	case "", awscdk.RemovalPolicy_RETAIN, awscdk.RemovalPolicy_DESTROY:
	default:
		return fmt.Errorf("storage: removal policy %q is not supported; valid: RETAIN or DESTROY", p.RemovalPolicy)
	}
	if p.NoncurrentVersionExpirationDays < 0 {
		return fmt.Errorf("storage: noncurrent version expiration %d days is negative; valid: 0 for the default of %d, or a positive number of days",
			p.NoncurrentVersionExpirationDays, defaultNoncurrentVersionExpirationDays)
	}
	return nil
}

// Storage is the pipeline's set of stores.
type Storage interface {
	constructs.Construct
	// Key returns the KMS key that encrypts the data and artifact buckets.
	Key() awskms.IKey
	// DataBucket returns the bucket of raw, curated and inference data and predictions.
	DataBucket() awss3.IBucket
	// ArtifactBucket returns the bucket of models and evaluation reports.
	ArtifactBucket() awss3.IBucket
	// AccessLogBucket returns the bucket of server access logs, or nil when
	// this construct created no bucket and none was given.
	AccessLogBucket() awss3.IBucket
	// GrantReadData lets grantee list and read the objects of the data bucket
	// under prefix, and decrypt them.
	GrantReadData(grantee awsiam.IGrantable, prefix string) awsiam.Grant
	// GrantWriteData lets grantee write objects to the data bucket under
	// prefix, encrypted with the key.
	GrantWriteData(grantee awsiam.IGrantable, prefix string) awsiam.Grant
	// GrantReadArtifacts lets grantee list and read the objects of the
	// artifact bucket under prefix, and decrypt them.
	GrantReadArtifacts(grantee awsiam.IGrantable, prefix string) awsiam.Grant
	// GrantWriteArtifacts lets grantee write objects to the artifact bucket
	// under prefix, encrypted with the key.
	GrantWriteArtifacts(grantee awsiam.IGrantable, prefix string) awsiam.Grant
	// RestrictAccess adds to the policies of the data and artifact buckets
	// this construct created two denials: of uploads not encrypted with
	// SSE-KMS under Key, and of every object and listing action to any
	// principal but roles. Grants still decide what roles may do; the
	// denials keep everyone else out, whatever their own policies allow.
	// Brought buckets are left alone: their policies are their owner's.
	// Uploaders must send x-amz-server-side-encryption: aws:kms and Key's
	// ARN as x-amz-server-side-encryption-aws-kms-key-id (aws s3 cp --sse
	// aws:kms --sse-kms-key-id <arn>); SageMaker does when a job's output
	// KMS key is Key.
	RestrictAccess(roles []awsiam.IRole)
}

type storage struct {
	constructs.Construct
	key       awskms.IKey
	data      awss3.IBucket
	artifacts awss3.IBucket
	accessLog awss3.IBucket
	// owned are the data and artifact buckets this construct created.
	owned []awss3.Bucket
}

// NewStorage defines the key and the buckets that props does not bring.
// It panics when props are invalid, as CDK constructs do.
func NewStorage(scope constructs.Construct, id string, props *StorageProps) Storage {
	if props == nil {
		props = &StorageProps{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	this := constructs.NewConstruct(scope, &id)
	removal := props.RemovalPolicy
	if removal == "" {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	s := &storage{Construct: this, key: props.EncryptionKey, data: props.DataBucket, artifacts: props.ArtifactBucket, accessLog: props.AccessLogBucket}

	if s.key == nil {
		s.key = keys.NewKey(this, "Key", "Encrypts the ML pipeline's data and artifact buckets.", removal)
	}
	if s.accessLog == nil && (s.data == nil || s.artifacts == nil) {
		logs := newBucket(this, "AccessLogBucket", props, removal, &awss3.BucketProps{
			Encryption: awss3.BucketEncryption_S3_MANAGED,
		})
		cdknag.NagSuppressions_AddResourceSuppressions(logs, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-S1"),
			Reason: jsii.String("This is the server access log bucket; logging its own access into itself would loop."),
		}}, jsii.Bool(true))
		s.accessLog = logs
	}
	if s.data == nil {
		data := newBucket(this, "DataBucket", props, removal, &awss3.BucketProps{
			Encryption:             awss3.BucketEncryption_KMS,
			EncryptionKey:          s.key,
			BucketKeyEnabled:       jsii.Bool(true),
			ServerAccessLogsBucket: s.accessLog,
			ServerAccessLogsPrefix: jsii.String("data/"),
		})
		s.data = data
		s.owned = append(s.owned, data)
	}
	if s.artifacts == nil {
		artifacts := newBucket(this, "ArtifactBucket", props, removal, &awss3.BucketProps{
			Encryption:             awss3.BucketEncryption_KMS,
			EncryptionKey:          s.key,
			BucketKeyEnabled:       jsii.Bool(true),
			ServerAccessLogsBucket: s.accessLog,
			ServerAccessLogsPrefix: jsii.String("artifacts/"),
		})
		s.artifacts = artifacts
		s.owned = append(s.owned, artifacts)
	}
	return s
}

// newBucket defines a bucket with the settings every store shares on top of
// the encryption and logging settings in base.
func newBucket(scope constructs.Construct, id string, props *StorageProps, removal awscdk.RemovalPolicy, base *awss3.BucketProps) awss3.Bucket {
	days := props.NoncurrentVersionExpirationDays
	if days == 0 {
		days = defaultNoncurrentVersionExpirationDays
	}
	base.BlockPublicAccess = awss3.BlockPublicAccess_BLOCK_ALL()
	base.EnforceSSL = jsii.Bool(true)
	base.MinimumTLSVersion = jsii.Number(1.2)
	base.Versioned = jsii.Bool(true)
	base.RemovalPolicy = removal
	base.AutoDeleteObjects = jsii.Bool(removal == awscdk.RemovalPolicy_DESTROY)
	base.LifecycleRules = &[]*awss3.LifecycleRule{{
		Id:                                  jsii.String("ExpireNoncurrentVersions"),
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(float64(days))),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
	}}
	return awss3.NewBucket(scope, jsii.String(id), base)
}

func (s *storage) Key() awskms.IKey               { return s.key }
func (s *storage) DataBucket() awss3.IBucket      { return s.data }
func (s *storage) ArtifactBucket() awss3.IBucket  { return s.artifacts }
func (s *storage) AccessLogBucket() awss3.IBucket { return s.accessLog }
func (s *storage) GrantReadData(g awsiam.IGrantable, prefix string) awsiam.Grant {
	return s.grantRead(s.data, g, prefix)
}
func (s *storage) GrantWriteData(g awsiam.IGrantable, prefix string) awsiam.Grant {
	return s.grantWrite(s.data, g, prefix)
}
func (s *storage) GrantReadArtifacts(g awsiam.IGrantable, prefix string) awsiam.Grant {
	return s.grantRead(s.artifacts, g, prefix)
}
func (s *storage) GrantWriteArtifacts(g awsiam.IGrantable, prefix string) awsiam.Grant {
	return s.grantWrite(s.artifacts, g, prefix)
}

// grantRead allows GetObject under prefix, ListBucket restricted to prefix,
// and Decrypt on the key.
func (s *storage) grantRead(bucket awss3.IBucket, grantee awsiam.IGrantable, prefix string) awsiam.Grant {
	checkPrefix(prefix)
	objects := awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("s3:GetObject"),
		ResourceArns: jsii.Strings(*bucket.ArnForObjects(jsii.String(prefix + "*"))),
	})
	list := awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("s3:ListBucket"),
		ResourceArns: jsii.Strings(*bucket.BucketArn()),
		Conditions: &map[string]*map[string]any{
			"StringLike": {"s3:prefix": prefix + "*"},
		},
	})
	return objects.Combine(list).Combine(s.key.GrantDecrypt(grantee))
}

// grantWrite allows PutObject under prefix and the key actions an SSE-KMS
// upload needs: GenerateDataKey for every object, Decrypt for multipart ones.
func (s *storage) grantWrite(bucket awss3.IBucket, grantee awsiam.IGrantable, prefix string) awsiam.Grant {
	checkPrefix(prefix)
	objects := awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("s3:PutObject", "s3:AbortMultipartUpload"),
		ResourceArns: jsii.Strings(*bucket.ArnForObjects(jsii.String(prefix + "*"))),
	})
	return objects.Combine(s.key.Grant(grantee, jsii.String("kms:GenerateDataKey"), jsii.String("kms:Decrypt")))
}

// objectActions are what RestrictAccess denies to other principals: every
// action on objects and on listing them. Bucket settings are left out, so
// CloudFormation can still manage the buckets.
var objectActions = []string{"s3:*Object*", "s3:ListBucket*", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"}

// autoDeleteProvider is the construct ID of CDK's singleton provider that
// empties buckets with AutoDeleteObjects before they are deleted.
const autoDeleteProvider = "Custom::S3AutoDeleteObjectsCustomResourceProvider"

func (s *storage) RestrictAccess(roles []awsiam.IRole) {
	if len(s.owned) == 0 {
		return
	}
	arns := make([]*string, 0, len(roles)+1)
	for _, r := range roles {
		arns = append(arns, r.RoleArn())
	}
	// Buckets that delete their objects on stack deletion must let CDK's
	// provider do so.
	if provider := awscdk.Stack_Of(s.Construct).Node().TryFindChild(jsii.String(autoDeleteProvider)); provider != nil {
		if role, ok := provider.Node().TryFindChild(jsii.String("Role")).(awscdk.CfnResource); ok {
			arns = append(arns, role.GetAtt(jsii.String("Arn"), awscdk.ResolutionTypeHint_STRING).ToString())
		}
	}
	for _, bucket := range s.owned {
		objects := bucket.ArnForObjects(jsii.String("*"))
		for _, st := range []*awsiam.PolicyStatementProps{{
			Sid:        jsii.String("DenyUploadsWithoutSSEKMS"),
			Actions:    jsii.Strings("s3:PutObject"),
			Resources:  &[]*string{objects},
			Conditions: &map[string]any{"StringNotEquals": map[string]any{"s3:x-amz-server-side-encryption": "aws:kms"}},
		}, {
			// Without the key ID, S3 would use the AWS managed key aws/s3.
			Sid:        jsii.String("DenyUploadsWithOtherKeys"),
			Actions:    jsii.Strings("s3:PutObject"),
			Resources:  &[]*string{objects},
			Conditions: &map[string]any{"StringNotEquals": map[string]any{"s3:x-amz-server-side-encryption-aws-kms-key-id": s.key.KeyArn()}},
		}, {
			// aws:PrincipalArn is the role's ARN for its sessions too.
			Sid:        jsii.String("DenyObjectAccessToOtherPrincipals"),
			Actions:    jsii.Strings(objectActions...),
			Resources:  &[]*string{bucket.BucketArn(), objects},
			Conditions: &map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": arns}},
		}} {
			st.Effect = awsiam.Effect_DENY
			st.Principals = &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()}
			bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(st))
		}
	}
}

// checkPrefix panics on a prefix that would grant more than a folder:
// "raw" would also match "rawdata/", and "" the whole bucket.
func checkPrefix(prefix string) {
	if prefix == "" || !strings.HasSuffix(prefix, "/") || strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "*?") {
		panic(fmt.Sprintf("storage: grant prefix %q is invalid; valid: a key prefix ending in \"/\" without wildcards, such as %q", prefix, PrefixRaw))
	}
}

// Package roles defines the execution role of the pipeline's SageMaker jobs,
// limited to what the four jobs do: the storage prefixes each reads and
// writes, their logs and metrics, and pulling the job image.
package roles

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/mlpipeline-go/mlpipeline/constructs/images"
	"github.com/mlpipeline-go/mlpipeline/constructs/storage"
)

// jobLogGroups matches the log groups SageMaker writes job logs to:
// /aws/sagemaker/ProcessingJobs and /aws/sagemaker/TrainingJobs, with one
// stream per job and instance.
const jobLogGroups = "/aws/sagemaker/*"

// jobMetricNamespaces matches the CloudWatch namespaces SageMaker publishes
// job metrics to, such as /aws/sagemaker/TrainingJobs.
const jobMetricNamespaces = "/aws/sagemaker/*"

// An access is one prefix that the jobs read or write.
type access struct {
	artifacts bool // the artifact bucket, not the data bucket
	write     bool
	prefix    string
	why       string // which jobs need it, for the nag suppression
}

// accesses is all the storage the jobs touch:
//
//	preprocess reads data raw/ and writes data curated/;
//	train reads data curated/ and writes artifacts models/;
//	evaluate reads data curated/ and artifacts models/, writes artifacts evaluation/;
//	infer reads data inference/ and artifacts models/, writes data predictions/.
var accesses = []access{
	{prefix: storage.PrefixRaw, why: "preprocess reads the raw training files"},
	{prefix: storage.PrefixCurated, write: true, why: "preprocess writes the splits and the fitted preprocessor"},
	{prefix: storage.PrefixCurated, why: "train and evaluate read the splits"},
	{prefix: storage.PrefixInference, why: "infer reads the files to score"},
	{prefix: storage.PrefixPredictions, write: true, why: "infer writes the predictions of each run"},
	{artifacts: true, prefix: storage.PrefixModels, write: true, why: "train writes the model"},
	{artifacts: true, prefix: storage.PrefixModels, why: "evaluate and infer read the model"},
	{artifacts: true, prefix: storage.PrefixEvaluation, write: true, why: "evaluate writes evaluation.json and the report"},
}

// SageMakerRoleProps configures SageMakerRole.
type SageMakerRoleProps struct {
	// Role is used instead of creating one; the grants are added to its
	// policy, and it must trust sagemaker.amazonaws.com. An imported role
	// must be mutable (the default of awsiam.Role_FromRoleArn) for the
	// grants to land; an immutable one silently gets none of them, so it
	// must already allow: s3:GetObject, and s3:ListBucket limited by
	// s3:prefix, on data raw/, curated/, inference/ and artifacts models/;
	// s3:PutObject and s3:AbortMultipartUpload on data curated/,
	// predictions/ and artifacts models/, evaluation/; kms:Decrypt,
	// kms:GenerateDataKey and kms:Encrypt on the buckets' key; logs:CreateLogGroup,
	// CreateLogStream, PutLogEvents and DescribeLogStreams on
	// log-group:/aws/sagemaker/*; cloudwatch:PutMetricData in the
	// /aws/sagemaker/* namespaces; and pulling the image (ecr:
	// BatchCheckLayerAvailability, GetDownloadUrlForLayer, BatchGetImage on
	// its repository, GetAuthorizationToken).
	// Default: a new role assumed by sagemaker.amazonaws.com.
	Role awsiam.IRole
	// Storage holds what the jobs read and write. Required.
	Storage storage.Storage
	// Image is the job image that the role pulls.
	// Default: no pull rights (an image that SageMaker can pull otherwise).
	Image images.JobImage
	// Vpc, Subnets and SecurityGroups are where the jobs run, when they
	// run in a VPC: the role may then create network interfaces only in
	// those subnets with those groups, and manage interfaces only in Vpc.
	// All three or none. Default: no EC2 permissions.
	Vpc awsec2.IVpc
	// Subnets: see Vpc.
	Subnets []awsec2.ISubnet
	// SecurityGroups: see Vpc.
	SecurityGroups []awsec2.ISecurityGroup
	// VolumeKmsKey encrypts the jobs' storage volumes: the role may create
	// grants on it for AWS resources (the volumes) only.
	// Default: no volume key permissions.
	VolumeKmsKey awskms.IKey
}

// validate reports the first prop that NewSageMakerRole cannot honour.
func (p *SageMakerRoleProps) validate() error {
	if p.Storage == nil {
		return errors.New("roles: storage is nil; valid: the pipeline's storage.Storage, whose buckets the jobs read and write")
	}
	if n := len(p.Subnets); (p.Vpc == nil) != (n == 0) || (n == 0) != (len(p.SecurityGroups) == 0) {
		return fmt.Errorf("roles: vpc set %t with %d subnets and %d security groups; valid: all three set, or none", p.Vpc != nil, n, len(p.SecurityGroups))
	}
	return nil
}

// SageMakerRole is the execution role of the pipeline's SageMaker jobs.
type SageMakerRole interface {
	constructs.Construct
	// Role returns the role that the jobs run as.
	Role() awsiam.IRole
}

type sageMakerRole struct {
	constructs.Construct
	role awsiam.IRole
}

// NewSageMakerRole defines the execution role of the SageMaker jobs, or
// adds the jobs' grants to the brought one. It panics when props are
// invalid, as CDK constructs do.
func NewSageMakerRole(scope constructs.Construct, id string, props *SageMakerRoleProps) SageMakerRole {
	if props == nil {
		props = &SageMakerRoleProps{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	this := constructs.NewConstruct(scope, &id)
	role := props.Role
	if role == nil {
		// No managed policies: AmazonSageMakerFullAccess and the like grant
		// far more than the jobs use (cdk-nag AwsSolutions-IAM4).
		role = awsiam.NewRole(this, jsii.String("Resource"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil),
			Description: jsii.String("Runs the ML pipeline's SageMaker jobs: preprocess, train, evaluate and infer."),
		})
	}
	stack := awscdk.Stack_Of(this)
	var suppressions []*cdknag.NagPackSuppression

	// Storage: each job reads and writes only its own prefixes. Object keys
	// are named per run, so each grant covers a prefix (bucket/prefix/*),
	// which cdk-nag flags; the suppression names the exact resource.
	objectReasons := map[string][]string{}
	var objectFindings []string
	for _, a := range accesses {
		bucket, grant := props.Storage.DataBucket(), props.Storage.GrantReadData
		switch {
		case a.artifacts && a.write:
			bucket, grant = props.Storage.ArtifactBucket(), props.Storage.GrantWriteArtifacts
		case a.artifacts:
			bucket, grant = props.Storage.ArtifactBucket(), props.Storage.GrantReadArtifacts
		case a.write:
			grant = props.Storage.GrantWriteData
		}
		grant(role, a.prefix)
		finding := nagResource(role, bucket.ArnForObjects(jsii.String(a.prefix+"*")))
		if objectReasons[finding] == nil {
			objectFindings = append(objectFindings, finding)
		}
		objectReasons[finding] = append(objectReasons[finding], a.why)
	}
	for _, finding := range objectFindings {
		suppressions = append(suppressions, &cdknag.NagPackSuppression{
			Id:        jsii.String("AwsSolutions-IAM5"),
			AppliesTo: &[]any{finding},
			Reason: jsii.String(strings.Join(objectReasons[finding], "; ") +
				". Object keys are named per run, so the grant covers every object under this one prefix and nothing outside it."),
		})
	}

	// Outputs: the jobs' outputs and models are encrypted with the storage
	// key (ProcessingOutputConfig.KmsKeyId, OutputDataConfig.KmsKeyId), and
	// "if you use a KMS key ID or an alias of your KMS key, the SageMaker
	// execution role must include permissions to call kms:Encrypt"
	// (SageMaker API Reference, OutputDataConfig). The uploads themselves
	// use kms:GenerateDataKey, granted with the write prefixes above.
	props.Storage.Key().Grant(role, jsii.String("kms:Encrypt"))

	// Logs: SageMaker sends each job's stdout and stderr to CloudWatch Logs
	// as the job's role, creating the log group and the job's streams on
	// first use. The groups are SageMaker's (/aws/sagemaker/ProcessingJobs,
	// /aws/sagemaker/TrainingJobs); the streams are named per job at run
	// time, hence the wildcard. The ARN also matches the groups' streams
	// (log-group:/aws/sagemaker/...:log-stream:...).
	logGroups := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("logs"),
		Resource:     jsii.String("log-group"),
		ResourceName: jsii.String(jobLogGroups),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
		Resources: jsii.Strings(*logGroups),
	}))
	suppressions = append(suppressions, &cdknag.NagPackSuppression{
		Id:        jsii.String("AwsSolutions-IAM5"),
		AppliesTo: &[]any{nagResource(role, logGroups)},
		Reason: jsii.String("SageMaker writes job logs to its own log groups under /aws/sagemaker/ " +
			"(ProcessingJobs, TrainingJobs), one stream per job and instance named at run time; the grant covers only those groups."),
	})

	// Metrics: SageMaker publishes the jobs' metrics (the metric definitions
	// scraped from the train job's log) as the job's role. PutMetricData has
	// no resource-level permissions, so AWS requires Resource "*"; the
	// namespace condition keeps it to SageMaker's namespaces.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("cloudwatch:PutMetricData"),
		Resources: jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringLike": map[string]any{"cloudwatch:namespace": jobMetricNamespaces},
		},
	}))

	// Image: SageMaker pulls the job image as the job's role. GrantPull
	// allows the layer and image reads on the repository alone, and
	// ecr:GetAuthorizationToken, which has no resource-level permissions
	// (AWS requires Resource "*").
	if props.Image != nil {
		props.Image.GrantPull(role)
	}
	suppressions = append(suppressions, &cdknag.NagPackSuppression{
		Id:        jsii.String("AwsSolutions-IAM5"),
		AppliesTo: &[]any{"Resource::*"},
		Reason: jsii.String("Only for actions without resource-level permissions, where AWS requires Resource \"*\": " +
			"cloudwatch:PutMetricData (conditioned on the /aws/sagemaker/* namespaces), ecr:GetAuthorizationToken (to pull the job image) " +
			"and, for jobs in a VPC, the ec2:Describe* calls SageMaker makes to check the subnets and security groups."),
	})

	if props.Vpc != nil {
		suppressions = append(suppressions, grantNetworkInterfaces(stack, role, props)...)
	}
	if props.VolumeKmsKey != nil {
		// SageMaker attaches the encrypted volumes through a grant that the
		// job's role creates; only AWS services may use such a grant.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:    jsii.Strings("kms:CreateGrant"),
			Resources:  &[]*string{props.VolumeKmsKey.KeyArn()},
			Conditions: &map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": true}},
		}))
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("kms:DescribeKey"),
			Resources: &[]*string{props.VolumeKmsKey.KeyArn()},
		}))
	}

	// After the grants: the suppressions go to the policies they created.
	cdknag.NagSuppressions_AddResourceSuppressions(role, &suppressions, jsii.Bool(true))
	return &sageMakerRole{Construct: this, role: role}
}

func (r *sageMakerRole) Role() awsiam.IRole { return r.role }

// grantNetworkInterfaces allows what SageMaker does as the job's role to
// place a job in the VPC: create an elastic network interface per instance
// in the job subnets with the job security groups, let the SageMaker
// service attach it, and delete it afterwards. It returns the cdk-nag
// suppressions of the statements that AWS only allows on "*".
func grantNetworkInterfaces(stack awscdk.Stack, role awsiam.IRole, props *SageMakerRoleProps) []*cdknag.NagPackSuppression {
	ec2Arn := func(resource, name string) *string {
		return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ec2"), Resource: jsii.String(resource),
			ResourceName: jsii.String(name), ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME})
	}
	interfaces := ec2Arn("network-interface", "*")
	create := []*string{interfaces}
	for _, sn := range props.Subnets {
		create = append(create, ec2Arn("subnet", *sn.SubnetId()))
	}
	for _, sg := range props.SecurityGroups {
		create = append(create, ec2Arn("security-group", *sg.SecurityGroupId()))
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ec2:CreateNetworkInterface"),
		Resources: &create,
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"),
		Resources: &[]*string{interfaces},
		Conditions: &map[string]any{
			"ArnEquals": map[string]any{"ec2:Vpc": ec2Arn("vpc", *props.Vpc.VpcId())},
		},
	}))
	// Describe actions have no resource-level permissions.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
			"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"),
		Resources: jsii.Strings("*"),
	}))
	return []*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		AppliesTo: &[]any{nagResource(role, interfaces)},
		Reason: jsii.String("SageMaker creates one network interface per job instance, named by EC2 at run time; creation is limited to the job subnets " +
			"and security groups, and managing interfaces to the job VPC."),
	}}
}

// nagResource returns the finding under which cdk-nag reports a wildcard in
// the resource arn ("Resource::" and the flattened ARN), so that a
// suppression applies to exactly that resource, whatever the stack's
// environment makes of the ARN (tokens or literals).
func nagResource(scope constructs.IConstruct, arn *string) string {
	return "Resource::" + flattenCfnReference(awscdk.Stack_Of(scope).Resolve(arn))
}

// flattenCfnReference renders a resolved CloudFormation value the way
// cdk-nag's utility of the same name does: joins joined, references as
// <Name> and <Resource.Attribute>, anything else as JSON.
func flattenCfnReference(v any) string {
	switch v := v.(type) {
	case string:
		return strings.NewReplacer("${", "<", "}", ">").Replace(v)
	case map[string]any:
		if join, ok := v["Fn::Join"].([]any); ok && len(join) == 2 {
			delimiter, _ := join[0].(string)
			items, _ := join[1].([]any)
			parts := make([]string, len(items))
			for i, item := range items {
				parts[i] = flattenCfnReference(item)
			}
			return strings.Join(parts, delimiter)
		}
		if sub, ok := v["Fn::Sub"]; ok {
			return flattenCfnReference(sub)
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) == 2 {
			return fmt.Sprintf("<%s.%s>", flattenCfnReference(att[0]), flattenCfnReference(att[1]))
		}
		if imp, ok := v["Fn::ImportValue"]; ok {
			return flattenCfnReference(imp)
		}
		if ref, ok := v["Ref"]; ok {
			return "<" + flattenCfnReference(ref) + ">"
		}
	}
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("roles: cannot render %v for a cdk-nag suppression: %v", v, err))
	}
	return string(data)
}

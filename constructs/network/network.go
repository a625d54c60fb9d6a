// Package network defines the private network the pipeline's SageMaker jobs
// run in: subnets without a route to the internet, the VPC endpoints through
// which the jobs still reach S3, ECR, CloudWatch Logs, SageMaker and STS, and
// the security group of the jobs' network interfaces.
package network

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/mlpipeline-go/mlpipeline/constructs/keys"
)

// httpsPort is the port of every AWS API the jobs call.
const httpsPort = 443

// JobNetworkProps configures JobNetwork. The zero value creates a new VPC.
type JobNetworkProps struct {
	// Vpc is used instead of creating one, for example a platform team's
	// VPC. Its Subnets must have no route to the internet (no internet or
	// NAT gateway): the jobs may send HTTPS anywhere, so the route tables
	// are what keeps them inside the VPC and its endpoints. Its flow logs
	// are the VPC owner's business.
	// Default: a new VPC with one isolated subnet per Availability Zone in
	// 2 Availability Zones, no internet or NAT gateway, the default security
	// group's rules removed, and a flow log of all traffic.
	Vpc awsec2.IVpc
	// Subnets selects the job subnets of Vpc; set it only with Vpc.
	// The interface endpoints go into one of them per Availability Zone,
	// and the S3 gateway endpoint onto their route tables.
	// Default: the isolated (PRIVATE_ISOLATED) subnets of the VPC; for a
	// brought VPC without isolated subnets, set Subnets.
	Subnets *awsec2.SubnetSelection
	// SkipEndpoints leaves out the VPC endpoints, for a brought Vpc that
	// already has them (interface endpoints with private DNS, and an S3
	// gateway endpoint on the job subnets' route tables).
	// Default: false, the endpoints are created.
	SkipEndpoints bool
	// EncryptionKey encrypts the flow log group of a new VPC; its key policy
	// is given a statement that lets CloudWatch Logs in the stack's region
	// use it (this has no effect on an imported key, whose owner must add
	// it). Ignored when Vpc is given.
	// Default: a new KMS key with automatic rotation.
	EncryptionKey awskms.IKey
	// FlowLogRetention is how long the flow log of a new VPC keeps records.
	// Ignored when Vpc is given.
	// Default: one year, long enough to investigate an incident after the
	// fact (NIST 800-53 AU-11) without keeping every packet record forever.
	FlowLogRetention awslogs.RetentionDays
	// RemovalPolicy applies to the flow log group and the new key.
	// Ignored when Vpc is given.
	// Default: RETAIN.
	RemovalPolicy awscdk.RemovalPolicy
}

// validate reports the first prop that NewJobNetwork cannot honour.
func (p *JobNetworkProps) validate() error {
	if p.Subnets != nil && p.Vpc == nil {
		return fmt.Errorf("network: subnets are given without a vpc; valid: set Vpc to the VPC the subnets are in, or leave Subnets nil for the isolated subnets of a new VPC")
	}
	if p.SkipEndpoints && p.Vpc == nil {
		return fmt.Errorf("network: skip endpoints is true for a new vpc, whose jobs could then reach no AWS service; valid: SkipEndpoints only with a Vpc that has the endpoints")
	}
	switch p.RemovalPolicy {
	case "", awscdk.RemovalPolicy_RETAIN, awscdk.RemovalPolicy_DESTROY:
	default:
		return fmt.Errorf("network: removal policy %q is not supported; valid: RETAIN or DESTROY", p.RemovalPolicy)
	}
	return nil
}

// JobNetwork is the network the pipeline's SageMaker jobs run in: pass its
// subnets and security group as the VpcConfig of every job.
type JobNetwork interface {
	constructs.Construct
	// Vpc returns the VPC the jobs run in.
	Vpc() awsec2.IVpc
	// Subnets returns the subnets the jobs run in.
	Subnets() []awsec2.ISubnet
	// SecurityGroup returns the security group of the jobs' network interfaces.
	SecurityGroup() awsec2.ISecurityGroup
}

type jobNetwork struct {
	constructs.Construct
	vpc           awsec2.IVpc
	subnets       []awsec2.ISubnet
	securityGroup awsec2.ISecurityGroup
}

// interfaceEndpoints are the AWS services jobs call besides S3, by the
// construct ID of their endpoint: ECR to pull the job image (API and
// registry), CloudWatch Logs for the container logs, SageMaker for the
// model registry, STS for the SDKs' credential and identity calls.
var interfaceEndpoints = []struct {
	id      string
	service func() awsec2.InterfaceVpcEndpointAwsService
}{
	{"EcrApiEndpoint", awsec2.InterfaceVpcEndpointAwsService_ECR},
	{"EcrDockerEndpoint", awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER},
	{"LogsEndpoint", awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS},
	{"SageMakerApiEndpoint", awsec2.InterfaceVpcEndpointAwsService_SAGEMAKER_API},
	{"StsEndpoint", awsec2.InterfaceVpcEndpointAwsService_STS},
}

// NewJobNetwork defines the VPC (unless brought), its endpoints (unless
// skipped) and the jobs' security group.
// It panics when props are invalid, as CDK constructs do.
func NewJobNetwork(scope constructs.Construct, id string, props *JobNetworkProps) JobNetwork {
	if props == nil {
		props = &JobNetworkProps{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	this := constructs.NewConstruct(scope, &id)
	n := &jobNetwork{Construct: this, vpc: props.Vpc}
	selection := props.Subnets
	if selection == nil {
		selection = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
	}
	if n.vpc == nil {
		n.vpc = newVpc(this, props)
	}
	n.subnets = *n.vpc.SelectSubnets(selection).Subnets

	sg := awsec2.NewSecurityGroup(this, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              n.vpc,
		Description:      jsii.String("SageMaker jobs of the ML pipeline: HTTPS out to the VPC endpoints, all traffic within a job"),
		AllowAllOutbound: jsii.Bool(false),
	})
	// The S3 gateway endpoint is reached at S3's public addresses, named
	// only by the region's managed prefix list, whose ID an
	// environment-agnostic stack cannot look up. The job subnets have no
	// route to the internet, so HTTPS to anywhere reaches only the
	// endpoints. cdk-nag checks only inbound rules for 0.0.0.0/0.
	sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(httpsPort)),
		jsii.String("HTTPS to the VPC endpoints; the subnets have no route to the internet"), nil)
	// Distributed training and multi-instance processing talk among a
	// job's instances. SageMaker's guide asks for all traffic within the
	// group, and EFA instances need more than TCP.
	sg.AddEgressRule(sg, awsec2.Port_AllTraffic(), jsii.String("All traffic to the other instances of a job"), nil)
	// An L1 rule, so that the suppression below covers this rule alone and
	// not rules that callers may add to the group later.
	fromJobs := awsec2.NewCfnSecurityGroupIngress(sg, jsii.String("FromJobs"), &awsec2.CfnSecurityGroupIngressProps{
		GroupId:               sg.SecurityGroupId(),
		SourceSecurityGroupId: sg.SecurityGroupId(),
		IpProtocol:            jsii.String("-1"),
		Description:           jsii.String("All traffic from the other instances of a job"),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(fromJobs, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("NIST.800.53.R5-EC2RestrictedCommonPorts"),
		Reason: jsii.String("The source is this security group itself, not an address range: the rule flags every all-protocol ingress, " +
			"and SageMaker distributed training needs all traffic among a job's instances."),
	}}, jsii.Bool(false))
	n.securityGroup = sg

	if !props.SkipEndpoints {
		newEndpoints(this, n.vpc, selection, sg)
	}
	return n
}

// newVpc defines a VPC whose subnets have no route to the internet, with a
// flow log of all traffic to an encrypted log group.
func newVpc(scope constructs.Construct, props *JobNetworkProps) awsec2.IVpc {
	removal := props.RemovalPolicy
	if removal == "" {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	vpc := awsec2.NewVpc(scope, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		// Only isolated subnets, so CDK creates no internet gateway. A fixed
		// mask keeps these subnets' ranges when subnet groups are added
		// later; /20 leaves room for 4,091 network interfaces per zone.
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name:       jsii.String("Jobs"),
			SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED,
			CidrMask:   jsii.Number(20),
		}},
		// Set here, not left to the feature flag, so that the default
		// security group is closed whatever the app's context says. CDK
		// closes it with a custom resource whose provider (a Lambda function
		// and role at the stack's root) cdk-nag does not check: they are
		// plain CfnResources, not the L1 classes its rules test for.
		RestrictDefaultSecurityGroup: jsii.Bool(true),
	})

	key := props.EncryptionKey
	if key == nil {
		key = keys.NewKey(scope, "Key", "Encrypts the flow logs of the ML pipeline's job network.", removal)
	}
	keys.AllowLogs(scope, key)
	retention := props.FlowLogRetention
	if retention == "" {
		retention = awslogs.RetentionDays_ONE_YEAR
	}
	logGroup := awslogs.NewLogGroup(scope, jsii.String("FlowLogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: key,
		Retention:     retention,
		RemovalPolicy: removal,
	})

	// The flow log service writes with this role. Its permissions are a
	// customer managed policy rather than the inline policy CDK would add
	// (NIST 800-53 IAMNoInlinePolicy), hence WithoutPolicyUpdates below.
	role := awsiam.NewRole(scope, jsii.String("FlowLogRole"), &awsiam.RoleProps{
		Description: jsii.String("Lets VPC Flow Logs write the job network's flow log."),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("vpc-flow-logs.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			// Only this account's flow logs may use the role (confused deputy).
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Stack_Of(scope).Account()}},
		}),
	})
	policy := awsiam.NewManagedPolicy(scope, jsii.String("FlowLogPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("Lets VPC Flow Logs write the job network's flow log group."),
		Roles:       &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			// The actions VPC Flow Logs uses to deliver to a log group.
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
			Resources: jsii.Strings(*logGroup.LogGroupArn()),
		})},
	})
	flowLog := awsec2.NewFlowLog(scope, jsii.String("FlowLog"), &awsec2.FlowLogProps{
		ResourceType: awsec2.FlowLogResourceType_FromVpc(vpc),
		TrafficType:  awsec2.FlowLogTrafficType_ALL,
		Destination:  awsec2.FlowLogDestination_ToCloudWatchLogs(logGroup, role.WithoutPolicyUpdates(nil)),
	})
	// The flow log references only the role; without this, CloudFormation
	// may create it before the policy is attached, and its first deliveries
	// fail.
	flowLog.Node().AddDependency(policy)
	return vpc
}

// newEndpoints defines the S3 gateway endpoint on the route tables of the
// job subnets and the interface endpoints in them, reachable over HTTPS
// from the jobs' security group only.
func newEndpoints(scope constructs.Construct, vpc awsec2.IVpc, subnets *awsec2.SubnetSelection, jobs awsec2.ISecurityGroup) {
	awsec2.NewGatewayVpcEndpoint(scope, jsii.String("S3Endpoint"), &awsec2.GatewayVpcEndpointProps{
		Vpc:     vpc,
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
		Subnets: &[]*awsec2.SubnetSelection{subnets},
	})
	// One group for all interface endpoints: they all accept the same
	// traffic, and each group counts against the network interfaces' limit.
	sg := awsec2.NewSecurityGroup(scope, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:         vpc,
		Description: jsii.String("Interface VPC endpoints of the ML pipeline jobs: HTTPS in from the jobs only"),
		// Endpoints answer connections and never open one.
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddIngressRule(jobs, awsec2.Port_Tcp(jsii.Number(httpsPort)), jsii.String("HTTPS from the ML pipeline jobs"), nil)
	for _, e := range interfaceEndpoints {
		awsec2.NewInterfaceVpcEndpoint(scope, jsii.String(e.id), &awsec2.InterfaceVpcEndpointProps{
			Vpc:     vpc,
			Service: e.service(),
			Subnets: subnets,
			// The SDKs then reach the endpoint at the service's usual name.
			PrivateDnsEnabled: jsii.Bool(true),
			// Not open to the whole VPC CIDR, which CDK allows by default.
			Open:           jsii.Bool(false),
			SecurityGroups: &[]awsec2.ISecurityGroup{sg},
		})
	}
}

func (n *jobNetwork) Vpc() awsec2.IVpc                     { return n.vpc }
func (n *jobNetwork) Subnets() []awsec2.ISubnet            { return n.subnets }
func (n *jobNetwork) SecurityGroup() awsec2.ISecurityGroup { return n.securityGroup }

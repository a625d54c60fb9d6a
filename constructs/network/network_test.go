package network

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The stacks under test, built once in one app (jsii costs seconds per
// app), all checked by cdk-nag's AWS Solutions and NIST 800-53 R5 packs.
var (
	stacks    = map[string]awscdk.Stack{}
	templates = map[string]assertions.Template{}
	networks  = map[string]JobNetwork{}
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	outdir, err := os.MkdirTemp("", "network-test-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(outdir)
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir: jsii.String(outdir),
		// As in cdk.json: a new VPC closes its default security group.
		Context: &map[string]any{"@aws-cdk/aws-ec2:restrictDefaultSecurityGroup": true},
	})
	nagProps := &cdknag.NagPackProps{Verbose: jsii.Bool(true), LogIgnores: jsii.Bool(true)}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(nagProps), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewNIST80053R5Checks(nagProps), nil)

	// Every stack is defined before the first template is taken: taking one
	// synthesizes the app, after which the tree may not change.

	// New: what the pipeline stack builds.
	define(app, "New", func(s awscdk.Stack) *JobNetworkProps { return nil })

	// Options: a key of the app, a shorter retention, DESTROY.
	define(app, "Options", func(s awscdk.Stack) *JobNetworkProps {
		return &JobNetworkProps{
			EncryptionKey:    awskms.NewKey(s, jsii.String("AppKey"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)}),
			FlowLogRetention: awslogs.RetentionDays_TWO_WEEKS,
			RemovalPolicy:    awscdk.RemovalPolicy_DESTROY,
		}
	})

	// Byo: a platform team's VPC with isolated subnets.
	define(app, "Byo", func(s awscdk.Stack) *JobNetworkProps {
		return &JobNetworkProps{Vpc: awsec2.Vpc_FromVpcAttributes(s, jsii.String("TeamVpc"), &awsec2.VpcAttributes{
			VpcId:                       jsii.String("vpc-0123456789abcdef0"),
			VpcCidrBlock:                jsii.String("10.20.0.0/16"),
			AvailabilityZones:           jsii.Strings("eu-west-1a", "eu-west-1b"),
			IsolatedSubnetIds:           jsii.Strings("subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"),
			IsolatedSubnetRouteTableIds: jsii.Strings("rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb2"),
		})}
	})

	// Skip: a platform team's VPC that has the endpoints; the jobs run in
	// the subnets it imports as private (the team keeps their route tables
	// without a route to the internet).
	define(app, "Skip", func(s awscdk.Stack) *JobNetworkProps {
		return &JobNetworkProps{
			Vpc: awsec2.Vpc_FromVpcAttributes(s, jsii.String("TeamVpc"), &awsec2.VpcAttributes{
				VpcId:                      jsii.String("vpc-0123456789abcdef0"),
				VpcCidrBlock:               jsii.String("10.20.0.0/16"),
				AvailabilityZones:          jsii.Strings("eu-west-1a", "eu-west-1b"),
				PrivateSubnetIds:           jsii.Strings("subnet-0ccccccccccccccc3", "subnet-0ddddddddddddddd4"),
				PrivateSubnetRouteTableIds: jsii.Strings("rtb-0ccccccccccccccc3", "rtb-0ddddddddddddddd4"),
			}),
			Subnets:       &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
			SkipEndpoints: true,
		}
	})

	for name, stack := range stacks {
		templates[name] = assertions.Template_FromStack(stack, nil)
	}

	defer jsii.Close()
	return m.Run()
}

// define adds stack name with a JobNetwork "Network" of the props that
// props returns.
func define(app awscdk.App, name string, props func(s awscdk.Stack) *JobNetworkProps) {
	stack := awscdk.NewStack(app, jsii.String(name), nil)
	stacks[name] = stack
	networks[name] = NewJobNetwork(stack, "Network", props(stack))
}

func TestValidate(t *testing.T) {
	type someVpc struct{ awsec2.IVpc }
	vpc := someVpc{}
	isolated := &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
	tests := []struct {
		name    string
		props   JobNetworkProps
		wantErr string
	}{
		{"zero value", JobNetworkProps{}, ""},
		{"new vpc, destroy", JobNetworkProps{RemovalPolicy: awscdk.RemovalPolicy_DESTROY, FlowLogRetention: awslogs.RetentionDays_ONE_MONTH}, ""},
		{"brought vpc", JobNetworkProps{Vpc: vpc}, ""},
		{"brought vpc and subnets", JobNetworkProps{Vpc: vpc, Subnets: isolated}, ""},
		{"brought vpc without endpoints", JobNetworkProps{Vpc: vpc, SkipEndpoints: true}, ""},
		{"subnets without vpc", JobNetworkProps{Subnets: isolated},
			"network: subnets are given without a vpc; valid: set Vpc to the VPC the subnets are in, or leave Subnets nil for the isolated subnets of a new VPC"},
		{"skip endpoints of a new vpc", JobNetworkProps{SkipEndpoints: true},
			"network: skip endpoints is true for a new vpc, whose jobs could then reach no AWS service; valid: SkipEndpoints only with a Vpc that has the endpoints"},
		{"snapshot", JobNetworkProps{RemovalPolicy: awscdk.RemovalPolicy_SNAPSHOT},
			`network: removal policy "SNAPSHOT" is not supported; valid: RETAIN or DESTROY`},
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

func TestNewJobNetworkPanicsOnInvalidProps(t *testing.T) {
	// validate runs before anything is defined, so no scope is needed.
	assert.PanicsWithError(t,
		"network: skip endpoints is true for a new vpc, whose jobs could then reach no AWS service; valid: SkipEndpoints only with a Vpc that has the endpoints",
		func() { NewJobNetwork(nil, "Network", &JobNetworkProps{SkipEndpoints: true}) })
}

func TestNewVpcHasNoRouteToTheInternet(t *testing.T) {
	tmpl := templates["New"]
	tmpl.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1))
	for _, typ := range []string{"AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::EgressOnlyInternetGateway"} {
		tmpl.ResourceCountIs(jsii.String(typ), jsii.Number(0))
	}
	// Isolated subnets have only the local route, which CloudFormation
	// does not declare; so no route at all, and none to 0.0.0.0/0.
	tmpl.ResourceCountIs(jsii.String("AWS::EC2::Route"), jsii.Number(0))
	tmpl.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(2))
	tmpl.AllResourcesProperties(jsii.String("AWS::EC2::Subnet"), map[string]any{
		"MapPublicIpOnLaunch": false,
		"CidrBlock":           assertions.Match_StringLikeRegexp(jsii.String(`/20$`)),
		"Tags":                assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "aws-cdk:subnet-type", "Value": "Isolated"}}),
	})
	// The default security group's rules are removed.
	tmpl.ResourceCountIs(jsii.String("Custom::VpcRestrictDefaultSG"), jsii.Number(1))

	n := networks["New"]
	assert.Len(t, n.Subnets(), 2, "Subnets() of a new VPC")
	assert.Equal(t, mustJSON(t, map[string]any{"Ref": logicalID(t, "New", "Network/Vpc")}), resolve(t, "New", n.Vpc().VpcId()), "Vpc() is the new VPC")
}

func TestFlowLog(t *testing.T) {
	tests := []struct {
		name      string
		retention int
		policy    string
		keyPath   string // the construct path of the key of the log group
	}{
		{"New", 365, "Retain", "Network/Key"},
		{"Options", 14, "Delete", "AppKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := templates[tt.name]
			tmpl.ResourceCountIs(jsii.String("AWS::KMS::Key"), jsii.Number(1))
			key := logicalID(t, tt.name, tt.keyPath)
			logGroup := logicalID(t, tt.name, "Network/FlowLogGroup")
			tmpl.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
				"Properties": map[string]any{
					"KmsKeyId":        map[string]any{"Fn::GetAtt": []any{key, "Arn"}},
					"RetentionInDays": tt.retention,
				},
				"DeletionPolicy":      tt.policy,
				"UpdateReplacePolicy": tt.policy,
			})
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::FlowLog"), map[string]any{
				"ResourceType":       "VPC",
				"ResourceId":         map[string]any{"Ref": logicalID(t, tt.name, "Network/Vpc")},
				"TrafficType":        "ALL",
				"LogDestinationType": "cloud-watch-logs",
				"LogGroupName":       map[string]any{"Ref": logGroup},
			})
			// CloudWatch Logs may use the key.
			tmpl.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{
				"EnableKeyRotation": true,
				"KeyPolicy": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
					"Effect":    "Allow",
					"Principal": map[string]any{"Service": map[string]any{"Fn::Join": []any{"", []any{"logs.", map[string]any{"Ref": "AWS::Region"}, ".amazonaws.com"}}}},
					"Action":    assertions.Match_ArrayWith(&[]any{"kms:Encrypt*", "kms:GenerateDataKey*"}),
				})})},
			})
			// The flow log role's permissions are a managed policy limited
			// to the log group, not an inline policy (NIST IAMNoInlinePolicy).
			tmpl.ResourceCountIs(jsii.String("AWS::IAM::Policy"), jsii.Number(0))
			tmpl.HasResourceProperties(jsii.String("AWS::IAM::ManagedPolicy"), map[string]any{
				"PolicyDocument": map[string]any{"Statement": []any{map[string]any{
					"Effect":   "Allow",
					"Action":   []any{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
					"Resource": map[string]any{"Fn::GetAtt": []any{logGroup, "Arn"}},
				}}},
				"Roles": []any{map[string]any{"Ref": logicalID(t, tt.name, "Network/FlowLogRole")}},
			})
			tmpl.HasResource(jsii.String("AWS::EC2::FlowLog"), map[string]any{
				"DependsOn": assertions.Match_ArrayWith(&[]any{logicalID(t, tt.name, "Network/FlowLogPolicy")}),
			})
		})
	}
}

// interfaceServices are the last part of the service names of the
// interface endpoints, com.amazonaws.<region>.<service>.
var interfaceServices = []string{"ecr.api", "ecr.dkr", "logs", "sagemaker.api", "sts"}

// TestEndpoints checks the endpoints in the job subnets, as Subnets()
// returns them, of a new and a brought VPC.
func TestEndpoints(t *testing.T) {
	for _, name := range []string{"New", "Byo"} {
		t.Run(name, func(t *testing.T) {
			tmpl, stack, n := templates[name], stacks[name], networks[name]
			var subnets, routeTables []any
			for _, s := range n.Subnets() {
				subnets = append(subnets, stack.Resolve(s.SubnetId()))
				routeTables = append(routeTables, stack.Resolve(s.RouteTable().RouteTableId()))
			}
			require.Len(t, subnets, 2, "Subnets()")
			vpcID := stack.Resolve(n.Vpc().VpcId())

			tmpl.ResourceCountIs(jsii.String("AWS::EC2::VPCEndpoint"), jsii.Number(float64(1+len(interfaceServices))))
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), map[string]any{
				"VpcEndpointType": "Gateway",
				"VpcId":           vpcID,
				"ServiceName":     serviceName("s3"),
				"RouteTableIds":   routeTables,
			})
			endpointSG := map[string]any{"Fn::GetAtt": []any{logicalID(t, name, "Network/EndpointSecurityGroup"), "GroupId"}}
			for _, service := range interfaceServices {
				tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), map[string]any{
					"VpcEndpointType":   "Interface",
					"VpcId":             vpcID,
					"ServiceName":       serviceName(service),
					"PrivateDnsEnabled": true,
					"SubnetIds":         subnets,
					"SecurityGroupIds":  []any{endpointSG},
				})
			}
		})
	}
}

func TestSecurityGroups(t *testing.T) {
	for _, name := range []string{"New", "Byo"} {
		t.Run(name, func(t *testing.T) {
			tmpl := templates[name]
			jobs := map[string]any{"Fn::GetAtt": []any{logicalID(t, name, "Network/SecurityGroup"), "GroupId"}}
			endpoints := map[string]any{"Fn::GetAtt": []any{logicalID(t, name, "Network/EndpointSecurityGroup"), "GroupId"}}
			assert.Equal(t, resolve(t, name, networks[name].SecurityGroup().SecurityGroupId()), mustJSON(t, jobs), "SecurityGroup()")

			// The jobs: HTTPS out (see NewJobNetwork on why to 0.0.0.0/0),
			// and all traffic within the group both ways; nothing else in.
			tmpl.HasResource(jsii.String("AWS::EC2::SecurityGroup"), map[string]any{
				"Properties": map[string]any{
					"SecurityGroupEgress": []any{map[string]any{
						"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
						"Description": assertions.Match_AnyValue(),
					}},
					"SecurityGroupIngress": assertions.Match_Absent(),
				},
			})
			tmpl.ResourceCountIs(jsii.String("AWS::EC2::SecurityGroupEgress"), jsii.Number(1))
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupEgress"), map[string]any{
				"GroupId": jobs, "DestinationSecurityGroupId": jobs, "IpProtocol": "-1",
			})
			// The endpoints: HTTPS in from the jobs only, nothing out.
			tmpl.ResourceCountIs(jsii.String("AWS::EC2::SecurityGroupIngress"), jsii.Number(2))
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]any{
				"GroupId": jobs, "SourceSecurityGroupId": jobs, "IpProtocol": "-1",
			})
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]any{
				"GroupId": endpoints, "SourceSecurityGroupId": jobs, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
			})
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroup"), map[string]any{
				"GroupDescription":     assertions.Match_StringLikeRegexp(jsii.String("^Interface VPC endpoints")),
				"SecurityGroupIngress": assertions.Match_Absent(),
				// CDK's rule that matches no traffic: egress is closed.
				"SecurityGroupEgress": []any{assertions.Match_ObjectLike(&map[string]any{"CidrIp": "255.255.255.255/32"})},
			})
		})
	}
}

func TestBroughtVpc(t *testing.T) {
	tests := []struct {
		name        string
		endpoints   int
		groups      int
		wantSubnets []string
	}{
		{"Byo", 1 + len(interfaceServices), 2, []string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"}},
		{"Skip", 0, 1, []string{"subnet-0ccccccccccccccc3", "subnet-0ddddddddddddddd4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := templates[tt.name]
			// No VPC, flow log, key or role of its own.
			for _, typ := range []string{"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::FlowLog", "AWS::Logs::LogGroup", "AWS::KMS::Key", "AWS::IAM::Role", "Custom::VpcRestrictDefaultSG"} {
				tmpl.ResourceCountIs(jsii.String(typ), jsii.Number(0))
			}
			tmpl.ResourceCountIs(jsii.String("AWS::EC2::VPCEndpoint"), jsii.Number(float64(tt.endpoints)))
			tmpl.ResourceCountIs(jsii.String("AWS::EC2::SecurityGroup"), jsii.Number(float64(tt.groups)))
			tmpl.AllResourcesProperties(jsii.String("AWS::EC2::SecurityGroup"), map[string]any{"VpcId": "vpc-0123456789abcdef0"})

			n := networks[tt.name]
			assert.Equal(t, "vpc-0123456789abcdef0", *n.Vpc().VpcId(), "Vpc().VpcId()")
			var got []string
			for _, s := range n.Subnets() {
				got = append(got, *s.SubnetId())
			}
			assert.Equal(t, tt.wantSubnets, got, "Subnets()")
		})
	}
}

func TestNagFindsNothing(t *testing.T) {
	for name, stack := range stacks {
		t.Run(name, func(t *testing.T) {
			annotations := assertions.Annotations_FromStack(stack)
			for _, pack := range []string{"AwsSolutions-.*", "NIST.*"} {
				rule := assertions.Match_StringLikeRegexp(jsii.String(pack))
				assert.Empty(t, messages(annotations.FindError(jsii.String("*"), rule)), "cdk-nag %s errors", pack)
				assert.Empty(t, messages(annotations.FindWarning(jsii.String("*"), rule)), "cdk-nag %s warnings", pack)
			}
		})
	}
}

// suppressedFinding is how cdk-nag (with LogIgnores) reports a finding
// that a suppression matched.
var suppressedFinding = regexp.MustCompile(`^CdkNagSuppression: (\S+) was triggered but suppressed`)

// TestNagSuppressionsAreUsed checks that the one suppression, on the jobs'
// self-referencing ingress rule, is used and nothing else is suppressed.
func TestNagSuppressionsAreUsed(t *testing.T) {
	for name, stack := range stacks {
		t.Run(name, func(t *testing.T) {
			var used []string
			for _, m := range *assertions.Annotations_FromStack(stack).FindInfo(jsii.String("*"), assertions.Match_AnyValue()) {
				//lint:ignore SA1019 as in messages
				id, data := *m.Id, fmt.Sprint(m.Entry.Data)
				if match := suppressedFinding.FindStringSubmatch(data); match != nil {
					used = append(used, id+" "+match[1])
				}
			}
			want := []string{"/" + name + "/Network/SecurityGroup/FromJobs NIST.800.53.R5-EC2RestrictedCommonPorts"}
			assert.Equal(t, want, used, "suppressed findings")
		})
	}
}

// serviceName is the ServiceName of the endpoint of service in an
// environment-agnostic stack.
func serviceName(service string) map[string]any {
	return map[string]any{"Fn::Join": []any{"", []any{"com.amazonaws.", map[string]any{"Ref": "AWS::Region"}, "." + service}}}
}

// logicalID returns the logical ID of the CloudFormation resource of the
// construct at path (relative to the stack) in stacks[name].
func logicalID(t *testing.T, name, path string) string {
	t.Helper()
	stack := stacks[name]
	c := stack.Node().FindChild(jsii.String(strings.Split(path, "/")[0]))
	for _, id := range strings.Split(path, "/")[1:] {
		c = c.Node().FindChild(jsii.String(id))
	}
	if res, ok := c.Node().TryFindChild(jsii.String("Resource")).(awscdk.CfnElement); ok && res != nil {
		c = res
	}
	el, ok := c.(awscdk.CfnElement)
	require.True(t, ok, "%s in %s is not a CloudFormation element", path, name)
	return *stack.GetLogicalId(el)
}

// resolve renders token as the JSON of its value in stacks[name].
func resolve(t *testing.T, name string, token *string) string {
	t.Helper()
	return mustJSON(t, stacks[name].Resolve(token))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}

// messages renders annotations as "path: message" lines for failure output.
//
//lint:ignore SA1019 Annotations.Find* return cxapi.SynthesisMessage, deprecated for @aws-cdk/cloud-assembly-api, which has no Go binding
func messages(found *[]*cxapi.SynthesisMessage) []string {
	var out []string
	for _, m := range *found {
		//lint:ignore SA1019 as above
		out = append(out, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
	}
	return out
}

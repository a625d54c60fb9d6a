package test

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/constructs/storage"
	"github.com/mlpipeline-go/mlpipeline/infra"
	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
	"github.com/mlpipeline-go/mlpipeline/internal/iamsim"
)

// byoVpcStack is staging's configuration with its own VPC and an admin
// role ARN, built by buildByoVpc.
var byoVpcStack awscdk.Stack

// buildByoVpc adds the stack of an environment "byovpc": staging's
// settings with security.vpc describing an existing VPC.
func buildByoVpc(app awscdk.App, context map[string]any) error {
	data, err := json.Marshal(context[infra.EnvironmentsContextKey].(map[string]any)["staging"])
	if err != nil {
		return err
	}
	var env map[string]any
	if err := json.Unmarshal(data, &env); err != nil {
		return err
	}
	env["security"] = map[string]any{
		"enabled":   true,
		"adminRole": "arn:aws:iam::123456789012:role/data/DataAdmin",
		"vpc": map[string]any{
			"id": "vpc-0123456789abcdef0", "cidrBlock": "10.20.0.0/16",
			"availabilityZones": []any{"eu-west-1a", "eu-west-1b"},
			"subnetIds":         []any{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"},
			"routeTableIds":     []any{"rtb-0123456789abcdef0", "rtb-0123456789abcdef1"},
		},
	}
	envs, err := infra.LoadEnvironments(map[string]any{"byovpc": env}, "")
	if err != nil {
		return err
	}
	byoVpcStack = infra.NewPipelineStack(app, envs[0])
	return nil
}

// TestSecureProfileInExistingVpc: a configured VPC is used, not created;
// the endpoints are still added, and the admin role ARN is allowed as is.
func TestSecureProfileInExistingVpc(t *testing.T) {
	stack := byoVpcStack
	assert.Empty(t, resources(t, stack, "AWS::EC2::VPC"), "VPCs created")
	assert.Empty(t, resources(t, stack, "AWS::EC2::FlowLog"), "flow logs (the VPC owner's)")
	assert.Len(t, resources(t, stack, "AWS::EC2::VPCEndpoint"), 6, "endpoints")
	for _, ep := range resources(t, stack, "AWS::EC2::VPCEndpoint") {
		assert.Equal(t, "vpc-0123456789abcdef0", ep["VpcId"], "endpoint VPC")
		if ep["VpcEndpointType"] == "Gateway" {
			assert.Equal(t, []any{"rtb-0123456789abcdef0", "rtb-0123456789abcdef1"}, ep["RouteTableIds"], "S3 gateway route tables")
		}
	}
	jobSG := logicalID(t, stack, "AWS::EC2::SecurityGroup", "NetworkSecurityGroup")
	for where, job := range jobStates(t, stack) {
		vpc, _ := job.network["VpcConfig"].(map[string]any)
		require.NotNil(t, vpc, "%s VpcConfig", where)
		assert.Equal(t, []any{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}, vpc["Subnets"], "%s subnets", where)
		assert.Equal(t, []any{resolved(t, stack, jobSG, "GroupId")}, vpc["SecurityGroupIds"], "%s security groups", where)
	}
	for _, e := range nagFindings(assertions.Annotations_FromStack(stack), "error") {
		t.Errorf("error %s", e)
	}

	// The admin role, on its path, reads both buckets; a role of the same
	// name on another path is not the admin role, though an administrator
	// too.
	t.Run("bucket policies", func(t *testing.T) {
		requireIAMEvaluator(t)
		doc, policies := stackPolicies(t, stack)
		admin, sameName := "arn:aws:iam::123456789012:role/data/DataAdmin", "arn:aws:iam::123456789012:role/DataAdmin"
		addAdministrators(t, policies, admin, sameName)
		tls := map[string]any{"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
		var cases []decisionCase
		for _, prefix := range []string{"StorageDataBucket", "StorageArtifactBucket"} {
			bucket, err := doc.ARN(logicalID(t, stack, "AWS::S3::Bucket", prefix))
			require.NoError(t, err)
			object := bucket + "/" + storage.PrefixModels + "model.tar.gz"
			cases = append(cases,
				decisionCase{iamsim.Request{Principal: admin, Action: "s3:GetObject", Resource: object, Context: tls, Note: "the admin role reads"}, "Allowed", nil},
				decisionCase{iamsim.Request{Principal: sameName, Action: "s3:GetObject", Resource: object, Context: tls, Note: "the same name on another path reads"},
					"ExplicitlyDenied", []string{"DenyObjectAccessToOtherPrincipals"}})
		}
		assertDecisions(t, policies, cases)
	})
}

// jobSettings are the parts of one SageMaker job state's parameters that
// the secure profile sets, wherever each job kind keeps them.
type jobSettings struct {
	network map[string]any // VpcConfig and the isolation flags
	volume  map[string]any // VolumeKmsKeyId
	output  map[string]any // KmsKeyId
}

// jobStates returns the SageMaker job states of stack's definitions by
// "<definition> <state>".
func jobStates(t *testing.T, stack awscdk.Stack) map[string]jobSettings {
	t.Helper()
	out := map[string]jobSettings{}
	for name, def := range definitions(t, stack) {
		var sm struct{ States map[string]map[string]any }
		require.NoError(t, json.Unmarshal(def, &sm))
		for state, s := range sm.States {
			resource, _ := s["Resource"].(string)
			p, _ := s["Parameters"].(map[string]any)
			switch {
			case strings.Contains(resource, "ProcessingJob.sync"):
				out[name+" "+state] = jobSettings{
					network: p["NetworkConfig"].(map[string]any),
					volume:  p["ProcessingResources"].(map[string]any)["ClusterConfig"].(map[string]any),
					output:  p["ProcessingOutputConfig"].(map[string]any),
				}
			case strings.Contains(resource, "TrainingJob.sync"):
				out[name+" "+state] = jobSettings{
					network: p,
					volume:  p["ResourceConfig"].(map[string]any),
					output:  p["OutputDataConfig"].(map[string]any),
				}
			}
		}
	}
	return out
}

// stackNamed returns the environment's stack.
func stackNamed(t *testing.T, env string) awscdk.Stack {
	t.Helper()
	for _, s := range stacks {
		if *s.StackName() == infra.StackName(env) {
			return s
		}
	}
	t.Fatalf("no stack for environment %s", env)
	return nil
}

// resources returns the template's resources of one type by logical ID.
func resources(t *testing.T, stack awscdk.Stack, typ string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for id, r := range *assertions.Template_FromStack(stack, nil).FindResources(jsii.String(typ), nil) {
		props, _ := (*r)["Properties"].(map[string]any)
		out[id] = props
	}
	return out
}

// logicalID returns the one logical ID of typ that starts with prefix.
func logicalID(t *testing.T, stack awscdk.Stack, typ, prefix string) string {
	t.Helper()
	var ids []string
	for id := range resources(t, stack, typ) {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	require.Len(t, ids, 1, "%s resources starting with %s", typ, prefix)
	return ids[0]
}

// resolved returns what the resolved definitions hold for the attribute
// attr of the resource id of stack (see package cfn).
func resolved(t *testing.T, stack awscdk.Stack, id, attr string) string {
	t.Helper()
	template, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
	require.NoError(t, err)
	doc, err := cfn.Parse(template)
	require.NoError(t, err)
	v, err := doc.GetAtt(id, attr)
	require.NoError(t, err)
	return v
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestSecureProfile checks what the secure profile promises in the
// environments that have it on, and that dev, which has it off, has none
// of it.
func TestSecureProfile(t *testing.T) {
	for _, env := range []string{"staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			stack := stackNamed(t, env)
			key := logicalID(t, stack, "AWS::KMS::Key", "StorageKey")
			keyArn := jsonOf(t, map[string]any{"Fn::GetAtt": []any{key, "Arn"}})
			jobSG := logicalID(t, stack, "AWS::EC2::SecurityGroup", "NetworkSecurityGroup")

			// Every job: in the VPC's job subnets with the job security
			// group, isolated, volumes and outputs under the key.
			jobs := jobStates(t, stack)
			for where, job := range jobs {
				vpc, _ := job.network["VpcConfig"].(map[string]any)
				require.NotNil(t, vpc, "%s VpcConfig", where)
				assert.Len(t, vpc["Subnets"], 2, "%s subnets", where)
				assert.Equal(t, []any{resolved(t, stack, jobSG, "GroupId")}, vpc["SecurityGroupIds"], "%s security groups", where)
				assert.Equal(t, true, job.network["EnableNetworkIsolation"], "%s network isolation", where)
				assert.Equal(t, resolved(t, stack, key, "Arn"), job.volume["VolumeKmsKeyId"], "%s volume key", where)
				assert.Equal(t, resolved(t, stack, key, "Arn"), job.output["KmsKeyId"], "%s output key", where)
			}
			assert.Len(t, jobs, 4, "SageMaker jobs in both definitions")

			// Every store under the customer-managed key; the access-log
			// bucket cannot be (S3 does not deliver logs to SSE-KMS buckets).
			for id, b := range resources(t, stack, "AWS::S3::Bucket") {
				enc := jsonOf(t, b["BucketEncryption"])
				if strings.HasPrefix(id, "StorageAccessLogBucket") {
					assert.Contains(t, enc, `"SSEAlgorithm":"AES256"`, "access-log bucket encryption")
					continue
				}
				assert.Contains(t, enc, `"KMSMasterKeyID":`+keyArn, "%s encryption", id)
			}
			for id, topic := range resources(t, stack, "AWS::SNS::Topic") {
				assert.Equal(t, keyArn, jsonOf(t, topic["KmsMasterKeyId"]), "%s key", id)
			}
			logGroups := resources(t, stack, "AWS::Logs::LogGroup")
			assert.Len(t, logGroups, 3, "log groups: two state machines and the VPC flow log")
			for id, lg := range logGroups {
				assert.Equal(t, keyArn, jsonOf(t, lg["KmsKeyId"]), "%s key", id)
			}

			// No way out but the endpoints: no internet or NAT gateway, and
			// the endpoints the jobs need.
			assert.Empty(t, resources(t, stack, "AWS::EC2::InternetGateway"), "internet gateways")
			assert.Empty(t, resources(t, stack, "AWS::EC2::NatGateway"), "NAT gateways")
			assert.Empty(t, resources(t, stack, "AWS::EC2::Route"), "routes besides the local one")
			var services []string
			for _, ep := range resources(t, stack, "AWS::EC2::VPCEndpoint") {
				name := jsonOf(t, ep["ServiceName"])
				for _, svc := range []string{"s3", "ecr.api", "ecr.dkr", "logs", "sagemaker.api", "sts"} {
					if strings.Contains(name, "."+svc+`"`) {
						services = append(services, svc)
					}
				}
			}
			assert.ElementsMatch(t, []string{"s3", "ecr.api", "ecr.dkr", "logs", "sagemaker.api", "sts"}, services, "VPC endpoints")

			// The bucket policies, decided by a real IAM evaluator with the
			// stack's identity and bucket policies: the pipeline's roles get
			// what they are granted and the admin role through; anyone
			// else, even an administrator, and any upload without the key,
			// are denied.
			t.Run("bucket policies", func(t *testing.T) {
				requireIAMEvaluator(t)
				doc, policies := stackPolicies(t, stack)
				arn := func(typ, prefix string) string {
					a, err := doc.ARN(logicalID(t, stack, typ, prefix))
					require.NoError(t, err)
					return a
				}
				jobRole, trainingRole, inferenceRole := arn("AWS::IAM::Role", "JobRole"), arn("AWS::IAM::Role", "TrainingRole"), arn("AWS::IAM::Role", "InferenceRole")
				admin, analyst, alice := "arn:aws:iam::123456789012:role/MlPipelineAdmin", "arn:aws:iam::123456789012:role/Analyst", "arn:aws:iam::123456789012:user/alice"
				addAdministrators(t, policies, admin, analyst, alice)
				tls := map[string]any{"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
				with := func(kv ...string) map[string]any {
					c := maps.Clone(tls)
					for i := 0; i < len(kv); i += 2 {
						c[kv[i]] = kv[i+1]
					}
					return c
				}
				sse := with("s3:x-amz-server-side-encryption", "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id", arn("AWS::KMS::Key", "StorageKey"))
				others := []string{"DenyObjectAccessToOtherPrincipals"}
				noKey := []string{"DenyUploadsWithoutSSEKMS", "DenyUploadsWithOtherKeys"}
				var cases []decisionCase
				for _, b := range []struct {
					prefix, read, write string
					// trainingReads is what the training state machine
					// reads there (evaluation.json); "" where it reads
					// nothing: RestrictAccess lets the same roles through
					// both buckets, and the role is granted nothing in
					// this one, so only no denial can be asserted.
					trainingReads string
				}{
					{"StorageDataBucket", storage.PrefixRaw, storage.PrefixCurated, ""},
					{"StorageArtifactBucket", storage.PrefixModels, storage.PrefixEvaluation, storage.PrefixEvaluation},
				} {
					bucket := arn("AWS::S3::Bucket", b.prefix)
					read, write := bucket+"/"+b.read+"part-0.csv", bucket+"/"+b.write+"part-0.csv"
					training := decisionCase{iamsim.Request{Principal: trainingRole, Action: "s3:GetObject", Resource: read, Context: tls}, notDenied, nil}
					if b.trainingReads != "" {
						training = decisionCase{iamsim.Request{Principal: trainingRole, Action: "s3:GetObject", Resource: bucket + "/" + b.trainingReads + "evaluation.json", Context: tls}, "Allowed", nil}
					}
					for _, c := range []decisionCase{
						{iamsim.Request{Principal: jobRole, Action: "s3:GetObject", Resource: read, Context: tls}, "Allowed", nil},
						{iamsim.Request{Principal: jobRole, Action: "s3:PutObject", Resource: write, Context: sse}, "Allowed", nil},
						training,
						{iamsim.Request{Principal: admin, Action: "s3:PutObject", Resource: write, Context: sse}, "Allowed", nil},
						{iamsim.Request{Principal: inferenceRole, Action: "s3:GetObject", Resource: read, Context: tls}, "ExplicitlyDenied", others},
						{iamsim.Request{Principal: analyst, Action: "s3:GetObject", Resource: read, Context: tls}, "ExplicitlyDenied", others},
						{iamsim.Request{Principal: alice, Action: "s3:ListBucket", Resource: bucket, Context: with("s3:prefix", b.read)}, "ExplicitlyDenied", others},
						{iamsim.Request{Principal: jobRole, Action: "s3:PutObject", Resource: write, Context: tls}, "ExplicitlyDenied", noKey},
						{iamsim.Request{Principal: admin, Action: "s3:PutObject", Resource: write, Context: with("s3:x-amz-server-side-encryption", "AES256")}, "ExplicitlyDenied", noKey},
					} {
						c.Note = b.prefix
						cases = append(cases, c)
					}
				}
				assertDecisions(t, policies, cases)
			})
		})
	}
	t.Run("dev", func(t *testing.T) {
		stack := stackNamed(t, "dev")
		assert.Empty(t, resources(t, stack, "AWS::EC2::VPC"), "dev has the secure profile off")
		for name, def := range definitions(t, stack) {
			assert.NotContains(t, string(def), "VpcConfig", "%s definition", name)
		}
	})
}

// TestLongestEnvironmentNameSynthesizes: every name derived from the
// longest environment name that configuration accepts fits its limit, in
// the profile with the most resources (prod's, secure); one character more
// is a configuration error, not a crash in synthesis.
func TestLongestEnvironmentNameSynthesizes(t *testing.T) {
	context, err := infra.ReadContext("../cdk.json")
	require.NoError(t, err)
	prod := context[infra.EnvironmentsContextKey].(map[string]any)["prod"]
	longest := "p" + strings.Repeat("r", 14)
	envs, err := infra.LoadEnvironments(map[string]any{longest: prod}, "")
	require.NoError(t, err)
	outdir := t.TempDir()
	app := infra.NewApp(context, outdir)
	stack := infra.NewPipelineStack(app, envs[0])
	template := assertions.Template_FromStack(stack, nil)
	assert.NotEmpty(t, *template.FindResources(jsii.String("AWS::StepFunctions::StateMachine"), nil))

	_, err = infra.LoadEnvironments(map[string]any{longest + "x": prod}, "")
	assert.ErrorContains(t, err, `name = "`+longest+`x" is invalid; valid: 1 to 15 lowercase letters`)
}

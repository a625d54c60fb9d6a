package roles

import (
	"encoding/json"
	"fmt"
	"github.com/mlpipeline-go/mlpipeline/internal/iamtest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/constructs/images"
	"github.com/mlpipeline-go/mlpipeline/constructs/storage"
)

const teamRoleArn = "arn:aws:iam::123456789012:role/team-sagemaker"

// The stacks under test, built once in one app (jsii costs seconds per
// app), all checked by cdk-nag's AWS Solutions pack.
var (
	stacks = map[string]awscdk.Stack{}
	// templates holds the template of every stack in stacks.
	templates = map[string]assertions.Template{}
	// storages holds the storage of every stack, to name its ARNs.
	storages = map[string]storage.Storage{}
	teamRole awsiam.IRole
	byoRole  SageMakerRole
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	outdir, err := os.MkdirTemp("", "roles-test-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(outdir)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true), LogIgnores: jsii.Bool(true)}), nil)

	// Every stack is defined before the first template is taken: taking one
	// synthesizes the app, after which the tree may not change.

	// Default: what the pipeline stack builds.
	stacks["Default"] = awscdk.NewStack(app, jsii.String("Default"), nil)
	newPipelineRole("Default")

	// Minimized: the same under the minimizePolicies flag, which merges
	// statements; the permissions must not change.
	stacks["Minimized"] = awscdk.NewStack(app, jsii.String("Minimized"), nil)
	stacks["Minimized"].Node().SetContext(jsii.String("@aws-cdk/aws-iam:minimizePolicies"), true)
	newPipelineRole("Minimized")

	// Env: a stack with an account and region, and literal partitions, so
	// that the ARNs that nag suppressions name are literals, not tokens.
	stacks["Env"] = awscdk.NewStack(app, jsii.String("Env"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
	})
	stacks["Env"].Node().SetContext(jsii.String("@aws-cdk/core:enablePartitionLiterals"), true)
	newPipelineRole("Env")

	// NoImage: an image that SageMaker pulls without the role's help.
	stacks["NoImage"] = awscdk.NewStack(app, jsii.String("NoImage"), nil)
	storages["NoImage"] = storage.NewStorage(stacks["NoImage"], "Storage", nil)
	NewSageMakerRole(stacks["NoImage"], "JobRole", &SageMakerRoleProps{Storage: storages["NoImage"]})

	// Byo: a platform team's role, buckets, key and image.
	byo := awscdk.NewStack(app, jsii.String("Byo"), nil)
	stacks["Byo"] = byo
	teamRole = awsiam.Role_FromRoleArn(byo, jsii.String("TeamRole"), jsii.String(teamRoleArn), &awsiam.FromRoleArnOptions{Mutable: jsii.Bool(true)})
	storages["Byo"] = storage.NewStorage(byo, "Storage", &storage.StorageProps{
		EncryptionKey:  awskms.Key_FromKeyArn(byo, jsii.String("Key"), jsii.String("arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555")),
		DataBucket:     awss3.Bucket_FromBucketName(byo, jsii.String("Data"), jsii.String("team-data")),
		ArtifactBucket: awss3.Bucket_FromBucketName(byo, jsii.String("Artifacts"), jsii.String("team-artifacts")),
	})
	byoRole = NewSageMakerRole(byo, "JobRole", &SageMakerRoleProps{
		Role:    teamRole,
		Storage: storages["Byo"],
		Image: images.NewJobImage(byo, "Image", &images.JobImageProps{
			Repository: awsecr.Repository_FromRepositoryName(byo, jsii.String("Repository"), jsii.String("team/jobs")),
			Tag:        "v1.4.2",
		}),
	})

	// Vpc: jobs in a VPC, with volumes encrypted by the storage key.
	vpcStack := awscdk.NewStack(app, jsii.String("Vpc"), nil)
	stacks["Vpc"] = vpcStack
	storages["Vpc"] = storage.NewStorage(vpcStack, "Storage", nil)
	vpc := awsec2.Vpc_FromVpcAttributes(vpcStack, jsii.String("Network"), &awsec2.VpcAttributes{
		VpcId:             jsii.String("vpc-0123456789abcdef0"),
		AvailabilityZones: jsii.Strings("eu-west-1a", "eu-west-1b"),
		IsolatedSubnetIds: jsii.Strings("subnet-0123456789abcdef0", "subnet-0123456789abcdef1"),
	})
	NewSageMakerRole(vpcStack, "JobRole", &SageMakerRoleProps{
		Storage:        storages["Vpc"],
		Image:          images.NewJobImage(vpcStack, "Image", nil),
		Vpc:            vpc,
		Subnets:        *vpc.IsolatedSubnets(),
		SecurityGroups: []awsec2.ISecurityGroup{awsec2.SecurityGroup_FromSecurityGroupId(vpcStack, jsii.String("Jobs"), jsii.String("sg-0123456789abcdef0"), nil)},
		VolumeKmsKey:   storages["Vpc"].Key(),
	})

	for name, stack := range stacks {
		templates[name] = assertions.Template_FromStack(stack, nil)
	}

	defer jsii.Close()
	return m.Run()
}

// newPipelineRole defines the role in stacks[name] as the pipeline does:
// new storage, the job image built from the bundled Dockerfile.
func newPipelineRole(name string) SageMakerRole {
	stack := stacks[name]
	storages[name] = storage.NewStorage(stack, "Storage", nil)
	return NewSageMakerRole(stack, "JobRole", &SageMakerRoleProps{
		Storage: storages[name],
		Image:   images.NewJobImage(stack, "Image", nil),
	})
}

// arns names the ARNs of a stack's storage as its template spells them.
type arns struct {
	data, artifacts, key string
	// dataObjects and artifactObjects return the ARN of the objects under
	// prefix in the bucket.
	dataObjects, artifactObjects func(prefix string) string
}

func storageArns(t *testing.T, name string) arns {
	t.Helper()
	stack, st := stacks[name], storages[name]
	resolve := func(token *string) string {
		data, err := json.Marshal(stack.Resolve(token))
		require.NoError(t, err)
		return string(data)
	}
	return arns{
		data:      resolve(st.DataBucket().BucketArn()),
		artifacts: resolve(st.ArtifactBucket().BucketArn()),
		key:       resolve(st.Key().KeyArn()),
		dataObjects: func(prefix string) string {
			return resolve(st.DataBucket().ArnForObjects(jsii.String(prefix + "*")))
		},
		artifactObjects: func(prefix string) string {
			return resolve(st.ArtifactBucket().ArnForObjects(jsii.String(prefix + "*")))
		},
	}
}

func TestValidate(t *testing.T) {
	type someStorage struct{ storage.Storage }
	tests := []struct {
		name    string
		props   SageMakerRoleProps
		wantErr string
	}{
		{"storage", SageMakerRoleProps{Storage: someStorage{}}, ""},
		{"vpc without subnets", SageMakerRoleProps{Storage: someStorage{}, Vpc: awsec2.Vpc_FromVpcAttributes(stacks["NoImage"], jsii.String("V"),
			&awsec2.VpcAttributes{VpcId: jsii.String("vpc-1"), AvailabilityZones: jsii.Strings("a")})},
			"roles: vpc set true with 0 subnets and 0 security groups; valid: all three set, or none"},
		{"no storage", SageMakerRoleProps{},
			"roles: storage is nil; valid: the pipeline's storage.Storage, whose buckets the jobs read and write"},
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

const (
	assetRepository = `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":ecr:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":repository/",{"Fn::Sub":"cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}"}]]}`
	teamRepository  = `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":ecr:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":repository/team/jobs"]]}`
	logGroups       = `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":logs:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":log-group:/aws/sagemaker/*"]]}`
)

// contract is the role's complete list of permissions, sorted as
// permissions sorts them, for a stack's storage ARNs and image repository.
func contract(a arns, imageRepository string) []string {
	lines := []string{
		// preprocess: reads data raw/, writes data curated/.
		"Allow s3:GetObject on " + a.dataObjects("raw/"),
		"Allow s3:ListBucket on " + a.data + ` if {"StringLike":{"s3:prefix":"raw/*"}}`,
		"Allow s3:PutObject on " + a.dataObjects("curated/"),
		"Allow s3:AbortMultipartUpload on " + a.dataObjects("curated/"),
		// train and evaluate: read data curated/.
		"Allow s3:GetObject on " + a.dataObjects("curated/"),
		"Allow s3:ListBucket on " + a.data + ` if {"StringLike":{"s3:prefix":"curated/*"}}`,
		// infer: reads data inference/, writes data predictions/.
		"Allow s3:GetObject on " + a.dataObjects("inference/"),
		"Allow s3:ListBucket on " + a.data + ` if {"StringLike":{"s3:prefix":"inference/*"}}`,
		"Allow s3:PutObject on " + a.dataObjects("predictions/"),
		"Allow s3:AbortMultipartUpload on " + a.dataObjects("predictions/"),
		// train: writes artifacts models/.
		"Allow s3:PutObject on " + a.artifactObjects("models/"),
		"Allow s3:AbortMultipartUpload on " + a.artifactObjects("models/"),
		// evaluate and infer: read artifacts models/.
		"Allow s3:GetObject on " + a.artifactObjects("models/"),
		"Allow s3:ListBucket on " + a.artifacts + ` if {"StringLike":{"s3:prefix":"models/*"}}`,
		// evaluate: writes artifacts evaluation/.
		"Allow s3:PutObject on " + a.artifactObjects("evaluation/"),
		"Allow s3:AbortMultipartUpload on " + a.artifactObjects("evaluation/"),
		// The key of both buckets: decrypt what is read, encrypt what is written.
		"Allow kms:Decrypt on " + a.key,
		"Allow kms:Encrypt on " + a.key,
		"Allow kms:GenerateDataKey on " + a.key,
		// Logs and metrics of SageMaker jobs.
		"Allow logs:CreateLogGroup on " + logGroups,
		"Allow logs:CreateLogStream on " + logGroups,
		"Allow logs:DescribeLogStreams on " + logGroups,
		"Allow logs:PutLogEvents on " + logGroups,
		`Allow cloudwatch:PutMetricData on "*" if {"StringLike":{"cloudwatch:namespace":"/aws/sagemaker/*"}}`,
		// The job image.
		"Allow ecr:BatchCheckLayerAvailability on " + imageRepository,
		"Allow ecr:BatchGetImage on " + imageRepository,
		"Allow ecr:GetDownloadUrlForLayer on " + imageRepository,
		`Allow ecr:GetAuthorizationToken on "*"`,
	}
	sort.Strings(lines)
	return lines
}

// TestPermissionsContract is the role's contract: exactly these
// permissions, no more and no fewer, however the statements are laid out.
func TestPermissionsContract(t *testing.T) {
	// The new bucket and key ARNs, spelled out once for reviewers.
	a := storageArns(t, "Default")
	require.Equal(t, `{"Fn::GetAtt":["StorageDataBucketB1B922FA","Arn"]}`, a.data)
	require.Equal(t, `{"Fn::Join":["",[{"Fn::GetAtt":["StorageDataBucketB1B922FA","Arn"]},"/raw/*"]]}`, a.dataObjects("raw/"))
	require.Equal(t, `{"Fn::GetAtt":["StorageKeyBAA9457B","Arn"]}`, a.key)

	for _, name := range []string{"Default", "Minimized"} {
		t.Run(name, func(t *testing.T) {
			want := contract(storageArns(t, name), assetRepository)
			assert.Equal(t, want, iamtest.Distinct(iamtest.Permissions(t, templates[name], "")), "permissions of the SageMaker role")
		})
	}
}

// TestVpcPermissions is the contract of a role whose jobs run in a VPC with
// encrypted volumes: the pipeline's permissions plus network interfaces in
// the given subnets and groups, and grants on the volume key for AWS
// resources only.
func TestVpcPermissions(t *testing.T) {
	a := storageArns(t, "Vpc")
	ec2 := func(resource string) string {
		return `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":ec2:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":` + resource + `"]]}`
	}
	want := append(contract(a, assetRepository),
		"Allow ec2:CreateNetworkInterface on "+ec2("network-interface/*"),
		"Allow ec2:CreateNetworkInterface on "+ec2("subnet/subnet-0123456789abcdef0"),
		"Allow ec2:CreateNetworkInterface on "+ec2("subnet/subnet-0123456789abcdef1"),
		"Allow ec2:CreateNetworkInterface on "+ec2("security-group/sg-0123456789abcdef0"),
	)
	for _, action := range []string{"CreateNetworkInterfacePermission", "DeleteNetworkInterface", "DeleteNetworkInterfacePermission"} {
		want = append(want, "Allow ec2:"+action+" on "+ec2("network-interface/*")+` if {"ArnEquals":{"ec2:Vpc":`+ec2("vpc/vpc-0123456789abcdef0")+`}}`)
	}
	for _, action := range []string{"DescribeDhcpOptions", "DescribeNetworkInterfaces", "DescribeSecurityGroups", "DescribeSubnets", "DescribeVpcs"} {
		want = append(want, "Allow ec2:"+action+` on "*"`)
	}
	want = append(want,
		"Allow kms:CreateGrant on "+a.key+` if {"Bool":{"kms:GrantIsForAWSResource":true}}`,
		"Allow kms:DescribeKey on "+a.key)
	sort.Strings(want)
	assert.Equal(t, want, iamtest.Distinct(iamtest.Permissions(t, templates["Vpc"], "")), "permissions of the SageMaker role in a VPC")
}

func TestBringYourOwnRole(t *testing.T) {
	byo := templates["Byo"]
	byo.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(0))
	byo.ResourceCountIs(jsii.String("AWS::IAM::Policy"), jsii.Number(1))
	byo.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]any{"Roles": []any{"team-sagemaker"}})
	assert.True(t, byoRole.Role() == teamRole, "Role() of a brought role is that role")

	a := storageArns(t, "Byo")
	require.Equal(t, `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":s3:::team-data/raw/*"]]}`, a.dataObjects("raw/"))
	require.Equal(t, `"arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"`, a.key)
	assert.Equal(t, contract(a, teamRepository), iamtest.Distinct(iamtest.Permissions(t, byo, "")), "permissions added to the brought role")
}

func TestNoImageNoPullRights(t *testing.T) {
	var want []string
	for _, line := range contract(storageArns(t, "NoImage"), "") {
		if !strings.Contains(line, " ecr:") {
			want = append(want, line)
		}
	}
	assert.Equal(t, want, iamtest.Distinct(iamtest.Permissions(t, templates["NoImage"], "")), "permissions without an image")
}

func TestNewRoleTrustsSageMakerOnly(t *testing.T) {
	tmpl := templates["Default"]
	tmpl.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(1))
	tmpl.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]any{
		"AssumeRolePolicyDocument": map[string]any{"Statement": []any{map[string]any{
			"Action": "sts:AssumeRole", "Effect": "Allow",
			"Principal": map[string]any{"Service": "sagemaker.amazonaws.com"},
		}}},
		"ManagedPolicyArns": assertions.Match_Absent(),
		"Policies":          assertions.Match_Absent(),
	})
}

// TestWildcards checks every stack: no action wildcard, and Resource "*"
// only for the actions that AWS allows no other resource for.
func TestWildcards(t *testing.T) {
	starActions := map[string]bool{"ecr:GetAuthorizationToken": true, "cloudwatch:PutMetricData": true,
		"ec2:DescribeNetworkInterfaces": true, "ec2:DescribeVpcs": true, "ec2:DescribeDhcpOptions": true,
		"ec2:DescribeSubnets": true, "ec2:DescribeSecurityGroups": true}
	for name, tmpl := range templates {
		t.Run(name, func(t *testing.T) {
			for _, st := range statements(t, tmpl) {
				assert.NotContains(t, st.action, "*", "wildcard action in %s", st)
				if st.resource == "*" {
					assert.True(t, starActions[st.action], "Resource \"*\" for %s", st)
				}
			}
		})
	}
}

// TestWritesOnlyOutputPrefixes checks that the role can create objects only
// under the prefixes the jobs write, and can delete none.
func TestWritesOnlyOutputPrefixes(t *testing.T) {
	for _, name := range []string{"Default", "Minimized", "Byo"} {
		t.Run(name, func(t *testing.T) {
			st := storages[name]
			writable := map[string]bool{}
			for _, w := range []struct {
				bucket awss3.IBucket
				prefix string
			}{
				{st.DataBucket(), storage.PrefixCurated},
				{st.DataBucket(), storage.PrefixPredictions},
				{st.ArtifactBucket(), storage.PrefixModels},
				{st.ArtifactBucket(), storage.PrefixEvaluation},
			} {
				writable[flattenCfnReference(stacks[name].Resolve(w.bucket.ArnForObjects(jsii.String(w.prefix+"*"))))] = true
			}
			writes := 0
			for _, st := range statements(t, templates[name]) {
				if !strings.HasPrefix(st.action, "s3:") || strings.HasPrefix(st.action, "s3:Get") || strings.HasPrefix(st.action, "s3:List") {
					continue
				}
				assert.Contains(t, []string{"s3:PutObject", "s3:AbortMultipartUpload"}, st.action, "S3 action in %s", st)
				assert.True(t, writable[st.resource], "%s writes outside curated/, predictions/, models/ and evaluation/", st)
				writes++
			}
			assert.Equal(t, 8, writes, "write permissions: PutObject and AbortMultipartUpload on four prefixes")
		})
	}
}

func TestNagFindsNothing(t *testing.T) {
	for name, stack := range stacks {
		t.Run(name, func(t *testing.T) {
			annotations := assertions.Annotations_FromStack(stack)
			rule := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
			assert.Empty(t, messages(annotations.FindError(jsii.String("*"), rule)), "cdk-nag errors")
			assert.Empty(t, messages(annotations.FindWarning(jsii.String("*"), rule)), "cdk-nag warnings")
		})
	}
}

// suppressedFinding is how cdk-nag (with LogIgnores) reports a finding
// that a suppression matched.
var suppressedFinding = regexp.MustCompile(`^CdkNagSuppression\[(.+)\]: AwsSolutions-IAM5 was triggered but suppressed`)

// TestNagSuppressionsAreExactAndUsed checks that every suppression names
// exact findings (no blanket suppression, no pattern) and that cdk-nag
// used each of them: none is stale, none too wide.
func TestNagSuppressionsAreExactAndUsed(t *testing.T) {
	for name, stack := range stacks {
		t.Run(name, func(t *testing.T) {
			var declared []string
			for _, res := range *templates[name].FindResources(jsii.String("AWS::IAM::Policy"), nil) {
				meta, _ := (*res)["Metadata"].(map[string]any)
				nag, _ := meta["cdk_nag"].(map[string]any)
				rules, _ := nag["rules_to_suppress"].([]any)
				for _, r := range rules {
					r := r.(map[string]any)
					assert.Equal(t, "AwsSolutions-IAM5", r["id"], "suppressed rule")
					appliesTo, ok := r["applies_to"].([]any)
					require.True(t, ok, "suppression of %v without applies_to", r["id"])
					for _, a := range appliesTo {
						finding, ok := a.(string)
						require.True(t, ok, "applies_to %v is not an exact finding", a)
						declared = append(declared, finding)
					}
				}
			}
			var used []string
			for _, m := range *assertions.Annotations_FromStack(stack).FindInfo(jsii.String("*"), assertions.Match_AnyValue()) {
				//lint:ignore SA1019 as in messages
				if match := suppressedFinding.FindStringSubmatch(fmt.Sprint(m.Entry.Data)); match != nil {
					used = append(used, match[1])
				}
			}
			sort.Strings(declared)
			sort.Strings(used)
			want := 8 // six prefixes, the log groups and Resource "*"
			if name == "Vpc" {
				want++ // network interfaces
			}
			assert.Len(t, declared, want, "suppressions: six prefixes, the log groups, Resource \"*\" and, in a VPC, network interfaces")
			assert.Equal(t, declared, used, "suppressions declared and findings cdk-nag suppressed")
		})
	}
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

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func TestFlattenCfnReference(t *testing.T) {
	tests := []struct {
		in   string // JSON
		want string
	}{
		{`"arn:aws:s3:::bucket/raw/*"`, "arn:aws:s3:::bucket/raw/*"},
		{`{"Fn::Join":["",[{"Fn::GetAtt":["Bucket","Arn"]},"/raw/*"]]}`, "<Bucket.Arn>/raw/*"},
		{`{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":logs:eu-west-1:123456789012:log-group:/aws/sagemaker/*"]]}`,
			"arn:<AWS::Partition>:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/*"},
		{`{"Fn::Sub":"cdk-${AWS::AccountId}-${AWS::Region}"}`, "cdk-<AWS::AccountId>-<AWS::Region>"},
		{`{"Fn::ImportValue":"Storage:ExportsBucketArn"}`, "Storage:ExportsBucketArn"},
		{`{"Fn::Select":[0,["a"]]}`, `{"Fn::Select":[0,["a"]]}`},
	}
	for _, tt := range tests {
		var in any
		require.NoError(t, json.Unmarshal([]byte(tt.in), &in))
		assert.Equal(t, tt.want, flattenCfnReference(in), "flattenCfnReference(%s)", tt.in)
	}
}

// A statement is one action on one resource of an IAM policy.
type statement struct {
	action   string
	resource string // flattened as cdk-nag does: "*", "<Bucket.Arn>/raw/*"
}

func (s statement) String() string { return s.action + " on " + s.resource }

func statements(t *testing.T, template assertions.Template) []statement {
	t.Helper()
	var out []statement
	for _, res := range *template.FindResources(jsii.String("AWS::IAM::Policy"), nil) {
		doc := (*res)["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
		for _, st := range doc["Statement"].([]any) {
			st := st.(map[string]any)
			require.Equal(t, "Allow", st["Effect"])
			for _, action := range asList(st["Action"]) {
				for _, resource := range asList(st["Resource"]) {
					out = append(out, statement{action: action.(string), resource: flattenCfnReference(resource)})
				}
			}
		}
	}
	return out
}

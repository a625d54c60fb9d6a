package standin

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
	"github.com/mlpipeline-go/mlpipeline/internal/iamsim"
)

// The requests the stand-ins record (Config.Record) are the IAM
// authorizations AWS makes for the work each one does: the calls of the
// Step Functions integration as the state machine's role, SageMaker
// assuming the job's role, and the job's own calls as that role (image
// pull, logs, S3 reads and writes, VPC network interfaces, keys). Each is
// made against the ARNs a deployment has (package cfn's account and
// region). The caller adds what depends on the template, such as the KMS
// calls behind an encrypted bucket or topic.
//
// Where the documentation says which calls a feature needs, the comment
// at the request cites it.

// awsARN is the ARN of resource in service, in the account and region the
// synthesized definitions resolve to.
func awsARN(service, resource string) string {
	return "arn:" + cfn.Partition + ":" + service + ":" + cfn.Region + ":" + cfn.AccountID + ":" + resource
}

// inAccount rewrites a SageMaker ARN of the local stand-ins (account
// 000000000000, region "local") to the deployed account and region.
func inAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return arn
	}
	return awsARN(parts[2], parts[5])
}

// record hands one request to Config.Record. An empty principal is the
// role of the state machine running call's execution.
func (s *service) record(call Call, principal, action, resource string, context map[string]any) {
	if s.cfg.Record == nil {
		return
	}
	if principal == "" {
		if s.cfg.ExecutionRole != nil {
			principal = s.cfg.ExecutionRole(call.ExecutionName)
		}
		if principal == "" {
			principal = "arn:" + cfn.Partition + ":iam::" + cfn.AccountID + ":role/local-run"
		}
	}
	s.cfg.Record(iamsim.Request{
		Principal: principal,
		Action:    action,
		Resource:  resource,
		Context:   context,
		Note:      fmt.Sprintf("%s (%s)", call.StateName, call.ExecutionName),
	})
}

// tagContext returns the tag condition keys of a request's Tags.
func tagContext(params map[string]any) map[string]any {
	tags, _ := params["Tags"].([]any)
	if len(tags) == 0 {
		return nil
	}
	ctx := map[string]any{}
	var keys []string
	for _, t := range tags {
		t, _ := t.(map[string]any)
		k, _ := t["Key"].(string)
		v, _ := t["Value"].(string)
		if k == "" {
			continue
		}
		ctx["aws:RequestTag/"+k] = v
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ctx["aws:TagKeys"] = keys
	return ctx
}

// lookup follows a path of object keys through decoded JSON.
func lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func lookupString(v any, keys ...string) string {
	s, _ := lookup(v, keys...).(string)
	return s
}

func lookupStrings(v any, keys ...string) []string {
	l, _ := lookup(v, keys...).([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// jobSettings are the parts of a Create*Job request that decide which
// calls SageMaker makes for it.
type jobSettings struct {
	kind       string // Processing or Training
	name       string
	role       string
	image      string
	outputKey  string
	volumeKey  string
	subnets    []string
	groups     []string
	isolation  bool
	instance   string
	maxRuntime float64
	metrics    bool
}

// settings reads the job settings from a request.
func settings(kind string, params map[string]any) jobSettings {
	js := jobSettings{kind: kind, role: lookupString(params, "RoleArn")}
	switch kind {
	case "Processing":
		js.name = lookupString(params, "ProcessingJobName")
		js.image = lookupString(params, "AppSpecification", "ImageUri")
		js.outputKey = lookupString(params, "ProcessingOutputConfig", "KmsKeyId")
		js.volumeKey = lookupString(params, "ProcessingResources", "ClusterConfig", "VolumeKmsKeyId")
		js.instance = lookupString(params, "ProcessingResources", "ClusterConfig", "InstanceType")
		js.subnets = lookupStrings(params, "NetworkConfig", "VpcConfig", "Subnets")
		js.groups = lookupStrings(params, "NetworkConfig", "VpcConfig", "SecurityGroupIds")
		js.isolation, _ = lookup(params, "NetworkConfig", "EnableNetworkIsolation").(bool)
	case "Training":
		js.name = lookupString(params, "TrainingJobName")
		js.image = lookupString(params, "AlgorithmSpecification", "TrainingImage")
		js.outputKey = lookupString(params, "OutputDataConfig", "KmsKeyId")
		js.volumeKey = lookupString(params, "ResourceConfig", "VolumeKmsKeyId")
		js.instance = lookupString(params, "ResourceConfig", "InstanceType")
		js.subnets = lookupStrings(params, "VpcConfig", "Subnets")
		js.groups = lookupStrings(params, "VpcConfig", "SecurityGroupIds")
		js.isolation, _ = params["EnableNetworkIsolation"].(bool)
		defs, _ := lookup(params, "AlgorithmSpecification", "MetricDefinitions").([]any)
		js.metrics = len(defs) > 0
	}
	js.maxRuntime, _ = lookup(params, "StoppingCondition", "MaxRuntimeInSeconds").(float64)
	return js
}

// jobARN is the deployed ARN of the job.
func (js jobSettings) jobARN() string {
	return awsARN("sagemaker", strings.ToLower(js.kind)+"-job/"+strings.ToLower(js.name))
}

// recordCreateJob records what the .sync integration and SageMaker
// authorize to start a job, up to the job's own calls before its
// container runs.
func (s *service) recordCreateJob(call Call, js jobSettings) {
	if s.cfg.Record == nil {
		return
	}
	params := paramsMap(call.Parameters)
	jobARN := js.jobARN()

	// The request's condition keys, as the Service Authorization Reference
	// lists them for Create*Job.
	ctx := map[string]any{}
	for k, v := range tagContext(params) {
		ctx[k] = v
	}
	if js.instance != "" {
		ctx["sagemaker:InstanceTypes"] = []string{js.instance}
	}
	if js.outputKey != "" {
		ctx["sagemaker:OutputKmsKey"] = js.outputKey
	}
	if js.volumeKey != "" {
		ctx["sagemaker:VolumeKmsKey"] = js.volumeKey
	}
	if len(js.subnets) > 0 {
		ctx["sagemaker:VpcSubnets"] = js.subnets
		ctx["sagemaker:VpcSecurityGroupIds"] = js.groups
	}
	ctx["sagemaker:NetworkIsolation"] = fmt.Sprint(js.isolation)
	if js.maxRuntime > 0 {
		ctx["sagemaker:MaxRuntimeInSeconds"] = fmt.Sprint(js.maxRuntime)
	}
	s.record(call, "", "sagemaker:Create"+js.kind+"Job", jobARN, ctx)
	if tags := tagContext(params); tags != nil {
		// Tagging on creation is authorized as sagemaker:AddTags too
		// (SageMaker Developer Guide, "Grant permissions to tag SageMaker
		// resources during creation").
		s.record(call, "", "sagemaker:AddTags", jobARN, tags)
	}
	// The role the job runs as is passed to SageMaker.
	s.record(call, "", "iam:PassRole", js.role, map[string]any{"iam:PassedToService": "sagemaker.amazonaws.com"})
	// The .sync integration waits through an EventBridge rule it manages
	// and describes the job (Step Functions Developer Guide, "IAM policies
	// for calling Amazon SageMaker AI").
	rule := awsARN("events", "rule/StepFunctionsGetEventsForSageMaker"+js.kind+"JobsRule")
	for _, a := range []string{"events:PutTargets", "events:PutRule", "events:DescribeRule"} {
		s.record(call, "", a, rule, nil)
	}
	s.record(call, "", "sagemaker:Describe"+js.kind+"Job", jobARN, nil)

	if js.role == "" {
		return
	}
	// SageMaker assumes the job's role, naming the job as the source
	// (SageMaker Developer Guide, "Cross-service confused deputy
	// prevention").
	s.record(call, "sagemaker.amazonaws.com", "sts:AssumeRole", js.role, map[string]any{
		"aws:SourceAccount": cfn.AccountID,
		"aws:SourceArn":     jobARN,
	})
	// The image is pulled as the job's role (SageMaker Developer Guide,
	// "CreateProcessingJob / CreateTrainingJob API: Execution Role
	// Permissions").
	s.record(call, js.role, "ecr:GetAuthorizationToken", "*", nil)
	if repo := repositoryARN(js.image); repo != "" {
		for _, a := range []string{"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"} {
			s.record(call, js.role, a, repo, nil)
		}
	}
	if len(js.subnets) > 0 {
		// A job in a VPC gets network interfaces in its subnets and security
		// groups (SageMaker Developer Guide, "Give SageMaker AI Access to
		// Resources in your Amazon VPC").
		for _, a := range []string{"ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"} {
			s.record(call, js.role, a, "*", nil)
		}
		eni := awsARN("ec2", "network-interface/eni-0123456789abcdef0")
		targets := []string{eni}
		for _, sn := range js.subnets {
			targets = append(targets, awsARN("ec2", "subnet/"+sn))
		}
		for _, sg := range js.groups {
			targets = append(targets, awsARN("ec2", "security-group/"+sg))
		}
		for _, t := range targets {
			s.record(call, js.role, "ec2:CreateNetworkInterface", t, nil)
		}
		for _, a := range []string{"ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"} {
			// The caller adds ec2:Vpc, which it knows from the template.
			s.record(call, js.role, a, eni, map[string]any{"ec2:Subnet": awsARN("ec2", "subnet/"+js.subnets[0])})
		}
	}
	if js.volumeKey != "" {
		// The encrypted volumes are attached through a grant for SageMaker,
		// created with the job's role.
		s.record(call, js.role, "kms:CreateGrant", js.volumeKey, map[string]any{"kms:GrantIsForAWSResource": "true"})
	}
	if js.outputKey != "" {
		// "If you use a KMS key ID or an alias of your KMS key, the
		// SageMaker execution role must include permissions to call
		// kms:Encrypt" (SageMaker API Reference, OutputDataConfig.KmsKeyId
		// and ProcessingOutputConfig.KmsKeyId).
		s.record(call, js.role, "kms:Encrypt", js.outputKey, nil)
	}
	group := awsARN("logs", "log-group:/aws/sagemaker/"+js.kind+"Jobs")
	stream := group + ":log-stream:" + js.name + "/algo-1-0000000000"
	s.record(call, js.role, "logs:CreateLogGroup", group, nil)
	s.record(call, js.role, "logs:DescribeLogStreams", group, nil)
	s.record(call, js.role, "logs:CreateLogStream", stream, nil)
	s.record(call, js.role, "logs:PutLogEvents", stream, nil)
	if js.metrics {
		// Metric definitions are published as the job's role to the
		// training namespace.
		s.record(call, js.role, "cloudwatch:PutMetricData", "*", map[string]any{"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"})
	}
}

// repositoryARN returns the ECR repository ARN of an image URI of the form
// <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest], or
// "" for other URIs.
func repositoryARN(image string) string {
	host, rest, ok := strings.Cut(image, "/")
	if !ok {
		return ""
	}
	parts := strings.Split(host, ".")
	if len(parts) < 4 || parts[1] != "dkr" || parts[2] != "ecr" {
		return ""
	}
	repo := rest
	if i := strings.IndexAny(repo, ":@"); i >= 0 {
		repo = repo[:i]
	}
	return "arn:" + cfn.Partition + ":ecr:" + parts[3] + ":" + parts[0] + ":repository/" + repo
}

// recordRead records a job's read of the objects keys in bucket under the
// prefix of uri: the listing, then each object.
func (s *service) recordRead(call Call, role, uri, bucket string, keys []string) {
	if s.cfg.Record == nil {
		return
	}
	_, prefix, _ := ParseS3URI(uri)
	s.record(call, role, "s3:ListBucket", "arn:"+cfn.Partition+":s3:::"+bucket, map[string]any{"s3:prefix": prefix})
	for _, k := range keys {
		s.record(call, role, "s3:GetObject", "arn:"+cfn.Partition+":s3:::"+bucket+"/"+k, nil)
	}
}

// recordWrite records a job's upload of the objects uris, encrypted with
// key (SSE-KMS) when key is set: SageMaker uploads with the output
// configuration's key.
func (s *service) recordWrite(call Call, role, key string, uris []string) {
	if s.cfg.Record == nil {
		return
	}
	for _, u := range uris {
		bucket, k, err := ParseS3URI(u)
		if err != nil {
			continue
		}
		ctx := map[string]any{}
		if key != "" {
			ctx["s3:x-amz-server-side-encryption"] = "aws:kms"
			ctx["s3:x-amz-server-side-encryption-aws-kms-key-id"] = key
		}
		s.record(call, role, "s3:PutObject", "arn:"+cfn.Partition+":s3:::"+bucket+"/"+path.Clean(k), ctx)
	}
}

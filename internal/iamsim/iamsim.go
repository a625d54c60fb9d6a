// Package iamsim evaluates AWS requests against the IAM policies of a
// synthesized template with a real IAM policy evaluator,
// @cloud-copilot/iam-simulate (pinned in package.json), run by
// scripts/iamsim.mjs in one Node process per batch. The evaluator is
// AGPL-3.0 and a test-time tool: tests and local runs use it, nothing the
// project ships does.
//
// Policies reads a template's identity policies (each role's inline,
// AWS::IAM::Policy and template-defined managed policies), its resource
// policies (bucket, key and topic policies) and its roles' trust policies,
// resolved by package cfn to the ARNs a deployment would have. Evaluate
// combines, per request, the caller's identity policies and the resource's
// policy as AWS's evaluation logic does for same-account access.
package iamsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
)

// Request is one AWS request: who calls, the action, the resource and the
// request's condition keys.
type Request struct {
	// Principal is the caller: a role ARN, or a service principal such as
	// cloudwatch.amazonaws.com when a service acts on its own.
	Principal string `json:"principal"`
	// Action is the IAM action, such as s3:PutObject.
	Action string `json:"action"`
	// Resource is the ARN of the resource the request is about; "*" for
	// actions that take none.
	Resource string `json:"resource"`
	// Context holds the condition keys of the request, each a string or a
	// list of strings ([]string).
	Context map[string]any `json:"context,omitempty"`
	// Note says why the call is made, for messages; it is not evaluated.
	Note string `json:"-"`
}

// Statement is one statement that decided a request.
type Statement struct {
	// Type is the kind of policy: identity, resource, scp, rcp, pb.
	Type string `json:"type"`
	// Policy names the policy: the logical ID of the AWS::IAM::Policy, the
	// role with its inline policy name, or the resource policy's resource.
	Policy string `json:"policy"`
	// Sid is the statement's Sid, if it has one.
	Sid string `json:"sid"`
	// Index is the statement's 1-based position in its policy; 0 when no
	// statement decided (an implicit deny of that policy type).
	Index int `json:"index"`
	// Effect is Allow or Deny; empty for an implicit deny.
	Effect string `json:"effect"`
}

// String names the statement as "Sid" (or "statement N") "of policy P".
func (s Statement) String() string {
	if s.Index == 0 {
		if s.Policy == "" {
			return fmt.Sprintf("no %s policy statement allows it", s.Type)
		}
		return fmt.Sprintf("no statement of %s policy %s allows it", s.Type, s.Policy)
	}
	st := s.Sid
	if st == "" {
		st = fmt.Sprintf("statement %d", s.Index)
	}
	return fmt.Sprintf("%s %s of %s policy %s", s.Effect, st, s.Type, s.Policy)
}

// Decision is the evaluator's answer to one request.
type Decision struct {
	// Request is what was asked.
	Request Request
	// Result is Allowed, ExplicitlyDenied, ImplicitlyDenied, or Error when
	// the evaluator rejected the request (an unknown action, a resource of
	// the wrong type, a context key of the wrong type).
	Result string `json:"result"`
	// Deciding are the statements that decided: the allowing ones, the
	// denying ones, or, for an implicit deny, the policy types that allow
	// nothing.
	Deciding []Statement `json:"deciding"`
	// IgnoredContextKeys are context keys the evaluator dropped because
	// they do not apply to the action.
	IgnoredContextKeys []string `json:"ignoredContextKeys"`
	// Error is the evaluator's message when Result is Error.
	Error string `json:"error"`
}

// Allowed tells whether AWS would allow the request.
func (d Decision) Allowed() bool { return d.Result == "Allowed" }

// ExplicitDenies names the statements that explicitly denied the request,
// each by its Sid or, when it has none, as "statement N" (its 1-based
// position in its policy); none unless Result is ExplicitlyDenied.
func (d Decision) ExplicitDenies() []string {
	if d.Result != "ExplicitlyDenied" {
		return nil
	}
	var names []string
	for _, st := range d.Deciding {
		if st.Effect != "Deny" {
			continue
		}
		if st.Sid != "" {
			names = append(names, st.Sid)
		} else {
			names = append(names, fmt.Sprintf("statement %d", st.Index))
		}
	}
	return names
}

// String describes the decision: principal, action, resource, result and
// the deciding statements.
func (d Decision) String() string {
	r := d.Request
	s := fmt.Sprintf("%s %s on %s: %s", r.Principal, r.Action, r.Resource, d.Result)
	if r.Note != "" {
		s = r.Note + ": " + s
	}
	if d.Error != "" {
		return s + ": " + d.Error
	}
	var by []string
	for _, st := range d.Deciding {
		by = append(by, st.String())
	}
	if len(by) > 0 {
		s += " (" + strings.Join(by, "; ") + ")"
	}
	return s
}

// Policies are a template's IAM policies, resolved to deployed ARNs.
type Policies struct {
	// Identity maps the ARN of every role the template defines, and of
	// every principal added with AddPrincipal, to the names of its
	// identity policies (none for a role that has none). An AWS managed
	// policy, whose text is not in the template, is named
	// "aws-managed:<its ARN>" (see SetAWSManagedPolicy).
	Identity map[string][]string
	// Resource maps a resource ARN (bucket, key, topic, role) to the name
	// of its resource policy (a role's is its trust policy).
	Resource map[string]string
	// Documents are the policy documents by name.
	Documents map[string]any
	// Account is the account the template deploys to.
	Account string
}

// FromTemplate reads the policies of a synthesized template.
func FromTemplate(template []byte) (*Policies, error) {
	doc, err := cfn.Parse(template)
	if err != nil {
		return nil, err
	}
	p := &Policies{Identity: map[string][]string{}, Resource: map[string]string{}, Documents: map[string]any{}, Account: cfn.AccountID}
	roleARN := func(ref any) (string, error) {
		name, err := doc.String(ref)
		if err != nil {
			return "", err
		}
		for _, id := range doc.IDs("AWS::IAM::Role") {
			if n, _ := doc.Name(id); n == name {
				return doc.ARN(id)
			}
		}
		return "", fmt.Errorf("no role named %s in the template", name)
	}
	add := func(name string, policy any) error {
		r, err := doc.Resolve(policy)
		if err != nil {
			return fmt.Errorf("policy %s: %w", name, err)
		}
		p.Documents[name] = r
		return nil
	}
	for _, id := range doc.IDs("AWS::IAM::Role") {
		props := doc.Resources[id].Properties
		arn, err := doc.ARN(id)
		if err != nil {
			return nil, err
		}
		if _, ok := p.Identity[arn]; !ok {
			p.Identity[arn] = nil // known, if it has no identity policy
		}
		if trust, ok := props["AssumeRolePolicyDocument"]; ok {
			if err := add(id+" trust policy", trust); err != nil {
				return nil, err
			}
			p.Resource[arn] = id + " trust policy"
		}
		inline, _ := props["Policies"].([]any)
		for _, ip := range inline {
			ip, _ := ip.(map[string]any)
			pn, _ := ip["PolicyName"].(string)
			name := id + " inline policy " + pn
			if err := add(name, ip["PolicyDocument"]); err != nil {
				return nil, err
			}
			p.Identity[arn] = append(p.Identity[arn], name)
		}
		managed, _ := props["ManagedPolicyArns"].([]any)
		for _, m := range managed {
			mid, ok := refTo(m)
			if !ok || doc.Resources[mid].Type != "AWS::IAM::ManagedPolicy" {
				// An AWS managed policy: its text is not in the template.
				// The template's own roles that the pipeline uses have none;
				// a role that has one is known to be incomplete here.
				s, _ := doc.String(m)
				p.Identity[arn] = append(p.Identity[arn], "aws-managed:"+s)
				continue
			}
		}
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, id := range doc.IDs(typ) {
			props := doc.Resources[id].Properties
			if err := add(id, props["PolicyDocument"]); err != nil {
				return nil, err
			}
			roles, _ := props["Roles"].([]any)
			for _, r := range roles {
				arn, err := roleARN(r)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", id, err)
				}
				p.Identity[arn] = append(p.Identity[arn], id)
			}
			if typ != "AWS::IAM::ManagedPolicy" {
				continue
			}
			// A role that names this managed policy in ManagedPolicyArns.
			for _, rid := range doc.IDs("AWS::IAM::Role") {
				managed, _ := doc.Resources[rid].Properties["ManagedPolicyArns"].([]any)
				for _, m := range managed {
					if mid, ok := refTo(m); ok && mid == id {
						arn, _ := doc.ARN(rid)
						p.Identity[arn] = slices.DeleteFunc(p.Identity[arn], func(s string) bool { return strings.HasPrefix(s, "aws-managed:") && strings.HasSuffix(s, id) })
						p.Identity[arn] = append(p.Identity[arn], id)
					}
				}
			}
		}
	}
	for _, id := range doc.IDs("AWS::S3::BucketPolicy") {
		props := doc.Resources[id].Properties
		bucket, err := doc.String(props["Bucket"])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		if err := add(id, props["PolicyDocument"]); err != nil {
			return nil, err
		}
		p.Resource["arn:"+cfn.Partition+":s3:::"+bucket] = id
	}
	for _, id := range doc.IDs("AWS::KMS::Key") {
		if kp, ok := doc.Resources[id].Properties["KeyPolicy"]; ok {
			if err := add(id, kp); err != nil {
				return nil, err
			}
			arn, _ := doc.ARN(id)
			p.Resource[arn] = id
		}
	}
	for _, id := range doc.IDs("AWS::SNS::TopicPolicy") {
		props := doc.Resources[id].Properties
		if err := add(id, props["PolicyDocument"]); err != nil {
			return nil, err
		}
		topics, _ := props["Topics"].([]any)
		for _, t := range topics {
			arn, err := doc.String(t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", id, err)
			}
			p.Resource[arn] = id
		}
	}
	for arn := range p.Identity {
		slices.Sort(p.Identity[arn])
		p.Identity[arn] = slices.Compact(p.Identity[arn])
	}
	return p, nil
}

// AddPrincipal makes the principal arn, a role or user the template does
// not define (an administrator's role, another team's role), known to
// Evaluate, with the identity policies named (documents of p.Documents,
// added there by the caller). With none, the principal has no identity
// policy: only a resource policy can allow its requests. Evaluate refuses
// requests of principals neither defined nor added, so that a mistyped
// ARN does not pass as a principal without permissions.
func (p *Policies) AddPrincipal(arn string, policies ...string) error {
	if !strings.HasPrefix(arn, "arn:") || isService(arn) {
		return fmt.Errorf("iamsim: AddPrincipal(%q): not an IAM principal ARN; valid: arn:aws:iam::<account>:role/<name> or :user/<name>", arn)
	}
	if _, ok := p.Identity[arn]; ok {
		return fmt.Errorf("iamsim: AddPrincipal(%q): the principal is already known, with the policies %v", arn, p.Identity[arn])
	}
	for _, name := range policies {
		if _, ok := p.Documents[name]; !ok {
			return fmt.Errorf("iamsim: AddPrincipal(%q): no policy document named %q", arn, name)
		}
	}
	p.Identity[arn] = slices.Clone(policies)
	return nil
}

// SetAWSManagedPolicy gives the text of the AWS managed policy arn (as
// AWS publishes it in the AWS Managed Policy Reference), so that Evaluate
// can decide requests of the template's roles that have it; without it,
// such requests are an error, as their permissions are not known.
func (p *Policies) SetAWSManagedPolicy(arn string, document any) {
	p.Documents["aws-managed:"+arn] = document
}

// refTo returns the logical ID a {"Ref": id} names.
func refTo(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	id, ok := m["Ref"].(string)
	return id, ok
}

// resourcePolicy returns the name of the resource policy that governs the
// resource arn: an S3 object's is its bucket's.
func (p *Policies) resourcePolicy(arn string) string {
	if name, ok := p.Resource[arn]; ok {
		return name
	}
	if rest, ok := strings.CutPrefix(arn, "arn:"+cfn.Partition+":s3:::"); ok {
		bucket, _, _ := strings.Cut(rest, "/")
		return p.Resource["arn:"+cfn.Partition+":s3:::"+bucket]
	}
	return ""
}

// hasKey tells whether context sets the condition key key; IAM's keys
// are case-insensitive.
func hasKey(context map[string]any, key string) bool {
	for k := range context {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// isService tells whether a principal is a service principal.
func isService(principal string) bool {
	return !strings.HasPrefix(principal, "arn:") && strings.HasSuffix(principal, ".amazonaws.com")
}

// Evaluate decides every request with the evaluator in one Node process.
// projectDir holds package.json and scripts/iamsim.mjs; "" finds it above
// the working directory (the folder with go.mod). Its node_modules is
// installed first when missing or stale (see EnsureTools). A request by a
// principal the template does not define and AddPrincipal did not add is
// an error: its policies are not known. So is one by a role with an AWS
// managed policy whose text SetAWSManagedPolicy did not give.
//
// For a request by an IAM principal, Evaluate sets the condition keys AWS
// sets on every such request, aws:PrincipalArn and aws:PrincipalAccount
// (IAM User Guide, "AWS global condition context keys"), from the
// principal's ARN, unless the request's Context sets them.
func Evaluate(ctx context.Context, projectDir string, p *Policies, reqs []Request) ([]Decision, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	dir, err := ProjectDir(projectDir)
	if err != nil {
		return nil, err
	}
	if err := EnsureTools(ctx, dir); err != nil {
		return nil, err
	}
	type wireRequest struct {
		Request
		Account        string   `json:"account"`
		Identity       []string `json:"identity"`
		ResourcePolicy string   `json:"resourcePolicy,omitempty"`
	}
	batch := struct {
		Policies map[string]any `json:"policies"`
		Requests []wireRequest  `json:"requests"`
	}{Policies: p.Documents}
	for _, r := range reqs {
		w := wireRequest{Request: r, Account: p.Account, Identity: []string{}, ResourcePolicy: p.resourcePolicy(r.Resource)}
		w.Context = maps.Clone(r.Context)
		if w.Context == nil {
			w.Context = map[string]any{}
		}
		if !isService(r.Principal) {
			ids, ok := p.Identity[r.Principal]
			if !ok {
				return nil, fmt.Errorf("iamsim: %s %s on %s: the principal is not a role of the template, so its identity policies are not known; add one from outside the template with AddPrincipal", r.Principal, r.Action, r.Resource)
			}
			for _, id := range ids {
				if _, ok := p.Documents[id]; !ok && strings.HasPrefix(id, "aws-managed:") {
					return nil, fmt.Errorf("iamsim: %s %s: the role has the AWS managed policy %s, whose text is not in the template; give it with SetAWSManagedPolicy", r.Principal, r.Action, strings.TrimPrefix(id, "aws-managed:"))
				}
			}
			w.Identity = append(w.Identity, ids...)
			if !hasKey(w.Context, "aws:PrincipalArn") {
				w.Context["aws:PrincipalArn"] = r.Principal
			}
			if parts := strings.SplitN(r.Principal, ":", 6); len(parts) == 6 && !hasKey(w.Context, "aws:PrincipalAccount") {
				w.Context["aws:PrincipalAccount"] = parts[4]
			}
		}
		batch.Requests = append(batch.Requests, w)
	}
	in, err := json.Marshal(batch)
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("iamsim: node is not installed; the IAM replay runs @cloud-copilot/iam-simulate in Node.js 20 or later")
	}
	cmd := exec.CommandContext(ctx, node, filepath.Join("scripts", "iamsim.mjs"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("iamsim: node scripts/iamsim.mjs: %v\n%s", err, stderr.String())
	}
	var out struct{ Decisions []Decision }
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("iamsim: the evaluator's answer: %w", err)
	}
	if len(out.Decisions) != len(reqs) {
		return nil, fmt.Errorf("iamsim: %d decisions for %d requests", len(out.Decisions), len(reqs))
	}
	for i := range out.Decisions {
		out.Decisions[i].Request = reqs[i]
	}
	return out.Decisions, nil
}

// Check evaluates reqs and returns an error that names every request AWS
// would not allow (principal, action, resource and the deciding
// statements), or nil.
func Check(ctx context.Context, projectDir string, p *Policies, reqs []Request) ([]Decision, error) {
	decisions, err := Evaluate(ctx, projectDir, p, reqs)
	if err != nil {
		return nil, err
	}
	var denied []string
	for _, d := range decisions {
		if !d.Allowed() {
			denied = append(denied, "  denied: "+d.String())
		}
	}
	if len(denied) > 0 {
		return decisions, fmt.Errorf("IAM: %d of %d calls would be denied by the synthesized policies:\n%s", len(denied), len(decisions), strings.Join(denied, "\n"))
	}
	return decisions, nil
}

// ProjectDir returns dir, or when dir is "" the nearest folder at or above
// the working directory that holds go.mod and package.json.
func ProjectDir(dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if isFile(filepath.Join(d, "go.mod")) && isFile(filepath.Join(d, "package.json")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("iamsim: no folder with go.mod and package.json at or above %s", wd)
		}
	}
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

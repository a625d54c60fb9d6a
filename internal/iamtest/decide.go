package iamtest

import (
	"path"
	"strconv"
	"strings"
	"testing"
)

// Request is the part of an AWS request that a Deny statement of a
// resource policy can match: the action, the caller's principal ARN and
// the other condition keys. Values that are CloudFormation expressions in
// the template (a role's Fn::GetAtt, a key's ARN) are written here as the
// compact JSON of that expression, as Permissions prints them.
type Request struct {
	// Action is the IAM action, such as s3:PutObject.
	Action string
	// PrincipalArn is aws:PrincipalArn; empty when the caller is a service.
	PrincipalArn string
	// Context holds the other condition keys, such as
	// s3:x-amz-server-side-encryption; absent keys are absent here too.
	Context map[string]string
}

// Denied reports whether a Deny statement of policy (a PolicyDocument as
// decoded from a template) matches req, and the Sid of the first that
// does. Resources are not compared: pass the policy of the resource the
// request is about. Conditions use the operators of our policies
// (StringEquals, StringNotEquals, StringLike, StringNotLike, ArnLike,
// ArnNotLike, Bool, NumericLessThan); any other fails the test, so a new operator cannot
// be silently ignored.
func Denied(t testing.TB, policy map[string]any, req Request) (bool, string) {
	t.Helper()
	keys := map[string]string{}
	for k, v := range req.Context {
		keys[k] = v
	}
	if req.PrincipalArn != "" {
		keys["aws:PrincipalArn"] = req.PrincipalArn
	}
	for _, st := range asList(policy["Statement"]) {
		st := st.(map[string]any)
		if st["Effect"] != "Deny" || !anyMatches(t, st["Action"], req.Action) {
			continue
		}
		if conditionsHold(t, st["Condition"], keys) {
			sid, _ := st["Sid"].(string)
			return true, sid
		}
	}
	return false, ""
}

// conditionsHold reports whether every condition of a statement holds.
func conditionsHold(t testing.TB, condition any, keys map[string]string) bool {
	t.Helper()
	block, _ := condition.(map[string]any)
	for op, tests := range block {
		for key, want := range tests.(map[string]any) {
			got, present := keys[key]
			var hold bool
			switch op {
			case "StringEquals", "Bool":
				hold = present && anyEquals(t, want, got)
			case "StringNotEquals":
				hold = !present || !anyEquals(t, want, got)
			case "StringLike", "ArnLike":
				hold = present && anyMatches(t, want, got)
			case "StringNotLike", "ArnNotLike":
				hold = !present || !anyMatches(t, want, got)
			case "NumericLessThan":
				hold = present && anyLess(t, got, want)
			default:
				t.Fatalf("iamtest: condition operator %s is not supported", op)
			}
			if !hold {
				return false
			}
		}
	}
	return true
}

// anyLess reports whether the number got is below one of values.
func anyLess(t testing.TB, got string, values any) bool {
	g, err := strconv.ParseFloat(got, 64)
	if err != nil {
		t.Fatalf("iamtest: %q is not a number", got)
	}
	for _, v := range asList(values) {
		w, err := strconv.ParseFloat(text(t, v), 64)
		if err != nil {
			t.Fatalf("iamtest: %v is not a number", v)
		}
		if g < w {
			return true
		}
	}
	return false
}

func anyEquals(t testing.TB, values any, got string) bool {
	for _, v := range asList(values) {
		if text(t, v) == got {
			return true
		}
	}
	return false
}

// anyMatches matches got against IAM wildcard patterns (* and ?); patterns
// that are expressions match only their own compact JSON.
func anyMatches(t testing.TB, patterns any, got string) bool {
	for _, p := range asList(patterns) {
		s, isString := p.(string)
		if !isString {
			if compact(t, p) == got {
				return true
			}
			continue
		}
		// path.Match treats '/' specially and knows [..]; IAM does not.
		escaped := strings.NewReplacer("[", `\[`, "]", `\]`, "/", "\x00").Replace(s)
		if ok, err := path.Match(escaped, strings.ReplaceAll(got, "/", "\x00")); err == nil && ok {
			return true
		}
	}
	return false
}

func text(t testing.TB, v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return compact(t, v)
}

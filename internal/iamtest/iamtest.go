// Package iamtest flattens the IAM policies of a synthesized template into
// one line per permission, so that contract tests can compare exactly the
// permissions a construct grants, whatever the statement layout (merged or
// not, as the @aws-cdk/aws-iam:minimizePolicies feature flag decides).
package iamtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Permissions returns the statements of the IAM policies in template as
// sorted "Effect Action on Resource [if Condition]" lines, one per action
// and resource, repeats included. With a rolePrefix, only policies attached
// to a role whose logical ID starts with it count.
func Permissions(t testing.TB, template assertions.Template, rolePrefix string) []string {
	t.Helper()
	var lines []string
	for _, res := range *template.FindResources(jsii.String("AWS::IAM::Policy"), nil) {
		props := (*res)["Properties"].(map[string]any)
		if rolePrefix != "" && !attachedTo(props, rolePrefix) {
			continue
		}
		doc := props["PolicyDocument"].(map[string]any)
		for _, st := range doc["Statement"].([]any) {
			st := st.(map[string]any)
			for _, action := range asList(st["Action"]) {
				for _, resource := range asList(st["Resource"]) {
					line := fmt.Sprintf("%s %s on %s", st["Effect"], action, compact(t, resource))
					if c, ok := st["Condition"]; ok {
						line += " if " + compact(t, c)
					}
					lines = append(lines, line)
				}
			}
		}
	}
	sort.Strings(lines)
	return lines
}

// Distinct returns sorted lines without repeats.
func Distinct(lines []string) []string {
	out := slices.Clone(lines)
	sort.Strings(out)
	return slices.Compact(out)
}

func attachedTo(props map[string]any, rolePrefix string) bool {
	roles, _ := props["Roles"].([]any)
	for _, r := range roles {
		if m, ok := r.(map[string]any); ok {
			if ref, _ := m["Ref"].(string); strings.HasPrefix(ref, rolePrefix) {
				return true
			}
		}
	}
	return false
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func compact(t testing.TB, v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", v, err)
	}
	return string(data)
}

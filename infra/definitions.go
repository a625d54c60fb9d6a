package infra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// PseudoParameters are the values Definitions gives CloudFormation's
// pseudo parameters, so that resolved definitions hold valid ARNs and stay
// the same from run to run.
var PseudoParameters = map[string]string{
	"AWS::Partition": "aws",
	"AWS::Region":    "us-east-1",
	"AWS::AccountId": "123456789012",
	"AWS::URLSuffix": "amazonaws.com",
}

// Placeholder is the value Definitions gives a reference to a resource of
// the template (its Ref), such as a bucket's name: "ref-" and the logical
// ID in lower case, a valid bucket name for the local object store.
func Placeholder(logicalID string) string { return "ref-" + strings.ToLower(logicalID) }

// getAttPrefix starts the value Definitions gives an Fn::GetAtt.
const getAttPrefix = "arn:aws:placeholder:us-east-1:123456789012:"

var placeholderRE = regexp.MustCompile(`^ref-[a-z0-9]+$`)

// IsPlaceholder reports whether s is, as a whole, a value Definitions made
// up for something only a deployment knows: a Ref (see Placeholder) or an
// Fn::GetAtt, such as the ARN of a role the stack creates. Such values have
// the right type but not the form AWS gives them, so request checks look
// at their type only.
func IsPlaceholder(s string) bool {
	return placeholderRE.MatchString(s) || strings.HasPrefix(s, getAttPrefix)
}

var subRE = regexp.MustCompile(`\$\{[^}]+\}`)

// resolve turns a CloudFormation string expression (a literal, Ref, GetAtt,
// Fn::Sub or Fn::Join of those) into a plain string, with placeholders for
// what only a deployment knows.
func resolve(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			if p, ok := PseudoParameters[ref]; ok {
				return p, nil
			}
			return Placeholder(ref), nil
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(att) == 2 {
			return fmt.Sprintf(getAttPrefix+"%s/%v", strings.ToLower(fmt.Sprint(att[0])), att[1]), nil
		}
		if sub, ok := v["Fn::Sub"].(string); ok {
			return subRE.ReplaceAllStringFunc(sub, func(m string) string {
				name := m[2 : len(m)-1]
				if p, ok := PseudoParameters[name]; ok {
					return p
				}
				return Placeholder(name)
			}), nil
		}
		if join, ok := v["Fn::Join"].([]any); ok && len(join) == 2 {
			sep, _ := join[0].(string)
			parts, _ := join[1].([]any)
			out := make([]string, len(parts))
			for i, p := range parts {
				s, err := resolve(p)
				if err != nil {
					return "", err
				}
				out[i] = s
			}
			return strings.Join(out, sep), nil
		}
	}
	return "", fmt.Errorf("cannot resolve %v", v)
}

// Definitions returns the Amazon States Language definition of every state
// machine of a synthesized template, resolved (see resolve) and indented
// in the order CDK rendered the states, keyed by the last part of the
// state machine's name ("training", "inference").
func Definitions(template []byte) (map[string][]byte, error) {
	var doc struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(template, &doc); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	out := map[string][]byte{}
	for id, res := range doc.Resources {
		if res.Type != "AWS::StepFunctions::StateMachine" {
			continue
		}
		def, err := resolve(res.Properties["DefinitionString"])
		if err != nil {
			return nil, fmt.Errorf("state machine %s: %w", id, err)
		}
		name, err := resolve(res.Properties["StateMachineName"])
		if err != nil {
			return nil, fmt.Errorf("state machine %s: name: %w", id, err)
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, []byte(def), "", "  "); err != nil {
			return nil, fmt.Errorf("state machine %s: definition: %w", id, err)
		}
		buf.WriteByte('\n')
		out[name[strings.LastIndex(name, "-")+1:]] = buf.Bytes()
	}
	return out, nil
}

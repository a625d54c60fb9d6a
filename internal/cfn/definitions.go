package cfn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Definitions returns the Amazon States Language definition of every state
// machine of a synthesized template, resolved as a deployment would
// resolve it (ARNs where the template references roles, keys and topics,
// names where it references buckets) and indented in the order CDK
// rendered the states, keyed by the last part of the state machine's name
// ("training", "inference").
func Definitions(template []byte) (map[string][]byte, error) {
	doc, err := Parse(template)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, id := range doc.IDs("AWS::StepFunctions::StateMachine") {
		res := doc.Resources[id]
		def, err := doc.String(res.Properties["DefinitionString"])
		if err != nil {
			return nil, fmt.Errorf("state machine %s: %w", id, err)
		}
		name, err := doc.String(res.Properties["StateMachineName"])
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

package infra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// ReadContext returns the "context" object of a cdk.json file, so that an
// app run without the CDK CLI (tests, the local run) sees the same context.
func ReadContext(cdkJSON string) (map[string]any, error) {
	data, err := os.ReadFile(cdkJSON)
	if err != nil {
		return nil, fmt.Errorf("read CDK context: %w", err)
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(data, &file); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			line, col := position(data, syntax.Offset)
			return nil, fmt.Errorf("read CDK context: %s:%d:%d: %v", cdkJSON, line, col, syntax)
		}
		return nil, fmt.Errorf("read CDK context: %s: want an object, got %s", cdkJSON, jsonKind(data))
	}
	raw, ok := file["context"]
	if !ok {
		return nil, fmt.Errorf("read CDK context: %s has no \"context\" object", cdkJSON)
	}
	var context map[string]any
	if json.Unmarshal(raw, &context) != nil || context == nil {
		return nil, fmt.Errorf("read CDK context: %s: \"context\" must be an object, got %s", cdkJSON, jsonKind(raw))
	}
	return context, nil
}

// position returns the 1-based line and column of the last byte the JSON
// decoder read (a SyntaxError's Offset counts the bytes read, the bad one
// included), for messages that point into a file.
func position(data []byte, offset int64) (line, col int) {
	before := data[:min(int(offset), len(data))]
	line = 1 + bytes.Count(before, []byte("\n"))
	return line, max(1, len(before)-1-bytes.LastIndexByte(before, '\n'))
}

// NewApp returns a CDK app primed with the given context. Context the CDK CLI
// passes (cdk.json and -c flags) overrides it.
func NewApp(context map[string]any, outdir string) awscdk.App {
	props := &awscdk.AppProps{Context: &context}
	if outdir != "" {
		props.Outdir = jsii.String(outdir)
	}
	return awscdk.NewApp(props)
}

// AddStacks defines the stack of every environment the app's context selects
// (-c env=<name>, default all) and returns them in name order. Invalid
// configuration returns an error and defines nothing.
func AddStacks(app awscdk.App) ([]awscdk.Stack, error) {
	selector := ""
	if v := app.Node().TryGetContext(jsii.String(SelectContextKey)); v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("context %q must be an environment name, got %v", SelectContextKey, v)
		}
		selector = s
	}
	envs, err := LoadEnvironments(app.Node().TryGetContext(jsii.String(EnvironmentsContextKey)), selector)
	if err != nil {
		return nil, err
	}
	stacks := make([]awscdk.Stack, len(envs))
	for i, env := range envs {
		stacks[i] = NewPipelineStack(app, env)
	}
	return stacks, nil
}

// Synth synthesizes the environments that selector picks (empty: all) into
// outdir, with the context of the cdk.json file at cdkJSON, without the CDK
// CLI or AWS credentials, and returns the paths of the templates written.
func Synth(cdkJSON, selector, outdir string) ([]string, error) {
	context, err := ReadContext(cdkJSON)
	if err != nil {
		return nil, err
	}
	if selector != "" {
		context[SelectContextKey] = selector
	}
	app := NewApp(context, outdir)
	stacks, err := AddStacks(app)
	if err != nil {
		return nil, err
	}
	assembly := app.Synth(nil)
	var paths []string
	for _, stack := range stacks {
		artifact := assembly.GetStackArtifact(stack.ArtifactId())
		paths = append(paths, filepath.Join(*assembly.Directory(), *artifact.TemplateFile()))
	}
	return paths, nil
}

package infra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/mlpipeline-go/mlpipeline/constructs/storage"
)

// StackName returns the name, and construct ID, of an environment's stack.
func StackName(env string) string { return "MlPipeline-" + env }

// NewPipelineStack defines the stack of one environment: every resource of
// the pipeline, tagged with the environment's name and tags.
func NewPipelineStack(scope constructs.Construct, env Environment) awscdk.Stack {
	tags := map[string]*string{"environment": jsii.String(env.Name)}
	for k, v := range env.Tags {
		tags[k] = jsii.String(v)
	}
	props := &awscdk.StackProps{
		StackName:   jsii.String(StackName(env.Name)),
		Description: jsii.String(fmt.Sprintf("ML pipeline (%s): storage, job image, roles, training and inference state machines.", env.Name)),
		Tags:        &tags,
	}
	if env.Account != "" || env.Region != "" {
		props.Env = &awscdk.Environment{Account: optional(env.Account), Region: optional(env.Region)}
	}
	stack := awscdk.NewStack(scope, jsii.String(StackName(env.Name)), props)
	// Stack tags reach resources only at deploy time; tagging the resources
	// too puts the tags into the template, where tests and reviewers see them.
	for _, k := range sortedKeys(tags) {
		awscdk.Tags_Of(stack).Add(jsii.String(k), tags[k], nil)
	}

	storage.NewStorage(stack, "Storage", &storage.StorageProps{
		RemovalPolicy: removalPolicy(env.RemovalPolicy),
	})
	return stack
}

func removalPolicy(p RemovalPolicy) awscdk.RemovalPolicy {
	if p == Destroy {
		return awscdk.RemovalPolicy_DESTROY
	}
	return awscdk.RemovalPolicy_RETAIN
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}

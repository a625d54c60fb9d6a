package apimodel

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// How a Task's Parameters become an API request, per integration. This is
// the one place that says where Step Functions departs from the plain API
// request, each with the AWS documentation that says so.
//
//   - AWS SDK integrations, arn:aws:states:::aws-sdk:<service>:<action>:
//     Parameters are the action's request, member names in PascalCase as in
//     the API model. <service> is the SDK client's name, which follows the
//     model's serviceId ("sfn" for botocore's "stepfunctions", "eventbridge"
//     for "events"); <action> is the operation name in camelCase
//     ("getObject" for GetObject). AWS Step Functions Developer Guide,
//     "Integrating services with AWS SDK integrations in Step Functions":
//     https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html,
//     and "Passing parameters to a service API in Step Functions" ("Parameters
//     in Step Functions are expressed in PascalCase"):
//     https://docs.aws.amazon.com/step-functions/latest/dg/connect-parameters.html
//   - arn:aws:states:::sagemaker:createProcessingJob.sync and
//     createTrainingJob.sync: Parameters are the CreateProcessingJob and
//     CreateTrainingJob requests unchanged; ".sync" only makes Step
//     Functions wait for the job to end (polling DescribeProcessingJob or
//     DescribeTrainingJob, and the EventBridge rule its role manages).
//     "Create and manage Amazon SageMaker AI jobs with Step Functions":
//     https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html
//   - arn:aws:states:::sns:publish: Parameters are the Publish request,
//     except that Message may be any JSON value, not only a string: Step
//     Functions serializes an object to its JSON text (the guide's
//     callback example passes "Message": {"Input.$": "$", "TaskToken.$":
//     "$$.Task.Token"}). "Publish messages to an Amazon SNS topic with Step
//     Functions": https://docs.aws.amazon.com/step-functions/latest/dg/connect-sns.html
//
// Any other optimized integration is refused until it is added here with
// the page that describes its Parameters.
var optimized = map[string]integration{
	"sagemaker:createProcessingJob":      {service: "sagemaker", operation: "CreateProcessingJob"},
	"sagemaker:createProcessingJob.sync": {service: "sagemaker", operation: "CreateProcessingJob"},
	"sagemaker:createTrainingJob":        {service: "sagemaker", operation: "CreateTrainingJob"},
	"sagemaker:createTrainingJob.sync":   {service: "sagemaker", operation: "CreateTrainingJob"},
	"sns:publish":                        {service: "sns", operation: "Publish", adjust: serializeMember("Message")},
}

type integration struct {
	service, operation string
	// adjust turns Parameters into the request the service receives.
	adjust func(map[string]any) map[string]any
}

// serializeMember replaces a member that is not a string by its JSON text.
func serializeMember(name string) func(map[string]any) map[string]any {
	return func(p map[string]any) map[string]any {
		v, ok := p[name]
		if !ok {
			return p
		}
		switch v.(type) {
		case string, Dynamic:
			return p
		}
		b, err := json.Marshal(v)
		if err != nil {
			return p
		}
		out := maps.Clone(p)
		out[name] = string(b)
		return out
	}
}

// Task is a Task resource resolved to the operation its Parameters call.
type Task struct {
	// Resource is the Task's Resource ARN.
	Resource string
	// Operation is the API operation; Operation.Service its model.
	Operation *Operation
	adjust    func(map[string]any) map[string]any
}

// Request returns the API request Step Functions sends for the given
// Parameters (see the notes on the integrations above).
func (t *Task) Request(params any) any {
	if m, ok := params.(map[string]any); ok && t.adjust != nil {
		return t.adjust(m)
	}
	return params
}

// Validate checks Parameters as the request the integration sends.
func (t *Task) Validate(params any, opt Options) []Violation {
	return t.Operation.Validate(t.Request(params), opt)
}

// Describe names the operation, such as "sagemaker CreateProcessingJob".
func (t *Task) Describe() string {
	return t.Operation.Service.Name + " " + t.Operation.Name
}

// Task resolves a Step Functions Task resource, in any partition, to its
// service operation: "arn:aws:states:::aws-sdk:<service>:<action>" or one
// of the optimized integrations listed above.
func (m *Models) Task(resource string) (*Task, error) {
	parts := strings.SplitN(resource, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "states" || parts[3] != "" || parts[4] != "" {
		return nil, fmt.Errorf("Task resource %q is not a service integration (arn:<partition>:states:::<service>:<action>)", resource)
	}
	rest := parts[5]
	if sdk, ok := strings.CutPrefix(rest, "aws-sdk:"); ok {
		service, action, ok := strings.Cut(sdk, ":")
		if !ok || service == "" || action == "" {
			return nil, fmt.Errorf("Task resource %q: want aws-sdk:<service>:<action>", resource)
		}
		if i := strings.IndexByte(action, '.'); i >= 0 {
			// AWS SDK integrations also take .waitForTaskToken, which
			// changes how Step Functions waits, not the request.
			action = action[:i]
		}
		svc, err := m.SDKService(service)
		if err != nil {
			return nil, fmt.Errorf("Task resource %q: %w", resource, err)
		}
		op, err := svc.Operation(strings.ToUpper(action[:1]) + action[1:])
		if err != nil {
			return nil, fmt.Errorf("Task resource %q: %w", resource, err)
		}
		return &Task{Resource: resource, Operation: op}, nil
	}
	in, ok := optimized[rest]
	if !ok {
		return nil, fmt.Errorf("Task resource %q: this optimized integration has no entry in internal/apimodel/integrations.go; known: %s", resource, strings.Join(slices.Sorted(maps.Keys(optimized)), ", "))
	}
	svc, err := m.Service(in.service)
	if err != nil {
		return nil, fmt.Errorf("Task resource %q: %w", resource, err)
	}
	op, err := svc.Operation(in.operation)
	if err != nil {
		return nil, fmt.Errorf("Task resource %q: %w", resource, err)
	}
	return &Task{Resource: resource, Operation: op, adjust: in.adjust}, nil
}

// Static turns a Task's Parameters as written in a definition into a
// request for Validate: an entry "Name.$" becomes member Name with a
// Dynamic value, whose value only the running state knows.
func Static(params any) any {
	switch p := params.(type) {
	case map[string]any:
		out := make(map[string]any, len(p))
		for k, v := range p {
			if name, ok := strings.CutSuffix(k, ".$"); ok {
				expr, _ := v.(string)
				out[name] = Dynamic{Expr: expr}
				continue
			}
			out[k] = Static(v)
		}
		return out
	case []any:
		out := make([]any, len(p))
		for i, v := range p {
			out[i] = Static(v)
		}
		return out
	}
	return params
}

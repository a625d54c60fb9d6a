package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mlpipeline-go/mlpipeline/internal/apimodel"
	"github.com/mlpipeline-go/mlpipeline/localrun/asl"
)

// checkRequests wraps the handlers so that every call a local stand-in
// receives is first validated against the AWS API model of the operation
// its Task resource calls (package apimodel, botocore's service models).
// A request that breaks the model fails the execution with States.Runtime,
// which no Retry or Catch handles, naming the state, the operation, and
// each violation's path and rule: on AWS the same request would be
// rejected, so the local run must not succeed or recover from it.
//
// Without the models (python3-botocore not installed) the check is off,
// and says so on out; under CI (CI set, e.g. CI=true) every call then
// fails instead.
func checkRequests(handlers map[string]asl.Handler, out io.Writer) map[string]asl.Handler {
	models, err := apimodel.Open(apimodel.Root())
	if err != nil && errors.Is(err, apimodel.ErrNoModels) && os.Getenv("CI") == "" {
		fmt.Fprintf(out, "API request checks off: %v\n", err)
		return handlers
	}
	checked := make(map[string]asl.Handler, len(handlers))
	for resource, h := range handlers {
		checked[resource] = func(ctx context.Context, call asl.Call) (any, error) {
			if err != nil {
				return nil, &asl.TaskError{Name: asl.ErrRuntime, Cause: fmt.Sprintf("state %q: the request cannot be checked: %v", call.StateName, err)}
			}
			if cerr := checkRequest(models, call); cerr != nil {
				return nil, cerr
			}
			return h(ctx, call)
		}
	}
	return checked
}

// checkRequest validates one call, returning the States.Runtime error
// that fails the execution, or nil.
func checkRequest(models *apimodel.Models, call asl.Call) *asl.TaskError {
	task, err := models.Task(call.Resource)
	if err != nil {
		return &asl.TaskError{Name: asl.ErrRuntime, Cause: fmt.Sprintf("state %q: %v", call.StateName, err)}
	}
	violations := task.Validate(call.Parameters, apimodel.Options{})
	if len(violations) == 0 {
		return nil
	}
	msgs := make([]string, len(violations))
	for i, v := range violations {
		msgs[i] = v.String()
	}
	return &asl.TaskError{Name: asl.ErrRuntime, Cause: fmt.Sprintf("state %q: the %s request breaks the AWS API model (botocore %s, %s): %s",
		call.StateName, task.Describe(), models.Version(), task.Operation.Service.File, strings.Join(msgs, "; "))}
}

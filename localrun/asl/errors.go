package asl

import "fmt"

// Error names defined by the Amazon States Language that the executor raises
// or treats specially when matching Retry and Catch.
const (
	// ErrAll is the wildcard that matches every error name except
	// ErrRuntime.
	ErrAll = "States.ALL"
	// ErrTaskFailed matches every error name except ErrTimeout and
	// ErrRuntime, and names a task failure that carries no name of its own.
	ErrTaskFailed = "States.TaskFailed"
	// ErrTimeout names a Task that ran longer than its TimeoutSeconds.
	ErrTimeout = "States.Timeout"
	// ErrRuntime names a failure to process the data, such as a path that
	// matches nothing; it can be neither retried nor caught.
	ErrRuntime = "States.Runtime"
	// ErrNoChoiceMatched names a Choice state with no matching rule and no
	// Default.
	ErrNoChoiceMatched = "States.NoChoiceMatched"
	// ErrResultPathMatchFailure names a ResultPath that cannot be applied to
	// the state's input.
	ErrResultPathMatchFailure = "States.ResultPathMatchFailure"
)

// TaskError is an error with an Amazon States Language error name. A Handler
// returns one to fail its task with a specific name (for example
// "SageMaker.AmazonSageMakerException") so that Retry and Catch can match it.
type TaskError struct {
	// Name is the error name that ErrorEquals matches against.
	Name string
	// Cause is the human-readable explanation.
	Cause string
}

// Error returns the name and the cause.
func (e *TaskError) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// runtimeErr builds the non-recoverable data error that Step Functions reports
// as States.Runtime.
func runtimeErr(format string, args ...any) *TaskError {
	return &TaskError{Name: ErrRuntime, Cause: fmt.Sprintf(format, args...)}
}

// errorMatches reports whether a Retrier's or Catcher's ErrorEquals matches
// name.
//
// States.Runtime is matched by nothing, not even States.ALL or its own name:
// the AWS Step Functions developer guide ("Handling errors in Step Functions
// workflows", concepts-error-handling) states that States.ALL cannot catch
// the States.DataLimitExceeded terminal error or Runtime error types, and that
// a States.Runtime error is not retriable and always fails the execution.
// The same guide defines States.TaskFailed as a wildcard for any error except
// States.Timeout.
func errorMatches(errorEquals []string, name string) bool {
	if name == ErrRuntime {
		return false
	}
	for _, e := range errorEquals {
		switch {
		case e == name, e == ErrAll:
			return true
		case e == ErrTaskFailed && name != ErrTimeout:
			return true
		}
	}
	return false
}

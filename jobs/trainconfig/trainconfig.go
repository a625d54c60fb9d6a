// Package trainconfig is what the train job accepts as configuration,
// for the code that configures the job from outside jobs/: the CDK app
// checks cdk.json with it at synth. It calls the very functions the job
// runs, so that a configuration that passes synth does not fail at Train,
// after Preprocess has run, and the two can never disagree.
package trainconfig

import (
	"errors"
	"slices"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
)

// MaxInstanceCount is the number of instances the train job runs on: it
// trains on one machine and fails on more. (Training past one machine is
// SageMaker's built-in XGBoost, on the same splits.)
const MaxInstanceCount = 1

// Problem is one hyperparameter the train job would reject.
type Problem struct {
	// Key is the hyperparameter's name as given.
	Key string
	// Value is its value as given.
	Value string
	// Unknown tells that Key is not a hyperparameter the job knows.
	Unknown bool
	// Valid says what would be accepted.
	Valid string
}

// Params parses the hyperparameters h as the train job does: SageMaker's
// own hyperparameters (_tuning_objective_metric, which automatic model
// tuning adds, and those starting with sagemaker_) are ignored; every
// other key must be one of XGBoost's names that the trainer implements,
// with a valid value.
func Params(h map[string]string) (gbt.Params, error) {
	return gbt.ParamsFromHyperparameters(sagemaker.Hyperparameters(h).WithoutReserved())
}

// Check returns the problems the train job would find in h, in key order,
// or nil. Without an objective in h, the job takes it from the data
// schema, which a configuration does not know: h passes if it is valid
// for either objective.
func Check(h map[string]string) []Problem {
	if _, ok := h["objective"]; ok {
		return problems(h)
	}
	var best []Problem
	for _, objective := range []gbt.Objective{gbt.SquaredError, gbt.Logistic} {
		with := map[string]string{"objective": string(objective)}
		for k, v := range h {
			with[k] = v
		}
		p := problems(with)
		if len(p) == 0 {
			return nil
		}
		if best == nil || len(p) < len(best) {
			best = p
		}
	}
	return best
}

func problems(h map[string]string) []Problem {
	_, err := Params(h)
	if err == nil {
		return nil
	}
	var out []Problem
	for _, e := range unjoin(err) {
		var he *gbt.HyperparameterError
		if errors.As(e, &he) {
			out = append(out, Problem{Key: he.Key, Value: he.Value, Unknown: he.Unknown, Valid: he.Valid})
		} else {
			out = append(out, Problem{Valid: e.Error()})
		}
	}
	slices.SortStableFunc(out, func(a, b Problem) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return out
}

// unjoin returns the errors that errors.Join joined into err, or err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

package gbt

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Objective is the learning task, named as XGBoost names it so that the
// value can be copied to and from XGBoost hyperparameters and model files.
type Objective string

const (
	// SquaredError is regression with squared loss; predictions are values.
	SquaredError Objective = "reg:squarederror"
	// Logistic is binary classification with logistic loss on labels 0 and
	// 1; predictions are probabilities of label 1.
	Logistic Objective = "binary:logistic"
)

// Metric returns the name of the objective's default evaluation metric,
// "rmse" or "logloss", which is what XGBoost reports and early-stops on when
// eval_metric is not set. It returns "" for an unsupported objective.
func (o Objective) Metric() string {
	switch o {
	case SquaredError:
		return "rmse"
	case Logistic:
		return "logloss"
	}
	return ""
}

// Params holds the training hyperparameters. Field meanings and ranges are
// XGBoost's (see [ParamsFromHyperparameters] for the names); start from
// [DefaultParams] so that unset fields get XGBoost's defaults rather than
// zero values, several of which are invalid.
type Params struct {
	Objective Objective
	// NumRound is the number of boosting rounds, one tree per round.
	NumRound int
	// MaxDepth limits the depth of every tree; the root is at depth 0.
	MaxDepth int
	// Eta scales every leaf value (shrinkage), XGBoost's learning rate.
	Eta float64
	// Gamma is the minimum loss reduction a split must reach.
	Gamma float64
	// MinChildWeight is the minimum sum of hessians in each child of a split.
	MinChildWeight float64
	// Lambda is the L2 regularisation of leaf weights.
	Lambda float64
	// Alpha is the L1 regularisation of leaf weights.
	Alpha float64
	// Subsample is the fraction of rows each tree is grown on.
	Subsample float64
	// ColsampleBytree is the fraction of features each tree may split on.
	ColsampleBytree float64
	// MaxBin is the maximum number of histogram bins per feature.
	MaxBin int
	// Seed seeds row and feature sampling.
	Seed int64
	// EarlyStoppingRounds stops training once the validation metric has
	// not improved for this many rounds; 0 disables early stopping.
	EarlyStoppingRounds int
	// Threads is the number of goroutines used for training and for
	// batch prediction of the trained model; 0 means GOMAXPROCS. It never
	// changes results.
	Threads int
}

// DefaultParams returns XGBoost's defaults: objective reg:squarederror,
// max_depth 6, eta 0.3, gamma 0, min_child_weight 1, lambda 1, alpha 0,
// subsample 1, colsample_bytree 1, max_bin 256, seed 0, no early stopping.
// XGBoost has no single default for the number of rounds (xgb.train uses
// 10, the scikit-learn wrapper 100, SageMaker requires it); NumRound is 100
// because 10 rounds at eta 0.3 rarely fit anything well.
func DefaultParams() Params {
	return Params{
		Objective:       SquaredError,
		NumRound:        100,
		MaxDepth:        6,
		Eta:             0.3,
		Gamma:           0,
		MinChildWeight:  1,
		Lambda:          1,
		Alpha:           0,
		Subsample:       1,
		ColsampleBytree: 1,
		MaxBin:          256,
	}
}

// maxMaxDepth bounds max_depth. Depthwise trees this deep are already far
// beyond anything useful, and the bound keeps node ids and recursion in
// tools that read our models comfortably small.
const maxMaxDepth = 64

// maxMaxBin is the largest max_bin whose bin codes (plus one code for
// missing values) fit the uint16 columns of the binned matrix.
const maxMaxBin = 65535

// paramSpec describes one hyperparameter: how to parse it into Params, how
// to read it back for validation, and which values are valid. One table
// drives both ParamsFromHyperparameters and Params.Validate so the two can
// never disagree about ranges.
type paramSpec struct {
	name  string
	valid string
	// set parses s into p and reports whether s was a valid value.
	set func(p *Params, s string) bool
	// get formats the field of p and reports whether it is valid.
	get func(p Params) (string, bool)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func floatParam(name, valid string, field func(*Params) *float64, ok func(float64) bool) paramSpec {
	return paramSpec{
		name:  name,
		valid: valid,
		set: func(p *Params, s string) bool {
			// Go's hexadecimal floats and underscores are not numbers to
			// XGBoost or SageMaker's tuner.
			if strings.ContainsAny(s, "xX_") {
				return false
			}
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || !finite(x) || !ok(x) {
				return false
			}
			*field(p) = x
			return true
		},
		get: func(p Params) (string, bool) {
			x := *field(&p)
			return strconv.FormatFloat(x, 'g', -1, 64), finite(x) && ok(x)
		},
	}
}

func intParam(name, valid string, field func(*Params) *int, ok func(int) bool) paramSpec {
	return paramSpec{
		name:  name,
		valid: valid,
		set: func(p *Params, s string) bool {
			n, err := strconv.Atoi(s)
			if err != nil || !ok(n) {
				return false
			}
			*field(p) = n
			return true
		},
		get: func(p Params) (string, bool) {
			n := *field(&p)
			return strconv.Itoa(n), ok(n)
		},
	}
}

func nonNegative(x float64) bool  { return x >= 0 }
func unitInterval(x float64) bool { return x > 0 && x <= 1 }

// paramSpecs lists the hyperparameters by their XGBoost names, sorted.
var paramSpecs = []paramSpec{
	floatParam("alpha", "a number >= 0", func(p *Params) *float64 { return &p.Alpha }, nonNegative),
	floatParam("colsample_bytree", "a number in (0, 1]", func(p *Params) *float64 { return &p.ColsampleBytree }, unitInterval),
	intParam("early_stopping_rounds", "an integer >= 0 (0 disables early stopping)", func(p *Params) *int { return &p.EarlyStoppingRounds }, func(n int) bool { return n >= 0 }),
	floatParam("eta", "a number in (0, 1]", func(p *Params) *float64 { return &p.Eta }, unitInterval),
	floatParam("gamma", "a number >= 0", func(p *Params) *float64 { return &p.Gamma }, nonNegative),
	floatParam("lambda", "a number >= 0", func(p *Params) *float64 { return &p.Lambda }, nonNegative),
	intParam("max_bin", fmt.Sprintf("an integer in [2, %d]", maxMaxBin), func(p *Params) *int { return &p.MaxBin }, func(n int) bool { return n >= 2 && n <= maxMaxBin }),
	intParam("max_depth", fmt.Sprintf("an integer in [1, %d]", maxMaxDepth), func(p *Params) *int { return &p.MaxDepth }, func(n int) bool { return n >= 1 && n <= maxMaxDepth }),
	floatParam("min_child_weight", "a number >= 0", func(p *Params) *float64 { return &p.MinChildWeight }, nonNegative),
	intParam("num_round", "an integer >= 1", func(p *Params) *int { return &p.NumRound }, func(n int) bool { return n >= 1 }),
	{
		name:  "objective",
		valid: fmt.Sprintf("%q or %q", SquaredError, Logistic),
		set: func(p *Params, s string) bool {
			if o := Objective(s); o.Metric() != "" {
				p.Objective = o
				return true
			}
			return false
		},
		get: func(p Params) (string, bool) { return string(p.Objective), p.Objective.Metric() != "" },
	},
	{
		name:  "seed",
		valid: "a base-10 integer that fits in 64 bits",
		set: func(p *Params, s string) bool {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return false
			}
			p.Seed = n
			return true
		},
		get: func(p Params) (string, bool) { return strconv.FormatInt(p.Seed, 10), true },
	},
	floatParam("subsample", "a number in (0, 1]", func(p *Params) *float64 { return &p.Subsample }, unitInterval),
}

// paramAliases maps XGBoost's alternative names to the canonical ones.
var paramAliases = map[string]string{
	"learning_rate":  "eta",
	"min_split_loss": "gamma",
	"reg_alpha":      "alpha",
	"reg_lambda":     "lambda",
}

// Hyperparameters that are accepted only with the one value this package
// implements, so that a job configured for real XGBoost fails loudly instead
// of silently training something else.
const (
	treeMethodKey = "tree_method"
	evalMetricKey = "eval_metric"
)

func specByName(name string) *paramSpec {
	for i := range paramSpecs {
		if paramSpecs[i].name == name {
			return &paramSpecs[i]
		}
	}
	return nil
}

// validNames lists every accepted hyperparameter name, for error messages.
func validNames() string {
	names := []string{treeMethodKey, evalMetricKey}
	for _, s := range paramSpecs {
		names = append(names, s.name)
	}
	names = slices.AppendSeq(names, maps.Keys(paramAliases))
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// ParamsFromHyperparameters returns [DefaultParams] overridden by h, which
// uses XGBoost's hyperparameter names and string values as SageMaker passes
// them: objective, num_round, max_depth, eta (alias learning_rate), gamma
// (alias min_split_loss), min_child_weight, lambda (alias reg_lambda), alpha
// (alias reg_alpha), subsample, colsample_bytree, max_bin, seed and
// early_stopping_rounds. tree_method and eval_metric are accepted only with
// the values this package implements ("hist", and the objective's default
// metric), so that a configuration that asks for something else fails
// instead of being silently ignored. Every problem is reported, each naming
// the key, the value and what would be valid; an unknown key is an error
// listing the valid names.
func ParamsFromHyperparameters(h map[string]string) (Params, error) {
	p := DefaultParams()
	var errs []error
	seen := map[string]string{} // canonical name -> key that set it
	for _, key := range slices.Sorted(maps.Keys(h)) {
		value := h[key]
		name := key
		if canonical, ok := paramAliases[key]; ok {
			name = canonical
		}
		if other, ok := seen[name]; ok {
			errs = append(errs, &HyperparameterError{Key: key, Value: value, Valid: fmt.Sprintf("only one of %s and %s, aliases of the same parameter", other, key),
				msg: fmt.Sprintf("hyperparameters %s and %s are aliases of the same parameter; set only one", other, key)})
			continue
		}
		seen[name] = key
		switch name {
		case treeMethodKey:
			if value != "hist" {
				errs = append(errs, invalid(key, value, `"hist" (the only tree method implemented)`))
			}
			continue
		case evalMetricKey:
			continue // checked below, once the objective is known
		}
		spec := specByName(name)
		if spec == nil {
			errs = append(errs, &HyperparameterError{Key: key, Value: value, Unknown: true, Valid: "one of " + validNames(),
				msg: fmt.Sprintf("unknown hyperparameter %q; valid names: %s", key, validNames())})
			continue
		}
		if !spec.set(&p, value) {
			errs = append(errs, invalid(key, value, spec.valid))
		}
	}
	if value, ok := h[evalMetricKey]; ok && p.Objective.Metric() != "" && value != p.Objective.Metric() {
		errs = append(errs, invalid(evalMetricKey, value, fmt.Sprintf("%q (the metric of objective %s; no other metric is implemented)", p.Objective.Metric(), p.Objective)))
	}
	if err := errors.Join(errs...); err != nil {
		return Params{}, err
	}
	return p, nil
}

// HyperparameterError is a problem with one hyperparameter. The error
// of ParamsFromHyperparameters joins one per problem (errors.Join), so
// that a caller such as a configuration check can report each by key.
type HyperparameterError struct {
	// Key is the hyperparameter's name as given.
	Key string
	// Value is its value as given.
	Value string
	// Unknown tells that Key is not a hyperparameter name at all.
	Unknown bool
	// Valid says what would be accepted.
	Valid string
	msg   string
}

// Error returns the problem on one line, naming the key and the value.
func (e *HyperparameterError) Error() string { return e.msg }

func invalid(key, value, valid string) *HyperparameterError {
	return &HyperparameterError{Key: key, Value: value, Valid: valid,
		msg: fmt.Sprintf("hyperparameter %s = %q is invalid; valid: %s", key, value, valid)}
}

// Validate reports every field of p that is out of range, naming it by its
// XGBoost hyperparameter name with its value and the valid range.
func (p Params) Validate() error {
	var errs []error
	for _, s := range paramSpecs {
		if v, ok := s.get(p); !ok {
			errs = append(errs, fmt.Errorf("parameter %s = %s is invalid; valid: %s", s.name, v, s.valid))
		}
	}
	if p.Threads < 0 {
		errs = append(errs, fmt.Errorf("parameter Threads = %d is invalid; valid: an integer >= 0 (0 means GOMAXPROCS)", p.Threads))
	}
	return errors.Join(errs...)
}

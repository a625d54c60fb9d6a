// Package metrics computes the model-quality metrics that the evaluate job
// reports and writes them as evaluation.json in the layout SageMaker uses
// for model quality (regression_metrics and binary_classification_metrics,
// each metric an object with a "value"), so that the pipeline's Step
// Functions Choice state and the SageMaker Model Registry can read them
// without a translation step.
//
// Every Compute function validates its whole input before computing and
// returns an error rather than a NaN or an infinity: JSON has no encoding
// for those, and a quality gate that silently compares against NaN always
// takes the same branch.
package metrics

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// Regression holds the quality metrics of a regression model on N examples.
type Regression struct {
	// N is the number of examples the metrics were computed on.
	N int
	// MSE is the mean squared error.
	MSE float64
	// RMSE is the square root of MSE, in the units of the target.
	RMSE float64
	// MAE is the mean absolute error.
	MAE float64
	// R2 is the coefficient of determination, 1 - SS_res/SS_tot. When every
	// actual value is the same, SS_tot is zero and the ratio is undefined;
	// R2 is then 1 if every prediction is exact and 0 otherwise, the same
	// convention as scikit-learn's r2_score, so that the value stays finite
	// and a constant-target evaluation set never passes a quality gate that
	// an imperfect model should fail.
	R2 float64
}

// ComputeRegression returns the regression metrics of predicted against
// actual. It returns an error when the slices differ in length, are empty,
// hold a NaN or an infinity, or are so large in magnitude that a metric
// overflows.
func ComputeRegression(actual, predicted []float64) (Regression, error) {
	if err := checkPair("actual", actual, "predicted", predicted); err != nil {
		return Regression{}, err
	}
	if err := checkFinite("actual", actual); err != nil {
		return Regression{}, err
	}
	if err := checkFinite("predicted", predicted); err != nil {
		return Regression{}, err
	}

	n := float64(len(actual))
	// floats.Distance scales its L2 sum so that large but finite errors do
	// not overflow before the final square root.
	l2 := floats.Distance(actual, predicted, 2)
	r := Regression{
		N:    len(actual),
		MSE:  l2 * l2 / n,
		RMSE: l2 / math.Sqrt(n),
		MAE:  floats.Distance(actual, predicted, 1) / n,
	}

	// Compare exactly rather than testing the variance against zero: the
	// mean of a constant slice can differ from its elements in the last
	// bit, which would turn a zero variance into a tiny positive one and
	// R2 into a huge negative number.
	if floats.Min(actual) == floats.Max(actual) {
		if l2 == 0 {
			r.R2 = 1
		} else {
			r.R2 = 0
		}
	} else {
		ssTot := stat.Variance(actual, nil) * (n - 1)
		r.R2 = 1 - l2*l2/ssTot
	}

	for _, m := range []struct {
		name string
		v    float64
	}{{"MSE", r.MSE}, {"RMSE", r.RMSE}, {"MAE", r.MAE}, {"R2", r.R2}} {
		if math.IsNaN(m.v) || math.IsInf(m.v, 0) {
			return Regression{}, fmt.Errorf("metrics: %s overflows to %v: inputs are too large in magnitude", m.name, m.v)
		}
	}
	return r, nil
}

// checkPair reports whether two parallel slices can be compared at all.
func checkPair(aName string, a []float64, bName string, b []float64) error {
	if len(a) != len(b) {
		return fmt.Errorf("metrics: length mismatch: %d %s values but %d %s values", len(a), aName, len(b), bName)
	}
	if len(a) == 0 {
		return errors.New("metrics: no examples to evaluate")
	}
	return nil
}

// checkFinite names the first NaN or infinity so that a bad row can be
// found in the job's input rather than guessed at.
func checkFinite(name string, xs []float64) error {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("metrics: %s[%d] = %v is not a finite number", name, i, x)
		}
	}
	return nil
}

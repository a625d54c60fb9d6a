package metrics

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tol = 1e-12

func TestComputeRegressionHandValues(t *testing.T) {
	// errors: 0.5, 0, -1, 1
	// squared: 0.25 + 0 + 1 + 1 = 2.25 -> MSE 2.25/4 = 0.5625, RMSE 0.75
	// absolute: 0.5 + 0 + 1 + 1 = 2.5 -> MAE 0.625
	// mean(actual) = 2.5, SS_tot = 2.25+0.25+0.25+2.25 = 5 -> R2 = 1 - 2.25/5 = 0.55
	r, err := ComputeRegression([]float64{1, 2, 3, 4}, []float64{1.5, 2, 2, 5})
	require.NoError(t, err)
	assert.Equal(t, 4, r.N)
	assert.InDelta(t, 0.5625, r.MSE, tol)
	assert.InDelta(t, 0.75, r.RMSE, tol)
	assert.InDelta(t, 0.625, r.MAE, tol)
	assert.InDelta(t, 0.55, r.R2, tol)
}

func TestComputeRegressionPerfect(t *testing.T) {
	r, err := ComputeRegression([]float64{-3, 0.5, 7}, []float64{-3, 0.5, 7})
	require.NoError(t, err)
	assert.Equal(t, Regression{N: 3, R2: 1}, r)
}

func TestComputeRegressionWorseThanMean(t *testing.T) {
	// Predicting the reverse order: errors -2, 0, 2 -> SS_res 8, MSE 8/3;
	// SS_tot = 1+0+1 = 2 -> R2 = 1 - 8/2 = -3. Negative R2 must survive.
	r, err := ComputeRegression([]float64{1, 2, 3}, []float64{3, 2, 1})
	require.NoError(t, err)
	assert.InDelta(t, 8.0/3, r.MSE, tol)
	assert.InDelta(t, -3, r.R2, tol)
}

func TestComputeRegressionConstantActual(t *testing.T) {
	t.Run("exact predictions give R2 1", func(t *testing.T) {
		// 0.1 three times: its floating-point mean is not exactly 0.1, which
		// is why the constant case is detected by comparing values.
		r, err := ComputeRegression([]float64{0.1, 0.1, 0.1}, []float64{0.1, 0.1, 0.1})
		require.NoError(t, err)
		assert.Equal(t, 1.0, r.R2)
		assert.Equal(t, 0.0, r.MSE)
	})
	t.Run("inexact predictions give R2 0", func(t *testing.T) {
		// errors -1, 0, 1 -> MSE 2/3, MAE 2/3
		r, err := ComputeRegression([]float64{2, 2, 2}, []float64{1, 2, 3})
		require.NoError(t, err)
		assert.Equal(t, 0.0, r.R2)
		assert.InDelta(t, 2.0/3, r.MSE, tol)
		assert.InDelta(t, 2.0/3, r.MAE, tol)
	})
	t.Run("a single example is constant", func(t *testing.T) {
		r, err := ComputeRegression([]float64{5}, []float64{4})
		require.NoError(t, err)
		assert.Equal(t, Regression{N: 1, MSE: 1, RMSE: 1, MAE: 1, R2: 0}, r)
	})
}

func TestComputeRegressionLargeButFiniteErrors(t *testing.T) {
	// Errors of 1e150 square to 1e300, which float64 still represents, so
	// the metrics must come out finite rather than as an overflow error.
	r, err := ComputeRegression([]float64{0, 1e150}, []float64{1e150, 0})
	require.NoError(t, err)
	assert.InEpsilon(t, 1e300, r.MSE, 1e-12)
	assert.InEpsilon(t, 1e150, r.RMSE, 1e-12)
}

func TestComputeRegressionBadInput(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name              string
		actual, predicted []float64
		want              string
	}{
		{"length mismatch", []float64{1, 2}, []float64{1}, "length mismatch: 2 actual values but 1 predicted values"},
		{"empty", []float64{}, []float64{}, "no examples"},
		{"nil", nil, nil, "no examples"},
		{"NaN actual", []float64{1, nan}, []float64{1, 2}, "actual[1] = NaN is not a finite number"},
		{"Inf predicted", []float64{1, 2, 3}, []float64{1, 2, inf}, "predicted[2] = +Inf is not a finite number"},
		{"-Inf predicted", []float64{1}, []float64{math.Inf(-1)}, "predicted[0] = -Inf is not a finite number"},
		{"overflow", []float64{-1e200, 1e200}, []float64{1e200, -1e200}, "MSE overflows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ComputeRegression(tt.actual, tt.predicted)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

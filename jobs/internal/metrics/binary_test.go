package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestComputeBinaryHandValues(t *testing.T) {
	actual := []float64{0, 0, 1, 1}
	prob := []float64{0.1, 0.4, 0.35, 0.8}
	b, err := ComputeBinary(actual, prob, 0.5)
	require.NoError(t, err)

	assert.Equal(t, 4, b.N)
	assert.Equal(t, 0.5, b.Threshold)
	// Positive-negative pairs: 0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes,
	// 0.8>0.4 yes -> 3 of 4.
	assert.InDelta(t, 0.75, b.AUC, tol)
	// Only 0.8 reaches 0.5: TP=1 (0.8), FN=1 (0.35), TN=2, FP=0.
	assert.Equal(t, Confusion{TN: 2, FP: 0, FN: 1, TP: 1}, b.Confusion)
	assert.InDelta(t, 0.75, b.Accuracy, tol)
	assert.InDelta(t, 1.0, b.Precision, tol)
	assert.InDelta(t, 0.5, b.Recall, tol)
	assert.InDelta(t, 2.0/3, b.F1, tol) // 2*1*0.5/(1+0.5)
	// -(ln 0.9 + ln 0.6 + ln 0.35 + ln 0.8)/4
	// = (0.1053605 + 0.5108256 + 1.0498221 + 0.2231436)/4 = 0.4722880
	assert.InDelta(t, 0.4722880, b.LogLoss, 1e-7)
	assert.InDelta(t, -(math.Log(0.9)+math.Log(0.6)+math.Log(0.35)+math.Log(0.8))/4, b.LogLoss, tol)

	// Thresholds +Inf, 0.8, 0.4, 0.35, 0.1 in turn.
	assert.Equal(t, []Point{{0, 0}, {0, 0.5}, {0.5, 0.5}, {0.5, 1}, {1, 1}}, b.ROC)

	assert.Equal(t, []CalibrationBin{
		{Lower: 0.1, Upper: 0.2, MeanPredicted: 0.1, FractionPositive: 0, Count: 1},
		{Lower: 0.3, Upper: 0.4, MeanPredicted: 0.35, FractionPositive: 1, Count: 1},
		{Lower: 0.4, Upper: 0.5, MeanPredicted: 0.4, FractionPositive: 0, Count: 1},
		{Lower: 0.8, Upper: 0.9, MeanPredicted: 0.8, FractionPositive: 1, Count: 1},
	}, b.Calibration)
}

func TestComputeBinaryAUCTies(t *testing.T) {
	tests := []struct {
		name         string
		actual, prob []float64
		want         float64
	}{
		// Pairs: (0.5 vs 0.5) tie 1/2, (0.5 vs 0.2) 1, (0.9 vs 0.5) 1,
		// (0.9 vs 0.2) 1 -> 3.5/4.
		{"one tie", []float64{0, 1, 0, 1}, []float64{0.5, 0.5, 0.2, 0.9}, 0.875},
		{"everything tied", []float64{0, 1, 1, 0}, []float64{0.5, 0.5, 0.5, 0.5}, 0.5},
		// Two positives and three negatives all at 0.3, plus one positive
		// at 0.9 above all three negatives: 6 ties * 1/2 + 3 wins = 6 of 9.
		{"tied block", []float64{1, 1, 0, 0, 0, 1}, []float64{0.3, 0.3, 0.3, 0.3, 0.3, 0.9}, 6.0 / 9},
		{"perfect", []float64{0, 0, 1, 1}, []float64{0.1, 0.2, 0.8, 0.9}, 1},
		{"inverted", []float64{0, 0, 1, 1}, []float64{0.9, 0.8, 0.2, 0.1}, 0},
		{"perfect at the extremes", []float64{1, 0}, []float64{1, 0}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ComputeBinary(tt.actual, tt.prob, 0.5)
			require.NoError(t, err)
			assert.InDelta(t, tt.want, b.AUC, tol)
			assert.Equal(t, Point{0, 0}, b.ROC[0])
			assert.Equal(t, Point{1, 1}, b.ROC[len(b.ROC)-1])
		})
	}
}

func TestComputeBinaryAUCMatchesPairCount(t *testing.T) {
	// Probabilities rounded to one decimal so that most scores are tied;
	// the AUC must equal the Mann-Whitney pair count exactly.
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 500
	actual := make([]float64, n)
	prob := make([]float64, n)
	for i := range n {
		if rng.Float64() < 0.3 {
			actual[i] = 1
		}
		prob[i] = math.Round((0.3*actual[i]+0.7*rng.Float64())*10) / 10
	}
	var wins, pairs float64
	for i := range n {
		for j := range n {
			if actual[i] != 1 || actual[j] != 0 {
				continue
			}
			pairs++
			switch {
			case prob[i] > prob[j]:
				wins++
			case prob[i] == prob[j]:
				wins += 0.5
			}
		}
	}
	b, err := ComputeBinary(actual, prob, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, wins/pairs, b.AUC, 1e-12)
	assert.Len(t, b.ROC, 12, "one point per distinct probability 0, 0.1, ..., 1 plus (0, 0)")
}

func TestComputeBinaryThresholdIsInclusive(t *testing.T) {
	actual := []float64{0, 1, 0, 1}
	prob := []float64{0.3, 0.5, 0, 1}
	tests := []struct {
		threshold float64
		want      Confusion
	}{
		// A probability equal to the threshold is predicted positive.
		{0.5, Confusion{TN: 2, FN: 0, FP: 0, TP: 2}},
		{0.3, Confusion{TN: 1, FP: 1, TP: 2}},
		{0.30000000000000004, Confusion{TN: 2, TP: 2}},
		{0.5000000000000001, Confusion{TN: 2, FN: 1, TP: 1}},
		// Threshold 0 predicts everything positive, 1 only certainties.
		{0, Confusion{FP: 2, TP: 2}},
		{1, Confusion{TN: 2, FN: 1, TP: 1}},
	}
	for _, tt := range tests {
		b, err := ComputeBinary(actual, prob, tt.threshold)
		require.NoError(t, err)
		assert.Equal(t, tt.want, b.Confusion, "threshold %v", tt.threshold)
	}
}

func TestComputeBinaryZeroDenominators(t *testing.T) {
	// Nothing reaches the threshold: TP+FP = 0, so precision is defined as
	// 0, recall is 0/2, and F1 is 0 because both are 0.
	b, err := ComputeBinary([]float64{0, 1, 1}, []float64{0.1, 0.2, 0.3}, 0.9)
	require.NoError(t, err)
	assert.Equal(t, Confusion{TN: 1, FN: 2}, b.Confusion)
	assert.Equal(t, 0.0, b.Precision)
	assert.Equal(t, 0.0, b.Recall)
	assert.Equal(t, 0.0, b.F1)
	assert.InDelta(t, 1.0/3, b.Accuracy, tol)
	assert.Equal(t, 1.0, b.AUC)
}

func TestComputeBinaryLogLossClipsCertainMistakes(t *testing.T) {
	// Both examples are certain and wrong; each costs -ln(1e-15) = 34.5387763949.
	b, err := ComputeBinary([]float64{1, 0}, []float64{0, 1}, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 34.5387763949, b.LogLoss, 1e-6)

	// Certain and right costs almost nothing but stays finite and positive.
	b, err = ComputeBinary([]float64{1, 0}, []float64{1, 0}, 0.5)
	require.NoError(t, err)
	assert.Greater(t, b.LogLoss, 0.0)
	assert.Less(t, b.LogLoss, 1e-14)
}

func TestComputeBinaryCalibrationEdges(t *testing.T) {
	// 0 falls in the first bin, 1 in the last (closed) bin, and 0.5 starts
	// the sixth bin.
	b, err := ComputeBinary([]float64{0, 1, 1, 0}, []float64{0, 1, 0.5, 0.55}, 0.5)
	require.NoError(t, err)
	require.Len(t, b.Calibration, 3)
	assert.Equal(t, CalibrationBin{Lower: 0, Upper: 0.1, MeanPredicted: 0, FractionPositive: 0, Count: 1}, b.Calibration[0])
	assert.Equal(t, 0.5, b.Calibration[1].Lower)
	assert.Equal(t, 2, b.Calibration[1].Count)
	assert.InDelta(t, 0.525, b.Calibration[1].MeanPredicted, tol)
	assert.InDelta(t, 0.5, b.Calibration[1].FractionPositive, tol)
	assert.Equal(t, CalibrationBin{Lower: 0.9, Upper: 1, MeanPredicted: 1, FractionPositive: 1, Count: 1}, b.Calibration[2])
}

func TestComputeBinaryBadInput(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name         string
		actual, prob []float64
		threshold    float64
		want         string
	}{
		{"length mismatch", []float64{0, 1}, []float64{0.5}, 0.5, "length mismatch: 2 actual values but 1 prob values"},
		{"empty", nil, nil, 0.5, "no examples"},
		{"label 2", []float64{0, 2}, []float64{0.1, 0.2}, 0.5, "actual[1] = 2 is not a binary label"},
		{"label -1", []float64{-1, 1}, []float64{0.1, 0.2}, 0.5, "actual[0] = -1 is not a binary label"},
		{"label 0.5", []float64{0, 0.5}, []float64{0.1, 0.2}, 0.5, "actual[1] = 0.5 is not a binary label"},
		{"label NaN", []float64{nan, 1}, []float64{0.1, 0.2}, 0.5, "actual[0] = NaN is not a binary label"},
		{"prob above 1", []float64{0, 1}, []float64{0.1, 1.2}, 0.5, "prob[1] = 1.2 is not a probability in [0, 1]"},
		{"prob negative", []float64{0, 1}, []float64{-0.1, 0.2}, 0.5, "prob[0] = -0.1 is not a probability"},
		{"prob NaN", []float64{0, 1}, []float64{0.1, nan}, 0.5, "prob[1] = NaN is not a probability"},
		{"prob Inf", []float64{0, 1}, []float64{0.1, math.Inf(1)}, 0.5, "prob[1] = +Inf is not a probability"},
		{"threshold NaN", []float64{0, 1}, []float64{0.1, 0.2}, nan, "threshold NaN is not in [0, 1]"},
		{"threshold above 1", []float64{0, 1}, []float64{0.1, 0.2}, 1.5, "threshold 1.5 is not in [0, 1]"},
		{"only positives", []float64{1, 1, 1}, []float64{0.1, 0.2, 0.3}, 0.5, "AUC needs both classes, got 3 positive (1) and 0 negative (0) labels"},
		{"only negatives", []float64{0, 0}, []float64{0.1, 0.2}, 0.5, "got 0 positive (1) and 2 negative (0) labels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ComputeBinary(tt.actual, tt.prob, tt.threshold)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

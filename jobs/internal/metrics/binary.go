package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// CalibrationBins is the number of equal-width probability bins that
// ComputeBinary groups predictions into for the calibration curve. Ten bins
// of width 0.1 is the usual reliability-diagram resolution: finer bins get
// noisy on evaluation sets of a few thousand examples.
const CalibrationBins = 10

// logLossEpsilon keeps log loss finite for confident wrong predictions; it
// is the clipping bound scikit-learn used for float64 probabilities, so the
// values stay comparable with notebooks.
const logLossEpsilon = 1e-15

// Confusion counts the outcomes of a binary classifier at one threshold.
type Confusion struct {
	// TN counts negatives predicted negative.
	TN int
	// FP counts negatives predicted positive.
	FP int
	// FN counts positives predicted negative.
	FN int
	// TP counts positives predicted positive.
	TP int
}

// Point is a point on a curve, such as (FPR, TPR) on a ROC curve.
type Point struct {
	X, Y float64
}

// CalibrationBin summarises the predictions whose probability fell into
// [Lower, Upper); the last bin also holds probabilities equal to 1.
type CalibrationBin struct {
	// Lower is the inclusive lower edge of the bin.
	Lower float64
	// Upper is the upper edge of the bin, exclusive except for the last bin.
	Upper float64
	// MeanPredicted is the mean predicted probability of the bin's examples.
	MeanPredicted float64
	// FractionPositive is the fraction of the bin's examples labelled 1.
	FractionPositive float64
	// Count is the number of examples in the bin.
	Count int
}

// Binary holds the quality metrics of a binary classifier on N examples.
//
// An example is predicted positive when its probability is greater than or
// equal to Threshold. Precision, Recall and F1 are defined as 0 when their
// denominator is 0 (no predicted positives, no actual positives, or
// precision and recall both 0), rather than NaN, so that evaluation.json
// stays valid JSON and a degenerate model scores low on a quality gate.
type Binary struct {
	// N is the number of examples the metrics were computed on.
	N int
	// Threshold is the probability at or above which an example is
	// predicted positive.
	Threshold float64
	// AUC is the area under the ROC curve. Examples with equal
	// probabilities are treated as tied, so a tied positive-negative pair
	// counts one half, as in the Mann-Whitney U statistic.
	AUC float64
	// Accuracy is (TP+TN)/N.
	Accuracy float64
	// Precision is TP/(TP+FP), or 0 when nothing is predicted positive.
	Precision float64
	// Recall is TP/(TP+FN), the true positive rate.
	Recall float64
	// F1 is the harmonic mean of Precision and Recall, or 0 when both are 0.
	F1 float64
	// LogLoss is the mean negative log-likelihood of the labels, with
	// probabilities clipped to [1e-15, 1-1e-15].
	LogLoss float64
	// Confusion counts the outcomes at Threshold.
	Confusion Confusion
	// ROC is the ROC curve as (FPR, TPR) points in order of decreasing
	// threshold: (0, 0), then one point per distinct probability, the
	// last of which is (1, 1).
	ROC []Point
	// Calibration is the reliability curve over CalibrationBins
	// equal-width bins; empty bins are left out because their mean
	// predicted probability and fraction of positives are undefined.
	Calibration []CalibrationBin
}

// ComputeBinary returns the binary classification metrics of the predicted
// probabilities prob against the labels actual at the given threshold. It
// returns an error when the slices differ in length or are empty, when a
// label is not exactly 0 or 1, when a probability or the threshold is
// outside [0, 1] or NaN, or when only one class is present, because AUC is
// undefined then.
func ComputeBinary(actual, prob []float64, threshold float64) (Binary, error) {
	if err := checkPair("actual", actual, "prob", prob); err != nil {
		return Binary{}, err
	}
	if !(threshold >= 0 && threshold <= 1) {
		return Binary{}, fmt.Errorf("metrics: threshold %v is not in [0, 1]", threshold)
	}
	var pos, neg int
	for i, y := range actual {
		switch y {
		case 0:
			neg++
		case 1:
			pos++
		default:
			return Binary{}, fmt.Errorf("metrics: actual[%d] = %v is not a binary label (0 or 1)", i, y)
		}
	}
	for i, p := range prob {
		// The negated form also rejects NaN, for which every comparison
		// is false.
		if !(p >= 0 && p <= 1) {
			return Binary{}, fmt.Errorf("metrics: prob[%d] = %v is not a probability in [0, 1]", i, p)
		}
	}
	if pos == 0 || neg == 0 {
		return Binary{}, fmt.Errorf("metrics: AUC needs both classes, got %d positive (1) and %d negative (0) labels", pos, neg)
	}

	b := Binary{N: len(actual), Threshold: threshold}
	var c Confusion
	var loss float64
	for i, y := range actual {
		p := prob[i]
		predicted := p >= threshold
		switch {
		case y == 1 && predicted:
			c.TP++
		case y == 1:
			c.FN++
		case predicted:
			c.FP++
		default:
			c.TN++
		}
		// Clip the probability given to the true label rather than p
		// itself: 1-1e-15 is not exactly representable, so clipping p
		// would charge a certain wrong negative more than a certain wrong
		// positive.
		q := p
		if y == 0 {
			q = 1 - p
		}
		loss -= math.Log(min(max(q, logLossEpsilon), 1-logLossEpsilon))
	}
	n := float64(b.N)
	b.Confusion = c
	b.LogLoss = loss / n
	b.Accuracy = float64(c.TP+c.TN) / n
	b.Precision = ratio(c.TP, c.TP+c.FP)
	b.Recall = ratio(c.TP, c.TP+c.FN)
	if b.Precision+b.Recall > 0 {
		b.F1 = 2 * b.Precision * b.Recall / (b.Precision + b.Recall)
	}

	b.ROC, b.AUC = roc(actual, prob)
	b.Calibration = calibration(actual, prob)
	return b, nil
}

// ratio returns num/den, or 0 when den is 0; see Binary for why.
func ratio(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

// roc returns the ROC curve and the area under it. stat.ROC places one
// cutoff at each distinct score, so tied examples move the curve together
// along a diagonal segment, and the trapezoid under that segment credits
// each tied positive-negative pair with exactly one half.
func roc(actual, prob []float64) ([]Point, float64) {
	type scored struct {
		p   float64
		pos bool
	}
	s := make([]scored, len(prob))
	for i, p := range prob {
		s[i] = scored{p, actual[i] == 1}
	}
	// The order of tied scores does not matter to stat.ROC, so an unstable
	// sort is fine.
	slices.SortFunc(s, func(a, b scored) int { return cmp.Compare(a.p, b.p) })
	y := make([]float64, len(s))
	classes := make([]bool, len(s))
	for i, e := range s {
		y[i], classes[i] = e.p, e.pos
	}

	tpr, fpr, _ := stat.ROC(nil, y, classes, nil)
	pts := make([]Point, len(tpr))
	for i := range tpr {
		pts[i] = Point{X: fpr[i], Y: tpr[i]}
	}
	return pts, integrate.Trapezoidal(fpr, tpr)
}

// calibration bins the predictions into CalibrationBins equal-width bins.
func calibration(actual, prob []float64) []CalibrationBin {
	var sumP, sumY [CalibrationBins]float64
	var count [CalibrationBins]int
	for i, p := range prob {
		// A probability of exactly 1 would index one past the last bin.
		k := min(int(p*CalibrationBins), CalibrationBins-1)
		sumP[k] += p
		sumY[k] += actual[i]
		count[k]++
	}
	var bins []CalibrationBin
	for k := range CalibrationBins {
		if count[k] == 0 {
			continue
		}
		bins = append(bins, CalibrationBin{
			Lower:            float64(k) / CalibrationBins,
			Upper:            float64(k+1) / CalibrationBins,
			MeanPredicted:    sumP[k] / float64(count[k]),
			FractionPositive: sumY[k] / float64(count[k]),
			Count:            count[k],
		})
	}
	return bins
}

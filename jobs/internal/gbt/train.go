package gbt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// RoundLog is the evaluation after one boosting round, what XGBoost prints
// once per round.
type RoundLog struct {
	// Round counts from 0, as in XGBoost's log.
	Round int
	// Train is the metric on the training data, over all rows (not just
	// the ones sampled for the round's tree).
	Train float64
	// Validation is the metric on the validation data, or NaN if Train was
	// given none.
	Validation float64
	// Metric is "rmse" or "logloss", the objective's default metric.
	Metric string
}

// FormatRound formats l as XGBoost logs a round, for example
// "[3]\ttrain-rmse:2.10000\tvalidation-rmse:2.30000", using SageMaker's
// channel names "train" and "validation". SageMaker metric definitions
// written for the built-in XGBoost algorithm, such as
// `validation-rmse:([0-9.eE+-]+)`, scrape this layout from the job's log.
// The validation part is left out when l.Validation is NaN.
func FormatRound(l RoundLog) string {
	s := fmt.Sprintf("[%d]\ttrain-%s:%.5f", l.Round, l.Metric, l.Train)
	if !math.IsNaN(l.Validation) {
		s += fmt.Sprintf("\tvalidation-%s:%.5f", l.Metric, l.Validation)
	}
	return s
}

// pcgStream is the second word of the PCG state; the seed is the first.
// Any constant works; it only has to stay the same so that a seed keeps
// giving the same model.
const pcgStream = 0x9e3779b97f4a7c15

// metricBlockRows is the block size for metrics and gradients, fixed so
// that metric sums do not depend on the thread count.
const metricBlockRows = 8192

// logisticBaseEps keeps a binary:logistic base_score away from 0 and 1,
// where its logit would be infinite, when all labels are equal.
const logisticBaseEps = 1e-6

// Train fits a model to train and trainLabels with parameters p.
//
// valid and validLabels, if valid is non-nil, are evaluated after every
// round and drive early stopping: with p.EarlyStoppingRounds > 0, training
// stops once the validation metric has not improved (decreased) for that
// many rounds, and the model keeps only the trees up to and including the
// best round, so every reader of the model predicts with the best model.
// onRound, if non-nil, is called after every round with the metrics; use
// [FormatRound] to log them.
//
// Missing features (NaN) are supported: each split learns whether they go
// left or right. Train returns an error, naming the check and the values,
// for invalid parameters, empty or malformed matrices, infinite features,
// non-finite labels, a label count that does not match the rows,
// binary:logistic labels other than 0 and 1, and early stopping without
// validation data. It stops with ctx's error when ctx is done, checking
// between rounds.
func Train(ctx context.Context, p Params, train Matrix, trainLabels []float32, valid *Matrix, validLabels []float32, onRound func(RoundLog)) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("gbt: %w", err)
	}
	if err := checkTrainingData("training", train, trainLabels, p.Objective); err != nil {
		return nil, fmt.Errorf("gbt: %w", err)
	}
	switch {
	case valid != nil:
		if err := checkTrainingData("validation", *valid, validLabels, p.Objective); err != nil {
			return nil, fmt.Errorf("gbt: %w", err)
		}
		if valid.Cols != train.Cols {
			return nil, fmt.Errorf("gbt: validation matrix has %d columns, training matrix %d; want the same features", valid.Cols, train.Cols)
		}
	case validLabels != nil:
		return nil, errors.New("gbt: validation labels given without a validation matrix")
	case p.EarlyStoppingRounds > 0:
		return nil, fmt.Errorf("gbt: early_stopping_rounds = %d needs validation data; none was given", p.EarlyStoppingRounds)
	}
	threads := resolveThreads(p.Threads)
	cuts, err := computeCuts(train, p.MaxBin, threads)
	if err != nil {
		return nil, fmt.Errorf("gbt: training matrix: %w", err)
	}
	t := &trainer{ctx: ctx, p: p, threads: threads, train: train, trainLabels: trainLabels, valid: valid, validLabels: validLabels, onRound: onRound}
	if cuts.maxCodes() <= math.MaxUint8+1 {
		return trainBinned(t, newGrower(p, threads, binMatrix[uint8](train, cuts, threads), train.Rows, cuts))
	}
	return trainBinned(t, newGrower(p, threads, binMatrix[uint16](train, cuts, threads), train.Rows, cuts))
}

// trainer holds the inputs of one Train call.
type trainer struct {
	ctx                      context.Context
	p                        Params
	threads                  int
	train                    Matrix
	trainLabels              []float32
	valid                    *Matrix
	validLabels              []float32
	onRound                  func(RoundLog)
	trainMargin, validMargin []float32
}

func trainBinned[T binCode](t *trainer, gr *grower[T]) (*Model, error) {
	p := t.p
	base := baseScore(p.Objective, t.trainLabels)
	m := &Model{
		objective:       p.Objective,
		numFeature:      t.train.Cols,
		baseScore:       base,
		baseMargin:      baseMargin(p.Objective, base),
		numParallelTree: 1,
		scalePosWeight:  "1",
		threads:         p.Threads,
	}
	t.trainMargin = filled(t.train.Rows, m.baseMargin)
	if t.valid != nil {
		t.validMargin = filled(t.valid.Rows, m.baseMargin)
	}
	gpair := make([]gradPair, t.train.Rows)
	rng := rand.New(rand.NewPCG(uint64(p.Seed), pcgStream))
	allRows := make([]int32, t.train.Rows)
	for i := range allRows {
		allRows[i] = int32(i)
	}
	allFeats := make([]int, t.train.Cols)
	for i := range allFeats {
		allFeats[i] = i
	}
	var sample, unsampled []int32
	best, bestRound, sinceBest := math.Inf(1), -1, 0
	for round := range p.NumRound {
		if err := t.ctx.Err(); err != nil {
			return nil, fmt.Errorf("gbt: training stopped before round %d: %w", round, err)
		}
		t.gradients(gpair)
		rows := allRows
		if p.Subsample < 1 {
			sample, unsampled = sample[:0], unsampled[:0]
			// Every row may be drawn, leaving unsampled empty (and nil).
			for i := range allRows {
				if rng.Float64() < p.Subsample {
					sample = append(sample, int32(i))
				} else {
					unsampled = append(unsampled, int32(i))
				}
			}
			rows = sample
		}
		feats := allFeats
		if k := max(1, int(math.Floor(float64(t.train.Cols)*p.ColsampleBytree))); k < t.train.Cols {
			feats = rng.Perm(t.train.Cols)[:k]
			slices.Sort(feats)
		}
		tr := gr.grow(gpair, rows, feats)
		m.trees = append(m.trees, *tr)
		nodes, _ := appendCompiled(nil, tr)
		t.addLeaves(tr, gr.rows, gr.leaves)
		if len(unsampled) > 0 {
			addTree(t.threads, nodes, t.train, unsampled, t.trainMargin)
		}
		log := RoundLog{Round: round, Metric: p.Objective.Metric(), Validation: math.NaN()}
		log.Train = metric(t.threads, p.Objective, t.trainMargin, t.trainLabels)
		if t.valid != nil {
			addTree(t.threads, nodes, *t.valid, nil, t.validMargin)
			log.Validation = metric(t.threads, p.Objective, t.validMargin, t.validLabels)
		}
		if t.onRound != nil {
			t.onRound(log)
		}
		if p.EarlyStoppingRounds > 0 {
			if log.Validation < best {
				best, bestRound, sinceBest = log.Validation, round, 0
			} else if sinceBest++; sinceBest >= p.EarlyStoppingRounds {
				break
			}
		}
	}
	m.attributes = map[string]string{}
	if p.EarlyStoppingRounds > 0 {
		m.trees = m.trees[:bestRound+1]
		m.attributes["best_score"] = strconv.FormatFloat(best, 'g', -1, 64)
	}
	m.bestIteration = len(m.trees) - 1
	m.attributes["best_iteration"] = strconv.Itoa(m.bestIteration)
	m.attributes["best_ntree_limit"] = strconv.Itoa(len(m.trees))
	m.compile()
	return m, nil
}

func filled(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// baseScore is the model's starting point: the mean label for regression,
// the fraction of positive labels (kept away from 0 and 1) for
// binary:logistic. Starting there rather than at XGBoost 1.x's fixed 0.5
// saves the first trees from just learning the mean; XGBoost 2.0 made the
// same change.
func baseScore(obj Objective, labels []float32) float32 {
	var sum float64
	for _, y := range labels {
		sum += float64(y)
	}
	mean := sum / float64(len(labels))
	if obj == Logistic {
		mean = min(max(mean, logisticBaseEps), 1-logisticBaseEps)
	}
	return float32(mean)
}

// gradients computes the gradient and hessian of every training row at the
// current margins, in float32 as XGBoost does.
func (t *trainer) gradients(gpair []gradPair) {
	blocks := (len(gpair) + metricBlockRows - 1) / metricBlockRows
	parallelFor(t.threads, blocks, func(b int) {
		lo, hi := b*metricBlockRows, min((b+1)*metricBlockRows, len(gpair))
		for i := lo; i < hi; i++ {
			y, m := t.trainLabels[i], t.trainMargin[i]
			if t.p.Objective == Logistic {
				p := float32(sigmoid(float64(m)))
				gpair[i] = gradPair{g: p - y, h: max(p*(1-p), 1e-16)}
			} else {
				gpair[i] = gradPair{g: m - y, h: 1}
			}
		}
	})
}

// addLeaves adds to the training margin of every row the tree was grown on
// the value of the leaf it ended in, which growing the tree has already
// worked out. The result is the same as walking the tree: a row's bin is
// below a split's bin exactly when its value is below the split's
// threshold.
func (t *trainer) addLeaves(tr *tree, rows []int32, leaves []leafRows) {
	parallelFor(t.threads, len(leaves), func(k int) {
		l := leaves[k]
		v := tr.cond[l.id]
		for _, r := range rows[l.begin:l.end] {
			t.trainMargin[r] += v
		}
	})
}

// addTree adds the leaf value the compiled tree gives each row of x to its
// margin, in float32 like the Predict methods, so that training margins
// equal the saved model's predictions. If only is non-nil, only the rows it
// lists are updated.
func addTree(threads int, nodes []flatNode, x Matrix, only []int32, margin []float32) {
	n := x.Rows
	if only != nil {
		n = len(only)
	}
	blocks := (n + metricBlockRows - 1) / metricBlockRows
	parallelFor(threads, blocks, func(b int) {
		for k := b * metricBlockRows; k < min((b+1)*metricBlockRows, n); k++ {
			i := k
			if only != nil {
				i = int(only[k])
			}
			margin[i] += leafValue(nodes, 0, x.Data[i*x.Cols:(i+1)*x.Cols])
		}
	})
}

// metric evaluates the objective's default metric, rmse or logloss, as
// XGBoost does. Block sums are added in block order so that the value does
// not depend on the thread count.
func metric(threads int, obj Objective, margin, labels []float32) float64 {
	blocks := (len(margin) + metricBlockRows - 1) / metricBlockRows
	sums := make([]float64, blocks)
	parallelFor(threads, blocks, func(b int) {
		var s float64
		for i := b * metricBlockRows; i < min((b+1)*metricBlockRows, len(margin)); i++ {
			y, m := float64(labels[i]), float64(margin[i])
			if obj == Logistic {
				const eps = 1e-16
				p := min(max(sigmoid(m), eps), 1-eps)
				s -= y*math.Log(p) + (1-y)*math.Log(1-p)
			} else {
				s += (y - m) * (y - m)
			}
		}
		sums[b] = s
	})
	var total float64
	for _, s := range sums {
		total += s
	}
	mean := total / float64(len(margin))
	if obj == Logistic {
		return mean
	}
	return math.Sqrt(mean)
}

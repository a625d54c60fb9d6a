package features

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Split holds the row indexes of each part of a data set, each in ascending
// order so that the written files keep the input's row order.
type Split struct {
	Train, Validation, Test []int
}

// splitStream keeps the splitting random stream apart from any other use of
// the same seed (subsampling in training, say).
const splitStream uint64 = 0x9e3779b97f4a7c15

// SplitRows assigns n rows to train, validation and test at random with the
// given fractions (test gets the rest), reproducibly for a seed. With labels
// (binary classification), each class is split on its own so that every part
// keeps the class balance. Every part must end up non-empty unless its
// fraction is zero.
func SplitRows(labels []float64, trainFrac, validFrac float64, seed uint64, stratify bool) (Split, error) {
	testFrac := 1 - trainFrac - validFrac
	if !(trainFrac > 0) || validFrac < 0 || testFrac < -1e-9 || math.IsNaN(validFrac) {
		return Split{}, fmt.Errorf("split fractions train %g, validation %g leave %g for test; valid: train > 0, validation >= 0, train + validation <= 1", trainFrac, validFrac, testFrac)
	}
	rng := rand.New(rand.NewPCG(seed, splitStream))
	groups := [][]int{make([]int, 0, len(labels))}
	if stratify {
		groups = [][]int{nil, nil}
	}
	for i, y := range labels {
		g := 0
		if stratify && y == 1 {
			g = 1
		}
		groups[g] = append(groups[g], i)
	}
	// Part sizes come from cumulative boundaries over the groups, so the
	// totals are round(fraction * n) whatever the number of groups, and each
	// group's share is within one row of its fraction.
	var s Split
	seen, trainEnd, validEnd := 0, 0, 0
	for _, g := range groups {
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		seen += len(g)
		nextTrain := int(math.Round(trainFrac * float64(seen)))
		nextValid := min(int(math.Round((trainFrac+validFrac)*float64(seen))), seen)
		nTrain := min(nextTrain-trainEnd, len(g))
		nValid := min(nextValid-nextTrain-(validEnd-trainEnd), len(g)-nTrain)
		trainEnd, validEnd = nextTrain, nextValid
		s.Train = append(s.Train, g[:nTrain]...)
		s.Validation = append(s.Validation, g[nTrain:nTrain+nValid]...)
		s.Test = append(s.Test, g[nTrain+nValid:]...)
	}
	slices.Sort(s.Train)
	slices.Sort(s.Validation)
	slices.Sort(s.Test)
	for _, part := range []struct {
		name string
		rows []int
		frac float64
	}{{"train", s.Train, trainFrac}, {"validation", s.Validation, validFrac}, {"test", s.Test, testFrac}} {
		if len(part.rows) == 0 && part.frac > 1e-9 {
			return Split{}, fmt.Errorf("split: the %s part of %d rows is empty (fraction %g); valid: more rows or a larger fraction", part.name, len(labels), part.frac)
		}
	}
	return s, nil
}

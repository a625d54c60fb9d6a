package gbt

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// sketchData returns synthetic data whose features have far more distinct
// values than max_bin, in shapes that exercise the sketch differently:
// uniform noise (features 0-3), a feature with heavy ties (about 2000
// distinct values, so repeated values are merged), and a feature that
// rises with the row number, so that the buffers the sketch flushes hold
// disjoint ranges and the result depends on the push order.
func sketchData(seed uint64, n int, obj Objective, missing float64) (Matrix, []float32) {
	x, y := synthetic(seed, n, 6, obj, missing)
	for i := range n {
		row := x.Row(i)
		if v := row[4]; v == v {
			row[4] = float32(math.Round(float64(v)*2000)) / 2000
		}
		if v := row[5]; v == v {
			row[5] = float32(i)/float32(n) + v/10
		}
	}
	return x, y
}

// TestXGBoostTrainsTheSameTreesWithSketchedCuts is TestXGBoostTrainsTheSameTrees
// for features with more distinct values than max_bin, where both sides
// choose cuts with a weighted quantile sketch: the trees must still be the
// same split for split, which they are only if the cuts are. The
// binary:logistic case also checks that the sketch weighs every row the
// same rather than by its hessian.
func TestXGBoostTrainsTheSameTreesWithSketchedCuts(t *testing.T) {
	t.Parallel() // most of the time is spent waiting for Python
	var cases []treeCase
	for i, c := range []struct {
		name    string
		obj     Objective
		rows    int
		maxBin  int
		missing float64
	}{
		{"squarederror-256-bins", SquaredError, 40_000, 256, 0},
		{"squarederror-16-bins", SquaredError, 100_000, 16, 0},
		{"squarederror-missing-100-bins", SquaredError, 30_000, 100, 0.1},
		{"logistic-64-bins", Logistic, 30_000, 64, 0},
	} {
		x, y := sketchData(uint64(51+i), c.rows, c.obj, c.missing)
		// The data set must really need the sketch.
		for f := range x.Cols {
			var vals []float32
			for r := range x.Rows {
				if v := x.Row(r)[f]; v == v {
					vals = append(vals, v)
				}
			}
			slices.Sort(vals)
			require.Greaterf(t, len(slices.Compact(vals)), 4*c.maxBin, "%s feature %d: distinct values", c.name, f)
		}
		p := DefaultParams()
		p.Objective, p.NumRound, p.MaxDepth, p.Eta, p.MaxBin = c.obj, 8, 6, 0.3, c.maxBin
		p.Gamma, p.MinChildWeight, p.Lambda = 0.1, 1, 1
		cases = append(cases, treeCase{name: c.name, p: p, x: x, y: y})
	}
	sameTreesAsXGBoost(t, cases)
}

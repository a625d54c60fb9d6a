package gbt

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
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
	if v := requireXGBoost(t); !strings.HasPrefix(v, "1.7.") {
		t.Skipf("XGBoost %s: the trees are compared with 1.7's hist method", v)
	}
	cases := []struct {
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
	}
	models := make([]*Model, len(cases))
	data := make([]Matrix, len(cases))
	var args []string
	dir := t.TempDir()
	for i, c := range cases {
		x, y := sketchData(uint64(51+i), c.rows, c.obj, c.missing)
		p := DefaultParams()
		p.Objective, p.NumRound, p.MaxDepth, p.Eta, p.MaxBin = c.obj, 8, 6, 0.3, c.maxBin
		p.Gamma, p.MinChildWeight, p.Lambda = 0.1, 1, 1
		m, err := Train(context.Background(), p, x, y, nil, nil, nil)
		require.NoError(t, err)
		dataPath := filepath.Join(dir, strconv.Itoa(i)+".csv")
		writeCSV(t, dataPath, x, y)
		xgbParams, err := json.Marshal(map[string]any{
			"objective": string(c.obj), "tree_method": "hist", "max_depth": p.MaxDepth, "eta": p.Eta,
			"gamma": p.Gamma, "min_child_weight": p.MinChildWeight, "lambda": p.Lambda, "alpha": p.Alpha,
			"base_score": m.BaseScore(), "max_bin": p.MaxBin,
		})
		require.NoError(t, err)
		models[i], data[i] = m, x
		args = append(args, dataPath, string(xgbParams), strconv.Itoa(p.NumRound))
	}
	var results []struct {
		Predictions []float64 `json:"predictions"`
		Trees       []struct {
			LeftChildren    []int32   `json:"left_children"`
			SplitIndices    []int32   `json:"split_indices"`
			SplitConditions []float32 `json:"split_conditions"`
			DefaultLeft     []uint8   `json:"default_left"`
		} `json:"trees"`
	}
	runPython(t, &results, trainAndPredict, args...)
	require.Len(t, results, len(cases), "XGBoost's results")
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, x, res := models[i], data[i], results[i]
			require.Len(t, res.Trees, m.NumTrees(), "XGBoost's trees")
			for i, theirs := range res.Trees {
				ours := m.trees[i]
				assert.Equalf(t, theirs.LeftChildren, ours.left, "tree %d: left_children", i)
				assert.Equalf(t, theirs.SplitIndices, ours.feature, "tree %d: split_indices", i)
				assert.Equalf(t, theirs.DefaultLeft, ours.defaultLeft, "tree %d: default_left", i)
				// Thresholds of split nodes are cut values, which must be
				// the same float32; leaves hold weights, equal up to
				// float32 rounding of sums taken in a different order.
				for j, want := range theirs.SplitConditions {
					if j < len(ours.cond) && j < len(ours.left) && ours.left[j] != -1 {
						assert.Equalf(t, want, ours.cond[j], "tree %d node %d: threshold", i, j)
					}
				}
				assert.InDeltaSlicef(t, theirs.SplitConditions, ours.cond, 1e-5, "tree %d: split_conditions", i)
			}
			ours := make([]float64, x.Rows)
			m.PredictBatch(x, ours)
			maxDiff := 0.0
			for i := range ours {
				maxDiff = max(maxDiff, math.Abs(ours[i]-res.Predictions[i]))
			}
			t.Logf("max |ours - XGBoost's| = %g", maxDiff)
			assert.LessOrEqualf(t, maxDiff, 1e-4, "predictions of the two models differ by up to %g", maxDiff)
			// The data set must really need the sketch.
			for f := range x.Cols {
				var vals []float32
				for r := range x.Rows {
					if v := x.Row(r)[f]; v == v {
						vals = append(vals, v)
					}
				}
				slices.Sort(vals)
				assert.Greaterf(t, len(slices.Compact(vals)), 4*c.maxBin, "feature %d: distinct values", f)
			}
		})
	}
}

package gbt

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// predictContribs prints XGBoost's pred_contribs for pairs of arguments: a
// model file and a CSV of features.
const predictContribs = `
import json, sys
import numpy as np
import xgboost as xgb
out = []
for model, data in zip(sys.argv[1::2], sys.argv[2::2]):
    booster = xgb.Booster(model_file=model)
    d = np.loadtxt(data, delimiter=",", dtype=np.float32, ndmin=2)
    dm = xgb.DMatrix(d, missing=np.nan)
    out.append({"contribs": booster.predict(dm, pred_contribs=True).astype(float).tolist(),
                "margins": booster.predict(dm, output_margin=True).astype(float).tolist()})
print(json.dumps(out))
`

// contributionCase is a model and the rows to explain.
type contributionCase struct {
	name string
	m    *Model
	x    Matrix
}

// TestContributionsEqualXGBoosts checks our TreeSHAP against XGBoost's own
// pred_contribs on the same model files: synthetic data with missing
// values for both objectives, with row and column sampling, and the
// abalone data set with its one-hot features.
func TestContributionsEqualXGBoosts(t *testing.T) {
	t.Parallel()
	requireXGBoost(t)
	var cases []contributionCase
	for _, obj := range []Objective{SquaredError, Logistic} {
		x, y := synthetic(47, 1200, 7, obj, 0.15)
		p := DefaultParams()
		p.Objective, p.NumRound, p.MaxDepth, p.Subsample, p.ColsampleBytree, p.Seed = obj, 30, 6, 0.8, 0.8, 5
		m, err := Train(context.Background(), p, x, y, nil, nil, nil)
		require.NoError(t, err)
		cases = append(cases, contributionCase{"synthetic " + string(obj), m, x})
	}
	x, y := readAbalone(t)
	p := DefaultParams()
	p.NumRound, p.MaxDepth = 50, 5
	m, err := Train(context.Background(), p, x, y, nil, nil, nil)
	require.NoError(t, err)
	cases = append(cases, contributionCase{"abalone", m, x})

	dir := t.TempDir()
	var args []string
	for i, c := range cases {
		modelPath, dataPath := filepath.Join(dir, strconv.Itoa(i)+".json"), filepath.Join(dir, strconv.Itoa(i)+".csv")
		require.NoError(t, os.WriteFile(modelPath, writeModel(t, c.m), 0o644))
		writeCSV(t, dataPath, c.x, nil)
		args = append(args, modelPath, dataPath)
	}
	var results []struct {
		Contribs [][]float64 `json:"contribs"`
		Margins  []float64   `json:"margins"`
	}
	runPython(t, &results, predictContribs, args...)
	require.Len(t, results, len(cases))
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, width := results[i], c.m.NumContributions()
			require.Len(t, res.Contribs, c.x.Rows)
			ours := make([]float64, c.x.Rows*width)
			c.m.ContributionsBatch(c.x, ours)
			checkContributions(t, c, res.Contribs, res.Margins, ours, "tables")
			// Every tree walked by treeShap, and half of the trees each way.
			full := c.m.buildShap(shapTableBudget)
			require.NotContains(t, full.tables, (*shapTable)(nil), "every tree fits the budget")
			entries := 0
			for _, st := range full.tables {
				entries += len(st.values)
			}
			for _, budget := range []int{0, entries / 2} {
				s := c.m.buildShap(budget)
				c.m.contributions(c.x, ours, &s, s.scratch())
				checkContributions(t, c, res.Contribs, res.Margins, ours, "budget "+strconv.Itoa(budget))
			}
		})
	}
}

// checkContributions compares our contributions of c.x with XGBoost's and
// checks that each row's add up to its raw score.
func checkContributions(t *testing.T, c contributionCase, xgbContribs [][]float64, xgbMargins, ours []float64, label string) {
	t.Helper()
	width := c.m.NumContributions()
	maxDiff, maxSum := 0.0, 0.0
	for r := range c.x.Rows {
		require.Len(t, xgbContribs[r], width, "row %d", r)
		got := ours[r*width : (r+1)*width]
		sum := 0.0
		for j, v := range got {
			sum += v
			d := math.Abs(v - xgbContribs[r][j])
			maxDiff = max(maxDiff, d)
			if d > 1e-5 {
				t.Fatalf("%s: row %d feature %d: our contribution %v, XGBoost's %v", label, r, j, v, xgbContribs[r][j])
			}
		}
		// The raw score in float64: PredictMargin adds in float32
		// as XGBoost does, which rounds by up to 1e-6 relative.
		exact := float64(c.m.baseMargin)
		for _, ct := range c.m.compact {
			exact += float64(leafValue(c.m.nodes, ct.root, c.x.Row(r)))
		}
		maxSum = max(maxSum, math.Abs(sum-exact))
		if math.Abs(sum-exact) > 1e-6 {
			t.Fatalf("%s: row %d: contributions add up to %v, the raw score is %v", label, r, sum, exact)
		}
		margin := c.m.PredictMargin(c.x.Row(r))
		assert.InDelta(t, xgbMargins[r], margin, 1e-5, "%s: row %d: margins", label, r)
		assert.InDelta(t, margin, sum, 1e-5*math.Max(1, math.Abs(margin)), "%s: row %d: the float32 raw score", label, r)
	}
	t.Logf("%s: max |ours - XGBoost's| = %.3g, max |sum - raw score| = %.3g", label, maxDiff, maxSum)
}

func TestContributionsAreIndependentOfThreads(t *testing.T) {
	x, y := synthetic(9, 700, 5, Logistic, 0.2)
	p := DefaultParams()
	p.Objective, p.NumRound, p.MaxDepth = Logistic, 12, 4
	m, err := Train(context.Background(), p, x, y, nil, nil, nil)
	require.NoError(t, err)
	width := m.NumContributions()
	one := make([]float64, x.Rows*width)
	m.SetThreads(1)
	m.ContributionsBatch(x, one)
	many := make([]float64, x.Rows*width)
	m.SetThreads(7)
	m.ContributionsBatch(x, many)
	assert.Equal(t, one, many, "the thread count changes nothing")
	row := make([]float64, width)
	m.Contributions(x.Row(3), row)
	assert.Equal(t, one[3*width:4*width], row, "Contributions equals the batch's row")
	assert.Panics(t, func() { m.Contributions(x.Row(0), make([]float64, width-1)) })
	assert.Panics(t, func() { m.ContributionsBatch(x, make([]float64, width)) })
}

// TestContributionsOfAStump checks the algorithm on a tree small enough to
// work out by hand: one split on feature 0 (covers 3 left, 1 right, leaves
// -1 and 3, so the expected value is 0), and feature 1 unused.
func TestContributionsOfAStump(t *testing.T) {
	tr := tree{numFeature: 2}
	tr.addNode(rootParent)
	l, r := tr.addNode(0), tr.addNode(0)
	tr.left[0], tr.right[0], tr.feature[0], tr.cond[0] = l, r, 0, 0.5
	tr.cond[l], tr.cond[r] = -1, 3
	tr.sumHess[0], tr.sumHess[l], tr.sumHess[r] = 4, 3, 1
	m := &Model{objective: SquaredError, numFeature: 2, trees: []tree{tr}}
	m.compile()
	out := make([]float64, 3)
	m.Contributions([]float32{0, 7}, out)
	assert.Equal(t, []float64{-1, 0, 0}, out, "left: -1 below the expected value 0, all of it feature 0's")
	m.Contributions([]float32{1, 7}, out)
	assert.Equal(t, []float64{3, 0, 0}, out)
	m.Contributions([]float32{float32(math.NaN()), 7}, out)
	assert.Equal(t, []float64{3, 0, 0}, out, "missing goes right by default")
}

// TestContributionTablesEqualTheWalk checks the precomputed tables against
// the per-row walk of the same trees, without XGBoost: deep trees with
// missing values split on the same feature several times on a path.
func TestContributionTablesEqualTheWalk(t *testing.T) {
	x, y := synthetic(11, 900, 4, SquaredError, 0.2)
	p := DefaultParams()
	p.NumRound, p.MaxDepth, p.Seed = 20, 8, 3
	m, err := Train(context.Background(), p, x, y, nil, nil, nil)
	require.NoError(t, err)
	width := m.NumContributions()
	tables, walk := m.buildShap(shapTableBudget), m.buildShap(0)
	require.NotContains(t, tables.tables, (*shapTable)(nil), "every tree fits the budget")
	got, want := make([]float64, x.Rows*width), make([]float64, x.Rows*width)
	m.contributions(x, got, &tables, tables.scratch())
	m.contributions(x, want, &walk, walk.scratch())
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-5 {
			t.Fatalf("row %d feature %d: from the tables %v, from the walk %v", i/width, i%width, got[i], want[i])
		}
	}
}

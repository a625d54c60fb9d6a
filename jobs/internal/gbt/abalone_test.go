package gbt

import (
	"context"
	"encoding/csv"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// abalonePath is the project's copy of the UCI abalone data set: a header
// line, then a categorical first column (sex), numeric columns, and the
// target (rings) last.
const abalonePath = "../../../data/abalone/abalone.csv"

// readAbalone reads the data set, one-hot encoding the first column by
// position: one column per distinct value, in sorted order, so that no
// column name or category is hard-coded.
func readAbalone(t *testing.T) (Matrix, []float32) {
	t.Helper()
	f, err := os.Open(abalonePath)
	require.NoErrorf(t, err, "the accuracy test needs the abalone data set at %s", abalonePath)
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(records), 2, "abalone.csv has no data rows")
	records = records[1:] // header
	var categories []string
	for _, r := range records {
		if !slices.Contains(categories, r[0]) {
			categories = append(categories, r[0])
		}
	}
	slices.Sort(categories)
	require.Lenf(t, categories, 3, "first column has categories %v, want 3", categories)
	width := len(records[0])
	x := Matrix{Rows: len(records), Cols: len(categories) + width - 2}
	y := make([]float32, len(records))
	for i, r := range records {
		require.Lenf(t, r, width, "line %d", i+2)
		for _, c := range categories {
			v := float32(0)
			if r[0] == c {
				v = 1
			}
			x.Data = append(x.Data, v)
		}
		for j, s := range r[1:] {
			v, err := strconv.ParseFloat(s, 32)
			require.NoErrorf(t, err, "line %d column %d", i+2, j+2)
			if j == width-2 {
				y[i] = float32(v)
			} else {
				x.Data = append(x.Data, float32(v))
			}
		}
	}
	return x, y
}

// subset returns the rows idx of x and y.
func subset(x Matrix, y []float32, idx []int) (Matrix, []float32) {
	out := Matrix{Rows: len(idx), Cols: x.Cols}
	var labels []float32
	for _, i := range idx {
		out.Data = append(out.Data, x.Row(i)...)
		labels = append(labels, y[i])
	}
	return out, labels
}

// TestTrainAbaloneAccuracy is a sanity check on real data with the
// hyperparameters of the project's XGBoost fixture: a 70/15/15 split of
// the abalone data, predicting rings. Gradient boosting gets a test MSE of
// about 4.5 here; a clearly higher value means training has regressed.
func TestTrainAbaloneAccuracy(t *testing.T) {
	x, y := readAbalone(t)
	perm := rand.New(rand.NewPCG(2024, 7)).Perm(x.Rows)
	nTrain, nValid := x.Rows*70/100, x.Rows*15/100
	tx, ty := subset(x, y, perm[:nTrain])
	vx, vy := subset(x, y, perm[nTrain:nTrain+nValid])
	sx, sy := subset(x, y, perm[nTrain+nValid:])

	p := DefaultParams()
	p.MaxDepth, p.Eta, p.Gamma, p.MinChildWeight, p.Subsample, p.NumRound = 5, 0.2, 4, 6, 0.7, 50
	var last RoundLog
	m, err := Train(context.Background(), p, tx, ty, &vx, vy, func(l RoundLog) { last = l })
	require.NoError(t, err)
	pred := make([]float64, sx.Rows)
	m.PredictBatch(sx, pred)
	var sse float64
	for i, v := range pred {
		d := v - float64(sy[i])
		sse += d * d
	}
	mse := sse / float64(sx.Rows)
	t.Logf("abalone: %d train, %d validation, %d test rows; %s; test MSE %.4f", tx.Rows, vx.Rows, sx.Rows, FormatRound(last), mse)
	assert.LessOrEqualf(t, mse, 4.6, "test MSE = %.4f, want <= 4.6", mse)
}

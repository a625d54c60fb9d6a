package gbt

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPerfectLayoutMatchesCompact checks that batch prediction through the
// perfect layout gives bit for bit the margins of the compact form, for
// trees of uneven depth (padded leaves), rows on thresholds, ±0 and ±Inf,
// partial blocks, and blocks with a missing value (which fall back).
func TestPerfectLayoutMatchesCompact(t *testing.T) {
	for _, depth := range []int{1, 3, 6} {
		x, y := synthetic(uint64(depth), 3000, 5, SquaredError, 0)
		p := DefaultParams()
		p.NumRound, p.MaxDepth, p.MinChildWeight = 20, depth, 0
		m, err := Train(context.Background(), p, x, y, nil, nil, nil)
		require.NoError(t, err)
		require.NotNil(t, m.perfect, "depth %d gets the perfect layout", depth)

		// Values the splits compare against, with their neighbours.
		var edges []float32
		for i := range m.trees {
			tr := &m.trees[i]
			for n := range tr.left {
				if tr.left[n] >= 0 {
					c := tr.cond[n]
					edges = append(edges, c, math.Nextafter32(c, -1e9), math.Nextafter32(c, 1e9))
				}
			}
		}
		negZero := float32(math.Copysign(0, -1))
		special := []float32{0, negZero, float32(math.Inf(1)), float32(math.Inf(-1))}
		rng := rand.New(rand.NewPCG(7, uint64(depth)))
		const rows = 3*predictBlockRows + 37 // full blocks and a partial one
		data := make([]float32, rows*x.Cols)
		for i := range data {
			switch k := rng.IntN(10); {
			case k < 6:
				data[i] = edges[rng.IntN(len(edges))]
			case k < 8:
				data[i] = special[rng.IntN(len(special))]
			default:
				data[i] = float32(rng.Float64())
			}
		}
		data[(predictBlockRows+5)*x.Cols+2] = float32(math.NaN()) // the second block falls back
		batch := Matrix{Rows: rows, Cols: x.Cols, Data: data}
		got := make([]float64, rows)
		m.PredictMarginBatch(batch, got)
		for i := range rows {
			want := m.PredictMargin(batch.Row(i))
			if math.Float64bits(got[i]) != math.Float64bits(want) {
				t.Fatalf("depth %d row %d (%v): batch margin %v, compact form %v", depth, i, batch.Row(i), got[i], want)
			}
		}
	}
}

// TestPerfectLayoutLimits checks which models do without the perfect
// layout, and that they still predict.
func TestPerfectLayoutLimits(t *testing.T) {
	x, y := synthetic(3, 4000, 4, SquaredError, 0)
	p := DefaultParams()
	p.NumRound, p.MaxDepth, p.MinChildWeight = 2, maxPerfectDepth+2, 0
	m, err := Train(context.Background(), p, x, y, nil, nil, nil)
	require.NoError(t, err)
	deepest := 0
	for _, ct := range m.compact {
		deepest = max(deepest, int(ct.depth))
	}
	if deepest > maxPerfectDepth {
		assert.Nil(t, m.perfect, "a model deeper than maxPerfectDepth is not padded")
	}
	out := make([]float64, x.Rows)
	m.PredictBatch(x, out)
	for i := range 50 {
		assert.Equal(t, m.Predict(x.Row(i)), out[i])
	}

	// No features: every tree is one leaf, and no block is laid out.
	leaf := tree{left: []int32{-1}, right: []int32{-1}, parent: []int32{rootParent}, feature: []int32{0},
		cond: []float32{0.5}, defaultLeft: []uint8{0}, baseWeight: []float32{0}, lossChg: []float32{0}, sumHess: []float32{0}}
	m0 := &Model{objective: SquaredError, trees: []tree{leaf, leaf}}
	m0.compile()
	out = make([]float64, 3)
	m0.PredictMarginBatch(Matrix{Rows: 3}, out)
	assert.Equal(t, []float64{1, 1, 1}, out)
}

// TestPredictBatchDoesNotAllocate checks that predicting block by block on
// one thread, as the infer job does, allocates nothing once warm.
func TestPredictBatchDoesNotAllocate(t *testing.T) {
	x, y := synthetic(4, 1000, 6, SquaredError, 0)
	p := DefaultParams()
	p.NumRound = 10
	m, err := Train(context.Background(), p, x, y, nil, nil, nil)
	require.NoError(t, err)
	m.SetThreads(1)
	rows := Matrix{Rows: predictBlockRows, Cols: x.Cols, Data: x.Data[:predictBlockRows*x.Cols]}
	out := make([]float64, rows.Rows)
	m.PredictBatch(rows, out)
	assert.Zero(t, testing.AllocsPerRun(100, func() { m.PredictBatch(rows, out) }))
}

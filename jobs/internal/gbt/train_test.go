package gbt

import (
	"bytes"
	"context"
	"errors"
	"math"
	"regexp"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// column returns a one-feature matrix.
func column(x ...float32) Matrix { return Matrix{Rows: len(x), Cols: 1, Data: x} }

// TestTrainHandChecked trains one depth-1 tree on a few points and checks
// the split and the leaf values against numbers worked out by hand.
//
// With squared error the base score is the mean label and every row starts
// with gradient g = base - y and hessian h = 1 (for logistic loss,
// g = p - y and h = p(1-p)). A split's loss change is
// gain(L) + gain(R) - gain(parent) with gain(G, H) = T(G)²/(H+lambda) and
// T(G) = sign(G)·max(|G|-alpha, 0); a leaf's value is
// eta · -T(G)/(H+lambda). All cases use eta 0.5 and, unless they say
// otherwise, lambda 1, alpha 0, gamma 0 and min_child_weight 1.
func TestTrainHandChecked(t *testing.T) {
	type want struct {
		split       bool
		threshold   float32
		defaultLeft bool
		lossChg     float64
		left, right float64 // leaf values when split
		leaf        float64 // the root's value when not split
	}
	// Four points, x = 1..4, y = 1, 1, 5, 5: base 3, g = 2, 2, -2, -2.
	// Candidates: x<2: L G=2 H=1 gain 4/2=2, R G=-2 H=3 gain 4/4=1, change 3.
	//             x<3: L G=4 H=2 gain 16/3, R G=-4 H=2 gain 16/3, change 32/3.
	//             x<4: symmetric to x<2, change 3.
	// The parent has G=0, so gain 0. Best: x<3, leaves 0.5·∓4/3 = ∓2/3.
	four := column(1, 2, 3, 4)
	fourY := []float32{1, 1, 5, 5}
	// Six points, x = 1..6, y = 0, 6, 6, 6, 6, 6: base 5, g = 5, -1, -1, -1, -1, -1.
	//   x<2: L G=5 H=1 gain 25/2, R G=-5 H=5 gain 25/6, change 50/3.
	//   x<3: L G=4 H=2 gain 16/3, R G=-4 H=4 gain 16/5, change 128/15.
	//   x<4: L G=3 H=3 gain 9/4,  R G=-3 H=3 gain 9/4,  change 9/2.
	//   x<5: L G=2 H=4 (4/5), R G=-2 H=2 (4/3); x<6: L G=1 H=5, R G=-1 H=1.
	six := column(1, 2, 3, 4, 5, 6)
	sixY := []float32{0, 6, 6, 6, 6, 6}
	// With a missing value: x = 1, 2, 3, NaN. The missing row goes to
	// whichever side gives the larger change; the enumeration with missing
	// values on the left places the threshold at the bin's lower bound.
	withNaN := column(1, 2, 3, nan32)
	tests := []struct {
		name   string
		x      Matrix
		y      []float32
		obj    Objective
		change func(p *Params)
		want   want
	}{
		{"basic", four, fourY, SquaredError, nil,
			want{split: true, threshold: 3, lossChg: 32.0 / 3, left: -2.0 / 3, right: 2.0 / 3}},
		{"gamma at most the loss change keeps the split", four, fourY, SquaredError, func(p *Params) { p.Gamma = 10 },
			want{split: true, threshold: 3, lossChg: 32.0 / 3, left: -2.0 / 3, right: 2.0 / 3}},
		// The root alone: G=0, so its value is 0.
		{"gamma above the loss change prevents the split", four, fourY, SquaredError, func(p *Params) { p.Gamma = 11 },
			want{leaf: 0}},
		// lambda 0: x<3 gains 16/2 + 16/2 = 16, leaves 0.5·∓4/2 = ∓1.
		{"lambda 0", four, fourY, SquaredError, func(p *Params) { p.Lambda = 0 },
			want{split: true, threshold: 3, lossChg: 16, left: -1, right: 1}},
		// alpha 1: T(±4) = ±3, so x<3 gains 9/3 + 9/3 = 6 (x<2 only
		// T(2)²/2 + T(-2)²/4 = 0.75), leaves 0.5·∓3/3 = ∓0.5.
		{"alpha 1", four, fourY, SquaredError, func(p *Params) { p.Alpha = 1 },
			want{split: true, threshold: 3, lossChg: 6, left: -0.5, right: 0.5}},
		// The outlier at x=1 is split off: leaves 0.5·-5/2 and 0.5·5/6.
		{"min_child_weight 1 isolates the outlier", six, sixY, SquaredError, nil,
			want{split: true, threshold: 2, lossChg: 50.0 / 3, left: -1.25, right: 5.0 / 12}},
		// A single-row child has hessian 1 < 2, so x<2 is out: x<3 wins,
		// leaves 0.5·-4/3 and 0.5·4/5.
		{"min_child_weight 2 moves the split", six, sixY, SquaredError, func(p *Params) { p.MinChildWeight = 2 },
			want{split: true, threshold: 3, lossChg: 128.0 / 15, left: -2.0 / 3, right: 0.4}},
		// No split leaves 4 rows on both sides; the root has G=0.
		{"min_child_weight 4 blocks every split", six, sixY, SquaredError, func(p *Params) { p.MinChildWeight = 4 },
			want{leaf: 0}},
		// y = 1, 5, 5, 1: base 3, g = 2, -2, -2, 2 (the NaN row has g=2).
		// Missing right, x<2: {1} vs {2,3,NaN}: 4/2 + 4/4 = 3; x<3: G=0
		// both sides, 0; x<6.00001: {1,2,3} vs {NaN}: 1 + 2 = 3.
		// Missing left, {1,NaN} vs {2,3}: 16/3 + 16/3 = 32/3, threshold 2.
		{"missing values learn to go left", withNaN, []float32{1, 5, 5, 1}, SquaredError, nil,
			want{split: true, threshold: 2, defaultLeft: true, lossChg: 32.0 / 3, left: -2.0 / 3, right: 2.0 / 3}},
		// y = 1, 1, 5, 5: g = 2, 2, -2, -2; {1,2} vs {3,NaN} with missing
		// right gives 32/3, and no split with missing left does as well.
		{"missing values learn to go right", withNaN, fourY, SquaredError, nil,
			want{split: true, threshold: 3, lossChg: 32.0 / 3, left: -2.0 / 3, right: 2.0 / 3}},
		// Logistic, y = 0, 0, 1, 1: base 0.5, p = 0.5, g = ±0.5, h = 0.25.
		// x<3: L G=1 H=0.5 gain 1/1.5, R the same: change 4/3, leaves
		// 0.5·∓1/1.5 = ∓1/3.
		{"logistic", four, []float32{0, 0, 1, 1}, Logistic, func(p *Params) { p.MinChildWeight = 0 },
			want{split: true, threshold: 3, lossChg: 4.0 / 3, left: -1.0 / 3, right: 1.0 / 3}},
		// The same with min_child_weight 1: two rows weigh only 0.5.
		{"logistic hessians count toward min_child_weight", four, []float32{0, 0, 1, 1}, Logistic, nil,
			want{leaf: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.Objective, p.NumRound, p.MaxDepth, p.Eta = tc.obj, 1, 1, 0.5
			if tc.change != nil {
				tc.change(&p)
			}
			m, err := Train(context.Background(), p, tc.x, tc.y, nil, nil, nil)
			require.NoError(t, err)
			require.Equal(t, 1, m.NumTrees(), "NumTrees()")
			tr := m.trees[0]
			if !tc.want.split {
				require.Equalf(t, 1, tr.numNodes(), "tree has %d nodes, want a single leaf", tr.numNodes())
				assert.InDeltaf(t, tc.want.leaf, tr.cond[0], 1e-6, "leaf value = %v, want %v", tr.cond[0], tc.want.leaf)
				return
			}
			require.Equalf(t, 3, tr.numNodes(), "tree has %d nodes, want a root and two leaves", tr.numNodes())
			assert.Equalf(t, []int32{1, -1, -1}, tr.left, "left children")
			assert.Equalf(t, []int32{2, -1, -1}, tr.right, "right children")
			assert.Equalf(t, []int32{rootParent, 0, 0}, tr.parent, "parents")
			assert.Equalf(t, tc.want.threshold, tr.cond[0], "threshold = %v, want %v", tr.cond[0], tc.want.threshold)
			assert.Equalf(t, tc.want.defaultLeft, tr.defaultLeft[0] == 1, "default left = %v, want %v", tr.defaultLeft[0], tc.want.defaultLeft)
			assert.InDeltaf(t, tc.want.lossChg, tr.lossChg[0], 1e-5, "loss change = %v, want %v", tr.lossChg[0], tc.want.lossChg)
			assert.InDeltaf(t, tc.want.left, tr.cond[1], 1e-6, "left leaf = %v, want %v", tr.cond[1], tc.want.left)
			assert.InDeltaf(t, tc.want.right, tr.cond[2], 1e-6, "right leaf = %v, want %v", tr.cond[2], tc.want.right)
			assert.InDeltaf(t, float64(tr.sumHess[0]), float64(tr.sumHess[1]+tr.sumHess[2]), 1e-6,
				"sum_hessian: children %v + %v, want the parent's %v", tr.sumHess[1], tr.sumHess[2], tr.sumHess[0])
			// Every row must be predicted as base margin + its leaf.
			for i := range tc.x.Rows {
				x := tc.x.Data[i]
				leaf := tc.want.right
				if x < tc.want.threshold || (x != x && tc.want.defaultLeft) {
					leaf = tc.want.left
				}
				want := float64(m.baseMargin) + leaf
				got := m.PredictMargin(tc.x.Row(i))
				assert.InDeltaf(t, want, got, 1e-6, "PredictMargin(%v) = %v, want %v", x, got, want)
			}
		})
	}
}

// TestTrainChecksGammaBeforeSplitting pins down how gamma works. XGBoost's
// hist updater never splits a node whose best split changes the loss by
// less than gamma, even if splits below it would change it by much more;
// it does not grow first and prune bottom-up. XGBoost 1.7.4 gives a
// single-leaf tree on this data with gamma 1.
//
// The labels form an XOR-like pattern: y(0,0)=0, y(0,1)=1, y(1,0)=1,
// y(1,1)=0.4, five rows each. The base score is 0.6 and G=0 at the root;
// the best root split (x0<1) has G=±1, H=10 on its sides, a loss change
// of 2·1/11 ≈ 0.18, while its left child's split (x1<1: G=3, H=5 against
// G=-2, H=5) would change the loss by 9/6 + 4/6 - 1/11 ≈ 2.08.
func TestTrainChecksGammaBeforeSplitting(t *testing.T) {
	var x Matrix
	var y []float32
	for range 5 {
		for _, r := range [][3]float32{{0, 0, 0}, {0, 1, 1}, {1, 0, 1}, {1, 1, 0.4}} {
			x.Data = append(x.Data, r[0], r[1])
			y = append(y, r[2])
		}
	}
	x.Rows, x.Cols = len(y), 2
	tests := []struct {
		gamma     float64
		wantNodes int
	}{
		{1, 1},   // the root split is below gamma: nothing is split
		{0.1, 7}, // every split is above gamma: a full depth-2 tree
	}
	for _, tc := range tests {
		p := DefaultParams()
		p.NumRound, p.MaxDepth, p.Eta, p.MinChildWeight, p.Gamma = 1, 2, 1, 0, tc.gamma
		m, err := Train(context.Background(), p, x, y, nil, nil, nil)
		require.NoError(t, err)
		tr := m.trees[0]
		assert.Equalf(t, tc.wantNodes, tr.numNodes(), "gamma %v: tree has %d nodes, want %d (loss changes %v)", tc.gamma, tr.numNodes(), tc.wantNodes, tr.lossChg)
		if tr.numNodes() > 1 {
			assert.InDeltaf(t, 2.0/11, tr.lossChg[0], 1e-6, "gamma %v: root loss change = %v, want 2/11", tc.gamma, tr.lossChg[0])
			assert.InDeltaf(t, 9.0/6+4.0/6-1.0/11, tr.lossChg[1], 1e-5, "gamma %v: left child's loss change = %v, want 9/6+4/6-1/11", tc.gamma, tr.lossChg[1])
		}
	}
}

// TestTrainMaxDepth checks that no leaf is deeper than max_depth and that
// the limit is reached when the data asks for deep trees.
func TestTrainMaxDepth(t *testing.T) {
	x, y := synthetic(5, 2000, 4, SquaredError, 0)
	for _, depth := range []int{1, 2, 3, 5} {
		p := DefaultParams()
		p.NumRound, p.MaxDepth, p.MinChildWeight = 3, depth, 0
		m, err := Train(context.Background(), p, x, y, nil, nil, nil)
		require.NoError(t, err)
		deepest := 0
		for _, ct := range m.compact {
			deepest = max(deepest, int(ct.depth))
		}
		assert.Equalf(t, depth, deepest, "max_depth %d: deepest leaf at depth %d", depth, deepest)
	}
}

func TestTrainRejectsBadData(t *testing.T) {
	x, y := column(1, 2, 3), []float32{1, 2, 3}
	valid := column(1, 2)
	tests := []struct {
		name        string
		obj         Objective
		x           Matrix
		y           []float32
		valid       *Matrix
		validY      []float32
		earlyStop   int
		wantMessage string
	}{
		{"zero rows", SquaredError, Matrix{Cols: 2}, nil, nil, nil, 0, "training matrix has 0 rows; want at least 1"},
		{"zero columns", SquaredError, Matrix{Rows: 2}, []float32{1, 2}, nil, nil, 0, "training matrix has 0 columns; want at least 1 feature"},
		{"data length", SquaredError, Matrix{Rows: 2, Cols: 2, Data: []float32{1, 2, 3}}, []float32{1, 2}, nil, nil, 0,
			"training matrix: len(Data) = 3, want Rows*Cols = 2*2 = 4"},
		{"negative rows", SquaredError, Matrix{Rows: -1, Cols: 2}, nil, nil, nil, 0, "training matrix: Rows = -1, Cols = 2; want both >= 0"},
		{"label count", SquaredError, x, []float32{1, 2}, nil, nil, 0, "training data: 2 labels for 3 rows; want one label per row"},
		{"NaN label", SquaredError, x, []float32{1, nan32, 3}, nil, nil, 0, "training label 1 is NaN; labels must be finite"},
		{"infinite label", SquaredError, x, []float32{1, 2, float32(math.Inf(-1))}, nil, nil, 0, "training label 2 is -Inf; labels must be finite"},
		{"infinite feature", SquaredError, Matrix{Rows: 2, Cols: 2, Data: []float32{1, 2, 3, float32(math.Inf(1))}}, []float32{1, 2}, nil, nil, 0,
			"training matrix: row 1 column 1 is +Inf; features must be finite, or NaN for missing"},
		{"largest float32 feature", SquaredError, column(1, math.MaxFloat32, 3), y, nil, nil, 0, "feature 0 has value 3.4028235e+38"},
		{"logistic label", Logistic, x, []float32{0, 0.5, 1}, nil, nil, 0, "training label 1 is 0.5; objective binary:logistic needs labels 0 or 1"},
		{"validation label count", SquaredError, x, y, &valid, []float32{1}, 0, "validation data: 1 labels for 2 rows"},
		{"validation logistic label", Logistic, x, []float32{0, 1, 1}, &valid, []float32{0, 2}, 0, "validation label 1 is 2; objective binary:logistic needs labels 0 or 1"},
		{"validation columns", SquaredError, x, y, &Matrix{Rows: 1, Cols: 2, Data: []float32{1, 2}}, []float32{1}, 0,
			"validation matrix has 2 columns, training matrix 1; want the same features"},
		{"validation labels without matrix", SquaredError, x, y, nil, []float32{1}, 0, "validation labels given without a validation matrix"},
		{"early stopping without validation", SquaredError, x, y, nil, nil, 5, "early_stopping_rounds = 5 needs validation data; none was given"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			p.Objective, p.NumRound, p.EarlyStoppingRounds = tc.obj, 2, tc.earlyStop
			m, err := Train(context.Background(), p, tc.x, tc.y, tc.valid, tc.validY, nil)
			require.Errorf(t, err, "Train() = %v, want an error", m)
			assert.Containsf(t, err.Error(), tc.wantMessage, "Train() error = %q, want it to contain %q", err, tc.wantMessage)
		})
	}
	t.Run("bad parameters", func(t *testing.T) {
		p := DefaultParams()
		p.Eta = 0
		_, err := Train(context.Background(), p, x, y, nil, nil, nil)
		require.Error(t, err, "Train() with eta 0 = nil error")
		assert.Contains(t, err.Error(), "parameter eta = 0 is invalid")
	})
}

func TestTrainStopsWhenContextIsDone(t *testing.T) {
	x, y := synthetic(1, 100, 3, SquaredError, 0)
	ctx, cancel := context.WithCancel(context.Background())
	p := DefaultParams()
	p.NumRound = 10
	rounds := 0
	_, err := Train(ctx, p, x, y, nil, nil, func(l RoundLog) {
		rounds++
		if l.Round == 2 {
			cancel()
		}
	})
	require.Error(t, err, "Train() with a cancelled context = nil error")
	assert.Truef(t, errors.Is(err, context.Canceled), "Train() error = %v, want context.Canceled", err)
	assert.Equalf(t, 3, rounds, "rounds run = %d, want 3 (stopping after the cancel in round 2)", rounds)
}

// trainJSON trains on x, y with p and returns the model's JSON.
func trainJSON(t *testing.T, p Params, x Matrix, y []float32) []byte {
	t.Helper()
	m, err := Train(context.Background(), p, x, y, nil, nil, nil)
	require.NoError(t, err)
	return writeModel(t, m)
}

// TestTrainIsDeterministic checks that a seed gives the same model byte for
// byte whatever the number of threads or GOMAXPROCS, with row and column
// sampling and missing values, and with enough rows that histograms are
// built in several blocks.
func TestTrainIsDeterministic(t *testing.T) {
	for _, obj := range []Objective{SquaredError, Logistic} {
		t.Run(string(obj), func(t *testing.T) {
			x, y := synthetic(7, 3*histBlockRows+123, 5, obj, 0.05)
			p := DefaultParams()
			p.Objective, p.NumRound, p.Subsample, p.ColsampleBytree, p.Seed = obj, 8, 0.8, 0.6, 11

			p.Threads = 1
			one := trainJSON(t, p, x, y)
			p.Threads = 4
			four := trainJSON(t, p, x, y)
			assert.Truef(t, bytes.Equal(one, four), "model with Threads=1 differs from model with Threads=4")

			p.Threads = 0
			old := runtime.GOMAXPROCS(1)
			defer runtime.GOMAXPROCS(old)
			procs1 := trainJSON(t, p, x, y)
			runtime.GOMAXPROCS(2)
			procs2 := trainJSON(t, p, x, y)
			assert.Truef(t, bytes.Equal(procs1, procs2), "model with GOMAXPROCS 1 differs from model with GOMAXPROCS 2")
			assert.Truef(t, bytes.Equal(one, procs1), "model with Threads=1 differs from model with GOMAXPROCS 1")

			p.Seed = 12
			other := trainJSON(t, p, x, y)
			assert.Falsef(t, bytes.Equal(one, other), "seeds 11 and 12 gave the same model with subsample 0.8")
		})
	}
}

// TestTrainRoundTrip writes a trained model, reads it back and checks that
// it predicts exactly the same and serialises to the same bytes.
func TestTrainRoundTrip(t *testing.T) {
	for _, obj := range []Objective{SquaredError, Logistic} {
		t.Run(string(obj), func(t *testing.T) {
			x, y := synthetic(3, 2000, 6, obj, 0.1)
			p := DefaultParams()
			p.Objective, p.NumRound, p.Subsample = obj, 15, 0.9
			m, err := Train(context.Background(), p, x, y, nil, nil, nil)
			require.NoError(t, err)
			data := writeModel(t, m)
			back, err := ReadJSON(bytes.NewReader(data))
			require.NoError(t, err, "ReadJSON(WriteJSON(model))")
			assert.Equal(t, m.Objective(), back.Objective(), "Objective()")
			assert.Equal(t, m.NumFeatures(), back.NumFeatures(), "NumFeatures()")
			assert.Equal(t, m.NumTrees(), back.NumTrees(), "NumTrees()")
			assert.Equal(t, m.BestIteration(), back.BestIteration(), "BestIteration()")
			assert.Equal(t, m.BaseScore(), back.BaseScore(), "BaseScore()")
			want, got := make([]float64, x.Rows), make([]float64, x.Rows)
			m.PredictBatch(x, want)
			back.PredictBatch(x, got)
			assert.Equal(t, want, got, "predictions of the model read back differ")
			for i := range 50 {
				assert.Equalf(t, want[i], back.Predict(x.Row(i)), "Predict(row %d) of the model read back", i)
			}
			again := writeModel(t, back)
			assert.Truef(t, bytes.Equal(data, again), "WriteJSON(ReadJSON(b)) != b")
		})
	}
}

// TestTrainMarginsMatchPredictions checks that the metric Train reports
// after the last round is the metric of the returned model's predictions:
// the margins Train updates from its row partitions, and by walking the
// tree for rows left out by subsampling, are the model's margins.
func TestTrainMarginsMatchPredictions(t *testing.T) {
	tests := []struct {
		name                 string
		rows                 int
		subsample, colsample float64
	}{
		{"all rows", 3000, 1, 1},
		{"row and column sampling", 3000, 0.7, 0.5},
		// Most rounds draw every row: nothing is left to walk the tree for.
		{"sampling that often keeps every row", 20, 0.99, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, y := synthetic(9, tc.rows, 4, SquaredError, 0.1)
			vx, vy := synthetic(10, 500, 4, SquaredError, 0.1)
			p := DefaultParams()
			p.NumRound, p.Subsample, p.ColsampleBytree, p.MinChildWeight = 12, tc.subsample, tc.colsample, 0
			var last RoundLog
			m, err := Train(context.Background(), p, x, y, &vx, vy, func(l RoundLog) { last = l })
			require.NoError(t, err)
			rmse := func(x Matrix, y []float32) float64 {
				out := make([]float64, x.Rows)
				m.PredictBatch(x, out)
				var s float64
				for i, v := range out {
					s += (float64(y[i]) - v) * (float64(y[i]) - v)
				}
				return math.Sqrt(s / float64(len(out)))
			}
			assert.InDeltaf(t, last.Train, rmse(x, y), 1e-9, "last round's train-rmse = %v, want the model's %v", last.Train, rmse(x, y))
			assert.InDeltaf(t, last.Validation, rmse(vx, vy), 1e-9, "last round's validation-rmse = %v, want the model's %v", last.Validation, rmse(vx, vy))
		})
	}
}

// TestTrainEarlyStopping trains on pure noise, where the validation metric
// soon stops improving, and checks that training stops early_stopping_rounds
// rounds after the best round and keeps the trees up to the best round.
func TestTrainEarlyStopping(t *testing.T) {
	x, _ := synthetic(21, 400, 3, SquaredError, 0)
	vx, _ := synthetic(22, 400, 3, SquaredError, 0)
	noise := func(seed uint64, n int) []float32 {
		_, y := synthetic(seed, n, 1, SquaredError, 0)
		return y
	}
	y, vy := noise(23, x.Rows), noise(24, vx.Rows)
	p := DefaultParams()
	p.NumRound, p.EarlyStoppingRounds, p.Eta, p.MaxDepth, p.MinChildWeight = 100, 4, 0.5, 6, 0
	var logs []RoundLog
	m, err := Train(context.Background(), p, x, y, &vx, vy, func(l RoundLog) { logs = append(logs, l) })
	require.NoError(t, err)

	best := 0
	for i, l := range logs {
		if l.Validation < logs[best].Validation {
			best = i
		}
	}
	require.Lessf(t, len(logs), p.NumRound, "training ran all %d rounds; the data should make it stop early", p.NumRound)
	assert.Equalf(t, best+1+p.EarlyStoppingRounds, len(logs), "rounds run = %d, want best round %d + 1 + %d", len(logs), best, p.EarlyStoppingRounds)
	assert.Equalf(t, best+1, m.NumTrees(), "NumTrees() = %d, want %d (up to the best round)", m.NumTrees(), best+1)
	assert.Equalf(t, best, m.BestIteration(), "BestIteration() = %d, want %d", m.BestIteration(), best)

	out := make([]float64, vx.Rows)
	m.PredictBatch(vx, out)
	var s float64
	for i, v := range out {
		s += (float64(vy[i]) - v) * (float64(vy[i]) - v)
	}
	got := math.Sqrt(s / float64(len(out)))
	assert.InDeltaf(t, logs[best].Validation, got, 1e-9, "validation rmse of the returned model = %v, want the best round's %v", got, logs[best].Validation)

	back, err := ReadJSON(bytes.NewReader(writeModel(t, m)))
	require.NoError(t, err)
	assert.Equalf(t, best, back.BestIteration(), "BestIteration() after a round trip = %d, want %d", back.BestIteration(), best)
	assert.Equal(t, map[string]string{
		"best_iteration":   itoa(best),
		"best_ntree_limit": itoa(best + 1),
		"best_score":       ftoa(logs[best].Validation),
	}, back.attributes, "attributes")
}

func TestFormatRound(t *testing.T) {
	tests := []struct {
		in   RoundLog
		want string
	}{
		{RoundLog{Round: 3, Train: 2.1, Validation: 2.3, Metric: "rmse"}, "[3]\ttrain-rmse:2.10000\tvalidation-rmse:2.30000"},
		{RoundLog{Round: 0, Train: 0.693147, Validation: 0.7, Metric: "logloss"}, "[0]\ttrain-logloss:0.69315\tvalidation-logloss:0.70000"},
		{RoundLog{Round: 12, Train: 1234.5678912, Validation: math.NaN(), Metric: "rmse"}, "[12]\ttrain-rmse:1234.56789"},
	}
	for _, tc := range tests {
		got := FormatRound(tc.in)
		assert.Equalf(t, tc.want, got, "FormatRound(%+v) = %q, want %q", tc.in, got, tc.want)
	}
	// The regular expression of a SageMaker metric definition for the
	// built-in XGBoost algorithm must find the value.
	re := regexp.MustCompile(`validation-rmse:([0-9.eE+-]+)`)
	line := FormatRound(RoundLog{Round: 7, Train: 1, Validation: 0.000012345, Metric: "rmse"})
	match := re.FindStringSubmatch(line)
	require.Lenf(t, match, 2, "%s does not match %s", re, line)
	assert.Equalf(t, "0.00001", match[1], "%s on %q captured %q, want 0.00001", re, line, match[1])
}

// TestTrainCutsFollowXGBoost checks the histogram cuts: with at most
// max_bin distinct values, every distinct value but the smallest is a cut,
// then max + (|max| + 1e-5); with more, at most max_bin cuts.
func TestTrainCutsFollowXGBoost(t *testing.T) {
	c, err := computeCuts(Matrix{Rows: 6, Cols: 2, Data: []float32{
		3, nan32,
		1, -2,
		2, -2,
		3, -4,
		1, nan32,
		2, nan32,
	}}, 256, 1)
	require.NoError(t, err)
	// Variables, not constants, so that the arithmetic is float32 as in
	// XGBoost.
	var one, two, three, four, eps float32 = 1, 2, 3, 4, 1e-5
	assert.Equal(t, []float32{2, 3, three + (three + eps)}, c.cuts(0), "cuts of feature 0")
	assert.Equal(t, []float32{-2, -two + (two + eps)}, c.cuts(1), "cuts of feature 1")
	assert.Equal(t, []float32{one - (one + eps), -four - (four + eps)}, c.mins, "mins")
	assert.Equal(t, []bool{false, true}, c.missing, "missing")

	x, _ := synthetic(2, 5000, 1, SquaredError, 0)
	for _, maxBin := range []int{2, 16, 256} {
		c, err := computeCuts(x, maxBin, 1)
		require.NoError(t, err)
		assert.LessOrEqualf(t, c.nbins(0), maxBin, "max_bin %d: %d bins", maxBin, c.nbins(0))
		assert.GreaterOrEqualf(t, c.nbins(0), maxBin*9/10, "max_bin %d: only %d bins for 5000 distinct values", maxBin, c.nbins(0))
	}
}

// TestTrainUsesWideBinCodes trains with more than 256 bins, which needs
// 16-bit bin codes, and checks that the extra bins are used: the training
// error is lower than with 256 bins.
func TestTrainUsesWideBinCodes(t *testing.T) {
	x, y := synthetic(4, 3000, 1, SquaredError, 0)
	p := DefaultParams()
	p.NumRound, p.MaxDepth, p.Eta, p.MinChildWeight, p.Lambda = 30, 10, 1, 0, 0
	trainRMSE := func(maxBin int) float64 {
		p.MaxBin = maxBin
		var last RoundLog
		_, err := Train(context.Background(), p, x, y, nil, nil, func(l RoundLog) { last = l })
		require.NoError(t, err)
		return last.Train
	}
	narrow, wide := trainRMSE(256), trainRMSE(4096)
	assert.Lessf(t, wide, narrow, "train-rmse with 4096 bins = %v, want below 256 bins' %v", wide, narrow)
}

package gbt

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// python is the interpreter of Debian's python3-xgboost package; a pyenv or
// virtualenv python3 earlier on PATH would not have it.
const python = "/usr/bin/python3"

// The result of importing xgboost, found out once: starting Python with
// NumPy and XGBoost takes most of a second.
var (
	xgboostOnce sync.Once
	xgboostOut  []byte
	xgboostErr  error
)

// requireXGBoost returns the version of XGBoost that python imports. When
// it cannot be imported the test fails in CI (the CI image installs
// python3-xgboost) and is skipped elsewhere.
func requireXGBoost(t *testing.T) string {
	t.Helper()
	xgboostOnce.Do(func() {
		xgboostOut, xgboostErr = exec.Command(python, "-c", "import xgboost; print(xgboost.__version__)").CombinedOutput()
	})
	out, err := xgboostOut, xgboostErr
	if err != nil {
		msg := "XGBoost for Python is not importable by " + python + " (install it with `apt-get install python3-xgboost`): " + strings.TrimSpace(string(out))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	version := strings.TrimSpace(string(out))
	t.Logf("XGBoost %s", version)
	return version
}

// runPython runs script with args and decodes the JSON it prints.
func runPython(t *testing.T, out any, script string, args ...string) {
	t.Helper()
	cmd := exec.Command(python, append([]string{"-c", script}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoErrorf(t, cmd.Run(), "python failed: %s", stderr.String())
	require.NoErrorf(t, json.Unmarshal(stdout.Bytes(), out), "python printed %q", stdout.String())
}

// writeCSV writes x (and y as the last column, if non-nil) to path, NaN
// written as "nan".
func writeCSV(t *testing.T, path string, x Matrix, y []float32) {
	t.Helper()
	var b []byte
	for i := range x.Rows {
		for j, v := range x.Row(i) {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		}
		if y != nil {
			b = append(b, ',')
			b = strconv.AppendFloat(b, float64(y[i]), 'g', -1, 32)
		}
		b = append(b, '\n')
	}
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

// loadAndPredict takes pairs of arguments, a model file and a CSV of
// features. For each it loads the model with Booster(model_file=...),
// predicts the features as float32 and checks whether XGBoost saves the
// model back to the same bytes. Python starts once for all pairs because
// importing XGBoost takes most of a second.
const loadAndPredict = `
import json, sys
import numpy as np
import xgboost as xgb
out = []
for model, features in zip(sys.argv[1::2], sys.argv[2::2]):
    booster = xgb.Booster(model_file=model)
    x = np.loadtxt(features, delimiter=",", dtype=np.float32, ndmin=2)
    pred = booster.predict(xgb.DMatrix(x, missing=np.nan))
    same = bytes(booster.save_raw("json")) == open(model, "rb").read()
    out.append({"predictions": [float(v) for v in pred], "resaved_identical": same})
print(json.dumps(out))
`

// TestXGBoostPredictsOurModels is the compatibility check of the format:
// XGBoost loads a model we trained (with missing values, row and column
// sampling) and predicts what we predict, for both objectives. XGBoost 1.7
// must also save the model back byte for byte as we wrote it.
func TestXGBoostPredictsOurModels(t *testing.T) {
	t.Parallel() // most of the time is spent waiting for Python
	version := requireXGBoost(t)
	objectives := []Objective{SquaredError, Logistic}
	models := make([]*Model, len(objectives))
	data := make([]Matrix, len(objectives))
	var args []string
	dir := t.TempDir()
	for i, obj := range objectives {
		x, y := synthetic(31, 1500, 6, obj, 0.1)
		p := DefaultParams()
		p.Objective, p.NumRound, p.MaxDepth, p.Subsample, p.ColsampleBytree, p.Seed = obj, 25, 5, 0.8, 0.8, 3
		m, err := Train(context.Background(), p, x, y, nil, nil, nil)
		require.NoError(t, err)
		modelPath, featuresPath := filepath.Join(dir, strconv.Itoa(i)+".json"), filepath.Join(dir, strconv.Itoa(i)+".csv")
		require.NoError(t, os.WriteFile(modelPath, writeModel(t, m), 0o644))
		writeCSV(t, featuresPath, x, nil)
		models[i], data[i], args = m, x, append(args, modelPath, featuresPath)
	}
	var results []struct {
		Predictions      []float64 `json:"predictions"`
		ResavedIdentical bool      `json:"resaved_identical"`
	}
	runPython(t, &results, loadAndPredict, args...)
	require.Len(t, results, len(objectives), "XGBoost's results")
	for i, obj := range objectives {
		t.Run(string(obj), func(t *testing.T) {
			m, x, res := models[i], data[i], results[i]
			require.Len(t, res.Predictions, x.Rows, "XGBoost's predictions")
			ours := make([]float64, x.Rows)
			m.PredictBatch(x, ours)
			maxDiff, worst := 0.0, 0
			for i := range ours {
				if d := math.Abs(ours[i] - res.Predictions[i]); d > maxDiff {
					maxDiff, worst = d, i
				}
			}
			t.Logf("max |ours - XGBoost's| = %g (row %d)", maxDiff, worst)
			assert.LessOrEqualf(t, maxDiff, 1e-4, "row %d: we predict %v, XGBoost %v", worst, ours[worst], res.Predictions[worst])
			// Other versions write their own version number and layout.
			if strings.HasPrefix(version, "1.7.") {
				assert.True(t, res.ResavedIdentical, "XGBoost saves our model back with different bytes")
			}
		})
	}
}

// trainAndPredict takes triples of arguments: a CSV of training data
// (label last), XGBoost parameters as JSON and a number of rounds. For each
// it trains XGBoost and prints its predictions on the training rows and
// its trees.
const trainAndPredict = `
import json, sys
import numpy as np
import xgboost as xgb
out = []
for data, params, rounds in zip(sys.argv[1::3], sys.argv[2::3], sys.argv[3::3]):
    d = np.loadtxt(data, delimiter=",", dtype=np.float32, ndmin=2)
    dm = xgb.DMatrix(d[:, :-1], label=d[:, -1], missing=np.nan)
    booster = xgb.train(json.loads(params), dm, int(rounds))
    model = json.loads(bytes(booster.save_raw("json")))
    out.append({"predictions": [float(v) for v in booster.predict(dm)],
                "trees": model["learner"]["gradient_booster"]["model"]["trees"]})
print(json.dumps(out))
`

// treeCase is one model to train both here and in XGBoost.
type treeCase struct {
	name string
	p    Params
	x    Matrix
	y    []float32
}

// sameTreesAsXGBoost trains every case here and in XGBoost 1.7 (hist, the
// same parameters and base_score, no sampling) and checks that the trees
// are the same: same splits, the same float32 thresholds, the same default
// directions for missing values, leaf values equal up to float32 rounding
// of sums taken in another order; and that predictions agree within 1e-4.
func sameTreesAsXGBoost(t *testing.T, cases []treeCase) {
	t.Helper()
	if v := requireXGBoost(t); !strings.HasPrefix(v, "1.7.") {
		t.Skipf("XGBoost %s: the trees are compared with 1.7's hist method", v)
	}
	models := make([]*Model, len(cases))
	var args []string
	dir := t.TempDir()
	for i, c := range cases {
		m, err := Train(context.Background(), c.p, c.x, c.y, nil, nil, nil)
		require.NoError(t, err, c.name)
		dataPath := filepath.Join(dir, strconv.Itoa(i)+".csv")
		writeCSV(t, dataPath, c.x, c.y)
		xgbParams, err := json.Marshal(map[string]any{
			"objective": string(c.p.Objective), "tree_method": "hist", "max_depth": c.p.MaxDepth, "eta": c.p.Eta,
			"gamma": c.p.Gamma, "min_child_weight": c.p.MinChildWeight, "lambda": c.p.Lambda, "alpha": c.p.Alpha,
			"base_score": m.BaseScore(), "max_bin": c.p.MaxBin,
		})
		require.NoError(t, err)
		models[i] = m
		args = append(args, dataPath, string(xgbParams), strconv.Itoa(c.p.NumRound))
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
			m, res := models[i], results[i]
			require.Len(t, res.Trees, m.NumTrees(), "XGBoost's trees")
			for i, theirs := range res.Trees {
				ours := m.trees[i]
				assert.Equalf(t, theirs.LeftChildren, ours.left, "tree %d: left_children", i)
				assert.Equalf(t, theirs.SplitIndices, ours.feature, "tree %d: split_indices", i)
				assert.Equalf(t, theirs.DefaultLeft, ours.defaultLeft, "tree %d: default_left", i)
				// Thresholds of split nodes are cut values, which must be
				// the same float32; leaves hold weights.
				for j, want := range theirs.SplitConditions {
					if j < len(ours.cond) && j < len(ours.left) && ours.left[j] != -1 {
						assert.Equalf(t, want, ours.cond[j], "tree %d node %d: threshold", i, j)
					}
				}
				assert.InDeltaSlicef(t, theirs.SplitConditions, ours.cond, 1e-5, "tree %d: split_conditions", i)
			}
			ours := make([]float64, c.x.Rows)
			m.PredictBatch(c.x, ours)
			maxDiff := 0.0
			for i := range ours {
				maxDiff = max(maxDiff, math.Abs(ours[i]-res.Predictions[i]))
			}
			t.Logf("max |ours - XGBoost's| = %g", maxDiff)
			assert.LessOrEqualf(t, maxDiff, 1e-4, "predictions of the two models differ by up to %g", maxDiff)
		})
	}
}

// TestXGBoostTrainsTheSameTrees checks the training algorithm against
// XGBoost 1.7's hist method on data with at most max_bin distinct values
// per feature, where every distinct value gets a bin of its own on both
// sides.
func TestXGBoostTrainsTheSameTrees(t *testing.T) {
	t.Parallel() // most of the time is spent waiting for Python
	var cases []treeCase
	for _, obj := range []Objective{SquaredError, Logistic} {
		x, y := synthetic(41, 800, 5, obj, 0.1)
		for i, v := range x.Data {
			if v == v {
				x.Data[i] = float32(int(v*40)) / 40 // 40 distinct values
			}
		}
		p := DefaultParams()
		p.Objective, p.NumRound, p.MaxDepth, p.Eta = obj, 12, 5, 0.2
		p.Gamma, p.MinChildWeight, p.Lambda, p.Alpha = 0.3, 2, 1.5, 0.2
		if obj == Logistic {
			p.MinChildWeight = 0.5
		}
		cases = append(cases, treeCase{name: string(obj), p: p, x: x, y: y})
	}
	sameTreesAsXGBoost(t, cases)
}

// trainAndSaveBoth trains XGBoost on rows with a one-hot encoded category
// (three columns, as our preprocess derives them), two numeric columns
// and missing values, for each objective, saves each model as JSON and as
// UBJSON into the folder given, and prints the rows and XGBoost's
// predictions.
const trainAndSaveBoth = `
import json, sys
import numpy as np
import xgboost as xgb
rng = np.random.default_rng(7)
n = 800
cat = rng.integers(0, 3, n)
x = np.zeros((n, 5), dtype=np.float32)
x[np.arange(n), cat] = 1
x[:, 3] = rng.normal(size=n)
x[:, 4] = rng.uniform(size=n)
x[rng.uniform(size=n) < 0.1, 3] = np.nan
score = np.array([-1.0, 0.5, 2.0])[cat] + x[:, 4] * 3 + np.nan_to_num(x[:, 3])
out = {"features": [[None if np.isnan(v) else float(v) for v in row] for row in x], "models": {}}
for obj, label in (("reg:squarederror", score), ("binary:logistic", (score > 1).astype(np.float32))):
    dm = xgb.DMatrix(x, label=label, missing=np.nan)
    booster = xgb.train({"objective": obj, "max_depth": 4, "eta": 0.3, "tree_method": "hist", "seed": 1}, dm, 20)
    name = obj.split(":")[0]
    booster.save_model(f"{sys.argv[1]}/{name}.json")
    booster.save_model(f"{sys.argv[1]}/{name}.ubj")
    out["models"][name] = [float(v) for v in booster.predict(dm)]
print(json.dumps(out))
`

// TestXGBoostUBJSONModels reads models XGBoost trained on one-hot encoded
// features and saved as UBJSON, a regression and a binary classifier, and
// checks that they predict what XGBoost predicts within 1e-6, and exactly
// what the same models saved as JSON predict here.
func TestXGBoostUBJSONModels(t *testing.T) {
	t.Parallel() // most of the time is spent waiting for Python
	requireXGBoost(t)
	dir := t.TempDir()
	var res struct {
		Features [][]*float64         `json:"features"`
		Models   map[string][]float64 `json:"models"`
	}
	runPython(t, &res, trainAndSaveBoth, dir)
	require.NotEmpty(t, res.Features)
	x := Matrix{Rows: len(res.Features), Cols: len(res.Features[0])}
	for _, row := range res.Features {
		for _, v := range row {
			if v == nil {
				x.Data = append(x.Data, nan32)
			} else {
				x.Data = append(x.Data, float32(*v))
			}
		}
	}
	require.Len(t, res.Models, 2, "XGBoost's models")
	for _, name := range []string{"reg", "binary"} {
		want := res.Models[name]
		t.Run(name, func(t *testing.T) {
			fromJSON, _ := readModel(t, filepath.Join(dir, name+".json"))
			data, err := os.ReadFile(filepath.Join(dir, name+".ubj"))
			require.NoError(t, err)
			m, err := ReadModel(bytes.NewReader(data))
			require.NoError(t, err, "ReadModel(%s.ubj)", name)
			require.Len(t, want, x.Rows, "XGBoost's predictions")
			for i := range x.Rows {
				got := m.Predict(x.Row(i))
				assert.InDeltaf(t, want[i], got, 1e-6, "Predict(row %d) = %v, want %v (XGBoost)", i, got, want[i])
				assert.Equalf(t, fromJSON.Predict(x.Row(i)), got, "Predict(row %d) from UBJSON, want the JSON model's", i)
			}
		})
	}
}

package explain

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
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
)

// python is the interpreter of Debian's python3-xgboost package.
const python = "/usr/bin/python3"

// contribsScript prints XGBoost's pred_contribs for a model file and a CSV
// of features.
const contribsScript = `
import json, sys
import numpy as np
import xgboost as xgb
booster = xgb.Booster(model_file=sys.argv[1])
d = np.loadtxt(sys.argv[2], delimiter=",", dtype=np.float32, ndmin=2)
print(json.dumps(booster.predict(xgb.DMatrix(d, missing=np.nan), pred_contribs=True).astype(float).tolist()))
`

// TestAttributionsOfTheBundledDataEqualXGBoosts trains our model on each
// bundled data set (abalone: regression with a one-hot Sex; adult: binary
// classification with eight categorical columns), as the train job does
// on preprocess's features, and checks every row's contributions against
// XGBoost's own pred_contribs on the same model.json within 1e-5, and that
// each row's column attributions add up to its raw score, up to the
// float32 rounding of the score (gbt's tests hold the sum to the float64
// sum of the leaves within 1e-6).
func TestAttributionsOfTheBundledDataEqualXGBoosts(t *testing.T) {
	if out, err := exec.Command(python, "-c", "import xgboost").CombinedOutput(); err != nil {
		msg := "XGBoost for Python is not importable by " + python + " (apt-get install python3-xgboost): " + strings.TrimSpace(string(out))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	for _, tt := range []struct{ name, data string }{
		{"abalone", "abalone/abalone.csv"},
		{"adult", "adult/adult.test.csv"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "..", "data", filepath.Dir(tt.data))
			schema, err := dataset.Load(filepath.Join(dir, "schema.json"))
			require.NoError(t, err)
			table := features.NewTable(schema)
			require.NoError(t, table.ReadFile(filepath.Join("..", "..", "..", "data", tt.data)))
			rows := make([]int, table.Len())
			for i := range rows {
				rows[i] = i
			}
			pre, err := features.Fit(table, rows)
			require.NoError(t, err)
			n, cols := min(len(rows), 3000), pre.NumFeatures()
			x := gbt.Matrix{Rows: n, Cols: cols, Data: make([]float32, n*cols)}
			y := make([]float32, n)
			for r := range n {
				require.NoError(t, pre.TransformRow(table, r, x.Data[r*cols:(r+1)*cols]))
				y[r] = float32(table.Labels[r])
			}
			p := gbt.DefaultParams()
			p.NumRound, p.MaxDepth = 30, 5
			if schema.Task == dataset.BinaryClassification {
				p.Objective = gbt.Logistic
			}
			m, err := gbt.Train(context.Background(), p, x, y, nil, nil, nil)
			require.NoError(t, err)

			tmp := t.TempDir()
			var model bytes.Buffer
			require.NoError(t, m.WriteJSON(&model))
			modelPath, dataPath := filepath.Join(tmp, "model.json"), filepath.Join(tmp, "x.csv")
			require.NoError(t, os.WriteFile(modelPath, model.Bytes(), 0o644))
			var csv []byte
			for r := range n {
				for j, v := range x.Row(r) {
					if j > 0 {
						csv = append(csv, ',')
					}
					csv = strconv.AppendFloat(csv, float64(v), 'g', -1, 32)
				}
				csv = append(csv, '\n')
			}
			require.NoError(t, os.WriteFile(dataPath, csv, 0o644))
			cmd := exec.Command(python, "-c", contribsScript, modelPath, dataPath)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Run(), stderr.String())
			var theirs [][]float64
			require.NoError(t, json.Unmarshal(stdout.Bytes(), &theirs))
			require.Len(t, theirs, n)

			width := m.NumContributions()
			ours := make([]float64, n*width)
			m.ContributionsBatch(x, ours)
			c, err := ColumnsOf(m, pre, nil)
			require.NoError(t, err)
			g, err := Explain(m, c, x)
			require.NoError(t, err)
			worst := 0.0
			for r := range n {
				for j := range width {
					d := math.Abs(ours[r*width+j] - theirs[r][j])
					worst = max(worst, d)
					if d > 1e-5 {
						t.Fatalf("row %d feature %d: ours %v, XGBoost's %v", r, j, ours[r*width+j], theirs[r][j])
					}
				}
				sum := 0.0
				for k := range c.Width() {
					sum += g.Attributions[r*c.Width()+k]
				}
				margin := float64(m.PredictMargin(x.Row(r)))
				if math.Abs(sum-margin) > 1e-5*math.Max(1, math.Abs(margin)) {
					t.Fatalf("row %d: column attributions add up to %v, the raw score is %v", r, sum, margin)
				}
			}
			t.Logf("%d rows, %d features, %d columns: max |ours - XGBoost's| = %.3g", n, cols, len(c.Names), worst)
		})
	}
}

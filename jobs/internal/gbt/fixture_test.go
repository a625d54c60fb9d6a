package gbt

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadJSONFixtures reads models XGBoost 1.7.4 trained and checks that
// they predict what XGBoost predicted for the same rows.
func TestReadJSONFixtures(t *testing.T) {
	tests := []struct {
		model, predictions string
		objective          Objective
	}{
		{"regression-model.json", "regression-predictions.csv", SquaredError},
		{"binary-model.json", "binary-predictions.csv", Logistic},
	}
	x := fixtureFeatures(t)
	for _, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			m, _ := readModel(t, filepath.Join(fixtureDir, tc.model))
			want := readCSV(t, filepath.Join(fixtureDir, tc.predictions))
			require.Len(t, want, x.Rows)
			assert.Equal(t, tc.objective, m.Objective(), "Objective()")
			assert.Equal(t, 10, m.NumFeatures(), "NumFeatures()")
			assert.Equal(t, 50, m.NumTrees(), "NumTrees()")
			assert.Equal(t, 49, m.BestIteration(), "BestIteration()")
			batch := make([]float64, x.Rows)
			m.PredictBatch(x, batch)
			for i := range x.Rows {
				got := m.Predict(x.Row(i))
				assert.InDeltaf(t, want[i][0], got, 1e-5, "Predict(row %d) = %v, want %v (XGBoost)", i, got, want[i][0])
				assert.Equalf(t, got, batch[i], "PredictBatch row %d = %v, want Predict's %v", i, batch[i], got)
			}
		})
	}
}

// TestWriteJSONReproducesXGBoostFile checks that writing a model read from
// an XGBoost file gives back the file byte for byte: key order, number
// formatting and every field are XGBoost's.
func TestWriteJSONReproducesXGBoostFile(t *testing.T) {
	for _, name := range []string{"regression-model.json", "binary-model.json"} {
		t.Run(name, func(t *testing.T) {
			m, data := readModel(t, filepath.Join(fixtureDir, name))
			got := writeModel(t, m)
			if !assert.Equalf(t, len(data), len(got), "len(WriteJSON(ReadJSON(%s))) = %d, want %d", name, len(got), len(data)) {
				return
			}
			assert.Truef(t, string(data) == string(got), "WriteJSON(ReadJSON(%s)) differs from the file", name)
		})
	}
}

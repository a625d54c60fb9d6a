package explain

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
)

// fixture is a model over a numeric column x (scaled: mean 10, scale 2)
// and a categorical column c with categories a and b (three one-hot
// features with the unseen one); the label depends on both.
func fixture(t *testing.T) (*gbt.Model, *features.Preprocessor, gbt.Matrix) {
	pre := &features.Preprocessor{
		Columns: []features.Transform{
			{Column: "x", Index: 0, Numeric: &features.NumericTransform{Mean: 10, Scale: 2}},
			{Column: "c", Index: 1, Categorical: &features.CategoricalTransform{Mode: "a", Categories: []string{"a", "b"}}},
		},
		FeatureNames: []string{"x", "c=a", "c=b", "c" + features.UnseenSuffix},
	}
	x := gbt.Matrix{Cols: 4}
	var y []float32
	for i := range 400 {
		v := float32(i%20)/10 - 1
		b := i%3 == 0
		row := []float32{v, 1, 0, 0}
		label := 2 * v
		if b {
			row[1], row[2] = 0, 1
			label += 3
		}
		x.Data = append(x.Data, row...)
		x.Rows++
		y = append(y, label)
	}
	p := gbt.DefaultParams()
	p.NumRound, p.MaxDepth = 20, 3
	m, err := gbt.Train(context.Background(), p, x, y, nil, nil, nil)
	require.NoError(t, err)
	return m, pre, x
}

func TestExplainSumsOneHotFeaturesIntoTheirColumn(t *testing.T) {
	m, pre, x := fixture(t)
	cols, err := ColumnsOf(m, pre, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "c"}, cols.Names)
	assert.Equal(t, []int{0, 1, 1, 1}, cols.Of)

	g, err := Explain(m, cols, x)
	require.NoError(t, err)
	fw := m.NumContributions()
	contribs := make([]float64, x.Rows*fw)
	m.ContributionsBatch(x, contribs)
	for r := range x.Rows {
		c := contribs[r*fw : (r+1)*fw]
		assert.InDelta(t, c[0], g.Attribution(r, 0), 1e-12, "row %d: x is one feature", r)
		assert.InDelta(t, c[1]+c[2]+c[3], g.Attribution(r, 1), 1e-12, "row %d: c is the sum of its one-hot features", r)
		assert.InDelta(t, m.PredictMargin(x.Row(r)), g.Attribution(r, 0)+g.Attribution(r, 1)+g.ExpectedValue, 1e-4, "row %d adds up to its raw score", r)
	}
	require.Len(t, g.Importance, 2)
	assert.Equal(t, "c", g.Importance[0].Column, "c moves the label by 3, x by at most 2")
	var sum float64
	for r := range x.Rows {
		sum += math.Abs(g.Attribution(r, 1))
	}
	assert.InDelta(t, sum/float64(x.Rows), g.Importance[0].MeanAbs, 1e-12)

	v, _, numeric := cols.Value(x.Row(1), 0)
	assert.True(t, numeric)
	assert.InDelta(t, float64(x.Row(1)[0])*2+10, v, 1e-6, "the value before scaling")
	_, category, numeric := cols.Value(x.Row(0), 1)
	assert.False(t, numeric)
	assert.Equal(t, "b", category)

	var doc map[string]any
	b, err := json.Marshal(g.Report("label"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Contains(t, doc["tree_shap"].(map[string]any)["label"].(map[string]any)["global_shap_values"], "c", "Clarify's layout")
}

func TestColumnsWithoutPreprocessor(t *testing.T) {
	m, _, x := fixture(t)
	cols, err := ColumnsOf(m, nil, []string{"p", "", "r", "s"})
	require.NoError(t, err)
	assert.Equal(t, []string{"p", "f1", "r", "s"}, cols.Names)
	g, err := Explain(m, cols, x)
	require.NoError(t, err)
	assert.Len(t, g.Importance, 4)

	_, err = ColumnsOf(m, &features.Preprocessor{FeatureNames: []string{"x"}}, nil)
	assert.ErrorContains(t, err, "makes 1 features, the model takes 4")
	_, err = Explain(m, cols, gbt.Matrix{Cols: 4})
	assert.ErrorContains(t, err, "no rows")
}

package report

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/explain"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/metrics"
)

func TestReportShowsExplanations(t *testing.T) {
	x := gbt.Matrix{Cols: 3}
	var y []float32
	for i := range 300 {
		a, b, c := float32(i%17), float32(i%5), float32(i%2)
		x.Data = append(x.Data, a, b, c)
		x.Rows++
		y = append(y, 3*a+b+10*c)
	}
	p := gbt.DefaultParams()
	p.NumRound, p.MaxDepth = 10, 3
	m, err := gbt.Train(context.Background(), p, x, y, nil, nil, nil)
	require.NoError(t, err)
	cols, err := explain.ColumnsOf(m, nil, []string{"alpha", "beta", "gamma<b>"})
	require.NoError(t, err)
	g, err := explain.Explain(m, cols, x)
	require.NoError(t, err)
	actual, predicted := make([]float64, x.Rows), make([]float64, x.Rows)
	m.PredictBatch(x, predicted)
	for i, v := range y {
		actual[i] = float64(v)
	}
	rm, err := metrics.ComputeRegression(actual, predicted)
	require.NoError(t, err)

	var plain, with bytes.Buffer
	require.NoError(t, WriteRegression(&plain, Header{Title: "t"}, rm, actual, predicted, nil))
	require.NoError(t, WriteRegression(&with, Header{Title: "t"}, rm, actual, predicted, &Explained{Global: g, Rows: x, Units: "raw score"}))
	html := with.String()
	assert.Equal(t, strings.Count(plain.String(), "<svg")+1+DependencePlots, strings.Count(html, "<svg"), "the importance chart and a dependence plot per top column")
	assert.Contains(t, html, "Global importance (TreeSHAP)")
	assert.Contains(t, html, "Dependence: alpha")
	assert.Contains(t, html, "Mean |SHAP|")
	assert.NotContains(t, html, "gamma<b>", "column names are escaped")
	assertSelfContained(t, html)

	var again bytes.Buffer
	require.NoError(t, WriteRegression(&again, Header{Title: "t"}, rm, actual, predicted, &Explained{Global: g, Rows: x, Units: "raw score"}))
	assert.Equal(t, html, again.String(), "deterministic")
	err = WriteRegression(&again, Header{Title: "t"}, rm, actual, predicted, &Explained{Global: g, Rows: gbt.Matrix{Cols: 3}, Units: "raw score"})
	assert.ErrorContains(t, err, "explanations are for 300 rows but 0 were given")
}

// Package explain attributes a tree model's predictions to the schema's
// columns with exact TreeSHAP values (package gbt), the way SageMaker
// Clarify reports SHAP explanations: per row, one attribution per column
// and the expected value, adding up to the row's raw score; over a data
// set, each column's mean absolute attribution (its global importance).
//
// One-hot and other derived features add up to the column they came
// from, so that a reader sees Sex, not Sex=F, Sex=I and Sex=M. Without a
// preprocessor (a model trained on features alone) every feature is its
// own column, named as the model names it.
package explain

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/metrics"
)

// Columns maps a model's features to the columns they came from.
type Columns struct {
	// Names are the column names, in schema order.
	Names []string
	// Of gives, for each model feature, the index in Names of its column.
	Of  []int
	pre *features.Preprocessor
}

// ColumnsOf returns the columns of a model's features: the preprocessor's
// transforms when there is one, else one column per feature, named by the
// model's feature names or f0, f1, ... as XGBoost names them.
func ColumnsOf(m *gbt.Model, pre *features.Preprocessor, featureNames []string) (Columns, error) {
	n := m.NumFeatures()
	if pre == nil {
		c := Columns{Names: make([]string, n), Of: make([]int, n)}
		for i := range n {
			c.Names[i], c.Of[i] = fmt.Sprintf("f%d", i), i
			if i < len(featureNames) && featureNames[i] != "" {
				c.Names[i] = featureNames[i]
			}
		}
		return c, nil
	}
	if pre.NumFeatures() != n {
		return Columns{}, fmt.Errorf("explain: the preprocessor makes %d features, the model takes %d", pre.NumFeatures(), n)
	}
	c := Columns{pre: pre, Of: make([]int, 0, n)}
	for k, tr := range pre.Columns {
		c.Names = append(c.Names, tr.Column)
		for range pre.TransformWidth(k) {
			c.Of = append(c.Of, k)
		}
	}
	if len(c.Of) != n {
		return Columns{}, fmt.Errorf("explain: the preprocessor's columns make %d features, its feature names %d", len(c.Of), n)
	}
	return c, nil
}

// Width is the length of one row's column attributions: one per column,
// then the expected value.
func (c Columns) Width() int { return len(c.Names) + 1 }

// Sum adds the feature contributions of one row (gbt's layout: one per
// feature, then the bias) into out, one per column and then the expected
// value. len(out) must be Width().
func (c Columns) Sum(contribs, out []float64) {
	clear(out)
	for f, col := range c.Of {
		out[col] += contribs[f]
	}
	out[len(c.Names)] = contribs[len(contribs)-1]
}

// Value returns what column col holds in a feature row: for a numeric
// column (numeric true) the value before scaling, after imputation; for a
// categorical one the category whose one-hot feature is set, which is
// empty if none is.
func (c Columns) Value(row []float32, col int) (x float64, category string, numeric bool) {
	first := slices.Index(c.Of, col)
	if c.pre == nil {
		return float64(row[first]), "", true
	}
	tr := c.pre.Columns[col]
	if tr.Numeric != nil {
		return float64(row[first])*tr.Numeric.Scale + tr.Numeric.Mean, "", true
	}
	names := c.pre.FeatureNames
	for f := first; f < len(c.Of) && c.Of[f] == col; f++ {
		if row[f] != 0 {
			return 0, names[f][len(tr.Column)+1:], false
		}
	}
	return 0, "", false
}

// Importance is one column's global importance.
type Importance struct {
	// Column is the column's name.
	Column string
	// Index is the column's index in Columns.Names.
	Index int
	// MeanAbs is the mean absolute attribution over the rows, in the
	// model's raw score units (log-odds for a binary classifier).
	MeanAbs float64
}

// Global is the explanation of a model over a data set.
type Global struct {
	// Columns are the model's columns.
	Columns Columns
	// ExpectedValue is the model's expected raw score, what every row's
	// attributions start from.
	ExpectedValue float64
	// Importance has one entry per column, most important first (ties in
	// column order).
	Importance []Importance
	// Rows is how many rows were explained.
	Rows int
	// Attributions holds every row's column attributions, Width() values
	// each (the last the expected value), for dependence plots.
	Attributions []float64
}

// Explain computes the column attributions of every row of x on the
// model's threads and summarises them.
func Explain(m *gbt.Model, cols Columns, x gbt.Matrix) (*Global, error) {
	if x.Rows == 0 {
		return nil, fmt.Errorf("explain: no rows")
	}
	if x.Cols != m.NumFeatures() || len(cols.Of) != x.Cols {
		return nil, fmt.Errorf("explain: rows have %d features, the model takes %d", x.Cols, m.NumFeatures())
	}
	fw, cw := m.NumContributions(), cols.Width()
	contribs := make([]float64, x.Rows*fw)
	m.ContributionsBatch(x, contribs)
	g := &Global{Columns: cols, Rows: x.Rows, Attributions: make([]float64, x.Rows*cw)}
	sums := make([]float64, len(cols.Names))
	for r := range x.Rows {
		out := g.Attributions[r*cw : (r+1)*cw]
		cols.Sum(contribs[r*fw:(r+1)*fw], out)
		for k := range sums {
			sums[k] += math.Abs(out[k])
		}
	}
	g.ExpectedValue = g.Attributions[cw-1]
	for k, name := range cols.Names {
		g.Importance = append(g.Importance, Importance{Column: name, Index: k, MeanAbs: sums[k] / float64(x.Rows)})
	}
	slices.SortStableFunc(g.Importance, func(a, b Importance) int { return cmp.Compare(b.MeanAbs, a.MeanAbs) })
	return g, nil
}

// Attribution returns row r's attribution to column col.
func (g *Global) Attribution(r, col int) float64 {
	return g.Attributions[r*g.Columns.Width()+col]
}

// Report returns the explanation in evaluation.json's layout, for the
// model output called label.
func (g *Global) Report(label string) *metrics.Explanations {
	values := make(map[string]float64, len(g.Importance))
	for _, imp := range g.Importance {
		values[imp.Column] = imp.MeanAbs
	}
	return &metrics.Explanations{TreeSHAP: map[string]metrics.LabelExplanation{
		label: {ExpectedValue: g.ExpectedValue, GlobalShapValues: values},
	}}
}

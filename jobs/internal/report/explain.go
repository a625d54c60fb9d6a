package report

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/explain"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
)

// DependencePlots is how many of the most important columns get a
// dependence plot.
const DependencePlots = 3

// Explained is what the report shows of a model's explanations: the
// TreeSHAP summary of the evaluated rows and those rows' features, from
// which the dependence plots read each column's value.
type Explained struct {
	// Global is the explanation of the rows.
	Global *explain.Global
	// Rows are the explained rows' features, in the order of Global's
	// attributions.
	Rows gbt.Matrix
	// Units names the attributions' units, such as "log-odds".
	Units string
}

// addExplanation adds the importance table, the importance chart and the
// dependence plots of the most important columns to p.
func (p *page) addExplanation(ex *Explained) error {
	if ex == nil {
		return nil
	}
	g := ex.Global
	if g.Rows != ex.Rows.Rows {
		return fmt.Errorf("report: explanations are for %d rows but %d were given", g.Rows, ex.Rows.Rows)
	}
	imp := table{
		Caption: fmt.Sprintf("Global importance: mean |SHAP value| per column over %d examples (%s); expected value %s", g.Rows, ex.Units, formatFloat(g.ExpectedValue)),
		Header:  []string{"Column", "Mean |SHAP|"},
	}
	for _, c := range g.Importance {
		imp.Rows = append(imp.Rows, []string{c.Column, formatFloat(c.MeanAbs)})
	}
	p.Tables = append(p.Tables, imp)
	specs := []figureSpec{{func() (*plot.Plot, error) { return importancePlot(g, ex.Units) },
		"Each column's mean absolute TreeSHAP attribution: how far, on average, the column moves a prediction from the expected value. One-hot features count towards the column they came from."}}
	for _, c := range g.Importance[:min(DependencePlots, len(g.Importance))] {
		specs = append(specs, figureSpec{func() (*plot.Plot, error) { return dependencePlot(g, ex, c.Index) },
			fmt.Sprintf("Dependence of the prediction on %s: each point is an example, its value of the column against the column's attribution. A spread at one value shows interactions with other columns.", c.Column)})
	}
	return p.addFigures(specs)
}

// importancePlot is a horizontal bar chart of the importance, the most
// important column on top.
func importancePlot(g *explain.Global, units string) (*plot.Plot, error) {
	p := newPlot("Global importance (TreeSHAP)", "Mean |SHAP value| ("+units+")", "")
	n := len(g.Importance)
	values := make(plotter.Values, n)
	names := make([]string, n)
	for i, c := range g.Importance {
		// Bars are drawn bottom-up: the most important last.
		values[n-1-i], names[n-1-i] = c.MeanAbs, c.Column
	}
	bars, err := plotter.NewBarChart(values, vg.Points(12))
	if err != nil {
		return nil, fmt.Errorf("report: importance chart: %w", err)
	}
	bars.Horizontal = true
	bars.Color = blue
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalY(names...)
	p.X.Min = 0
	return p, nil
}

// dependencePlot draws column col's value against its attribution: a
// scatter for a numeric column, a strip per category for a categorical one
// (points spread sideways by a fixed pattern, so the same input gives the
// same picture).
func dependencePlot(g *explain.Global, ex *Explained, col int) (*plot.Plot, error) {
	name := g.Columns.Names[col]
	k := stride(g.Rows, MaxScatterPoints)
	var xys plotter.XYs
	var categories []string
	numeric := true
	for r := 0; r < g.Rows; r += k {
		x, category, isNumeric := g.Columns.Value(ex.Rows.Row(r), col)
		if !isNumeric {
			numeric = false
			if !slices.Contains(categories, category) {
				categories = append(categories, category)
			}
		}
		xys = append(xys, plotter.XY{X: x, Y: g.Attribution(r, col)})
	}
	if !numeric {
		slices.Sort(categories)
		for j, r := 0, 0; r < g.Rows; j, r = j+1, r+k {
			_, category, _ := g.Columns.Value(ex.Rows.Row(r), col)
			// Spread the points of one category over ±0.3 of its slot.
			xys[j].X = float64(slices.Index(categories, category)) + 0.6*(float64(j%13)/12-0.5)
		}
	}
	p := newPlot("Dependence: "+name, name, "SHAP value of "+name+" ("+ex.Units+")")
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, fmt.Errorf("report: dependence plot of %s: %w", name, err)
	}
	s.GlyphStyle = scatterGlyph
	p.Add(s)
	if !numeric {
		labels := slices.Clone(categories)
		for i, c := range labels {
			if c == "" {
				labels[i] = "(none)"
			}
		}
		p.NominalX(labels...)
		p.X.Min, p.X.Max = -0.5, float64(len(categories))-0.5
		// Category names are long; slanted, they do not overlap.
		p.X.Tick.Label.Rotation = math.Pi / 5
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YTop
	}
	return p, nil
}

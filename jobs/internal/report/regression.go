package report

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/metrics"
)

// WriteRegression writes to w an HTML report of a regression model's
// evaluation: the metrics in m, a scatter plot of predicted against actual
// values with the line y = x, a histogram of the residuals, and a scatter
// plot of residuals against predicted values. m is expected to come from
// metrics.ComputeRegression on the same actual and predicted values; the
// inputs are checked by the same rules, and an invalid input, an m whose N
// does not match, or a failing w returns an error. With ex, the report
// also shows the model's explanations (see Explained).
func WriteRegression(w io.Writer, h Header, m metrics.Regression, actual, predicted []float64, ex *Explained) error {
	// Reuse the metrics package's validation so that the report accepts
	// exactly the inputs that evaluation.json was computed from.
	if _, err := metrics.ComputeRegression(actual, predicted); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if m.N != len(actual) {
		return fmt.Errorf("report: metrics are for %d examples but %d were given", m.N, len(actual))
	}

	n := len(actual)
	residual := make([]float64, n)
	floats.SubTo(residual, actual, predicted)
	k := stride(n, MaxScatterPoints)

	p := page{
		Title: h.Title,
		Facts: h.facts(),
		Hyper: h.hyperparameters(),
		Kind:  fmt.Sprintf("Regression evaluation on %d examples", n),
		Metrics: []row{
			{"Examples", strconv.Itoa(m.N), "number of examples evaluated"},
			{"MSE", formatFloat(m.MSE), "mean squared error"},
			{"RMSE", formatFloat(m.RMSE), "root mean squared error, in the units of the target"},
			{"MAE", formatFloat(m.MAE), "mean absolute error, in the units of the target"},
			{"R²", formatFloat(m.R2), "1 − SS_res/SS_tot: 1 is perfect, 0 is no better than predicting the mean"},
		},
	}
	if k > 1 {
		p.Notes = append(p.Notes, sampleNote("The scatter plots", n, k))
	}

	err := p.addFigures([]figureSpec{
		{func() (*plot.Plot, error) { return predictedVsActual(actual, predicted, k) },
			"Each point is an example; points on the dashed line y = x are predicted exactly."},
		{func() (*plot.Plot, error) { return residualHistogram(residual) },
			"Residual = actual − predicted: positive residuals are under-predictions. A good model's residuals centre on 0."},
		{func() (*plot.Plot, error) { return residualsVsPredicted(predicted, residual, k) },
			"The dashed line is zero residual. A pattern or a funnel shape here means the errors depend on the prediction, which the metrics alone do not show."},
	})
	if err != nil {
		return err
	}
	if err := p.addExplanation(ex); err != nil {
		return err
	}
	return write(w, p)
}

// scatterGlyph is small and translucent so that thousands of points still
// show where they are dense.
var scatterGlyph = draw.GlyphStyle{Color: blueDot, Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}

// sampleXY returns every k-th (x[i], y[i]), starting with the first.
func sampleXY(x, y []float64, k int) plotter.XYs {
	xys := make(plotter.XYs, 0, (len(x)+k-1)/k)
	for i := 0; i < len(x); i += k {
		xys = append(xys, plotter.XY{X: x[i], Y: y[i]})
	}
	return xys
}

// referenceLine returns a dashed gray line from (x0, y0) to (x1, y1), the
// style used for every "ideal" line in the report.
func referenceLine(x0, y0, x1, y1 float64) (*plotter.Line, error) {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y1}})
	if err != nil {
		return nil, fmt.Errorf("report: reference line: %w", err)
	}
	l.Color = gray
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	return l, nil
}

func predictedVsActual(actual, predicted []float64, k int) (*plot.Plot, error) {
	p := newPlot("Predicted vs actual", "Actual", "Predicted")
	s, err := plotter.NewScatter(sampleXY(actual, predicted, k))
	if err != nil {
		return nil, fmt.Errorf("report: predicted vs actual: %w", err)
	}
	s.GlyphStyle = scatterGlyph
	// Span the line and both axes over all examples, not just the sampled
	// ones, and use the same range on both axes so that y = x is the
	// diagonal and over- and under-prediction look alike.
	lo, hi := padRange(math.Min(floats.Min(actual), floats.Min(predicted)),
		math.Max(floats.Max(actual), floats.Max(predicted)))
	diag, err := referenceLine(lo, lo, hi, hi)
	if err != nil {
		return nil, err
	}
	p.Add(diag, s)
	p.Legend.Add("y = x", diag)
	p.Legend.Left = true
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = lo, hi
	return p, nil
}

// padRange widens [lo, hi] by 3% on each side so that points on the
// extremes are drawn whole inside the axes rather than cut in half.
func padRange(lo, hi float64) (float64, float64) {
	pad := 0.03 * (hi - lo)
	return lo - pad, hi + pad
}

// residualBins picks about √n bins, clamped so that small sets still show
// a shape and large ones do not turn into noise.
func residualBins(n int) int {
	return min(50, max(5, int(math.Ceil(math.Sqrt(float64(n))))))
}

func residualHistogram(residual []float64) (*plot.Plot, error) {
	p := newPlot("Residual distribution", "Residual (actual − predicted)", "Examples")
	h, err := plotter.NewHist(plotter.Values(residual), residualBins(len(residual)))
	if err != nil {
		return nil, fmt.Errorf("report: residual histogram: %w", err)
	}
	h.FillColor = blue
	h.LineStyle.Color = white
	h.LineStyle.Width = vg.Points(0.5)
	p.Add(h)
	return p, nil
}

func residualsVsPredicted(predicted, residual []float64, k int) (*plot.Plot, error) {
	p := newPlot("Residuals vs predicted", "Predicted", "Residual (actual − predicted)")
	s, err := plotter.NewScatter(sampleXY(predicted, residual, k))
	if err != nil {
		return nil, fmt.Errorf("report: residuals vs predicted: %w", err)
	}
	s.GlyphStyle = scatterGlyph
	lo, hi := padRange(floats.Min(predicted), floats.Max(predicted))
	zero, err := referenceLine(lo, 0, hi, 0)
	if err != nil {
		return nil, err
	}
	// No legend: it would sit on top of the points, and the caption
	// explains the zero line.
	p.Add(zero, s)
	// Keep every residual in view, including any the sample skipped.
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = padRange(math.Min(0, floats.Min(residual)), math.Max(0, floats.Max(residual)))
	return p, nil
}

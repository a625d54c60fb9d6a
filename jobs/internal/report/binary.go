package report

import (
	"fmt"
	"image/color"
	"io"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/metrics"
)

// scoreBins is the number of equal-width bins of the score-distribution
// histograms; 20 is fine enough to show where the classes overlap.
const scoreBins = 20

// WriteBinary writes to w an HTML report of a binary classifier's
// evaluation: the metrics in m and its confusion matrix as tables, the ROC
// curve with the chance diagonal and the operating point at m.Threshold,
// the calibration (reliability) curve, the confusion matrix as a heat map,
// and the distribution of predicted probabilities for each class. m is
// expected to come from metrics.ComputeBinary on the same actual and prob
// values, whose ROC and Calibration it draws; the inputs are checked by
// the same rules, and an invalid input, an m whose N does not match, or a
// failing w returns an error. With ex, the report also shows the model's
// explanations (see Explained).
func WriteBinary(w io.Writer, h Header, m metrics.Binary, actual, prob []float64, ex *Explained) error {
	// Reuse the metrics package's validation so that the report accepts
	// exactly the inputs that evaluation.json was computed from.
	if _, err := metrics.ComputeBinary(actual, prob, m.Threshold); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if m.N != len(actual) {
		return fmt.Errorf("report: metrics are for %d examples but %d were given", m.N, len(actual))
	}

	n := len(actual)
	c := m.Confusion
	p := page{
		Title: h.Title,
		Facts: h.facts(),
		Hyper: h.hyperparameters(),
		Kind:  fmt.Sprintf("Binary classification evaluation on %d examples", n),
		Metrics: []row{
			{"Examples", strconv.Itoa(m.N), "number of examples evaluated"},
			{"Threshold", formatFloat(m.Threshold), "an example is predicted 1 when its probability is at or above this"},
			{"AUC", formatFloat(m.AUC), "area under the ROC curve: chance that a random positive scores above a random negative"},
			{"Accuracy", formatFloat(m.Accuracy), "(TP + TN) / N"},
			{"Precision", formatFloat(m.Precision), "TP / (TP + FP), 0 when nothing is predicted 1"},
			{"Recall", formatFloat(m.Recall), "TP / (TP + FN), the true positive rate"},
			{"F1", formatFloat(m.F1), "harmonic mean of precision and recall, 0 when both are 0"},
			{"Log loss", formatFloat(m.LogLoss), "mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15]"},
		},
		Confusion: &confusionTable{
			TN: strconv.Itoa(c.TN), FP: strconv.Itoa(c.FP),
			FN: strconv.Itoa(c.FN), TP: strconv.Itoa(c.TP),
		},
		Tables: []table{calibrationTable(m.Calibration)},
	}
	k := stride(len(m.ROC), MaxCurvePoints)
	if k > 1 {
		p.Notes = append(p.Notes, fmt.Sprintf(
			"The ROC curve draws every %d%s of its %d points, and always its last, to keep this file small; AUC is computed from all of them.",
			k, ordinalSuffix(k), len(m.ROC)))
	}

	err := p.addFigures([]figureSpec{
		{func() (*plot.Plot, error) { return rocPlot(m, k) },
			"True positive rate against false positive rate as the threshold falls from 1 to 0; the dot is the operating point at the report's threshold."},
		{func() (*plot.Plot, error) { return calibrationPlot(m.Calibration) },
			fmt.Sprintf("Fraction of positives against mean predicted probability in %d equal-width bins (empty bins omitted); a calibrated model follows the diagonal.", metrics.CalibrationBins)},
		{func() (*plot.Plot, error) { return confusionPlot(c) },
			"Counts and share of each actual class; the color shows the share, so that a rare class is as visible as a common one."},
		{func() (*plot.Plot, error) { return scoreDistribution(actual, prob, m.Threshold) },
			"Density of predicted probabilities for each actual class; the less the two overlap, the better the model separates them."},
	})
	if err != nil {
		return err
	}
	if err := p.addExplanation(ex); err != nil {
		return err
	}
	return write(w, p)
}

func calibrationTable(bins []metrics.CalibrationBin) table {
	t := table{
		Caption: "Calibration bins",
		Header:  []string{"Probability bin", "Examples", "Mean predicted", "Fraction positive"},
	}
	for i, b := range bins {
		// Only the last bin includes its upper edge, so that a
		// probability of exactly 1 has a bin.
		closing := ")"
		if i == len(bins)-1 && b.Upper == 1 {
			closing = "]"
		}
		t.Rows = append(t.Rows, []string{
			"[" + formatFloat(b.Lower) + ", " + formatFloat(b.Upper) + closing,
			strconv.Itoa(b.Count),
			formatFloat(b.MeanPredicted),
			formatFloat(b.FractionPositive),
		})
	}
	return t
}

// unitAxes fixes both axes to [0, 1], the range of every rate and
// probability, so that plots of different models compare by eye.
func unitAxes(p *plot.Plot) {
	p.X.Min, p.X.Max = 0, 1
	p.Y.Min, p.Y.Max = 0, 1
}

func rocPlot(m metrics.Binary, k int) (*plot.Plot, error) {
	p := newPlot("ROC curve", "False positive rate", "True positive rate")
	unitAxes(p)
	p.Legend.Top = false
	pts := make(plotter.XYs, 0, len(m.ROC)/k+2)
	for i := 0; i < len(m.ROC); i += k {
		pts = append(pts, plotter.XY{X: m.ROC[i].X, Y: m.ROC[i].Y})
	}
	// Always end at the last point, (1, 1), so that a thinned curve still
	// spans the whole plot.
	if last := len(m.ROC) - 1; last > 0 && last%k != 0 {
		pts = append(pts, plotter.XY{X: m.ROC[last].X, Y: m.ROC[last].Y})
	}
	curve, err := plotter.NewLine(pts)
	if err != nil {
		return nil, fmt.Errorf("report: ROC curve: %w", err)
	}
	curve.Color = blue
	curve.Width = vg.Points(1.5)
	chance, err := referenceLine(0, 0, 1, 1)
	if err != nil {
		return nil, err
	}

	c := m.Confusion
	fpr := ratio(c.FP, c.FP+c.TN)
	tpr := ratio(c.TP, c.TP+c.FN)
	op, err := plotter.NewScatter(plotter.XYs{{X: fpr, Y: tpr}})
	if err != nil {
		return nil, fmt.Errorf("report: ROC operating point: %w", err)
	}
	op.GlyphStyle = draw.GlyphStyle{Color: orange, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}

	p.Add(chance, curve, op)
	p.Legend.Add("ROC (AUC = "+strconv.FormatFloat(m.AUC, 'f', 3, 64)+")", curve)
	p.Legend.Add("threshold "+formatFloat(m.Threshold), op)
	p.Legend.Add("chance", chance)
	return p, nil
}

// ratio returns num/den, or 0 when den is 0.
func ratio(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

func calibrationPlot(bins []metrics.CalibrationBin) (*plot.Plot, error) {
	p := newPlot("Calibration (reliability) curve", "Mean predicted probability", "Fraction of positives")
	unitAxes(p)
	p.Legend.Left = true
	ideal, err := referenceLine(0, 0, 1, 1)
	if err != nil {
		return nil, err
	}
	p.Add(ideal)
	p.Legend.Add("perfectly calibrated", ideal)
	if len(bins) == 0 {
		return p, nil
	}
	pts := make(plotter.XYs, len(bins))
	for i, b := range bins {
		pts[i] = plotter.XY{X: b.MeanPredicted, Y: b.FractionPositive}
	}
	line, points, err := plotter.NewLinePoints(pts)
	if err != nil {
		return nil, fmt.Errorf("report: calibration curve: %w", err)
	}
	line.Color = blue
	line.Width = vg.Points(1.5)
	points.GlyphStyle = draw.GlyphStyle{Color: blue, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
	p.Add(line, points)
	p.Legend.Add("model", line, points)
	return p, nil
}

// confusionGrid lays the confusion matrix out for plotter.HeatMap: column
// c is the predicted label and row r counts up from the bottom, so actual
// label 0 is drawn on top as in the HTML table.
type confusionGrid struct {
	// share[a][p] is the share of actual label a predicted as p.
	share [2][2]float64
}

func (g confusionGrid) Dims() (c, r int)   { return 2, 2 }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }
func (g confusionGrid) Z(c, r int) float64 { return g.share[1-r][c] }

func confusionPlot(c metrics.Confusion) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Confusion matrix"
	p.X.Label.Text = "Predicted label"
	p.Y.Label.Text = "Actual label"
	p.X.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0"}, {Value: 1, Label: "1"}}
	p.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "1"}, {Value: 1, Label: "0"}}

	counts := [2][2]int{{c.TN, c.FP}, {c.FN, c.TP}}
	names := [2][2]string{{"TN", "FP"}, {"FN", "TP"}}
	var g confusionGrid
	for a := range 2 {
		total := counts[a][0] + counts[a][1]
		for pr := range 2 {
			g.share[a][pr] = ratio(counts[a][pr], total)
		}
	}

	pal, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return nil, fmt.Errorf("report: confusion palette: %w", err)
	}
	hm := plotter.NewHeatMap(g, pal)
	// Fix the color scale to shares in [0, 1]; a data-derived range would
	// be empty when all four shares are equal, and the heat map would
	// then leave every cell blank.
	hm.Min, hm.Max = 0, 1

	var xys plotter.XYs
	var labels []string
	for a := range 2 {
		for pr := range 2 {
			xys = append(xys, plotter.XY{X: float64(pr), Y: float64(1 - a)})
			labels = append(labels, fmt.Sprintf("%s\n%d\n%.1f%%", names[a][pr], counts[a][pr], 100*g.share[a][pr]))
		}
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, fmt.Errorf("report: confusion labels: %w", err)
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign = text.XCenter
		l.TextStyle[i].YAlign = text.YCenter
		l.TextStyle[i].Font.Size = vg.Points(12)
		// Dark cells need light text to stay readable.
		if g.share[i/2][i%2] > 0.6 {
			l.TextStyle[i].Color = color.White
		} else {
			l.TextStyle[i].Color = color.Black
		}
	}
	p.Add(hm, l)
	p.X.Min, p.X.Max = -0.5, 1.5
	p.Y.Min, p.Y.Max = -0.5, 1.5
	return p, nil
}

// scoreDistribution draws one histogram of predicted probabilities per
// actual class, each normalised to unit area so that a rare class is not
// flattened by a common one.
func scoreDistribution(actual, prob []float64, threshold float64) (*plot.Plot, error) {
	p := newPlot("Score distribution by class", "Predicted probability", "Density")
	const width = 1.0 / scoreBins
	var counts [2][scoreBins]float64
	var n [2]int
	for i, y := range actual {
		b := min(int(prob[i]*scoreBins), scoreBins-1)
		counts[int(y)][b]++
		n[int(y)]++
	}
	fills := [2]color.Color{
		color.NRGBA{R: blue.R, G: blue.G, B: blue.B, A: 0x70},
		color.NRGBA{R: orange.R, G: orange.G, B: orange.B, A: 0x70},
	}
	edges := [2]color.Color{blue, orange}
	ymax := 0.0
	for class := range 2 {
		h := &plotter.Histogram{
			Bins:      make([]plotter.HistogramBin, scoreBins),
			Width:     width,
			FillColor: fills[class],
			LineStyle: draw.LineStyle{Color: edges[class], Width: vg.Points(1)},
		}
		for b := range scoreBins {
			d := 0.0
			if n[class] > 0 {
				d = counts[class][b] / (float64(n[class]) * width)
			}
			h.Bins[b] = plotter.HistogramBin{Min: float64(b) * width, Max: float64(b+1) * width, Weight: d}
			ymax = max(ymax, d)
		}
		p.Add(h)
		p.Legend.Add(fmt.Sprintf("actual %d (n = %d)", class, n[class]), h)
	}
	t, err := referenceLine(threshold, 0, threshold, ymax)
	if err != nil {
		return nil, err
	}
	t.Color = color.Black
	p.Add(t)
	p.Legend.Add("threshold "+formatFloat(threshold), t)
	p.X.Min, p.X.Max = 0, 1
	// Leave headroom above the tallest bar for the legend, which would
	// otherwise cover the bars wherever it went.
	p.Y.Min, p.Y.Max = 0, 1.3*ymax
	return p, nil
}

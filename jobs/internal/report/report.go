// Package report renders a model's evaluation as one self-contained HTML
// file, the human-readable companion of evaluation.json: a table of the
// metrics from package metrics and the plots a reviewer needs to judge
// them (predicted against actual and residuals for regression; ROC,
// calibration, confusion matrix and score distributions for binary
// classification).
//
// The file is meant to be attached to a model package and opened from S3
// or a laptop, possibly offline and possibly under a strict content
// security policy, so it has no external references at all: plots are
// inline SVG drawn with gonum/plot, there is no JavaScript, and fonts are
// named but never fetched or embedded (embedding one would add half a
// megabyte to every report). gonum/plot lays text out with Liberation
// Serif's metrics, so the page's CSS falls back to the fonts that share
// them (Tinos, Times New Roman) before any other serif, and lets the SVGs
// overflow their boxes so that a wider fallback font is not cut off at the
// edge. All caller-supplied text goes through html/template.
//
// A report must stay small enough to open in a browser whatever the size
// of the evaluation set. Scatter plots therefore draw at most
// MaxScatterPoints points, taking every k-th example in input order with k
// the smallest stride that fits, and the ROC curve draws at most
// MaxCurvePoints of its points chosen the same way; the stride is
// deterministic, so the same input always gives the same bytes, and the
// report says when it applied. Histograms, tables and metrics always use
// every example.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// MaxScatterPoints is the largest number of points a scatter plot draws.
// Each point costs about 150 bytes of SVG, so this keeps a scatter plot
// around 300 kB and still shows the shape of the cloud.
const MaxScatterPoints = 2000

// MaxCurvePoints is the largest number of vertices a curve such as the ROC
// curve draws; a ROC curve has one vertex per distinct score, which can be
// one per example.
const MaxCurvePoints = 1000

// Figure size: two figures fit side by side on a laptop screen and the
// page's CSS scales them down on narrower ones.
const (
	figWidth  = 4.5 * vg.Inch
	figHeight = 3.5 * vg.Inch
)

// Colors from the widely used Tableau 10 set, which stays distinguishable
// for the common forms of color blindness.
var (
	blue   = color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	orange = color.NRGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	gray   = color.NRGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
	white  = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	// lightGray is for grid lines, which should recede behind the data.
	lightGray = color.NRGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}
	// Points drawn translucent so that dense regions read darker.
	blueDot = color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0x80}
)

// page is the data behind pageTemplate.
type page struct {
	Title     string
	Facts     []fact
	Hyper     [][2]string
	Kind      string
	Metrics   []row
	Confusion *confusionTable
	Tables    []table
	Figures   []figure
	Notes     []string
}

// row is one line of the metrics table.
type row struct {
	Name, Value, Help string
}

// table is an extra data table, such as the calibration bins.
type table struct {
	Caption string
	Header  []string
	Rows    [][]string
}

// confusionTable is the confusion matrix laid out as it is usually read:
// actual classes down, predicted classes across.
type confusionTable struct {
	TN, FP, FN, TP string
}

// figure is one inline SVG plot. SVG is trusted markup: it comes from
// vgsvg, which escapes every text it draws, and the plots carry no
// caller-supplied text.
type figure struct {
	SVG     template.HTML
	Caption string
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
.kind { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.8em; text-align: right; }
th { background: #f3f3f3; }
td.name, th.name { text-align: left; }
td.help { text-align: left; color: #666; font-size: 0.9em; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3em; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; flex: 1 1 28em; max-width: 36em; }
figure svg { width: 100%; height: auto; display: block; overflow: visible; }
figure svg text { font-family: "Liberation Serif", Tinos, "Times New Roman", Times, serif !important; }
figcaption { color: #555; font-size: 0.9em; }
.note { color: #555; font-size: 0.9em; }
dl.about { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; margin: 0.5em 0; }
dl.about dt { color: #666; }
dl.about dd { margin: 0; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="kind">{{.Kind}}</p>
{{- if .Facts}}
<dl class="about">
{{- range .Facts}}
<dt>{{.Name}}</dt><dd>{{.Value}}</dd>
{{- end}}
</dl>
{{- end}}
{{- if .Hyper}}
<table class="hyperparameters">
<caption>Hyperparameters</caption>
{{- range .Hyper}}
<tr><td class="name">{{index . 0}}</td><td>{{index . 1}}</td></tr>
{{- end}}
</table>
{{- end}}
<h2>Metrics</h2>
<table class="metrics">
<tr><th class="name">Metric</th><th>Value</th><th class="name">Meaning</th></tr>
{{- range .Metrics}}
<tr><td class="name">{{.Name}}</td><td>{{.Value}}</td><td class="help">{{.Help}}</td></tr>
{{- end}}
</table>
{{- with .Confusion}}
<table class="confusion">
<caption>Confusion matrix</caption>
<tr><th></th><th>Predicted 0</th><th>Predicted 1</th></tr>
<tr><th class="name">Actual 0</th><td>{{.TN}} (TN)</td><td>{{.FP}} (FP)</td></tr>
<tr><th class="name">Actual 1</th><td>{{.FN}} (FN)</td><td>{{.TP}} (TP)</td></tr>
</table>
{{- end}}
{{- range .Tables}}
<table>
<caption>{{.Caption}}</caption>
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{- range .Rows}}
<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{- end}}
</table>
{{- end}}
<h2>Plots</h2>
<div class="figures">
{{- range .Figures}}
<figure>
{{.SVG}}
<figcaption>{{.Caption}}</figcaption>
</figure>
{{- end}}
</div>
{{- range .Notes}}
<p class="note">{{.}}</p>
{{- end}}
</body>
</html>
`))

// figureSpec is a plot to build and the caption to show under it.
type figureSpec struct {
	build   func() (*plot.Plot, error)
	caption string
}

// addFigures builds and renders each plot in order, stopping at the first
// error so that a report is never written with a plot missing.
func (p *page) addFigures(specs []figureSpec) error {
	for _, s := range specs {
		plt, err := s.build()
		if err != nil {
			return err
		}
		f, err := render(plt, s.caption)
		if err != nil {
			return err
		}
		p.Figures = append(p.Figures, f)
	}
	return nil
}

// write renders p to w. The page is rendered into memory first so that a
// template error cannot leave half a report behind.
func write(w io.Writer, p page) error {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return fmt.Errorf("report: rendering HTML: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: writing HTML: %w", err)
	}
	return nil
}

// render draws p as an inline SVG figure. gonum/plot reports some
// degenerate inputs by panicking; the panic is turned into an error so
// that a bad plot fails the report, not the whole evaluate job.
func render(p *plot.Plot, caption string) (f figure, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("report: drawing %q: %v", p.Title.Text, r)
		}
	}()
	c := vgsvg.New(figWidth, figHeight)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return figure{}, fmt.Errorf("report: encoding SVG for %q: %w", p.Title.Text, err)
	}
	// Drop the XML prolog and generator comment: they mean nothing inside
	// an HTML document, which starts the SVG at its <svg> element.
	s := buf.String()
	i := strings.Index(s, "<svg")
	if i < 0 {
		return figure{}, errors.New("report: SVG output has no <svg> element")
	}
	return figure{SVG: template.HTML(s[i:]), Caption: caption}, nil
}

// newPlot returns a plot with a title and axis labels and a light grid,
// which makes values easier to read off than tick marks alone.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	grid := plotter.NewGrid()
	grid.Vertical.Color = lightGray
	grid.Horizontal.Color = lightGray
	p.Add(grid)
	return p
}

// formatFloat formats a metric with six significant digits: enough to
// compare models, few enough to read.
func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// stride returns the step k of the every-k-th-point sample that keeps at
// most limit of n points.
func stride(n, limit int) int {
	return max(1, (n+limit-1)/limit)
}

// sampleNote describes a downsampling so that a reader does not mistake a
// thinned scatter plot for the full data.
func sampleNote(what string, n, k int) string {
	shown := (n + k - 1) / k
	return fmt.Sprintf("%s show every %d%s of %d examples (%d points), starting with the first, to keep this file small; histograms, tables and metrics use all examples.",
		what, k, ordinalSuffix(k), n, shown)
}

// ordinalSuffix returns the English ordinal suffix of k ("st", "nd", ...).
func ordinalSuffix(k int) string {
	if k%100 >= 11 && k%100 <= 13 {
		return "th"
	}
	switch k % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

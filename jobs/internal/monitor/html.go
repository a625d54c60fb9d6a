package monitor

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// MaxPlotBins is the largest number of bins a drift plot draws: a
// categorical column may have hundreds. Beyond it, the plot shows the
// bins with the largest PSI terms, in the baseline's order, and says so.
const MaxPlotBins = 20

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error { return writeJSON(w, r) }

// WriteJSON writes s as indented JSON.
func (s *Summary) WriteJSON(w io.Writer) error { return writeJSON(w, s) }

// Colors of the Tableau 10 set, as the evaluation report uses them.
var (
	baselineColor = color.NRGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
	scoredColor   = color.NRGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	gridColor     = color.NRGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}
)

// htmlPage is the data behind htmlTemplate.
type htmlPage struct {
	R       *Report
	Rows    []htmlRow
	Figures []htmlFigure
}

type htmlRow struct {
	Name, Type, PSI, Status, Missing, Unseen string
	Drift                                    bool
}

// htmlFigure is an inline SVG drawn by vgsvg, which escapes the text it
// draws.
type htmlFigure struct {
	SVG     template.HTML
	Caption string
}

// The page follows the evaluation report's rules: self-contained, no
// script, a content security policy that allows nothing external.
var htmlTemplate = template.Must(template.New("drift").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drift report</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.8em; text-align: right; }
th { background: #f3f3f3; }
td.name, th.name { text-align: left; }
tr.drift td { background: #fff1e0; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; flex: 1 1 28em; max-width: 36em; }
figure svg { width: 100%; height: auto; display: block; overflow: visible; }
figure svg text { font-family: "Liberation Serif", Tinos, "Times New Roman", Times, serif !important; }
figcaption, .note { color: #555; font-size: 0.9em; }
</style>
</head>
<body>
<h1>Drift report</h1>
<p>{{.R.Rows}} scored rows on {{.R.Host}} against the training baseline: {{if .R.Drift}}<strong>drift</strong>{{else}}no drift{{end}}.</p>
<p class="note">Population stability index (PSI) per feature over the baseline's bins: below {{.R.Thresholds.PSIModerate}} none, up to {{.R.Thresholds.PSISignificant}} moderate, above it significant; empty bins count as a share of {{.R.Thresholds.PSIEpsilon}}. A feature drifts when its PSI is significant or its missing rate rose by more than {{.R.Thresholds.MissingRateIncrease}}.</p>
<table>
<tr><th class="name">Feature</th><th class="name">Type</th><th>PSI</th><th class="name">Status</th><th>Missing (baseline → scored)</th><th>Unseen share (baseline → scored)</th><th class="name">Drift</th></tr>
{{- range .Rows}}
<tr{{if .Drift}} class="drift"{{end}}><td class="name">{{.Name}}</td><td class="name">{{.Type}}</td><td>{{.PSI}}</td><td class="name">{{.Status}}</td><td>{{.Missing}}</td><td>{{.Unseen}}</td><td class="name">{{if .Drift}}yes{{else}}no{{end}}</td></tr>
{{- end}}
</table>
{{- if .Figures}}
<h2>Drifted features</h2>
<div class="figures">
{{- range .Figures}}
<figure>
{{.SVG}}
<figcaption>{{.Caption}}</figcaption>
</figure>
{{- end}}
</div>
{{- end}}
</body>
</html>
`))

// WriteHTML writes r as a self-contained HTML page: a table of every
// feature and, for each feature that drifts, a plot of its bins' shares in
// the baseline and in the scored rows.
func (r *Report) WriteHTML(w io.Writer) error {
	p := htmlPage{R: r}
	for _, f := range r.Features {
		row := htmlRow{Name: f.Name, Type: string(f.Type), PSI: formatFloat(f.PSI), Status: f.Status, Drift: f.Drift,
			Missing: percent(f.BaselineMissingRate) + " → " + percent(f.MissingRate)}
		if f.UnseenShare != nil {
			row.Unseen = percent(*f.BaselineUnseenShare) + " → " + percent(*f.UnseenShare)
		}
		p.Rows = append(p.Rows, row)
		if !f.Drift {
			continue
		}
		fig, err := binsFigure(f)
		if err != nil {
			return err
		}
		p.Figures = append(p.Figures, fig)
	}
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, p); err != nil {
		return fmt.Errorf("drift report: rendering HTML: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// binsFigure draws the baseline's and the scored rows' share of each bin
// side by side.
func binsFigure(f FeatureDrift) (fig htmlFigure, err error) {
	bins := shownBins(f.Bins)
	base := make(plotter.Values, len(bins))
	scored := make(plotter.Values, len(bins))
	names := make([]string, len(bins))
	for i, b := range bins {
		base[i], scored[i], names[i] = b.Baseline, b.Share, b.Label
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: PSI %s (%s)", f.Name, formatFloat(f.PSI), f.Status)
	p.Y.Label.Text = "share of present values"
	p.Legend.Top = true
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridColor, gridColor
	p.Add(grid)
	width := vg.Points(max(2, 120/float64(len(bins))))
	for _, s := range []struct {
		values plotter.Values
		color  color.Color
		offset vg.Length
		name   string
	}{{base, baselineColor, -width / 2, "baseline"}, {scored, scoredColor, width / 2, "scored"}} {
		bars, err := plotter.NewBarChart(s.values, width)
		if err != nil {
			return fig, fmt.Errorf("drift report: %s: %w", f.Name, err)
		}
		bars.Color, bars.Offset = s.color, s.offset
		bars.LineStyle.Width = 0
		p.Add(bars)
		p.Legend.Add(s.name, bars)
	}
	p.NominalX(names...)
	if len(bins) > 4 {
		p.X.Tick.Label.Rotation = 0.8
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	caption := fmt.Sprintf("%s: each bin's share of the present values in the training baseline and in the scored rows.", f.Name)
	if len(bins) < len(f.Bins) {
		caption += fmt.Sprintf(" The %d of %d bins with the largest PSI terms are shown.", len(bins), len(f.Bins))
	}
	return render(p, caption)
}

// shownBins returns at most MaxPlotBins of bins: those with the largest
// PSI terms (the earlier first among equal ones), in their order.
func shownBins(bins []Bin) []Bin {
	if len(bins) <= MaxPlotBins {
		return bins
	}
	idx := make([]int, len(bins))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case bins[a].PSI > bins[b].PSI:
			return -1
		case bins[a].PSI < bins[b].PSI:
			return 1
		}
		return 0
	})
	idx = idx[:MaxPlotBins]
	slices.Sort(idx)
	out := make([]Bin, len(idx))
	for i, j := range idx {
		out[i] = bins[j]
	}
	return out
}

// render draws p as inline SVG; gonum/plot panics on some degenerate
// inputs, which becomes an error.
func render(p *plot.Plot, caption string) (fig htmlFigure, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("drift report: drawing %q: %v", p.Title.Text, r)
		}
	}()
	c := vgsvg.New(4.5*vg.Inch, 3.5*vg.Inch)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return fig, fmt.Errorf("drift report: encoding SVG for %q: %w", p.Title.Text, err)
	}
	s := buf.String()
	i := strings.Index(s, "<svg")
	if i < 0 {
		return fig, errors.New("drift report: SVG output has no <svg> element")
	}
	return htmlFigure{SVG: template.HTML(s[i:]), Caption: caption}, nil
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func percent(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

package main

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Steps holds the median measurements of one pipeline's steps.
type Steps struct {
	// Preprocess, Train, Infer and Attributions are the medians of each
	// step, as processes.
	Preprocess, Train, Infer, Attributions Sample
	// InferNoDrift is our infer step with -drift=false, beside Infer
	// (which checks drift against the model's baseline); zero for the
	// peer, which has no drift check.
	InferNoDrift Sample
}

// DriftOverhead is how much longer our inference takes with the drift
// check than without, as a share of the time without.
func (s Steps) DriftOverhead() float64 {
	return s.Infer.Wall.Seconds()/s.InferNoDrift.Wall.Seconds() - 1
}

// SizeResult is everything measured on one data set size.
type SizeResult struct {
	// Rows is the number of generated rows (pool and test file).
	Rows int
	// TestRows is the number of rows of the test split.
	TestRows int
	// Ours and Peer are the medians of the Go jobs and the Python peer.
	Ours, Peer Steps
	// OurMSE is the test MSE from our evaluate job; PeerMSE the peer's
	// model's on the same test split.
	OurMSE, PeerMSE float64
	// OurMSEInXGB is the test MSE of our model when XGBoost predicts with it.
	OurMSEInXGB float64
	// LoadBefore and LoadAfter are the 1-minute load averages around the
	// measurements of this size, a hint of other work on the machine.
	LoadBefore, LoadAfter string
	// MaxAbsPredDiff is the largest difference, over the test split, between
	// our infer job's predictions and XGBoost's with our model.json.
	MaxAbsPredDiff float64
	// Attributions says whether the attribution step ran on this size
	// (see Config.AttributionRows); the fields below are zero if not.
	Attributions bool
	// PeerContribs is the median time of XGBoost's DMatrix construction
	// and pred_contribs over every row, timed inside the peer's process:
	// what the peer's attribution rate counts. PeerLoad is the median time
	// the same process took before, reading the feature splits and the
	// model.
	PeerContribs, PeerLoad time.Duration
	// AttrRows is the number of test rows the attributions are compared
	// on; MaxAbsAttrDiff the largest difference between our per-column
	// attributions and XGBoost's pred_contribs summed per column, and
	// MaxAbsBiasDiff that of the expected value.
	AttrRows                       int
	MaxAbsAttrDiff, MaxAbsBiasDiff float64
}

// Report is the result of a whole run.
type Report struct {
	// Date is when the run started.
	Date time.Time
	// Cores is runtime.NumCPU of the machine.
	Cores int
	// GoVersion is the Go toolchain the jobs were built with.
	GoVersion string
	// Peer holds the peer's versions by name (python, pandas, sklearn, ...).
	Peer map[string]string
	// Reps is the number of repetitions behind each median.
	Reps int
	// OMPWaitPolicy is the OMP_WAIT_POLICY the peer ran with ("" for the
	// default).
	OMPWaitPolicy string
	// PeerStartup is the wall time of the peer script doing nothing but
	// start, import pandas, NumPy and XGBoost and print versions: a part of
	// every peer step's time.
	PeerStartup time.Duration
	// Sizes holds one result per data set size.
	Sizes []SizeResult
}

// Metric is one compared quantity of a SizeResult.
type Metric struct {
	// Name labels the table row; Short labels the chart bar.
	Name, Short string
	// Ours and Peer extract the values.
	Ours, Peer func(SizeResult) float64
	// Format formats a value.
	Format string
	// HigherIsBetter tells which way the advantage goes.
	HigherIsBetter bool
	// Attribution marks the metrics of the attribution step, which not
	// every size runs.
	Attribution bool
}

// Measured reports whether r has a value of m.
func (m Metric) Measured(r SizeResult) bool { return !m.Attribution || r.Attributions }

// Metrics lists the compared quantities in table order.
var Metrics = []Metric{
	{"preprocess rows/s", "prep rows/s",
		func(r SizeResult) float64 { return float64(r.Rows) / r.Ours.Preprocess.Wall.Seconds() },
		func(r SizeResult) float64 { return float64(r.Rows) / r.Peer.Preprocess.Wall.Seconds() }, "%.0f", true, false},
	{"preprocess peak RSS (MiB)", "prep RSS",
		func(r SizeResult) float64 { return mib(r.Ours.Preprocess) },
		func(r SizeResult) float64 { return mib(r.Peer.Preprocess) }, "%.0f", false, false},
	{"train time (s)", "train s",
		func(r SizeResult) float64 { return r.Ours.Train.Wall.Seconds() },
		func(r SizeResult) float64 { return r.Peer.Train.Wall.Seconds() }, "%.2f", false, false},
	{"train peak RSS (MiB)", "train RSS",
		func(r SizeResult) float64 { return mib(r.Ours.Train) },
		func(r SizeResult) float64 { return mib(r.Peer.Train) }, "%.0f", false, false},
	{"test MSE", "test MSE",
		func(r SizeResult) float64 { return r.OurMSE },
		func(r SizeResult) float64 { return r.PeerMSE }, "%.4f", false, false},
	{"inference rows/s", "infer rows/s",
		func(r SizeResult) float64 { return float64(r.Rows) / r.Ours.Infer.Wall.Seconds() },
		func(r SizeResult) float64 { return float64(r.Rows) / r.Peer.Infer.Wall.Seconds() }, "%.0f", true, false},
	{"inference peak RSS (MiB)", "infer RSS",
		func(r SizeResult) float64 { return mib(r.Ours.Infer) },
		func(r SizeResult) float64 { return mib(r.Peer.Infer) }, "%.0f", false, false},
	{"attribution rows/s (ours: infer -attributions, CSV to CSV; peer: DMatrix + pred_contribs only)", "attr rows/s",
		func(r SizeResult) float64 { return float64(r.Rows) / r.Ours.Attributions.Wall.Seconds() },
		func(r SizeResult) float64 { return float64(r.Rows) / r.PeerContribs.Seconds() }, "%.0f", true, true},
	{"attribution peak RSS (MiB)", "attr RSS",
		func(r SizeResult) float64 { return mib(r.Ours.Attributions) },
		func(r SizeResult) float64 { return mib(r.Peer.Attributions) }, "%.0f", false, true},
}

func mib(s Sample) float64 { return float64(s.MaxRSSKB) / 1024 }

// Advantage is how many times better ours is than the peer's on m: above 1
// ours is better, whichever way the metric goes.
func (m Metric) Advantage(r SizeResult) float64 {
	o, p := m.Ours(r), m.Peer(r)
	if m.HigherIsBetter {
		return o / p
	}
	return p / o
}

// Markdown renders the report as markdown.
func (rep *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Go jobs vs the Python SageMaker peer\n\n")
	fmt.Fprintf(&b, "| run | |\n|---|---|\n")
	fmt.Fprintf(&b, "| date | %s |\n", rep.Date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "| cores (runtime.NumCPU) | %d |\n", rep.Cores)
	fmt.Fprintf(&b, "| Go | %s |\n", rep.GoVersion)
	fmt.Fprintf(&b, "| peer | Python %s, pandas %s, scikit-learn %s, XGBoost %s, NumPy %s |\n",
		rep.Peer["python"], rep.Peer["pandas"], rep.Peer["sklearn"], rep.Peer["xgboost"], rep.Peer["numpy"])
	var sizes []string
	for _, s := range rep.Sizes {
		sizes = append(sizes, fmt.Sprint(s.Rows))
	}
	fmt.Fprintf(&b, "| rows | %s |\n", strings.Join(sizes, ", "))
	fmt.Fprintf(&b, "| reps | %d (medians) |\n", rep.Reps)
	omp := rep.OMPWaitPolicy
	if omp == "" {
		omp = "unset (libgomp default)"
	}
	fmt.Fprintf(&b, "| peer start-up (interpreter and imports, part of each peer step) | %.2f s |\n", rep.PeerStartup.Seconds())
	fmt.Fprintf(&b, "| peer OMP_WAIT_POLICY | %s |\n", omp)
	for _, s := range rep.Sizes {
		fmt.Fprintf(&b, "| load average, %d rows | %s before, %s after |\n", s.Rows, s.LoadBefore, s.LoadAfter)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "Advantage: how many times better ours is (above 1: ours better; rows/s higher is better, time, RSS and MSE lower is better).\n\n")
	fmt.Fprintf(&b, "| rows | metric | ours | peer | advantage |\n|---:|---|---:|---:|---:|\n")
	for _, s := range rep.Sizes {
		for _, m := range Metrics {
			if !m.Measured(s) {
				continue
			}
			fmt.Fprintf(&b, "| %d | %s | "+m.Format+" | "+m.Format+" | %.2f× |\n", s.Rows, m.Name, m.Ours(s), m.Peer(s), m.Advantage(s))
		}
		fmt.Fprintf(&b, "| %d | max \\|Δ prediction\\|, our infer vs XGBoost with our model.json (%d test rows) | %.3g | | |\n",
			s.Rows, s.TestRows, s.MaxAbsPredDiff)
		fmt.Fprintf(&b, "| %d | test MSE of our model.json in XGBoost | %.4f | | |\n", s.Rows, s.OurMSEInXGB)
		fmt.Fprintf(&b, "| %d | our inference without the drift check (-drift=false): time (s), peak RSS (MiB) | %.2f s, %.0f MiB | | |\n",
			s.Rows, s.Ours.InferNoDrift.Wall.Seconds(), mib(s.Ours.InferNoDrift))
		fmt.Fprintf(&b, "| %d | time the drift check adds to our inference (median with against median without) | %+.1f%% | | |\n",
			s.Rows, 100*s.Ours.DriftOverhead())
		if !s.Attributions {
			continue
		}
		fmt.Fprintf(&b, "| %d | attribution step, whole process (s; peer: start-up, loading the features %.2f s, DMatrix + pred_contribs %.2f s) | %.2f | %.2f | |\n",
			s.Rows, s.PeerLoad.Seconds(), s.PeerContribs.Seconds(), s.Ours.Attributions.Wall.Seconds(), s.Peer.Attributions.Wall.Seconds())
		fmt.Fprintf(&b, "| %d | max \\|Δ attribution\\| per column (one-hot features summed), our infer vs XGBoost's pred_contribs with our model.json (%d test rows) | %.3g | | |\n",
			s.Rows, s.AttrRows, s.MaxAbsAttrDiff)
		fmt.Fprintf(&b, "| %d | max \\|Δ expected value\\|, the same rows | %.3g | | |\n", s.Rows, s.MaxAbsBiasDiff)
	}
	b.WriteString("\nBoth trainers train on the same splits (our preprocess output) with max_depth 5, eta 0.2, gamma 4, " +
		"min_child_weight 6, subsample 0.7, num_round 50, max_bin 256, seed 42 (the peer: tree_method hist, nthread = cores); " +
		"both models are scored on the same test split. Preprocess and inference rates count every generated row. " +
		"Each step is its own process; wall time and peak RSS (getrusage) of that process, so the peer's times include its start-up. " +
		"The peer's inference applies the ColumnTransformer its own preprocess step fitted (on its own seeded split of the same pool) " +
		"and its own booster; the prediction difference is measured on our test split with our model.json loaded in XGBoost.\n")
	b.WriteString("\nAttributions (on the sizes listed with attribution rows): both sides explain every generated row with our model, on all cores. " +
		"Ours is our infer job with -attributions as a process, from the raw CSV files to CSV output: it includes start-up, " +
		"reading and parsing the CSV, preprocessing, prediction, TreeSHAP, summing one-hot features per column and writing " +
		"the prediction and attributions of every row. " +
		"The peer's rate counts only XGBoost's DMatrix construction from a float32 NumPy matrix already in memory and " +
		"Booster.predict(pred_contribs=True) (nthread = cores), timed inside its process; the matrix holds the same rows as " +
		"our preprocess transformed them (its train, validation and test splits), and our model.json is loaded in XGBoost. " +
		"Its start-up, reading those splits and the model are not in its rate; the whole process's wall time is shown " +
		"separately, and its peak RSS includes them. The attribution difference is per schema column (XGBoost's " +
		"per-feature values with the one-hot features of a column summed, as our infer writes them) on the first rows of " +
		"our test split.\n")
	return b.String()
}

// Chart writes a bar chart of the advantages, one group per metric and one
// bar per data set size, to path (the format follows the extension).
func (rep *Report) Chart(path string) error {
	p := plot.New()
	p.Title.Text = "Go jobs vs Python peer: advantage (>1: Go better)"
	p.Y.Label.Text = "times better"
	p.Y.Min = 0
	names := make([]string, len(Metrics))
	for i, m := range Metrics {
		names[i] = m.Short
	}
	palette := []color.Color{
		color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
		color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
		color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
		color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	}
	top := 1.0
	width := vg.Points(48 / float64(max(1, len(rep.Sizes))))
	for i, s := range rep.Sizes {
		vals := make(plotter.Values, len(Metrics))
		for j, m := range Metrics {
			if m.Measured(s) {
				vals[j] = m.Advantage(s)
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return err
		}
		bars.Color = palette[i%len(palette)]
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(i)-float64(len(rep.Sizes)-1)/2)
		p.Add(bars)
		p.Legend.Add(fmt.Sprintf("%d rows", s.Rows), bars)
		xys := make(plotter.XYs, len(vals))
		texts := make([]string, len(vals))
		for j, v := range vals {
			xys[j] = plotter.XY{X: float64(j), Y: v}
			texts[j] = fmt.Sprintf("%.2f", v)
			if !Metrics[j].Measured(s) {
				texts[j] = "n/a"
			}
			top = max(top, v)
		}
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
		if err != nil {
			return err
		}
		for k := range labels.TextStyle {
			labels.TextStyle[k].XAlign = draw.XCenter
			labels.TextStyle[k].Font.Size = vg.Points(8)
		}
		labels.Offset = vg.Point{X: bars.Offset, Y: vg.Points(2)}
		p.Add(labels)
	}
	p.Y.Max = top * 1.15
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Color = color.Gray{Y: 0x60}
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(one)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(8)
	p.NominalX(names...)
	return p.Save(9*vg.Inch, 4.5*vg.Inch, path)
}

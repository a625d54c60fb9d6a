// Command bench measures the Go jobs (preprocess, train, infer with and
// without its drift check, and infer with TreeSHAP attributions) against the typical Python SageMaker peer
// (pandas, scikit-learn and XGBoost, in peer.py) on resampled abalone data
// of several sizes, side by side in one run, and writes results.md and
// results.svg.
//
// From the module root:
//
//	go run ./bench            # 1M and 10M rows, 3 repetitions (attributions: 1M)
//	go run ./bench -quick     # 100k rows, 1 repetition
//
// Each step runs as its own process; the medians of its wall time and peak
// RSS over the repetitions are reported. Both trainers train on the same
// splits (the Go preprocess output) with the same hyperparameters, and both
// models are scored on the same test split. Attributions are computed with
// our model by both: our infer job with -attributions over the raw input,
// and XGBoost's pred_contribs over the same rows as our preprocess
// transformed them, timed inside the peer's process from an in-memory
// matrix.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// testShare is the share of the generated rows in the test file, matching
// the jobs' default split fractions (0.7 train, 0.15 validation).
const testShare = 0.15

// Hyper holds the hyperparameters both trainers use, by XGBoost name.
var Hyper = []struct{ Name, Value string }{
	{"max_depth", "5"},
	{"eta", "0.2"},
	{"gamma", "4"},
	{"min_child_weight", "6"},
	{"subsample", "0.7"},
	{"num_round", "50"},
	{"max_bin", "256"},
	{"seed", "42"},
}

// Config is the command line.
type Config struct {
	// Rows lists the data set sizes.
	Rows []int
	// Reps is the number of repetitions of each step.
	Reps int
	// Out is the directory of results.md and results.svg.
	Out string
	// Cache holds generated data, the job binaries and job outputs.
	Cache string
	// Data and Schema are the seed CSV file and its data schema.
	Data, Schema string
	// Seed seeds the data generator.
	Seed uint64
	// Python is the interpreter that runs peer.py.
	Python string
	// OMPWaitPolicy is set as OMP_WAIT_POLICY for the peer unless empty.
	OMPWaitPolicy string
	// Threads is the thread count given to XGBoost in the peer.
	Threads int
	// AttributionRows is the largest data set size the attribution step
	// runs on; 0 for none.
	AttributionRows int
	// Progress receives one line per measured step; nil for none.
	Progress *os.File
}

func main() {
	err := run(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return // the usage is printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	rows := fs.String("rows", "1000000,10000000", "comma-separated data set sizes in rows")
	reps := fs.Int("reps", 3, "repetitions of each measured step")
	out := fs.String("out", "bench/results", "directory for results.md and results.svg (with -quick: bench/.cache/quick unless set)")
	cache := fs.String("cache", "bench/.cache", "directory for generated data, binaries and job outputs")
	quick := fs.Bool("quick", false, "smoke test: 100000 rows, 1 repetition")
	data := fs.String("data", "data/abalone/abalone.csv", "seed CSV file the data sets are resampled from")
	schema := fs.String("schema", "data/abalone/schema.json", "data schema of the seed file")
	seed := fs.Uint64("seed", 1, "seed of the data generator")
	python := fs.String("python", "/usr/bin/python3", "Python interpreter with pandas, scikit-learn and xgboost")
	omp := fs.String("omp-wait-policy", "PASSIVE", "OMP_WAIT_POLICY of the peer's processes (\"\": libgomp's default, which spins and\nslows XGBoost down many times when other processes compete for the cores)")
	attrRows := fs.Int("attribution-rows", 1000000, "largest data set size in rows the attribution step runs on (0: none); XGBoost's\npred_contribs takes minutes per million rows on 2 cores")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *attrRows < 0 {
		return fmt.Errorf("-attribution-rows = %d is invalid; valid: a row count >= 0", *attrRows)
	}
	cfg := Config{Reps: *reps, Out: *out, Cache: *cache, Data: *data, Schema: *schema, Seed: *seed,
		Python: *python, OMPWaitPolicy: *omp, Threads: runtime.NumCPU(), AttributionRows: *attrRows, Progress: os.Stderr}
	if *quick {
		cfg.Rows, cfg.Reps = []int{100000}, 1
		// A smoke test must not replace the published results.
		outSet := false
		fs.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
		if !outSet {
			cfg.Out = filepath.Join(cfg.Cache, "quick")
		}
	} else {
		for _, f := range strings.Split(*rows, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 100 {
				return fmt.Errorf("-rows: %q is not a row count >= 100", f)
			}
			cfg.Rows = append(cfg.Rows, n)
		}
	}
	if cfg.Reps < 1 {
		return errors.New("-reps must be at least 1")
	}
	if _, err := os.Stat("go.mod"); err != nil {
		return errors.New("run from the module root: go run ./bench")
	}
	rep, err := Bench(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return err
	}
	md := rep.Markdown()
	if err := os.WriteFile(filepath.Join(cfg.Out, "results.md"), []byte(md), 0o644); err != nil {
		return err
	}
	if err := rep.Chart(filepath.Join(cfg.Out, "results.svg")); err != nil {
		return err
	}
	fmt.Print(md)
	return nil
}

// Bench generates the data sets, builds the jobs and measures every step.
func Bench(cfg Config) (*Report, error) {
	schema, err := ReadSchema(cfg.Schema)
	if err != nil {
		return nil, err
	}
	src, err := LoadSource(cfg.Data, schema)
	if err != nil {
		return nil, err
	}
	cache, err := filepath.Abs(cfg.Cache)
	if err != nil {
		return nil, err
	}
	peer, err := filepath.Abs(filepath.Join("bench", "peer.py"))
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(cache, "bin")
	logf(cfg, "building the jobs into %s", bin)
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator),
		"./jobs/preprocess", "./jobs/train", "./jobs/evaluate", "./jobs/infer")
	if b, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %w\n%s", err, b)
	}
	versionsLog := filepath.Join(cache, "peer-versions.log")
	start, err := Measure(versionsLog, nil, cfg.Python, peer, "versions")
	if err != nil {
		return nil, err
	}
	versions, err := os.ReadFile(versionsLog)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Date:          time.Now().UTC(),
		Cores:         runtime.NumCPU(),
		GoVersion:     runtime.Version(),
		Reps:          cfg.Reps,
		OMPWaitPolicy: cfg.OMPWaitPolicy,
		PeerStartup:   start.Wall,
	}
	if err := json.Unmarshal(versions, &rep.Peer); err != nil {
		return nil, fmt.Errorf("peer versions %q: %w", versions, err)
	}
	for _, n := range cfg.Rows {
		logf(cfg, "%d rows: preparing data", n)
		ds, err := src.Prepare(cache, n, testShare, cfg.Seed)
		if err != nil {
			return nil, err
		}
		load := loadAvg()
		r, err := benchSize(cfg, ds, bin, peer, cache)
		if err != nil {
			return nil, fmt.Errorf("%d rows: %w", n, err)
		}
		r.LoadBefore, r.LoadAfter = load, loadAvg()
		rep.Sizes = append(rep.Sizes, r)
	}
	return rep, nil
}

// benchSize measures both pipelines on one data set.
func benchSize(cfg Config, ds Dataset, bin, peer, cache string) (SizeResult, error) {
	work := filepath.Join(cache, "work", strconv.Itoa(ds.Rows()))
	ours := func(p ...string) string { return filepath.Join(append([]string{work, "ours"}, p...)...) }
	theirs := func(p ...string) string { return filepath.Join(append([]string{work, "peer"}, p...)...) }
	for _, d := range []string{ours("logs"), theirs("logs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return SizeResult{}, err
		}
	}
	job := func(name string) string { return filepath.Join(bin, name) }
	trainArgs := []string{"-train", ours("pre", "train"), "-validation", ours("pre", "validation"),
		"-preprocessor", ours("pre", "preprocessor"), "-model-dir", ours("model")}
	peerTrainArgs := []string{peer, "train", "--train", ours("pre", "train"), "--validation", ours("pre", "validation"),
		"--model-dir", theirs("model"), "--nthread", strconv.Itoa(cfg.Threads)}
	for _, h := range Hyper {
		trainArgs = append(trainArgs, "-hp", h.Name+"="+h.Value)
		peerTrainArgs = append(peerTrainArgs, "--"+strings.ReplaceAll(h.Name, "_", "-"), h.Value)
	}
	var peerEnv []string
	if cfg.OMPWaitPolicy != "" {
		peerEnv = []string{"OMP_WAIT_POLICY=" + cfg.OMPWaitPolicy}
	}
	type step struct {
		key  string
		log  string
		env  []string
		name string
		args []string
	}
	steps := []step{
		{"ours/preprocess", ours("logs", "preprocess.log"), nil, job("preprocess"), []string{
			"-input", ds.Pool, "-test-input", ds.Test, "-schema", cfg.Schema, "-output", ours("pre")}},
		{"peer/preprocess", theirs("logs", "preprocess.log"), peerEnv, cfg.Python, []string{peer, "preprocess",
			"--input", ds.Pool, "--test-input", ds.Test, "--schema", cfg.Schema, "--output", theirs("pre")}},
		{"ours/train", ours("logs", "train.log"), nil, job("train"), trainArgs},
		{"peer/train", theirs("logs", "train.log"), peerEnv, cfg.Python, peerTrainArgs},
		{"ours/infer", ours("logs", "infer.log"), nil, job("infer"), []string{
			"-model", ours("model"), "-input", ds.Dir, "-output", ours("pred")}},
		{"ours/infer-nodrift", ours("logs", "infer-nodrift.log"), nil, job("infer"), []string{
			"-model", ours("model"), "-input", ds.Dir, "-output", ours("pred-nodrift"), "-drift=false"}},
		{"peer/infer", theirs("logs", "infer.log"), peerEnv, cfg.Python, []string{peer, "infer",
			"--input", ds.Dir, "--preprocessor", theirs("pre", "preprocessor"), "--model", theirs("model"),
			"--output", theirs("pred"), "--nthread", strconv.Itoa(cfg.Threads)}},
		// Attributions of every generated row with our model: our infer
		// job from the raw CSV files, XGBoost's pred_contribs from the
		// same rows as our preprocess transformed them (its three splits).
		{"ours/attributions", ours("logs", "attributions.log"), nil, job("infer"), []string{
			"-model", ours("model"), "-input", ds.Dir, "-output", ours("attr"), "-attributions"}},
		{"peer/attributions", theirs("logs", "attributions.log"), peerEnv, cfg.Python, []string{peer, "attributions",
			"--features", ours("pre", "train"), ours("pre", "validation"), ours("pre", "test"),
			"--model", ours("model", "model.json"), "--timing", theirs("attributions.json"),
			"--nthread", strconv.Itoa(cfg.Threads)}},
	}
	attributions := ds.Rows() <= cfg.AttributionRows
	if !attributions {
		steps = slices.DeleteFunc(steps, func(s step) bool { return strings.HasSuffix(s.key, "/attributions") })
	}
	samples := map[string][]Sample{}
	for rep := range cfg.Reps {
		for _, s := range steps {
			m, err := Measure(s.log, s.env, s.name, s.args...)
			if err != nil {
				return SizeResult{}, fmt.Errorf("%s: %w", s.key, err)
			}
			logf(cfg, "%d rows, rep %d/%d: %-17s %8.2f s %8.1f MiB", ds.Rows(), rep+1, cfg.Reps, s.key,
				m.Wall.Seconds(), float64(m.MaxRSSKB)/1024)
			samples[s.key] = append(samples[s.key], m)
			if s.key == "peer/attributions" {
				t, err := ReadPeerTiming(theirs("attributions.json"), ds.Rows())
				if err != nil {
					return SizeResult{}, fmt.Errorf("%s: %w", s.key, err)
				}
				logf(cfg, "%d rows, rep %d/%d: %-17s %8.2f s (in the process: load %.2f s)", ds.Rows(), rep+1, cfg.Reps,
					"peer/pred_contribs", t.Contribs.Seconds(), t.Load.Seconds())
				samples["peer/pred_contribs"] = append(samples["peer/pred_contribs"], Sample{Wall: t.Contribs})
				samples["peer/feature-load"] = append(samples["peer/feature-load"], Sample{Wall: t.Load})
			}
		}
	}

	// Quality, not timed: our evaluate job, then the peer script scores its
	// model on our test split and checks our predictions against XGBoost's
	// with our model.
	if _, err := Measure(ours("logs", "evaluate.log"), nil, job("evaluate"), "-model", ours("model"),
		"-test", ours("pre", "test"), "-output", ours("eval")); err != nil {
		return SizeResult{}, fmt.Errorf("ours/evaluate: %w", err)
	}
	var eval struct {
		Regression struct {
			MSE struct {
				Value float64 `json:"value"`
			} `json:"mse"`
		} `json:"regression_metrics"`
	}
	b, err := os.ReadFile(ours("eval", "evaluation.json"))
	if err != nil {
		return SizeResult{}, err
	}
	if err := json.Unmarshal(b, &eval); err != nil {
		return SizeResult{}, fmt.Errorf("evaluation.json: %w", err)
	}
	cmp, err := exec.Command(cfg.Python, peer, "compare", "--test", ours("pre", "test", "test.csv"),
		"--peer-model", theirs("model", "model.json"), "--our-model", ours("model", "model.json"),
		"--our-predictions", ours("pred", filepath.Base(ds.Test)+".out")).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		return SizeResult{}, fmt.Errorf("peer compare: %w", err)
	}
	var c struct {
		Rows          int     `json:"rows"`
		PeerMSE       float64 `json:"peer_mse"`
		OurModelInXGB float64 `json:"our_model_mse_in_xgboost"`
		MaxAbsDiff    float64 `json:"max_abs_diff"`
	}
	if err := json.Unmarshal(cmp, &c); err != nil {
		return SizeResult{}, fmt.Errorf("peer compare %q: %w", cmp, err)
	}
	r := SizeResult{
		Rows:           ds.Rows(),
		TestRows:       c.Rows,
		Ours:           medians(samples, "ours/"),
		Peer:           medians(samples, "peer/"),
		OurMSE:         eval.Regression.MSE.Value,
		PeerMSE:        c.PeerMSE,
		OurMSEInXGB:    c.OurModelInXGB,
		MaxAbsPredDiff: c.MaxAbsDiff,
	}
	if !attributions {
		return r, nil
	}
	// Our attributions of the test file against XGBoost's pred_contribs
	// with our model on the same rows of our test split.
	cmp, err = exec.Command(cfg.Python, peer, "compare-attributions", "--test", ours("pre", "test", "test.csv"),
		"--model", ours("model", "model.json"), "--preprocessor", ours("model", "preprocessor.json"),
		"--our-attributions", ours("attr", filepath.Base(ds.Test)+".out"), "--rows", strconv.Itoa(attributionSample)).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		return SizeResult{}, fmt.Errorf("peer compare-attributions: %w", err)
	}
	var a struct {
		Rows               int     `json:"rows"`
		MaxAbsDiff         float64 `json:"max_abs_diff"`
		MaxAbsDiffExpected float64 `json:"max_abs_diff_expected_value"`
	}
	if err := json.Unmarshal(cmp, &a); err != nil {
		return SizeResult{}, fmt.Errorf("peer compare-attributions %q: %w", cmp, err)
	}
	r.Attributions = true
	r.PeerContribs = Median(samples["peer/pred_contribs"]).Wall
	r.PeerLoad = Median(samples["peer/feature-load"]).Wall
	r.AttrRows, r.MaxAbsAttrDiff, r.MaxAbsBiasDiff = a.Rows, a.MaxAbsDiff, a.MaxAbsDiffExpected
	return r, nil
}

// attributionSample is how many rows of the test split the attributions
// are compared on.
const attributionSample = 10000

func medians(samples map[string][]Sample, prefix string) Steps {
	return Steps{
		Preprocess:   Median(samples[prefix+"preprocess"]),
		Train:        Median(samples[prefix+"train"]),
		Infer:        Median(samples[prefix+"infer"]),
		InferNoDrift: Median(samples[prefix+"infer-nodrift"]),
		Attributions: Median(samples[prefix+"attributions"]),
	}
}

// PeerTiming is what the peer's attributions step measures inside its
// process.
type PeerTiming struct {
	// Load is the time to read the feature splits and the model.
	Load time.Duration
	// Contribs is the time of DMatrix construction from the loaded
	// matrix and Booster.predict(pred_contribs=True).
	Contribs time.Duration
}

// ReadPeerTiming reads the timing file of the peer's attributions step,
// which must have explained rows rows.
func ReadPeerTiming(path string, rows int) (PeerTiming, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return PeerTiming{}, err
	}
	var t struct {
		Rows     int     `json:"rows"`
		Load     float64 `json:"load_seconds"`
		Contribs float64 `json:"contribs_seconds"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return PeerTiming{}, fmt.Errorf("%s: %w", path, err)
	}
	if t.Rows != rows {
		return PeerTiming{}, fmt.Errorf("%s: the peer explained %d rows, want %d: the same rows as ours", path, t.Rows, rows)
	}
	if !(t.Load >= 0 && t.Contribs > 0) {
		return PeerTiming{}, fmt.Errorf("%s: load_seconds %v, contribs_seconds %v; want a time >= 0 and one > 0", path, t.Load, t.Contribs)
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	return PeerTiming{Load: sec(t.Load), Contribs: sec(t.Contribs)}, nil
}

func logf(cfg Config, format string, args ...any) {
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "bench: "+format+"\n", args...)
	}
}

// loadAvg returns the 1-minute load average, or "?" when unknown.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sample returns a report of two sizes, the attribution step measured on
// the first only.
func sample() *Report {
	s := func(sec float64, mib int64) Sample {
		return Sample{Wall: time.Duration(sec * float64(time.Second)), MaxRSSKB: mib * 1024}
	}
	steps := Steps{Preprocess: s(1, 100), Train: s(2, 100), Infer: s(1.1, 20), InferNoDrift: s(1, 19), Attributions: s(10, 40)}
	small := SizeResult{Rows: 1000000, TestRows: 150000, Ours: steps, Peer: steps, Attributions: true,
		PeerContribs: 40 * time.Second, PeerLoad: 2 * time.Second, AttrRows: 10000, MaxAbsAttrDiff: 3e-6, MaxAbsBiasDiff: 4e-8, OurMSE: 2.7, PeerMSE: 2.7}
	big := SizeResult{Rows: 10000000, TestRows: 1500000, Ours: steps, Peer: steps, OurMSE: 2.7, PeerMSE: 2.7}
	return &Report{Cores: 2, Reps: 3, Peer: map[string]string{}, Sizes: []SizeResult{small, big}}
}

func TestMarkdownHasAttributionsOfMeasuredSizesOnly(t *testing.T) {
	md := sample().Markdown()
	for _, want := range []string{
		"| 1000000 | attribution rows/s (ours: infer -attributions, CSV to CSV; peer: DMatrix + pred_contribs only) | 100000 | 25000 | 4.00× |",
		"| 1000000 | attribution peak RSS (MiB) | 40 | 40 | 1.00× |",
		"| 1000000 | attribution step, whole process (s; peer: start-up, loading the features 2.00 s, DMatrix + pred_contribs 40.00 s) | 10.00 | 10.00 | |",
		"(10000 test rows) | 3e-06 |",
		"| 1000000 | max \\|Δ expected value\\|, the same rows | 4e-08 |",
		"| 1000000 | our inference without the drift check (-drift=false): time (s), peak RSS (MiB) | 1.00 s, 19 MiB | | |",
		"| 1000000 | time the drift check adds to our inference (median with against median without) | +10.0% | | |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown() lacks %q:\n%s", want, md)
		}
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| 10000000 |") && strings.Contains(line, "attribution") {
			t.Errorf("Markdown() has an attribution row for a size the step did not run on: %q", line)
		}
	}
}

func TestChartWithoutAttributions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.svg")
	if err := sample().Chart(path); err != nil {
		t.Fatalf("Chart() = %v, want nil", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "n/a") {
		t.Errorf("the chart does not mark the attribution bars of the size without them n/a")
	}
}

func TestReadPeerTiming(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		path := filepath.Join(dir, "attributions.json")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	got, err := ReadPeerTiming(write(`{"rows": 1000, "load_seconds": 0.5, "contribs_seconds": 2.25}`), 1000)
	if err != nil || got != (PeerTiming{Load: 500 * time.Millisecond, Contribs: 2250 * time.Millisecond}) {
		t.Errorf("ReadPeerTiming() = %+v, %v; want load 0.5 s, contribs 2.25 s", got, err)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"rows": 999, "load_seconds": 0.5, "contribs_seconds": 2}`, "explained 999 rows, want 1000"},
		{`{"rows": 1000, "load_seconds": 0.5, "contribs_seconds": 0}`, "contribs_seconds 0"},
		{`{"rows": 1000,`, "attributions.json"},
	} {
		if _, err := ReadPeerTiming(write(tc.body), 1000); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadPeerTiming(%s) = %v, want an error containing %q", tc.body, err, tc.want)
		}
	}
}

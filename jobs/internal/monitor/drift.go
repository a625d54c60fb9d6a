package monitor

import (
	"fmt"
	"math"
	"strconv"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
)

// The drift measure is the population stability index (PSI) of each
// feature's distribution over the scored rows against the baseline's, over
// fixed bins from the baseline: a numeric column's kll buckets (the first
// and last open-ended, so that values outside the training range count in
// them), a categorical column's listed values plus one bucket for every
// other value ("unseen": new values, and the training values beyond the
// category limit, whose baseline share is what the listed counts leave of
// num_present). With p the scored rows' share of a bin and q the
// baseline's, each share floored at PSIEpsilon,
//
//	PSI = sum over bins of (p - q) ln(p / q).
//
// The usual reading, used for each feature's status: below 0.1 no
// significant change, 0.1 to 0.25 a moderate change, above 0.25 a
// significant one. Shares are of present values; missing values are
// measured apart, as the increase of the missing rate over the baseline's.
// A feature drifts when its PSI is above PSISignificant or its missing
// rate rose by more than MissingRateIncrease; the report's overall flag is
// set when any feature drifts. With few scored rows PSI is noisy: about
// (bins - 1) / rows is expected by chance alone.
const (
	// PSIEpsilon replaces an empty bin's share, which would make the
	// logarithm infinite: 0.0001, a hundredth of a percent, the common
	// choice; an emptied bin of a tenth of the baseline then adds about
	// 0.69.
	PSIEpsilon = 1e-4
	// PSIModerate is where a moderate change starts.
	PSIModerate = 0.1
	// PSISignificant is where a significant change starts.
	PSISignificant = 0.25
	// MissingRateIncrease is how much a feature's missing rate may rise
	// over the baseline's (0.1: ten percentage points) before the feature
	// drifts.
	MissingRateIncrease = 0.1
)

// Status of a feature's PSI.
const (
	StatusNone        = "none"
	StatusModerate    = "moderate"
	StatusSignificant = "significant"
)

// UnseenBin labels a categorical column's bucket for values the baseline
// does not list.
const UnseenBin = "(unseen)"

// Monitor counts the scored rows into the baseline's bins. Its state is
// fixed when it is made: counting a row allocates nothing, and the memory
// in use is the bins', whatever the number of rows.
type Monitor struct {
	features []feature
	width    int // bins of all features
}

// feature is one monitored column.
type feature struct {
	name        string
	col         int // index in the schema and in a Record
	categorical bool
	offset, n   int // its bins in Counts.bins
	cuts        []float64
	index       map[string]int
	values      [][]byte // the listed values, when few: see lookup
	labels      []string
	lower       []float64 // numeric bins' bounds, for the report
	upper       []float64
	expected    []float64 // the baseline's share per bin
	baseMissing float64
	baseUnseen  float64 // categorical: the share of the unseen bin
}

// New returns a monitor of the schema's feature columns against stats.
// Every feature column must be in stats with a type that fits (String for
// a categorical column, Integral or Fractional for a numeric one); entries
// of stats for other columns, such as the target in a file Model Monitor
// made, are ignored.
func New(stats *Statistics, s *dataset.Schema) (*Monitor, error) {
	byName := map[string]*FeatureStatistics{}
	for i := range stats.Features {
		byName[stats.Features[i].Name] = &stats.Features[i]
	}
	m := &Monitor{}
	for _, col := range s.FeatureIndexes() {
		c := s.Columns[col]
		fs, ok := byName[c.Name]
		if !ok {
			return nil, fmt.Errorf("%s has no feature %q, a feature column of the schema; valid: the baseline preprocess wrote with this schema", StatisticsFile, c.Name)
		}
		f := feature{name: c.Name, col: col, categorical: c.Type == dataset.Categorical, offset: m.width}
		var err error
		if f.categorical {
			err = f.fromStrings(fs)
		} else {
			err = f.fromNumbers(fs)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: feature %q: %w", StatisticsFile, c.Name, err)
		}
		f.n = len(f.expected)
		m.width += f.n
		m.features = append(m.features, f)
	}
	return m, nil
}

func (f *feature) fromStrings(fs *FeatureStatistics) error {
	if fs.StringStatistics == nil {
		return fmt.Errorf("inferred_type %s, but the schema's column is categorical; valid: %s", fs.InferredType, String)
	}
	ss := fs.StringStatistics
	f.baseMissing = missingRate(ss.Common)
	buckets := ss.Distribution.Categorical.Buckets
	f.index = make(map[string]int, len(buckets))
	var listed float64
	for _, b := range buckets {
		if _, dup := f.index[b.Value]; dup {
			return fmt.Errorf("value %q listed twice", b.Value)
		}
		f.index[b.Value] = len(f.labels)
		f.labels = append(f.labels, b.Value)
		f.expected = append(f.expected, b.Count)
		listed += b.Count
	}
	if len(buckets) <= linearLookup {
		for _, b := range buckets {
			f.values = append(f.values, []byte(b.Value))
		}
	}
	f.labels = append(f.labels, UnseenBin)
	total := max(float64(ss.Common.NumPresent), listed)
	f.expected = append(f.expected, total-listed)
	normalise(f.expected, total)
	f.baseUnseen = f.expected[len(f.expected)-1]
	return nil
}

func (f *feature) fromNumbers(fs *FeatureStatistics) error {
	if fs.NumericalStatistics == nil {
		return fmt.Errorf("inferred_type %s, but the schema's column is numeric; valid: %s or %s", fs.InferredType, Integral, Fractional)
	}
	ns := fs.NumericalStatistics
	f.baseMissing = missingRate(ns.Common)
	buckets := ns.Distribution.KLL.Buckets
	if len(buckets) == 0 {
		// No training value: one bin, which a present value always
		// falls into; only the missing rate is compared.
		buckets = []Bucket{{LowerBound: math.Inf(-1), UpperBound: math.Inf(1), Count: 1}}
	}
	var total float64
	for j, b := range buckets {
		if j > 0 {
			f.cuts = append(f.cuts, b.LowerBound)
		}
		f.lower = append(f.lower, b.LowerBound)
		f.upper = append(f.upper, b.UpperBound)
		f.labels = append(f.labels, bucketLabel(b, j == 0, j == len(buckets)-1))
		f.expected = append(f.expected, b.Count)
		total += b.Count
	}
	normalise(f.expected, total)
	return nil
}

// bucketLabel names a numeric bin as the range it counts.
func bucketLabel(b Bucket, first, last bool) string {
	lo, hi := "["+formatBound(b.LowerBound), formatBound(b.UpperBound)+")"
	if first {
		lo = "(-inf"
	}
	if last {
		hi = "+inf)"
	}
	return lo + ", " + hi
}

func formatBound(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }

// normalise divides each value by total, leaving zeros when total is 0.
func normalise(v []float64, total float64) {
	if total <= 0 {
		return
	}
	for i := range v {
		v[i] /= total
	}
}

func missingRate(c Common) float64 { return 1 - completeness(c) }

// Counts holds what a monitor counted of some rows. One Counts is used by
// one goroutine at a time; Merge combines those of several.
type Counts struct {
	m       *Monitor
	rows    int64
	bins    []int64
	missing []int64
}

// NewCounts returns empty counts for m.
func (m *Monitor) NewCounts() *Counts {
	return &Counts{m: m, bins: make([]int64, m.width), missing: make([]int64, len(m.features))}
}

// Add counts one row read through the monitor's schema.
func (c *Counts) Add(rec *dataset.Record) {
	c.rows++
	for i := range c.m.features {
		f := &c.m.features[i]
		if rec.Missing[f.col] {
			c.missing[i]++
			continue
		}
		var b int
		if f.categorical {
			b = f.lookup(rec.Raw[f.col])
		} else {
			b = bucketOf(f.cuts, rec.Num[f.col])
		}
		c.bins[f.offset+b]++
	}
}

// linearLookup is the most listed values a categorical column is looked
// up in by comparing them in turn, which for a few short values is faster
// than hashing the value for the map.
const linearLookup = 8

// lookup returns the bin of a categorical value: its listed value's, or
// the unseen bin's.
func (f *feature) lookup(v []byte) int {
	if f.values != nil || len(f.index) == 0 {
		for i, w := range f.values {
			if string(w) == string(v) {
				return i
			}
		}
		return f.n - 1
	}
	// The conversion in a map index does not allocate.
	if b, ok := f.index[string(v)]; ok {
		return b
	}
	return f.n - 1
}

// Merge adds o's counts to c's; both must come from the same monitor.
func (c *Counts) Merge(o *Counts) {
	c.rows += o.rows
	for i, n := range o.bins {
		c.bins[i] += n
	}
	for i, n := range o.missing {
		c.missing[i] += n
	}
}

// Rows returns the number of rows counted.
func (c *Counts) Rows() int64 { return c.rows }

// Report is drift.json: the drift of every feature over the scored rows.
type Report struct {
	// Version is the layout's version, 1.
	Version int `json:"version"`
	// Host names the instance whose rows these are.
	Host string `json:"host"`
	// Rows counts the scored rows (rejected ones are not counted).
	Rows int64 `json:"rows"`
	// Drift is whether any feature drifts.
	Drift bool `json:"drift"`
	// Thresholds are the constants above, for a reader of the file.
	Thresholds Thresholds `json:"thresholds"`
	// Features holds one entry per feature column, in schema order.
	Features []FeatureDrift `json:"features"`
}

// Thresholds are the limits the report applies.
type Thresholds struct {
	PSIModerate         float64 `json:"psi_moderate"`
	PSISignificant      float64 `json:"psi_significant"`
	MissingRateIncrease float64 `json:"missing_rate_increase"`
	PSIEpsilon          float64 `json:"psi_epsilon"`
}

// FeatureDrift is one feature's drift.
type FeatureDrift struct {
	Name string `json:"name"`
	// Type is the schema's type, numeric or categorical.
	Type dataset.ColumnType `json:"type"`
	// PSI is the population stability index over the bins.
	PSI float64 `json:"psi"`
	// Status is none, moderate or significant, by PSI.
	Status string `json:"status"`
	// Drift is whether PSI is significant or the missing rate rose by
	// more than MissingRateIncrease.
	Drift bool `json:"drift"`
	// Present and Missing count the scored rows with and without a value.
	Present int64 `json:"present"`
	Missing int64 `json:"missing"`
	// BaselineMissingRate and MissingRate are the shares of rows without
	// a value; MissingRateIncrease is their difference (negative for a
	// decrease).
	BaselineMissingRate float64 `json:"baseline_missing_rate"`
	MissingRate         float64 `json:"missing_rate"`
	MissingRateIncrease float64 `json:"missing_rate_increase"`
	// BaselineUnseenShare and UnseenShare are, for a categorical column,
	// the shares of present values in the unseen bin.
	BaselineUnseenShare *float64 `json:"baseline_unseen_share,omitempty"`
	UnseenShare         *float64 `json:"unseen_share,omitempty"`
	// Bins are the compared bins in the baseline's order.
	Bins []Bin `json:"bins"`
}

// Bin is one bin of a feature's comparison.
type Bin struct {
	// Label is a categorical value, UnseenBin, or a numeric range.
	Label string `json:"label"`
	// Baseline is the baseline's share of the bin, Share the scored
	// rows', Count their number.
	Baseline float64 `json:"baseline"`
	Share    float64 `json:"share"`
	Count    int64   `json:"count"`
	// PSI is the bin's term of the sum.
	PSI float64 `json:"psi"`
}

// Report compares c with the baseline; host names the instance.
func (c *Counts) Report(host string) *Report {
	r := &Report{Version: 1, Host: host, Rows: c.rows, Thresholds: Thresholds{PSIModerate, PSISignificant, MissingRateIncrease, PSIEpsilon}}
	for i := range c.m.features {
		f := &c.m.features[i]
		bins := c.bins[f.offset : f.offset+f.n]
		fd := FeatureDrift{Name: f.name, Type: dataset.Numeric, Missing: c.missing[i], BaselineMissingRate: f.baseMissing}
		if f.categorical {
			fd.Type = dataset.Categorical
		}
		for _, n := range bins {
			fd.Present += n
		}
		if all := fd.Present + fd.Missing; all > 0 {
			fd.MissingRate = float64(fd.Missing) / float64(all)
		}
		fd.MissingRateIncrease = fd.MissingRate - fd.BaselineMissingRate
		for j, n := range bins {
			b := Bin{Label: f.labels[j], Baseline: f.expected[j], Count: n}
			if fd.Present > 0 {
				b.Share = float64(n) / float64(fd.Present)
				p, q := max(b.Share, PSIEpsilon), max(b.Baseline, PSIEpsilon)
				b.PSI = (p - q) * math.Log(p/q)
			}
			fd.PSI += b.PSI
			fd.Bins = append(fd.Bins, b)
		}
		if f.categorical {
			base, unseen := f.baseUnseen, fd.Bins[len(fd.Bins)-1].Share
			fd.BaselineUnseenShare, fd.UnseenShare = &base, &unseen
		}
		fd.Status = status(fd.PSI)
		fd.Drift = fd.Status == StatusSignificant || fd.MissingRateIncrease > MissingRateIncrease
		r.Drift = r.Drift || fd.Drift
		r.Features = append(r.Features, fd)
	}
	return r
}

// status reads a PSI value.
func status(psi float64) string {
	switch {
	case psi > PSISignificant:
		return StatusSignificant
	case psi >= PSIModerate:
		return StatusModerate
	}
	return StatusNone
}

// Summary is summary.json, the part of the report a state machine reads:
// small enough for a state's input (a few hundred bytes per feature, far
// below Step Functions' 256 KiB), with the features that drift listed by
// name.
type Summary struct {
	// Version is the layout's version, 1.
	Version int `json:"version"`
	// Host names the instance whose rows these are.
	Host string `json:"host"`
	// Rows counts the scored rows.
	Rows int64 `json:"rows"`
	// Drift is whether any feature drifts.
	Drift bool `json:"drift"`
	// Drifted names the features that drift, in schema order; empty, not
	// null, when none does.
	Drifted []string `json:"drifted"`
	// Features holds one entry per feature column, in schema order.
	Features []FeatureSummary `json:"features"`
}

// FeatureSummary is one feature's line of the summary.
type FeatureSummary struct {
	Name string `json:"name"`
	// Measure names the measure of Value: "psi".
	Measure string  `json:"measure"`
	Value   float64 `json:"value"`
	// Status is none, moderate or significant, by Value.
	Status string `json:"status"`
	// Drift is whether the feature drifts.
	Drift bool `json:"drift"`
	// MissingRateIncrease is the rise of the missing rate over the
	// baseline's.
	MissingRateIncrease float64 `json:"missing_rate_increase"`
	// UnseenShare is, for a categorical feature, the share of present
	// values the baseline does not list.
	UnseenShare *float64 `json:"unseen_share,omitempty"`
}

// Summary returns the summary of r.
func (r *Report) Summary() *Summary {
	s := &Summary{Version: 1, Host: r.Host, Rows: r.Rows, Drift: r.Drift, Drifted: []string{}}
	for _, f := range r.Features {
		if f.Drift {
			s.Drifted = append(s.Drifted, f.Name)
		}
		s.Features = append(s.Features, FeatureSummary{Name: f.Name, Measure: "psi", Value: f.PSI, Status: f.Status, Drift: f.Drift, MissingRateIncrease: f.MissingRateIncrease, UnseenShare: f.UnseenShare})
	}
	return s
}

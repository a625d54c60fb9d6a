// Package monitor holds the training data's baseline and the drift check
// batch inference runs against it.
//
// The baseline is two files in the layouts SageMaker Model Monitor
// documents, so that a team that also runs Model Monitor reads the same
// files: statistics.json, "Schema for Statistics (statistics.json file)",
// https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html,
// and constraints.json, "Schema for Constraints (constraints.json file)",
// https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html.
// AWS publishes these layouts as prose and an annotated example only, with
// no machine-readable schema; the package's tests check the fields those
// pages show, path by path.
//
// Per feature column of the schema, statistics.json records the type by
// Model Monitor's names (Integral when every value is a whole number,
// Fractional otherwise, String for a categorical column), the present and
// missing counts, and:
//   - for a numeric column the mean, sum, population standard deviation,
//     minimum and maximum; NumBuckets quantile buckets under
//     distribution.kll.buckets (each about a tenth of the values: their
//     edges are the exact deciles of the training values, equal edges
//     merged, so a column with few distinct values has fewer buckets); and
//     a KLL sketch (Karnin, Lang and Liberty 2016) of the values under
//     distribution.kll.sketch with Model Monitor's parameters, k = 2048
//     and c = 0.64, its compactors seeded, so that the same rows and seed
//     give the same sketch;
//   - for a categorical column the distinct count and the frequency of
//     each value under distribution.categorical.buckets, most frequent
//     first (the smaller value first among equal counts), at most the
//     column's category limit (the schema's maxCategories), the values the
//     preprocessor one-hot encodes.
//
// constraints.json records per feature the type, the completeness (the
// share of present values), for numeric columns whether every value is
// non-negative, and for categorical columns whose values all fit the
// category limit the domain of observed values; monitoring_config holds
// Model Monitor's documented defaults, which only Model Monitor reads.
//
// The drift check (see Monitor) reads the buckets and category counts
// back, so a statistics.json made by Model Monitor itself works as well.
package monitor

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
)

// File names of the baseline, in preprocess's preprocessor/ output and in
// a model directory.
const (
	// StatisticsFile holds Statistics.
	StatisticsFile = "statistics.json"
	// ConstraintsFile holds Constraints.
	ConstraintsFile = "constraints.json"
)

// Model Monitor's names of a feature's type (inferred_type).
const (
	Integral   = "Integral"
	Fractional = "Fractional"
	String     = "String"
)

// NumBuckets is how many buckets a numeric column's distribution has at
// most: the number Model Monitor materialises ("By default, the
// distribution is materialized in 10 buckets").
const NumBuckets = 10

// Parameters of the KLL sketch: Model Monitor's, which are those of
// Deequ's KLL analyzer (sketch size 2048, shrinking factor 0.64). A
// sketch keeps about k/(1-c), some 5,700, values whatever the row count.
const (
	SketchK = 2048
	SketchC = 0.64
)

// Statistics is the statistics.json layout.
type Statistics struct {
	// Version is the layout's version, 0.
	Version int `json:"version"`
	// Dataset holds the data set's own statistics.
	Dataset DatasetStatistics `json:"dataset"`
	// Features holds one entry per feature column, in schema order.
	Features []FeatureStatistics `json:"features"`
}

// DatasetStatistics describes the whole data set.
type DatasetStatistics struct {
	// ItemCount is the number of rows.
	ItemCount int `json:"item_count"`
}

// FeatureStatistics describes one feature column. Exactly one of
// NumericalStatistics and StringStatistics is set.
type FeatureStatistics struct {
	// Name is the column's name.
	Name string `json:"name"`
	// InferredType is Integral, Fractional or String.
	InferredType string `json:"inferred_type"`
	// NumericalStatistics describes an Integral or Fractional column.
	NumericalStatistics *NumericalStatistics `json:"numerical_statistics,omitempty"`
	// StringStatistics describes a String column.
	StringStatistics *StringStatistics `json:"string_statistics,omitempty"`
}

// Common holds the counts every column has.
type Common struct {
	// NumPresent counts the rows with a value.
	NumPresent int `json:"num_present"`
	// NumMissing counts the rows whose value is one of the schema's
	// missing values.
	NumMissing int `json:"num_missing"`
}

// NumericalStatistics describes a numeric column. With no present value,
// the numbers are 0 and there are no buckets.
type NumericalStatistics struct {
	Common Common `json:"common"`
	// Mean, Sum, StdDev (the population standard deviation), Min and Max
	// are over the present values.
	Mean         float64             `json:"mean"`
	Sum          float64             `json:"sum"`
	StdDev       float64             `json:"std_dev"`
	Min          float64             `json:"min"`
	Max          float64             `json:"max"`
	Distribution NumericDistribution `json:"distribution"`
}

// NumericDistribution holds a numeric column's distribution.
type NumericDistribution struct {
	KLL KLL `json:"kll"`
}

// KLL is a numeric distribution as buckets and as a KLL sketch.
type KLL struct {
	// Buckets cover [Min, Max] in ascending order, each bucket's upper
	// bound the next one's lower bound. A value belongs to the last
	// bucket whose lower bound it reaches.
	Buckets []Bucket `json:"buckets"`
	Sketch  Sketch   `json:"sketch"`
}

// Bucket is one range of a numeric distribution and the number of values
// in it.
type Bucket struct {
	LowerBound float64 `json:"lower_bound"`
	UpperBound float64 `json:"upper_bound"`
	// Count is a number, not necessarily whole: Model Monitor's counts
	// come from its sketch.
	Count float64 `json:"count"`
}

// Sketch is a KLL quantile sketch: its parameters and the values each
// compactor holds, level 0 first.
type Sketch struct {
	Parameters SketchParameters `json:"parameters"`
	Data       [][]float64      `json:"data"`
}

// SketchParameters are a KLL sketch's accuracy parameters.
type SketchParameters struct {
	// C is the factor by which a compactor's capacity shrinks level by
	// level below the top.
	C float64 `json:"c"`
	// K is the top compactor's capacity.
	K int `json:"k"`
}

// StringStatistics describes a categorical column.
type StringStatistics struct {
	Common Common `json:"common"`
	// DistinctCount counts the distinct present values, those beyond the
	// buckets included.
	DistinctCount int                `json:"distinct_count"`
	Distribution  StringDistribution `json:"distribution"`
}

// StringDistribution holds a categorical column's distribution.
type StringDistribution struct {
	Categorical Categorical `json:"categorical"`
}

// Categorical lists value frequencies.
type Categorical struct {
	Buckets []CategoryBucket `json:"buckets"`
}

// CategoryBucket is how often one value occurs.
type CategoryBucket struct {
	Value string  `json:"value"`
	Count float64 `json:"count"`
}

// Constraints is the constraints.json layout.
type Constraints struct {
	// Version is the layout's version, 0.
	Version int `json:"version"`
	// Features holds one entry per feature column, in schema order.
	Features []FeatureConstraints `json:"features"`
	// MonitoringConfig configures Model Monitor's own checks.
	MonitoringConfig MonitoringConfig `json:"monitoring_config"`
}

// FeatureConstraints are what one column must satisfy.
type FeatureConstraints struct {
	Name         string `json:"name"`
	InferredType string `json:"inferred_type"`
	// Completeness is the share of rows with a value, in [0, 1].
	Completeness float64 `json:"completeness"`
	// NumConstraints is set for numeric columns.
	NumConstraints *NumConstraints `json:"num_constraints,omitempty"`
	// StringConstraints is set for categorical columns whose values all
	// fit the category limit.
	StringConstraints *StringConstraints `json:"string_constraints,omitempty"`
}

// NumConstraints constrain a numeric column.
type NumConstraints struct {
	// IsNonNegative is whether every training value is at least 0.
	IsNonNegative bool `json:"is_non_negative"`
}

// StringConstraints constrain a categorical column.
type StringConstraints struct {
	// Domains lists the observed values, in byte order.
	Domains []string `json:"domains"`
}

// MonitoringConfig is Model Monitor's monitoring_config.
type MonitoringConfig struct {
	EvaluateConstraints     string                  `json:"evaluate_constraints"`
	EmitMetrics             string                  `json:"emit_metrics"`
	DatatypeCheckThreshold  float64                 `json:"datatype_check_threshold"`
	DomainContentThreshold  float64                 `json:"domain_content_threshold"`
	DistributionConstraints DistributionConstraints `json:"distribution_constraints"`
}

// DistributionConstraints configure Model Monitor's distribution
// comparison.
type DistributionConstraints struct {
	PerformComparison              string  `json:"perform_comparison"`
	ComparisonThreshold            float64 `json:"comparison_threshold"`
	ComparisonMethod               string  `json:"comparison_method"`
	CategoricalComparisonThreshold float64 `json:"categorical_comparison_threshold"`
	CategoricalDriftMethod         string  `json:"categorical_drift_method"`
}

// DefaultMonitoringConfig holds the defaults the constraints page
// documents for each option.
var DefaultMonitoringConfig = MonitoringConfig{
	EvaluateConstraints:    "Enabled",
	EmitMetrics:            "Enabled",
	DatatypeCheckThreshold: 0.1,
	DomainContentThreshold: 0.1,
	DistributionConstraints: DistributionConstraints{
		PerformComparison:              "Enabled",
		ComparisonThreshold:            0.1,
		ComparisonMethod:               "Robust",
		CategoricalComparisonThreshold: 0.1,
		CategoricalDriftMethod:         "LInfinity",
	},
}

// Baseline is the pair of files.
type Baseline struct {
	Statistics  *Statistics
	Constraints *Constraints
}

// NewBaseline computes the baseline of the given rows of t (the training
// split), seeding the sketches' compactors with seed.
func NewBaseline(t *features.Table, rows []int, seed uint64) *Baseline {
	s := t.Schema
	b := &Baseline{
		Statistics:  &Statistics{Dataset: DatasetStatistics{ItemCount: len(rows)}},
		Constraints: &Constraints{MonitoringConfig: DefaultMonitoringConfig},
	}
	for k, i := range s.FeatureIndexes() {
		name := s.Columns[i].Name
		var fs FeatureStatistics
		var fc FeatureConstraints
		if s.Columns[i].Type == dataset.Categorical {
			fs, fc = categorical(name, t, i, rows, s.CategoryLimit(i))
		} else {
			// Each column's sketch has its own stream of random bits, so
			// that adding a column does not change the others' sketches.
			fs, fc = numeric(name, t.Cols[i].Num, rows, rand.New(rand.NewPCG(seed, uint64(k))))
		}
		b.Statistics.Features = append(b.Statistics.Features, fs)
		b.Constraints.Features = append(b.Constraints.Features, fc)
	}
	return b
}

func numeric(name string, values []float64, rows []int, rng *rand.Rand) (FeatureStatistics, FeatureConstraints) {
	present := make([]float64, 0, len(rows))
	sk := newSketch(SketchK, SketchC, rng)
	integral := true
	for _, r := range rows {
		x := values[r]
		if math.IsNaN(x) {
			continue
		}
		present = append(present, x)
		sk.update(x)
		integral = integral && x == math.Trunc(x) && math.Abs(x) < 1<<53
	}
	ns := &NumericalStatistics{Common: Common{NumPresent: len(present), NumMissing: len(rows) - len(present)}}
	ns.Distribution.KLL.Sketch = Sketch{Parameters: SketchParameters{C: SketchC, K: SketchK}, Data: sk.levels}
	typ := Fractional
	if integral && len(present) > 0 {
		typ = Integral
	}
	fc := FeatureConstraints{Name: name, InferredType: typ, Completeness: completeness(ns.Common), NumConstraints: &NumConstraints{IsNonNegative: true}}
	if len(present) > 0 {
		// Sum in row order, then sort for the quantiles.
		var sum float64
		for _, x := range present {
			sum += x
		}
		n := float64(len(present))
		mean := sum / n
		var ss float64
		for _, x := range present {
			ss += (x - mean) * (x - mean)
		}
		slices.Sort(present)
		ns.Mean, ns.Sum, ns.StdDev = mean, sum, math.Sqrt(ss/n)
		ns.Min, ns.Max = present[0], present[len(present)-1]
		ns.Distribution.KLL.Buckets = buckets(present)
		fc.NumConstraints.IsNonNegative = ns.Min >= 0
	}
	return FeatureStatistics{Name: name, InferredType: typ, NumericalStatistics: ns}, fc
}

// buckets returns the quantile buckets of sorted, which is not empty: the
// lower bound of bucket j is the value at rank j/NumBuckets, equal bounds
// merged, the first bucket starting at the minimum and the last ending at
// the maximum.
func buckets(sorted []float64) []Bucket {
	n := len(sorted)
	lower := []float64{sorted[0]}
	for j := 1; j < NumBuckets; j++ {
		if x := sorted[j*n/NumBuckets]; x > lower[len(lower)-1] {
			lower = append(lower, x)
		}
	}
	out := make([]Bucket, len(lower))
	for j := range out {
		out[j].LowerBound = lower[j]
		if j+1 < len(lower) {
			out[j].UpperBound = lower[j+1]
		} else {
			out[j].UpperBound = sorted[n-1]
		}
	}
	cuts := lower[1:]
	for _, x := range sorted {
		out[bucketOf(cuts, x)].Count++
	}
	return out
}

// bucketOf returns the bucket of x given the lower bounds of all buckets
// but the first: the number of them that x reaches. Values below the first
// bucket fall into it, values above the last into the last.
func bucketOf(cuts []float64, x float64) int {
	// The cuts ascend, so the bucket is the count of cuts x reaches;
	// counting every comparison has no data-dependent branch, which on
	// random values is faster than stopping at the first cut above x.
	b := 0
	for b < len(cuts) && x >= cuts[b] {
		b++
	}
	return b
}

func categorical(name string, t *features.Table, col int, rows []int, limit int) (FeatureStatistics, FeatureConstraints) {
	c := t.Cols[col]
	counts := make([]int, len(c.Dict))
	var common Common
	for _, r := range rows {
		if code := c.Codes[r]; code >= 0 {
			counts[code]++
			common.NumPresent++
		} else {
			common.NumMissing++
		}
	}
	var values []CategoryBucket
	for code, n := range counts {
		if n > 0 {
			values = append(values, CategoryBucket{Value: c.Dict[code], Count: float64(n)})
		}
	}
	// The preprocessor's order: most frequent first, the smaller value
	// first among equal counts.
	slices.SortFunc(values, func(a, b CategoryBucket) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
	})
	distinct := len(values)
	fc := FeatureConstraints{Name: name, InferredType: String, Completeness: completeness(common)}
	if distinct <= limit {
		domain := make([]string, distinct)
		for i, v := range values {
			domain[i] = v.Value
		}
		slices.Sort(domain)
		fc.StringConstraints = &StringConstraints{Domains: domain}
	} else {
		values = values[:limit]
	}
	if values == nil {
		values = []CategoryBucket{}
	}
	ss := &StringStatistics{Common: common, DistinctCount: distinct}
	ss.Distribution.Categorical.Buckets = values
	return FeatureStatistics{Name: name, InferredType: String, StringStatistics: ss}, fc
}

// completeness is the share of rows with a value; 1 for no rows.
func completeness(c Common) float64 {
	if c.NumPresent+c.NumMissing == 0 {
		return 1
	}
	return float64(c.NumPresent) / float64(c.NumPresent+c.NumMissing)
}

// sketch is a KLL sketch with lazy compaction: a stack of compactors,
// level h holding values of weight 2^h. When the sketch is full, the
// lowest compactor at its capacity is sorted and every other value, from
// a random first one, moves up a level.
type sketch struct {
	k      int
	c      float64
	rng    *rand.Rand
	levels [][]float64
	size   int
	max    int
}

func newSketch(k int, c float64, rng *rand.Rand) *sketch {
	s := &sketch{k: k, c: c, rng: rng}
	s.grow()
	return s
}

// capacity is compactor h's capacity: k c^(depth) rounded up, plus one,
// with depth the number of levels above h.
func (s *sketch) capacity(h int) int {
	depth := len(s.levels) - h - 1
	return int(math.Ceil(math.Pow(s.c, float64(depth))*float64(s.k))) + 1
}

func (s *sketch) grow() {
	s.levels = append(s.levels, []float64{})
	s.max = 0
	for h := range s.levels {
		s.max += s.capacity(h)
	}
}

func (s *sketch) update(x float64) {
	s.levels[0] = append(s.levels[0], x)
	s.size++
	if s.size >= s.max {
		s.compress()
	}
}

func (s *sketch) compress() {
	for h := 0; h < len(s.levels); h++ {
		level := s.levels[h]
		if len(level) < s.capacity(h) {
			continue
		}
		if h+1 == len(s.levels) {
			s.grow()
		}
		slices.Sort(level)
		var last []float64
		if len(level)%2 == 1 {
			last = level[len(level)-1:]
			level = level[:len(level)-1]
		}
		for i := s.rng.IntN(2); i < len(level); i += 2 {
			s.levels[h+1] = append(s.levels[h+1], level[i])
		}
		s.levels[h] = append(s.levels[h][:0], last...)
		s.size = 0
		for _, l := range s.levels {
			s.size += len(l)
		}
		return // lazy: one compaction per overflow
	}
}

// WriteJSON writes s as indented JSON.
func (s *Statistics) WriteJSON(w io.Writer) error { return writeJSON(w, s) }

// WriteJSON writes c as indented JSON.
func (c *Constraints) WriteJSON(w io.Writer) error { return writeJSON(w, c) }

func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// ParseStatistics decodes statistics.json and checks what the drift check
// relies on: version 0, named features with one of the three types, the
// statistics that type has, and numeric buckets in ascending order.
// Fields it does not know, such as custom statistics, are ignored.
func ParseStatistics(data []byte) (*Statistics, error) {
	s := &Statistics{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("%s: %w", StatisticsFile, err)
	}
	if s.Version != 0 {
		return nil, fmt.Errorf("%s: version = %d; valid: 0", StatisticsFile, s.Version)
	}
	seen := map[string]bool{}
	for i, f := range s.Features {
		if err := checkFeature(f); err != nil {
			return nil, fmt.Errorf("%s: features[%d] (%q): %w", StatisticsFile, i, f.Name, err)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("%s: features[%d]: a second feature named %q; valid: one entry per feature", StatisticsFile, i, f.Name)
		}
		seen[f.Name] = true
	}
	return s, nil
}

func checkFeature(f FeatureStatistics) error {
	switch {
	case f.Name == "":
		return errors.New("no name")
	case f.InferredType == String && f.StringStatistics == nil:
		return errors.New("inferred_type String without string_statistics")
	case (f.InferredType == Integral || f.InferredType == Fractional) && f.NumericalStatistics == nil:
		return fmt.Errorf("inferred_type %s without numerical_statistics", f.InferredType)
	case f.InferredType != String && f.InferredType != Integral && f.InferredType != Fractional:
		return fmt.Errorf("inferred_type = %q; valid: %s, %s or %s", f.InferredType, Integral, Fractional, String)
	}
	if f.StringStatistics != nil {
		for _, b := range f.StringStatistics.Distribution.Categorical.Buckets {
			if !(b.Count >= 0) {
				return fmt.Errorf("category %q's count %g is invalid; valid: 0 or more", b.Value, b.Count)
			}
		}
	}
	if f.NumericalStatistics == nil {
		return nil
	}
	b := f.NumericalStatistics.Distribution.KLL.Buckets
	for j := range b {
		if !(b[j].Count >= 0) {
			return fmt.Errorf("kll bucket %d's count %g is invalid; valid: 0 or more", j, b[j].Count)
		}
		if j > 0 && !(b[j].LowerBound > b[j-1].LowerBound) {
			return fmt.Errorf("kll bucket %d's lower_bound %g does not exceed bucket %d's %g; valid: buckets in ascending order", j, b[j].LowerBound, j-1, b[j-1].LowerBound)
		}
	}
	return nil
}

// ParseConstraints decodes constraints.json; version must be 0.
func ParseConstraints(data []byte) (*Constraints, error) {
	c := &Constraints{}
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("%s: %w", ConstraintsFile, err)
	}
	if c.Version != 0 {
		return nil, fmt.Errorf("%s: version = %d; valid: 0", ConstraintsFile, c.Version)
	}
	return c, nil
}

// Load reads the baseline files in dir. It returns nil and no error when
// neither is there (data preprocessed before baselines existed), and an
// error when only one is.
func Load(dir string) (*Baseline, error) {
	stats, errS := os.ReadFile(filepath.Join(dir, StatisticsFile))
	cons, errC := os.ReadFile(filepath.Join(dir, ConstraintsFile))
	switch {
	case errors.Is(errS, os.ErrNotExist) && errors.Is(errC, os.ErrNotExist):
		return nil, nil
	case errS != nil:
		return nil, fmt.Errorf("baseline in %s: %w", dir, errS)
	case errC != nil:
		return nil, fmt.Errorf("baseline in %s: %w", dir, errC)
	}
	return Parse(stats, cons)
}

// Parse decodes a baseline from the contents of its two files.
func Parse(statistics, constraints []byte) (*Baseline, error) {
	s, err := ParseStatistics(bytes.TrimPrefix(statistics, []byte("\xef\xbb\xbf")))
	if err != nil {
		return nil, err
	}
	c, err := ParseConstraints(bytes.TrimPrefix(constraints, []byte("\xef\xbb\xbf")))
	if err != nil {
		return nil, err
	}
	return &Baseline{Statistics: s, Constraints: c}, nil
}

package monitor

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
)

func statisticsBytes(t *testing.T, b *Baseline) []byte {
	t.Helper()
	var s, c bytes.Buffer
	require.NoError(t, b.Statistics.WriteJSON(&s))
	require.NoError(t, b.Constraints.WriteJSON(&c))
	return append(s.Bytes(), c.Bytes()...)
}

func TestBaselineIsDeterministic(t *testing.T) {
	_, _, one := abaloneBaseline(t, 42)
	_, _, two := abaloneBaseline(t, 42)
	_, _, other := abaloneBaseline(t, 7)
	assert.Equal(t, statisticsBytes(t, one), statisticsBytes(t, two), "same rows and seed, same bytes")
	assert.NotEqual(t, statisticsBytes(t, one), statisticsBytes(t, other), "the seed drives the sketches' compactions")
}

// table reads a CSV with a header through a schema of the given columns
// (numeric unless named in categorical) and a numeric target y.
func table(t *testing.T, csv string, categorical ...string) *features.Table {
	t.Helper()
	header := strings.Split(strings.SplitN(csv, "\n", 2)[0], ",")
	s := &dataset.Schema{Target: "y", Task: dataset.Regression, Header: true}
	for _, name := range header {
		typ := dataset.Numeric
		if slices.Contains(categorical, name) {
			typ = dataset.Categorical
		}
		col := dataset.Column{Name: name, Type: typ}
		if name == "c" {
			col.MaxCategories = 2
		}
		s.Columns = append(s.Columns, col)
	}
	data, err := json.Marshal(s)
	require.NoError(t, err)
	s, err = dataset.Parse(data) // fills in the defaults
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "data.csv")
	require.NoError(t, os.WriteFile(path, []byte(csv), 0o644))
	tab := features.NewTable(s)
	require.NoError(t, tab.ReadFile(path))
	return tab
}

func allRows(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

func TestBaselineStatistics(t *testing.T) {
	// i: whole numbers with a missing value; f: fractions, one negative;
	// c: four categories, limit 2; d: two categories, no limit.
	tab := table(t, "i,f,c,d,y\n1,0.5,a,x,1\n2,-1.5,b,x,2\n,2.25,b,y,3\n4,0.5,c,,4\n3,1,b,x,5\n2,0.5,d,x,6\n", "c", "d")
	b := NewBaseline(tab, allRows(6), 1)
	require.Len(t, b.Statistics.Features, 4, "the target is no feature")
	assert.Equal(t, 6, b.Statistics.Dataset.ItemCount)

	i := b.Statistics.Features[0]
	assert.Equal(t, Integral, i.InferredType)
	ns := i.NumericalStatistics
	assert.Equal(t, Common{NumPresent: 5, NumMissing: 1}, ns.Common)
	values := []float64{1, 2, 4, 3, 2}
	assert.InDelta(t, stat.Mean(values, nil), ns.Mean, 1e-12)
	assert.InDelta(t, 12.0, ns.Sum, 1e-12)
	assert.InDelta(t, stat.PopStdDev(values, nil), ns.StdDev, 1e-12, "the population standard deviation")
	assert.Equal(t, [2]float64{1, 4}, [2]float64{ns.Min, ns.Max})
	// Sorted 1 2 2 3 4: ranks j*5/10 for j = 1..9 give 1 2 2 2 2 3 3 4 4,
	// so the lower bounds are 1, 2, 3, 4.
	assert.Equal(t, []Bucket{{1, 2, 1}, {2, 3, 2}, {3, 4, 1}, {4, 4, 1}}, ns.Distribution.KLL.Buckets)
	assert.Equal(t, SketchParameters{C: 0.64, K: 2048}, ns.Distribution.KLL.Sketch.Parameters)
	assert.Equal(t, [][]float64{{1, 2, 4, 3, 2}}, ns.Distribution.KLL.Sketch.Data, "few values stay at level 0 in row order")

	f := b.Statistics.Features[1]
	assert.Equal(t, Fractional, f.InferredType)
	assert.Equal(t, -1.5, f.NumericalStatistics.Min)

	c := b.Statistics.Features[2]
	assert.Equal(t, String, c.InferredType)
	assert.Equal(t, 4, c.StringStatistics.DistinctCount)
	assert.Equal(t, []CategoryBucket{{"b", 3}, {"a", 1}}, c.StringStatistics.Distribution.Categorical.Buckets,
		"most frequent first, the smaller value among equal counts, up to the limit")
	d := b.Statistics.Features[3]
	assert.Equal(t, Common{NumPresent: 5, NumMissing: 1}, d.StringStatistics.Common)

	cons := b.Constraints.Features
	assert.Equal(t, FeatureConstraints{Name: "i", InferredType: Integral, Completeness: 5.0 / 6, NumConstraints: &NumConstraints{IsNonNegative: true}}, cons[0])
	assert.False(t, cons[1].NumConstraints.IsNonNegative)
	assert.Nil(t, cons[2].StringConstraints, "no domain for a column beyond its category limit")
	assert.Equal(t, &StringConstraints{Domains: []string{"x", "y"}}, cons[3].StringConstraints)
	assert.Equal(t, DefaultMonitoringConfig, b.Constraints.MonitoringConfig)
}

// Deciles of distinct values: ten buckets of a tenth each.
func TestBucketsAreDeciles(t *testing.T) {
	sorted := make([]float64, 1000)
	for i := range sorted {
		sorted[i] = float64(i) / 10
	}
	bs := buckets(sorted)
	require.Len(t, bs, NumBuckets)
	for j, b := range bs {
		assert.Equal(t, 100.0, b.Count, "bucket %d", j)
		assert.Equal(t, float64(j*10), b.LowerBound, "bucket %d", j)
	}
	assert.Equal(t, 99.9, bs[9].UpperBound, "the last bucket ends at the maximum")
	assert.Equal(t, []Bucket{{7, 7, 3}}, buckets([]float64{7, 7, 7}), "a constant column has one bucket")
}

// rank returns the weighted number of sketch values below x.
func rank(levels [][]float64, x float64) float64 {
	var r float64
	for h, level := range levels {
		for _, v := range level {
			if v < x {
				r += math.Ldexp(1, h)
			}
		}
	}
	return r
}

func TestSketchKeepsRanks(t *testing.T) {
	const n = 200_000
	rng := rand.New(rand.NewPCG(1, 2))
	values := make([]float64, n)
	sk := newSketch(SketchK, SketchC, rand.New(rand.NewPCG(3, 4)))
	for i := range values {
		values[i] = rng.NormFloat64()
		sk.update(values[i])
	}
	var size int
	var weight float64
	for h, level := range sk.levels {
		size += len(level)
		weight += math.Ldexp(float64(len(level)), h)
	}
	assert.Equal(t, float64(n), weight, "compaction keeps the total weight")
	assert.Less(t, size, 3*SketchK, "the sketch stays small: about k/(1-c) values")
	assert.Greater(t, len(sk.levels), 3, "the values were compacted several times")
	slices.Sort(values)
	for _, q := range []float64{0.01, 0.1, 0.5, 0.9, 0.99} {
		x := values[int(q*n)]
		assert.InDelta(t, q*n, rank(sk.levels, x), 0.005*n, "rank of the %g quantile", q)
	}
}

func TestParseStatisticsRejects(t *testing.T) {
	tests := []struct{ json, want string }{
		{`{"version": 1}`, "version = 1; valid: 0"},
		{`{"features": [{"name": "a", "inferred_type": "Text"}]}`, `features[0] ("a"): inferred_type = "Text"; valid: Integral, Fractional or String`},
		{`{"features": [{"inferred_type": "String", "string_statistics": {}}]}`, "features[0] (\"\"): no name"},
		{`{"features": [{"name": "a", "inferred_type": "String"}]}`, "inferred_type String without string_statistics"},
		{`{"features": [{"name": "a", "inferred_type": "Integral"}]}`, "inferred_type Integral without numerical_statistics"},
		{`{"features": [{"name": "a", "inferred_type": "String", "string_statistics": {}}, {"name": "a", "inferred_type": "String", "string_statistics": {}}]}`, `features[1]: a second feature named "a"`},
		{`{"features": [{"name": "a", "inferred_type": "Fractional", "numerical_statistics": {"distribution": {"kll": {"buckets": [{"lower_bound": 2}, {"lower_bound": 1}]}}}}]}`, "kll bucket 1's lower_bound 1 does not exceed bucket 0's 2"},
		{`{"features": [{"name": "a", "inferred_type": "Fractional", "numerical_statistics": {"distribution": {"kll": {"buckets": [{"lower_bound": 1, "count": -3}]}}}}]}`, "kll bucket 0's count -3 is invalid; valid: 0 or more"},
		{`{"features": [{"name": "a", "inferred_type": "String", "string_statistics": {"distribution": {"categorical": {"buckets": [{"value": "x", "count": -1}]}}}}]}`, `category "x"'s count -1 is invalid; valid: 0 or more`},
		{`[]`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		_, err := ParseStatistics([]byte(tt.json))
		if assert.Error(t, err, tt.json) {
			assert.Contains(t, err.Error(), tt.want, tt.json)
			assert.True(t, strings.HasPrefix(err.Error(), StatisticsFile+": "), "the file is named: %s", err)
		}
	}
	_, err := ParseConstraints([]byte(`{"version": 2}`))
	assert.EqualError(t, err, "constraints.json: version = 2; valid: 0")
	_, err = ParseConstraints([]byte(`{`))
	assert.ErrorContains(t, err, "constraints.json: unexpected end of JSON input")
}

func TestLoad(t *testing.T) {
	_, _, b := abaloneBaseline(t, 42)
	dir := t.TempDir()
	got, err := Load(dir)
	require.NoError(t, err)
	assert.Nil(t, got, "no baseline files, no baseline")

	var s bytes.Buffer
	require.NoError(t, b.Statistics.WriteJSON(&s))
	require.NoError(t, os.WriteFile(filepath.Join(dir, StatisticsFile), s.Bytes(), 0o644))
	_, err = Load(dir)
	assert.ErrorContains(t, err, "constraints.json: no such file", "one file without the other")

	var c bytes.Buffer
	require.NoError(t, b.Constraints.WriteJSON(&c))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ConstraintsFile), append([]byte("\xef\xbb\xbf"), c.Bytes()...), 0o644))
	got, err = Load(dir)
	require.NoError(t, err, "a byte order mark is ignored")
	assert.Equal(t, b, got, "a baseline reads back as written")

	require.NoError(t, os.Remove(filepath.Join(dir, StatisticsFile)))
	_, err = Load(dir)
	assert.ErrorContains(t, err, "statistics.json: no such file")
	require.NoError(t, os.WriteFile(filepath.Join(dir, StatisticsFile), []byte(`{"version": 3}`), 0o644))
	_, err = Load(dir)
	assert.ErrorContains(t, err, "version = 3")
	require.NoError(t, os.WriteFile(filepath.Join(dir, StatisticsFile), s.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ConstraintsFile), []byte(`{"version": 3}`), 0o644))
	_, err = Load(dir)
	assert.ErrorContains(t, err, "constraints.json: version = 3")
}

func TestIntegralNeedsWholeNumbers(t *testing.T) {
	for _, tt := range []struct {
		values string
		want   string
	}{{"1\n2\n", Integral}, {"1\n2.5\n", Fractional}, {"1e300\n2\n", Fractional}, {"\n\n", Fractional}} {
		tab := table(t, "a,y\n"+strings.ReplaceAll(tt.values, "\n", ",1\n"))
		b := NewBaseline(tab, allRows(tab.Len()), 1)
		assert.Equal(t, tt.want, b.Statistics.Features[0].InferredType, "values %s", strconv.Quote(tt.values))
	}
}

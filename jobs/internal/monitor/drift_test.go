package monitor

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
)

// twoColumns is a schema of a numeric column n and a categorical one c
// (the target y is no feature), and statistics.json for it: n has two
// buckets of 50% each, [0, 10) and [10, 20], and 10% missing; c lists a
// (60%) and b (20%) and leaves 20% to other values.
func twoColumns(t *testing.T) (*dataset.Schema, *Statistics) {
	t.Helper()
	s, err := dataset.Parse([]byte(`{"columns": [{"name": "n", "type": "numeric"}, {"name": "c", "type": "categorical"}, {"name": "y", "type": "numeric"}], "target": "y", "task": "regression", "header": true}`))
	require.NoError(t, err)
	stats, err := ParseStatistics([]byte(`{"version": 0, "dataset": {"item_count": 100}, "features": [
		{"name": "n", "inferred_type": "Fractional", "numerical_statistics": {"common": {"num_present": 90, "num_missing": 10},
			"distribution": {"kll": {"buckets": [{"lower_bound": 0, "upper_bound": 10, "count": 45}, {"lower_bound": 10, "upper_bound": 20, "count": 45}]}}}},
		{"name": "c", "inferred_type": "String", "string_statistics": {"common": {"num_present": 100, "num_missing": 0}, "distinct_count": 5,
			"distribution": {"categorical": {"buckets": [{"value": "a", "count": 60}, {"value": "b", "count": 20}]}}}},
		{"name": "y", "inferred_type": "Integral", "numerical_statistics": {"common": {"num_present": 100, "num_missing": 0}}}]}`))
	require.NoError(t, err)
	return s, stats
}

// record makes a Record of the two-column schema; "" is missing.
func record(n, c string) *dataset.Record {
	rec := &dataset.Record{Raw: [][]byte{[]byte(n), []byte(c), nil}, Num: []float64{math.NaN(), 0, math.NaN()}, Missing: []bool{n == "", c == "", true}}
	if n != "" {
		rec.Num[0] = mustFloat(n)
	}
	return rec
}

func mustFloat(s string) float64 {
	var x float64
	if err := json.Unmarshal([]byte(s), &x); err != nil {
		panic(err)
	}
	return x
}

// add counts rows of n and c values into new counts.
func add(m *Monitor, rows ...[2]string) *Counts {
	c := m.NewCounts()
	for _, r := range rows {
		c.Add(record(r[0], r[1]))
	}
	return c
}

// psi is the index of two share vectors, each share floored at 1e-4.
func psi(p, q []float64) float64 {
	var sum float64
	for i := range p {
		a, b := math.Max(p[i], 1e-4), math.Max(q[i], 1e-4)
		sum += (a - b) * math.Log(a/b)
	}
	return sum
}

func repeat(r [2]string, n int) [][2]string {
	out := make([][2]string, n)
	for i := range out {
		out[i] = r
	}
	return out
}

func TestReportMeasuresEachFeature(t *testing.T) {
	s, stats := twoColumns(t)
	m, err := New(stats, s)
	require.NoError(t, err)
	// n: 8 rows below 10 (one below the first bucket), 2 at or above 10
	// (one above the last bucket), 10 missing: 50% missing.
	// c: a 10, b 0, others 10 (z is unseen, y too).
	var rows [][2]string
	rows = append(rows, repeat([2]string{"5", "a"}, 7)...)
	rows = append(rows, [2]string{"-3", "a"}, [2]string{"10", "a"}, [2]string{"99", "a"})
	rows = append(rows, repeat([2]string{"", "z"}, 9)...)
	rows = append(rows, [2]string{"", "y"})
	r := add(m, rows...).Report("algo-2")

	assert.Equal(t, int64(20), r.Rows)
	assert.Equal(t, "algo-2", r.Host)
	require.Len(t, r.Features, 2, "the target is not monitored")
	n, c := r.Features[0], r.Features[1]
	assert.Equal(t, dataset.Numeric, n.Type)
	assert.Equal(t, int64(10), n.Present)
	assert.InDelta(t, psi([]float64{0.8, 0.2}, []float64{0.5, 0.5}), n.PSI, 1e-12)
	assert.Equal(t, []string{"(-inf, 10)", "[10, +inf)"}, []string{n.Bins[0].Label, n.Bins[1].Label})
	assert.InDelta(t, 0.1, n.BaselineMissingRate, 1e-12)
	assert.InDelta(t, 0.5, n.MissingRate, 1e-12)
	assert.InDelta(t, 0.4, n.MissingRateIncrease, 1e-12)
	assert.True(t, n.Drift, "PSI %g and a missing rate up by 0.4", n.PSI)
	assert.Nil(t, n.UnseenShare, "a numeric feature has no unseen share")

	assert.Equal(t, dataset.Categorical, c.Type)
	assert.InDelta(t, psi([]float64{0.5, 0, 0.5}, []float64{0.6, 0.2, 0.2}), c.PSI, 1e-12, "an empty bin counts as 1e-4")
	assert.Equal(t, []string{"a", "b", UnseenBin}, []string{c.Bins[0].Label, c.Bins[1].Label, c.Bins[2].Label})
	assert.InDelta(t, 0.2, *c.BaselineUnseenShare, 1e-12)
	assert.InDelta(t, 0.5, *c.UnseenShare, 1e-12)
	assert.Equal(t, StatusSignificant, c.Status)
	assert.True(t, r.Drift)

	sum := r.Summary()
	assert.Equal(t, []string{"n", "c"}, sum.Drifted)
	assert.Equal(t, FeatureSummary{Name: "c", Measure: "psi", Value: c.PSI, Status: c.Status, Drift: true, MissingRateIncrease: 0, UnseenShare: c.UnseenShare}, sum.Features[1])
}

func TestSameDistributionIsNoDrift(t *testing.T) {
	s, stats := twoColumns(t)
	m, err := New(stats, s)
	require.NoError(t, err)
	var rows [][2]string
	// n: 27 below 10, 27 at or above, 6 missing; c: a 36, b 12, 12 others.
	rows = append(rows, repeat([2]string{"1", "a"}, 27)...)
	rows = append(rows, repeat([2]string{"11", "a"}, 9)...)
	rows = append(rows, repeat([2]string{"11", "b"}, 12)...)
	rows = append(rows, repeat([2]string{"15", "q"}, 6)...)
	rows = append(rows, repeat([2]string{"", "q"}, 6)...)
	r := add(m, rows...).Report("algo-1")
	for _, f := range r.Features {
		assert.InDelta(t, 0, f.PSI, 1e-12, f.Name)
		assert.Equal(t, StatusNone, f.Status, f.Name)
		assert.False(t, f.Drift, f.Name)
	}
	assert.False(t, r.Drift)
	assert.Equal(t, []string{}, r.Summary().Drifted)
	var b bytes.Buffer
	require.NoError(t, r.Summary().WriteJSON(&b))
	assert.Contains(t, b.String(), `"drifted": []`, "an empty list, not null, for a reader of the JSON")
}

func TestMergeEqualsOnePass(t *testing.T) {
	s, stats := twoColumns(t)
	m, err := New(stats, s)
	require.NoError(t, err)
	rows := [][2]string{{"1", "a"}, {"12", "b"}, {"", "x"}, {"3", ""}, {"19", "a"}}
	whole := add(m, rows...)
	part := add(m, rows[:2]...)
	part.Merge(add(m, rows[2:]...))
	assert.Equal(t, whole, part)
	assert.Equal(t, int64(5), part.Rows())
}

func TestStatusThresholds(t *testing.T) {
	for psi, want := range map[float64]string{0: StatusNone, 0.0999: StatusNone, 0.1: StatusModerate, 0.25: StatusModerate, 0.2501: StatusSignificant} {
		assert.Equal(t, want, status(psi), "status(%g)", psi)
	}
}

func TestNewRejectsABaselineOfAnotherSchema(t *testing.T) {
	s, stats := twoColumns(t)
	for _, tt := range []struct {
		edit func(*Statistics)
		want string
	}{
		{func(st *Statistics) { st.Features = st.Features[1:] }, `statistics.json has no feature "n", a feature column of the schema`},
		{func(st *Statistics) { st.Features[0].Name = "c"; st.Features[1].Name = "n" }, `feature "n": inferred_type String, but the schema's column is numeric`},
		{func(st *Statistics) {
			st.Features[1] = FeatureStatistics{Name: "c", InferredType: Fractional, NumericalStatistics: &NumericalStatistics{}}
		}, `feature "c": inferred_type Fractional, but the schema's column is categorical`},
		{func(st *Statistics) {
			b := &st.Features[1].StringStatistics.Distribution.Categorical
			b.Buckets = append(b.Buckets, b.Buckets[0])
		}, `feature "c": value "a" listed twice`},
	} {
		st := *stats
		st.Features = append([]FeatureStatistics(nil), stats.Features...)
		ss := *st.Features[1].StringStatistics
		st.Features[1].StringStatistics = &ss
		tt.edit(&st)
		_, err := New(&st, s)
		assert.ErrorContains(t, err, tt.want)
	}
}

// A numeric column without training values has one bin: present values
// are not compared, missing ones still are.
func TestColumnWithoutBaselineValues(t *testing.T) {
	s, stats := twoColumns(t)
	stats.Features[0].NumericalStatistics.Distribution.KLL.Buckets = nil
	m, err := New(stats, s)
	require.NoError(t, err)
	r := add(m, [2]string{"5", "a"}, [2]string{"500", "a"}).Report("algo-1")
	assert.Zero(t, r.Features[0].PSI)
	assert.Len(t, r.Features[0].Bins, 1)
}

func TestHTMLPlotsTheDriftedFeatures(t *testing.T) {
	s, stats := twoColumns(t)
	m, err := New(stats, s)
	require.NoError(t, err)
	// n all in its first bin; c as in the baseline.
	rows := append(repeat([2]string{"5", "a"}, 12), repeat([2]string{"5", "b"}, 4)...)
	r := add(m, append(rows, repeat([2]string{"5", "new"}, 4)...)...).Report("algo-1")
	require.Equal(t, []string{"n"}, r.Summary().Drifted)
	var b bytes.Buffer
	require.NoError(t, r.WriteHTML(&b))
	page := b.String()
	assert.Equal(t, 1, strings.Count(page, "<svg"), "one plot, for the one drifted feature")
	assert.Contains(t, page, "n: each bin")
	assert.Contains(t, page, `<tr class="drift"><td class="name">n</td>`)
	assert.NotContains(t, page, "<script")
}

func TestShownBins(t *testing.T) {
	bins := make([]Bin, 30)
	for i := range bins {
		bins[i] = Bin{Label: string(rune('A' + i)), PSI: float64(i % 7)}
	}
	shown := shownBins(bins)
	require.Len(t, shown, MaxPlotBins)
	var labels string
	for _, b := range shown {
		labels += b.Label
		assert.GreaterOrEqual(t, b.PSI, 2.0, "the 20 largest terms of 30 with terms 0..6 are those of at least 2")
	}
	assert.Equal(t, "CDEFGJKLMNQRSTUXYZ[\\", labels, "in the bins' order")
	assert.Len(t, shownBins(bins[:5]), 5)
}

// A missing rate up by more than MissingRateIncrease is drift on its own.
func TestMissingRateIncreaseIsDrift(t *testing.T) {
	s, stats := twoColumns(t)
	m, err := New(stats, s)
	require.NoError(t, err)
	for missing, want := range map[int]bool{2: false, 3: false, 5: true, 6: true} {
		// 20 rows, baseline missing rate 0.1: up by 0, 0.05, 0.15, 0.2.
		var rows [][2]string
		for i := range 20 {
			n := []string{"1", "11"}[i%2]
			if i < missing {
				n = ""
			}
			rows = append(rows, [2]string{n, []string{"a", "a", "a", "b", "new"}[i%5]})
		}
		r := add(m, rows...).Report("algo-1")
		f := r.Features[0]
		assert.InDelta(t, float64(missing)/20-0.1, f.MissingRateIncrease, 1e-12)
		assert.Equal(t, want, f.Drift, "%d of 20 missing: PSI %g (%s)", missing, f.PSI, f.Status)
		assert.NotEqual(t, StatusSignificant, f.Status, "%d missing: PSI alone is no drift", missing)
	}
}

package gbt

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exactRanks returns the number of values in sorted below v and at or
// below v.
func exactRanks(sorted []float32, v float32) (below, atOrBelow int) {
	below, _ = slices.BinarySearch(sorted, v)
	atOrBelow = below
	for atOrBelow < len(sorted) && sorted[atOrBelow] == v {
		atOrBelow++
	}
	return below, atOrBelow
}

// checkSummary checks the invariants of a summary of data: strictly
// increasing values taken from data, true ranks within the bounds, the
// minimum and maximum present, and every rank interval no wider than
// maxGap.
func checkSummary(t *testing.T, name string, s []rankedValue, data []float32, maxGap float32) {
	t.Helper()
	require.NotEmptyf(t, s, "%s: empty summary", name)
	data = slices.Sorted(slices.Values(data))
	assert.Equalf(t, slices.Min(data), s[0].v, "%s: first entry", name)
	assert.Equalf(t, slices.Max(data), s[len(s)-1].v, "%s: last entry", name)
	for i, e := range s {
		if i > 0 {
			require.Lessf(t, s[i-1].v, e.v, "%s: entry %d not increasing", name, i)
		}
		below, atOrBelow := exactRanks(data, e.v)
		require.Positivef(t, atOrBelow-below, "%s: entry %d value %v not in data", name, i, e.v)
		assert.LessOrEqualf(t, e.rmin, float32(below), "%s: entry %d rmin", name, i)
		assert.GreaterOrEqualf(t, e.rmax, float32(atOrBelow), "%s: entry %d rmax", name, i)
		// w is a lower bound: a value seen in two buffers may have been
		// pruned from one of their summaries.
		assert.LessOrEqualf(t, e.w, float32(atOrBelow-below), "%s: entry %d weight", name, i)
		if i > 0 {
			// The paper's error measure: consecutive entries leave no
			// rank uncovered by more than maxGap.
			assert.LessOrEqualf(t, e.rmax-e.w-s[i-1].rmin-s[i-1].w, maxGap, "%s: gap before entry %d", name, i)
		}
	}
}

// exactSummary returns the exact summary of data.
func exactSummary(data []float32) []rankedValue {
	keys := make([]uint32, len(data))
	for i, v := range data {
		keys[i] = floatKey(v)
	}
	radixSort(keys, nil)
	return summarizeSorted(nil, keys)
}

func TestSummarizeSortedIsExact(t *testing.T) {
	got := exactSummary([]float32{5, 1, 2, 5, 1, 5})
	assert.Equal(t, []rankedValue{{1, 0, 2, 2}, {2, 2, 3, 1}, {5, 3, 6, 3}}, got)
	assert.Empty(t, exactSummary(nil))
}

// TestFloatKeyOrder checks that order keys sort like the floats, with -0
// and +0 one value, and map back to the value.
func TestFloatKeyOrder(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	vals := []float32{float32(math.Inf(-1)), -math.MaxFloat32, -1.5, -math.SmallestNonzeroFloat32, negZero, 0,
		math.SmallestNonzeroFloat32, 1, 1.5, math.MaxFloat32, float32(math.Inf(1))}
	for i := range vals {
		assert.Equalf(t, vals[i], keyFloat(floatKey(vals[i])), "round trip of %v", vals[i])
		for j := range vals {
			assert.Equalf(t, vals[i] < vals[j], floatKey(vals[i]) < floatKey(vals[j]), "%v < %v", vals[i], vals[j])
		}
	}
	assert.Equal(t, math.Float32bits(0), math.Float32bits(keyFloat(floatKey(negZero))), "-0 maps to +0")
}

func TestRadixSortSorts(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 100, 30_000} {
		keys := make([]uint32, n)
		for i := range keys {
			switch i % 3 {
			case 0:
				keys[i] = rng.Uint32()
			case 1:
				keys[i] = rng.Uint32() & 0xff00 // bytes shared by many keys
			default:
				keys[i] = 7
			}
		}
		want := slices.Clone(keys)
		slices.Sort(want)
		radixSort(keys, make([]uint32, 3))
		assert.Equalf(t, want, keys, "n = %d", n)
	}
}

func TestPruneSummaryKeepsEndsAndBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, 5000)
	for i := range data {
		data[i] = float32(rng.IntN(3000))
	}
	sorted := slices.Sorted(slices.Values(data))
	exact := exactSummary(data)
	for _, size := range []int{2, 3, 17, 256} {
		p := pruneSummary(nil, exact, size)
		assert.LessOrEqualf(t, len(p), size, "size %d", size)
		// Pruning an exact summary to size entries leaves gaps of about
		// n/(size-1) plus the weight of one value.
		checkSummary(t, "prune "+itoa(size), p, data, float32(len(data))/float32(size-1)+2*float32(slices.Max(countRuns(sorted))))
	}
	assert.Equal(t, exact, pruneSummary(nil, exact, len(exact)), "a summary that fits is copied")
}

// countRuns returns the lengths of the runs of equal values in sorted.
func countRuns(sorted []float32) []int {
	var out []int
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		out = append(out, j-i)
		i = j
	}
	return out
}

func TestMergeSummariesOfExactSummariesIsExact(t *testing.T) {
	a := []float32{1, 3, 3, 7, 9}
	b := []float32{2, 3, 8, 9, 9, 10}
	sa, sb := exactSummary(a), exactSummary(b)
	all := append(slices.Clone(a), b...)
	want := exactSummary(all)
	// rmax of values missing from one side is only bounded, not exact.
	got := mergeSummaries(nil, sa, sb)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equalf(t, want[i].v, got[i].v, "entry %d value", i)
		assert.Equalf(t, want[i].rmin, got[i].rmin, "entry %d rmin", i)
		assert.Equalf(t, want[i].w, got[i].w, "entry %d weight", i)
	}
	checkSummary(t, "merge", got, all, 2)
	assert.Equal(t, sa, mergeSummaries(nil, sa, nil), "merge with empty")
	assert.Equal(t, sb, mergeSummaries(nil, nil, sb), "merge with empty")
}

// TestQuantileSketchErrorBound streams more values than the sketch buffers
// and checks the guarantee the cuts rely on: every rank is covered to
// within about eps*n.
func TestQuantileSketchErrorBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, shape := range []string{"uniform", "ties", "ascending", "descending"} {
		n := 60_000
		data := make([]float32, n)
		for i := range data {
			switch shape {
			case "uniform":
				data[i] = float32(rng.Float64())
			case "ties":
				data[i] = float32(rng.IntN(500))
			case "ascending":
				data[i] = float32(i)
			case "descending":
				data[i] = float32(n - i)
			}
		}
		eps := 1.0 / 512
		sk := newQuantileSketch(n, eps)
		require.Lessf(t, 2*sk.limit, n, "%s: the data must not fit in one buffer", shape)
		for _, v := range data {
			sk.push(v)
		}
		s := sk.summary()
		assert.LessOrEqualf(t, len(s), sk.limit, "%s: summary size", shape)
		checkSummary(t, shape, s, data, float32(2*eps*float64(n))+1)
	}
}

func TestSketchCutsOfFewDistinctValuesAreExact(t *testing.T) {
	// Fewer distinct values than bins: every distinct value but the
	// smallest (the caller adds a cut above the largest).
	var data []float32
	for i := range 10_000 {
		data = append(data, float32(i%37))
	}
	cuts := sketchCuts(len(data), 64, func(push func(float32)) {
		for _, v := range data {
			push(v)
		}
	})
	want := make([]float32, 0, 36)
	for v := 1; v < 37; v++ {
		want = append(want, float32(v))
	}
	assert.Equal(t, want, cuts)
	assert.Empty(t, sketchCuts(0, 64, func(func(float32)) {}))
	assert.Empty(t, sketchCuts(1, 64, func(push func(float32)) { push(3) }))
}

// TestSketchCutsAreQuantiles checks that sketched cuts are strictly
// increasing, at most maxBin-1 of them, and each near its target quantile.
func TestSketchCutsAreQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	data := make([]float32, 200_000)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	sorted := slices.Sorted(slices.Values(data))
	for _, maxBin := range []int{2, 16, 256, 1000} {
		cuts := sketchCuts(len(data), maxBin, func(push func(float32)) {
			for _, v := range data {
				push(v)
			}
		})
		require.LessOrEqualf(t, len(cuts), maxBin-1, "max_bin %d", maxBin)
		require.GreaterOrEqualf(t, len(cuts), (maxBin-1)*9/10, "max_bin %d", maxBin)
		require.Truef(t, slices.IsSorted(cuts) && len(slices.Compact(slices.Clone(cuts))) == len(cuts), "max_bin %d: cuts not strictly increasing", maxBin)
		for j, c := range cuts {
			rank, _ := slices.BinarySearch(sorted, c)
			want := float64(j+1) * float64(len(data)) / float64(maxBin)
			assert.LessOrEqualf(t, math.Abs(float64(rank)-want), 1.5*float64(len(data))/float64(maxBin), "max_bin %d: cut %d at rank %d, want about %v", maxBin, j, rank, want)
		}
	}
}

// TestComputeCutsIndependentOfThreads checks that the cuts, which feed
// every split, do not depend on how many goroutines sketch the features.
func TestComputeCutsIndependentOfThreads(t *testing.T) {
	x, _ := sketchData(7, 30_000, SquaredError, 0.05)
	one, err := computeCuts(x, 64, 1)
	require.NoError(t, err)
	for _, threads := range []int{2, 5} {
		c, err := computeCuts(x, 64, threads)
		require.NoError(t, err)
		assert.Equalf(t, one, c, "%d threads", threads)
	}
}

// BenchmarkComputeCuts sketches 700,000 rows of 11 continuous features, the
// size of the training split of the 1M-row benchmark data.
func BenchmarkComputeCuts(b *testing.B) {
	x, _ := synthetic(42, 700_000, 11, SquaredError, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := computeCuts(x, 256, 2); err != nil {
			b.Fatal(err)
		}
	}
}

package gbt

import (
	"fmt"
	"math"
)

// cutSet holds the histogram cut points of every feature, laid out the way
// XGBoost lays out its HistogramCuts. Bin b of feature f holds the values x
// with cut[b-1] <= x < cut[b] (cut[-1] being -Inf), so a split "after bin
// b" has threshold cut[b] and XGBoost's rule x < threshold sends exactly
// bins 0..b left.
type cutSet struct {
	ptr  []int     // the cuts of feature f are vals[ptr[f]:ptr[f+1]]
	vals []float32 // strictly increasing within a feature
	// mins[f] lies below every training value of feature f. It is the
	// threshold of a split that sends every non-missing value right and
	// only missing values left.
	mins []float32
	// missing[f] reports whether feature f has a NaN in the training data.
	missing []bool
}

func (c *cutSet) nbins(f int) int { return c.ptr[f+1] - c.ptr[f] }

func (c *cutSet) cuts(f int) []float32 { return c.vals[c.ptr[f]:c.ptr[f+1]] }

// maxCodes returns the largest number of codes any feature needs: its bins
// plus, if it has missing values, one code for them.
func (c *cutSet) maxCodes() int {
	n := 0
	for f := range c.mins {
		k := c.nbins(f)
		if c.missing[f] {
			k++
		}
		n = max(n, k)
	}
	return n
}

// featureCuts is the result of sketching one feature.
type featureCuts struct {
	cuts    []float32
	min     float32
	missing bool
	err     error
}

// computeCuts sketches every feature of m into at most maxBin bins, with
// the cuts XGBoost 1.7's hist method chooses for the same data.
//
// Each feature's non-missing values go, in row order and with unit
// weights, into the weighted quantile sketch of sketch.go, built as
// XGBoost builds it: eps = 1/(8*min(maxBin, n)), the summary pruned to
// 8*maxBin entries and then to maxBin+1, whose values but the first (the
// minimum) and, if present, the entry maxBin (the maximum) are the interior
// cuts; max + (|max| + 1e-5) is the last cut. With at most maxBin distinct
// values no prune drops anything, so every distinct value gets a bin of its
// own and split thresholds are data values; with more, the cuts are
// approximate quantiles, each within about n/maxBin ranks of its target.
//
// The weights are units, not hessians, because XGBoost 1.7 builds the hist
// cuts once, before the first round, without them (checked against
// XGBoost with per-row base margins, which make the hessians differ). The
// push order is the row order because the sketch's result depends on it
// and XGBoost pushes each feature row by row; each feature is sketched by
// one goroutine, so the cuts do not depend on the thread count.
func computeCuts(m Matrix, maxBin, threads int) (*cutSet, error) {
	per := make([]featureCuts, m.Cols)
	parallelFor(threads, m.Cols, func(f int) {
		per[f] = sketchFeature(m, f, maxBin)
	})
	c := &cutSet{ptr: make([]int, 1, m.Cols+1), mins: make([]float32, m.Cols), missing: make([]bool, m.Cols)}
	for f, fc := range per {
		if fc.err != nil {
			return nil, fc.err
		}
		c.vals = append(c.vals, fc.cuts...)
		c.ptr = append(c.ptr, len(c.vals))
		c.mins[f] = fc.min
		c.missing[f] = fc.missing
	}
	return c, nil
}

func sketchFeature(m Matrix, f, maxBin int) featureCuts {
	var fc featureCuts
	n := 0
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for i := f; i < len(m.Data); i += m.Cols {
		if v := m.Data[i]; v == v {
			n++
			lo, hi = min(lo, v), max(hi, v)
		} else {
			fc.missing = true
		}
	}
	if n == 0 {
		// No bins: the feature can only separate nothing from missing
		// values, which needs no cut.
		return fc
	}
	for _, v := range []float32{lo, hi} {
		if v == -math.MaxFloat32 || v == math.MaxFloat32 {
			fc.err = fmt.Errorf("feature %d has value %v; values must lie strictly between -%v and %v so that a threshold can be placed beyond them",
				f, v, float32(math.MaxFloat32), float32(math.MaxFloat32))
			return fc
		}
	}
	// Row order, as XGBoost pushes them: the sketch's result depends on
	// the order once the values no longer fit in its buffer.
	fc.cuts = sketchCuts(n, maxBin, func(push func(float32)) {
		for i := f; i < len(m.Data); i += m.Cols {
			if v := m.Data[i]; v == v {
				push(v)
			}
		}
	})
	// The same float32 arithmetic as XGBoost, so the last cut is the same.
	last := hi + (float32(math.Abs(float64(hi))) + 1e-5)
	if math.IsInf(float64(last), 0) {
		last = math.Nextafter32(hi, float32(math.Inf(1)))
	}
	fc.cuts = append(fc.cuts, last)
	fc.min = lo - (float32(math.Abs(float64(lo))) + 1e-5)
	if math.IsInf(float64(fc.min), 0) {
		fc.min = math.Nextafter32(lo, float32(math.Inf(-1)))
	}
	return fc
}

// binCode is the element type of a binned column: uint8 when every code
// fits, uint16 otherwise, to keep the columns that histogram building
// streams through as small as possible.
type binCode interface{ ~uint8 | ~uint16 }

// upperBound returns the number of cuts <= v, which is v's bin.
func upperBound(cuts []float32, v float32) int {
	lo, hi := 0, len(cuts)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if cuts[mid] <= v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// binMatrix converts m into bin codes, column-major so that building the
// histogram of one feature streams through one contiguous column. A missing
// value gets code nbins(f), one past the feature's last bin, so that it
// lands in a histogram slot of its own without a branch.
func binMatrix[T binCode](m Matrix, c *cutSet, threads int) []T {
	codes := make([]T, m.Rows*m.Cols)
	parallelFor(threads, m.Cols, func(f int) {
		cuts := c.cuts(f)
		miss := T(len(cuts))
		col := codes[f*m.Rows : (f+1)*m.Rows]
		for i := range col {
			v := m.Data[i*m.Cols+f]
			if v != v {
				col[i] = miss
			} else {
				col[i] = T(upperBound(cuts, v))
			}
		}
	})
	return codes
}

package gbt

import (
	"math"
	"slices"
)

// This file implements the weighted quantile sketch of Chen & Guestrin,
// "XGBoost: A Scalable Tree Boosting System" (KDD 2016), appendix A, in the
// form XGBoost 1.7's hist method uses to choose histogram cuts. A feature's
// values are streamed into a buffer; a full buffer becomes a summary, and
// summaries are merged in a binary hierarchy of levels and pruned back to a
// fixed size, so memory stays O(log(n)/eps) whatever the column length.
//
// The point of following XGBoost's choices (buffer size, level sizing,
// which entry prune keeps, float32 rank arithmetic) rather than any valid
// eps-approximate sketch is that the cuts then come out the same as
// XGBoost's, so trees trained here match trees trained there split for
// split. Every choice below that looks arbitrary is one of those.

// sketchFactor is how much finer than the final bins the sketch works:
// each feature is sketched with eps = 1/(sketchFactor*bins), bins being
// min(maxBin, n), and the summary is pruned to sketchFactor*maxBin entries
// before the final prune to maxBin+1 (XGBoost's kFactor).
const sketchFactor = 8

// rankedValue is one entry of a weighted quantile summary: a distinct value
// v, the weight w of the data equal to v, and bounds on the weight of the
// data ranked below v: at least rmin and at most rmax - w. In an exact
// summary rmax = rmin + w.
//
// Ranks are float32 because XGBoost keeps them in float; choosing entries
// by the same float32 comparisons is what makes the cuts identical. With
// unit weights every rank is an integer and exact below 2^24 values per
// feature; only the target ranks of prune are fractional.
type rankedValue struct {
	v, rmin, rmax, w float32
}

// rminNext is the smallest rank the next larger value can have.
func (e rankedValue) rminNext() float32 { return e.rmin + e.w }

// rmaxPrev is the largest rank the next smaller value can have.
func (e rankedValue) rmaxPrev() float32 { return e.rmax - e.w }

// pruneSummary writes to dst (reusing its storage) a summary of at most
// size entries chosen from src. It keeps the first and last entries and,
// for each of the size-2 evenly spaced target ranks between them, the
// entry whose rank interval lies nearest the target; the approximation
// error grows by at most half the target spacing (the paper's prune
// operation). When src already fits it is copied unchanged.
func pruneSummary(dst, src []rankedValue, size int) []rankedValue {
	dst = slices.Grow(dst[:0], min(size, len(src)))
	if len(src) <= size {
		return append(dst, src...)
	}
	lastIdx := len(src) - 1
	first := src[0].rmax
	span := src[lastIdx].rmin - first
	steps := float32(size - 1)
	dst = append(dst, src[0])
	kept, i := 0, 1
	for k := 1; k < size-1; k++ {
		// Twice the target rank, so that it compares with the sum of an
		// entry's bounds instead of their midpoint. The conversions keep
		// each step rounded to float32, as XGBoost computes it; without
		// them the compiler could fuse the multiply and add.
		target := float32(float32(float32(k)*span)/steps) + first
		target2 := 2 * target
		// Advance to the last entry whose midpoint rank lies at or
		// below the target.
		for i < lastIdx && target2 >= float32(src[i+1].rmax+src[i+1].rmin) {
			i++
		}
		if i == lastIdx {
			break
		}
		// The target lies between the midpoints of entries i and i+1:
		// keep whichever the rank gap between them says is closer.
		pick := i + 1
		if target2 < float32(src[i].rminNext()+src[i+1].rmaxPrev()) {
			pick = i
		}
		if pick != kept {
			dst = append(dst, src[pick])
			kept = pick
		}
	}
	if kept != lastIdx {
		dst = append(dst, src[lastIdx])
	}
	return dst
}

// mergeSummaries writes to dst (reusing its storage) the summary of the
// union of the data summarised by a and b (the paper's merge operation):
// the union of their values, each value's bounds being its bounds in its
// own summary plus the bounds the other summary gives for the data below
// it.
func mergeSummaries(dst, a, b []rankedValue) []rankedValue {
	dst = slices.Grow(dst[:0], len(a)+len(b))
	if len(a) == 0 {
		return append(dst, b...)
	}
	if len(b) == 0 {
		return append(dst, a...)
	}
	// belowA, belowB: the least weight of a's (b's) data that is known to
	// lie below the next value, i.e. rminNext of the last entry taken.
	var belowA, belowB float32
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x, y := a[i], b[j]
		switch {
		case x.v == y.v:
			dst = append(dst, rankedValue{v: x.v, rmin: x.rmin + y.rmin, rmax: x.rmax + y.rmax, w: x.w + y.w})
			belowA, belowB = x.rminNext(), y.rminNext()
			i++
			j++
		case x.v < y.v:
			// At most rmaxPrev of y's data lies below x, since y > x.
			dst = append(dst, rankedValue{v: x.v, rmin: x.rmin + belowB, rmax: x.rmax + y.rmaxPrev(), w: x.w})
			belowA = x.rminNext()
			i++
		default:
			dst = append(dst, rankedValue{v: y.v, rmin: y.rmin + belowA, rmax: y.rmax + x.rmaxPrev(), w: y.w})
			belowB = y.rminNext()
			j++
		}
	}
	// The rest lie above everything in the other summary, all of whose
	// weight (bounded by its last entry's rminNext) lies below them.
	if i < len(a) {
		all := b[len(b)-1].rminNext()
		for _, x := range a[i:] {
			dst = append(dst, rankedValue{v: x.v, rmin: x.rmin + belowB, rmax: x.rmax + all, w: x.w})
		}
	}
	if j < len(b) {
		all := a[len(a)-1].rminNext()
		for _, y := range b[j:] {
			dst = append(dst, rankedValue{v: y.v, rmin: y.rmin + belowA, rmax: y.rmax + all, w: y.w})
		}
	}
	repairBounds(dst)
	return dst
}

// repairBounds makes rmin and rmax non-decreasing and rmax >= rmin + w, as
// they are for any true ranks. A merge of valid summaries can break this
// only by rounding, but XGBoost applies the same repair after every merge,
// so we do too to keep the same entries.
func repairBounds(s []rankedValue) {
	var prevMin, prevMax float32
	for i := range s {
		e := &s[i]
		if e.rmin < prevMin {
			e.rmin = prevMin
		} else {
			prevMin = e.rmin
		}
		e.rmax = max(e.rmax, prevMax, e.rminNext())
		prevMax = e.rmax
	}
}

// quantileSketch streams the values of one feature into a weighted quantile
// summary of about limit entries.
//
// Values go to a buffer that holds up to 2*limit runs of equal consecutive
// values (XGBoost counts a run of repeated values as one slot, so we count
// the same way to flush at the same moments). A full buffer is sorted into
// an exact summary, pruned and carried up the levels: level l holds the
// summary of up to 2^l buffers' worth of data, and an occupied level is
// merged with the incoming summary, which moves up a level if the merge no
// longer fits in limit entries.
type quantileSketch struct {
	limit int
	// buf holds every buffered value, runs expanded, as an order key
	// (see floatKey) so that it sorts by radix; spare is the radix sort's
	// second buffer.
	buf, spare []uint32
	runs       int // runs of equal consecutive values in buf
	levels     [][]rankedValue
	scratch    [2][]rankedValue
}

// newQuantileSketch returns a sketch for n values with error eps: the
// smallest number of levels L for which 2^L buffers of limit =
// ceil(L/eps)+1 entries cover n values, as the paper's analysis needs.
func newQuantileSketch(n int, eps float64) *quantileSketch {
	limit := 0
	for levels := 1; ; levels++ {
		limit = min(n, int(math.Ceil(float64(levels)/eps))+1)
		if levels >= 62 || (1<<levels)*limit >= n {
			break
		}
	}
	return &quantileSketch{limit: limit, buf: make([]uint32, 0, 2*limit)}
}

// floatKey maps a float32 other than NaN to a uint32 with the same order,
// -0 and +0 both to the key of +0: they compare equal, and one key for
// both keeps the cut chosen for them from depending on sort order.
func floatKey(v float32) uint32 {
	if v == 0 {
		v = 0
	}
	b := math.Float32bits(v)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

// keyFloat inverts floatKey.
func keyFloat(k uint32) float32 {
	if k>>31 != 0 {
		return math.Float32frombits(k &^ (1 << 31))
	}
	return math.Float32frombits(^k)
}

// push adds a value of unit weight; v must not be NaN.
func (s *quantileSketch) push(v float32) {
	if s.runs == 2*s.limit {
		s.flush()
	}
	k := floatKey(v)
	if s.runs == 0 || s.buf[len(s.buf)-1] != k {
		s.runs++
	}
	s.buf = append(s.buf, k)
}

// bufferSummary sorts the buffer into an exact summary in dst and empties
// it.
func (s *quantileSketch) bufferSummary(dst []rankedValue) []rankedValue {
	s.spare = radixSort(s.buf, s.spare)
	dst = summarizeSorted(slices.Grow(dst[:0], s.runs), s.buf)
	s.buf, s.runs = s.buf[:0], 0
	return dst
}

// summarizeSorted appends to dst the exact summary of sorted order keys of
// unit-weight values: one entry per distinct value, weighted by its count.
func summarizeSorted(dst []rankedValue, sorted []uint32) []rankedValue {
	var below float32
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		w := float32(j - i)
		dst = append(dst, rankedValue{v: keyFloat(sorted[i]), rmin: below, rmax: below + w, w: w})
		below += w
		i = j
	}
	return dst
}

// radixSort sorts keys in place, a byte at a time from the least
// significant, skipping bytes that all keys share (often the exponent
// bytes of one feature). It uses spare, grown as needed, as the second
// buffer and returns it for reuse. A buffer of the sketch is tens of
// thousands of keys, where this is several times faster than a
// comparison sort.
func radixSort(keys, spare []uint32) []uint32 {
	n := len(keys)
	if cap(spare) < n {
		spare = make([]uint32, n)
	}
	spare = spare[:n]
	var counts [4][256]int
	for _, k := range keys {
		counts[0][k&0xff]++
		counts[1][k>>8&0xff]++
		counts[2][k>>16&0xff]++
		counts[3][k>>24]++
	}
	src, dst := keys, spare
	for pass := range 4 {
		c := &counts[pass]
		if n == 0 || c[src[0]>>(8*pass)&0xff] == n {
			continue
		}
		sum := 0
		for b := range c {
			c[b], sum = sum, sum+c[b]
		}
		shift := 8 * pass
		for _, k := range src {
			b := k >> shift & 0xff
			dst[c[b]] = k
			c[b]++
		}
		src, dst = dst, src
	}
	if n > 0 && &src[0] != &keys[0] {
		copy(keys, src)
	}
	return spare
}

// flush carries the buffer's summary up the levels.
func (s *quantileSketch) flush() {
	in := s.bufferSummary(s.scratch[0])
	tmp := s.scratch[1]
	for l := 0; ; l++ {
		if l == len(s.levels) {
			s.levels = append(s.levels, nil)
		}
		if len(s.levels[l]) == 0 {
			s.levels[l] = pruneSummary(s.levels[l], in, s.limit)
			break
		}
		tmp = pruneSummary(tmp, in, s.limit)
		in = mergeSummaries(in, tmp, s.levels[l])
		if len(in) <= s.limit {
			// Still small enough to stay at this level.
			s.levels[l] = append(s.levels[l][:0], in...)
			break
		}
		s.levels[l] = s.levels[l][:0]
	}
	s.scratch[0], s.scratch[1] = in, tmp
}

// summary returns the summary of everything pushed, at most limit entries.
// The sketch must not be used afterwards.
func (s *quantileSketch) summary() []rankedValue {
	out := s.bufferSummary(nil)
	if len(s.levels) == 0 {
		return pruneSummary(nil, out, s.limit)
	}
	acc := pruneSummary(nil, out, s.limit)
	var merged []rankedValue
	for _, lv := range s.levels {
		switch {
		case len(lv) == 0:
		case len(acc) == 0:
			acc = append(acc, lv...)
		default:
			merged = mergeSummaries(merged, acc, lv)
			acc = pruneSummary(acc, merged, s.limit)
		}
	}
	return acc
}

// sketchCuts returns the interior cuts of a feature whose n non-missing
// values each(yield) produces in row order: the values of the sketch's
// summary after the two final prunes, without the first (the minimum,
// which needs no cut below it) and, when the summary has maxBin+1 entries,
// without the last (the maximum; the caller places a cut above it). With
// at most maxBin distinct values no prune drops anything, so the cuts are
// every distinct value but the smallest. The result is strictly
// increasing.
func sketchCuts(n, maxBin int, each func(yield func(float32))) []float32 {
	if n == 0 {
		return nil
	}
	// XGBoost sizes the sketch for min(maxBin, n) bins, and prunes to
	// sketchFactor*maxBin entries, then to maxBin+1, both capped by n.
	bins := min(maxBin, n)
	eps := 1 / float64(float32(bins)*sketchFactor)
	sk := newQuantileSketch(n, eps)
	each(sk.push)
	sum := sk.summary()
	fine := min(n, sketchFactor*maxBin)
	sum = pruneSummary(nil, sum, fine)
	bins = min(fine, maxBin)
	sum = pruneSummary(nil, sum, bins+1)
	// Entries 1..bins-1 are the cuts; entry bins, if present, is the
	// maximum, which the caller's cut above it covers.
	k := min(len(sum), bins)
	cuts := make([]float32, 0, max(k-1, 0))
	for _, e := range sum[1:k] {
		cuts = append(cuts, e.v)
	}
	return cuts
}

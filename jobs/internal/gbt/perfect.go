package gbt

import (
	"math"
	"sync"
)

// The perfect layout is a second compiled form of the trees, used by batch
// prediction for blocks of rows without missing values. Every tree is
// padded to the depth of the deepest one and stored as a perfect binary
// tree in heap order: the children of split j are 2j+1 and 2j+2, so the
// next node follows from the comparison alone, without loading a child
// index, and a row always takes exactly depth steps. The padding below a
// leaf that is not at full depth sends every row left (see padSplit) down
// to one copy of the leaf's value, so the leaf reached, and therefore the
// prediction, is the one the tree itself gives.
//
// Shallow trees, as boosting grows them (XGBoost's default max_depth is
// 6), are small in this form: at depth 6 a tree is 63 splits of 8 bytes
// and 64 leaf values, so a 100-tree model stays within the L2 cache and
// one tree within a few cache lines of L1.

// maxPerfectDepth is the deepest model that gets the perfect layout;
// deeper ones, where padding would cost 2^depth nodes per tree, are
// predicted from the compact form only.
const maxPerfectDepth = 10

// perfectSplit is one split of the perfect layout. Rows with
// x >= threshold go right, as rows with x < threshold go left in
// XGBoost.
type perfectSplit struct {
	// offset is feature*predictBlockRows: where the feature's values start
	// in a block of rows stored by column (see predictBlock).
	offset    uint32
	threshold float32
}

// padSplit is the split below a leaf that is not at full depth. Its
// threshold is NaN, which no value is at or above, so every row goes left
// and reaches the copy of the leaf's value at the leftmost leaf below it.
// (Rows with missing values never take this path.)
var padSplit = perfectSplit{threshold: float32(math.NaN())}

// perfectForest is every tree of a model in the perfect layout.
type perfectForest struct {
	depth  int
	trees  int
	splits []perfectSplit // per tree, 2^depth - 1 splits in heap order
	leaves []float32      // per tree, the 2^depth leaves left to right
}

// buildPerfect lays out m's trees for perfect-layout prediction, or
// returns nil if the model is too deep or its features do not fit the
// layout's offsets.
func buildPerfect(m *Model) *perfectForest {
	depth := 0
	for _, ct := range m.compact {
		depth = max(depth, int(ct.depth))
	}
	if depth > maxPerfectDepth || uint64(m.numFeature)*predictBlockRows > math.MaxUint32 {
		return nil
	}
	numSplits, numLeaves := 1<<depth-1, 1<<depth
	p := &perfectForest{
		depth:  depth,
		trees:  len(m.compact),
		splits: make([]perfectSplit, 0, len(m.compact)*numSplits),
		leaves: make([]float32, 0, len(m.compact)*numLeaves),
	}
	for _, ct := range m.compact {
		splits := p.splits[len(p.splits) : len(p.splits)+numSplits]
		leaves := p.leaves[len(p.leaves) : len(p.leaves)+numLeaves]
		// A node of the compact form at heap position j of level d fills
		// split j, or, at full depth, leaf j - numSplits; a leaf above full
		// depth pads the subtree below it.
		var fill func(node int32, j, d int)
		fill = func(node int32, j, d int) {
			n := &m.nodes[node]
			if d == depth {
				leaves[j-numSplits] = n.value
				return
			}
			if n.left == node { // a leaf above full depth
				splits[j] = padSplit
				fill(node, 2*j+1, d+1)
				fill(node, 2*j+2, d+1) // never reached; filled for tidiness
				return
			}
			splits[j] = perfectSplit{
				offset:    n.feature * predictBlockRows,
				threshold: keyThreshold(n.key),
			}
			fill(n.left, 2*j+1, d+1)
			fill(n.left+1, 2*j+2, d+1)
		}
		fill(ct.root, 0, 0)
		p.splits = p.splits[:len(p.splits)+numSplits]
		p.leaves = p.leaves[:len(p.leaves)+numLeaves]
	}
	return p
}

// keyThreshold returns the float32 whose orderKey is key: the split's
// threshold as the compact form compares it. For values that are not NaN,
// x >= keyThreshold(key) holds exactly when orderKey(x) >= key, so both
// forms send every row the same way. (A key of -0 comes back as +0, which
// compares the same.)
func keyThreshold(key int32) float32 {
	b := key ^ (key >> 31 & math.MaxInt32)
	return math.Float32frombits(uint32(b))
}

// blockPool holds the column-major copies of row blocks that predictBlock
// reads, so that steady batch prediction does not allocate.
var blockPool sync.Pool

// predictBlock adds the leaf values of every tree, in tree order, to acc
// for the rows lo to hi-1 (at most predictBlockRows of them), and reports
// false without touching acc if one of the rows has a missing value; the
// compact form handles those.
func (p *perfectForest) predictBlock(rows Matrix, lo, hi int, acc []float32) bool {
	cols := rows.Cols
	if cols == 0 {
		return false // no block to lay out; the compact form is as fast
	}
	bp, _ := blockPool.Get().(*[]float32)
	if bp == nil || len(*bp) < cols*predictBlockRows {
		b := make([]float32, cols*predictBlockRows)
		bp = &b
	}
	defer blockPool.Put(bp)
	block := *bp
	// Store the block by column: feature f of row r at f*predictBlockRows+r,
	// so that a split's offset plus a row number finds a value, and rows
	// walking a tree side by side share one base address.
	n := hi - lo
	for r := range n {
		row := rows.Data[(lo+r)*cols : (lo+r+1)*cols]
		for f, x := range row {
			if x != x {
				return false
			}
			block[f*predictBlockRows+r] = x
		}
	}
	numSplits := 1<<p.depth - 1
	for t := range p.trees {
		splits := p.splits[t*numSplits : (t+1)*numSplits]
		leaves := p.leaves[t<<p.depth : (t+1)<<p.depth]
		r := 0
		for ; r+4 <= n; r += 4 {
			j0, j1, j2, j3 := walk4(splits, block[r:], p.depth)
			acc[r] += leaves[j0-uint32(numSplits)]
			acc[r+1] += leaves[j1-uint32(numSplits)]
			acc[r+2] += leaves[j2-uint32(numSplits)]
			acc[r+3] += leaves[j3-uint32(numSplits)]
		}
		for ; r < n; r++ {
			x := block[r:]
			var j uint32
			for range p.depth {
				s := splits[j]
				j = 2*j + 1 + right(x[s.offset], s.threshold)
			}
			acc[r] += leaves[j-uint32(numSplits)]
		}
	}
	return true
}

// walk4 walks one tree in the perfect layout, given by its splits, for
// the four rows whose values start at x[0], x[1], x[2] and x[3] of a block
// stored by column, and returns the heap positions of the leaves they
// reach. The rows walk side by side: each walk is a chain of dependent
// loads, and independent chains overlap in the CPU. It is a function of
// its own so that its few variables all stay in registers.
func walk4(splits []perfectSplit, x []float32, depth int) (j0, j1, j2, j3 uint32) {
	for range depth {
		s0, s1, s2, s3 := splits[j0], splits[j1], splits[j2], splits[j3]
		j0 = 2*j0 + 1 + right(x[s0.offset], s0.threshold)
		j1 = 2*j1 + 1 + right(x[s1.offset+1], s1.threshold)
		j2 = 2*j2 + 1 + right(x[s2.offset+2], s2.threshold)
		j3 = 2*j3 + 1 + right(x[s3.offset+3], s3.threshold)
	}
	return j0, j1, j2, j3
}

// right returns 1 if a row with value x goes right at a split with the
// given threshold, else 0, written so that the compiler emits a flag
// set rather than a branch the CPU would have to predict.
func right(x, threshold float32) uint32 {
	var r uint32
	if x >= threshold {
		r = 1
	}
	return r
}

package gbt

import (
	"math"
)

// gradPair is the gradient and hessian of the loss for one row. They are
// float32, as in XGBoost: half the memory traffic when building
// histograms, and the same rounding XGBoost applies. Sums are float64.
type gradPair struct{ g, h float32 }

// histBin is the sum of gradients and hessians of the rows in one bin.
type histBin struct{ g, h float64 }

// histBlockRows is the number of rows one histogram-building task sums.
// Nodes larger than this are split into blocks whose partial histograms
// are added in block order; because the block size is fixed, the
// floating-point sums do not depend on how many goroutines run.
const histBlockRows = 4096

// kRtEps is XGBoost's minimum loss reduction for a split to be considered
// at all.
const kRtEps = 1e-6

// splitInfo is the best split found for a node.
type splitInfo struct {
	loss        float32 // loss reduction; 0 means no split found
	feature     int
	lt          int // rows whose bin code is < lt go left
	threshold   float32
	defaultLeft bool
	lg, lh      float64 // gradient and hessian sums of the left child
	rg, rh      float64 // and of the right child
}

// growNode is a node being grown: its rows are rows[begin:end] of the
// grower, its histogram (for the sampled features) is hist.
type growNode struct {
	id         int32
	depth      int
	begin, end int
	g, h       float64
	hist       []histBin
	// miss[f] counts the node's rows with feature f missing. Counts
	// rather than hessian sums decide whether missing values are present,
	// because a count survives histogram subtraction exactly.
	miss  []int32
	split splitInfo
	valid bool // split is good enough to apply
}

func (n *growNode) size() int { return n.end - n.begin }

// grower grows the trees of one training run. Its buffers are reused from
// tree to tree.
type grower[T binCode] struct {
	p        Params
	eta      float32
	threads  int
	nrows    int
	codes    []T // column-major bin codes
	cuts     *cutSet
	histOff  []int // feature f's slots start at histOff[f]: nbins(f) bins, then missing
	histSize int

	feats         []int      // features sampled for the current tree
	gpair         []gradPair // gradients of the current tree, by row
	rows, rowsTmp []int32    // row indices, each node owning a contiguous range
	histPool      [][]histBin
	missPool      [][]int32
	// leaves lists the leaves of the last tree grown with their rows, so
	// that training margins can be updated without walking the tree.
	leaves []leafRows
	// Scratch space of buildHists, kept to spare the allocations.
	tasks   []histTask
	partial []histBin
}

// leafRows says that rows[begin:end] of the grower ended in leaf id.
type leafRows struct {
	id         int32
	begin, end int
}

func newGrower[T binCode](p Params, threads int, codes []T, nrows int, cuts *cutSet) *grower[T] {
	gr := &grower[T]{
		p:       p,
		eta:     float32(p.Eta),
		threads: threads,
		nrows:   nrows,
		codes:   codes,
		cuts:    cuts,
		rows:    make([]int32, nrows),
		rowsTmp: make([]int32, nrows),
	}
	for f := range cuts.mins {
		gr.histOff = append(gr.histOff, gr.histSize)
		gr.histSize += cuts.nbins(f) + 1
	}
	return gr
}

func thresholdL1(g, alpha float64) float64 {
	switch {
	case g > alpha:
		return g - alpha
	case g < -alpha:
		return g + alpha
	}
	return 0
}

// weight is XGBoost's CalcWeight: the optimal leaf weight of a node, 0 if
// its hessian sum is below min_child_weight.
func (gr *grower[T]) weight(g, h float64) float32 {
	if h < gr.p.MinChildWeight || h <= 0 {
		return 0
	}
	return float32(-thresholdL1(g, gr.p.Alpha) / (h + gr.p.Lambda))
}

// gain is XGBoost's CalcGain: the loss reduction of a node with the
// optimal weight, rounded to float32 as XGBoost rounds it.
func (gr *grower[T]) gain(g, h float64) float32 {
	if h <= 0 {
		return 0
	}
	t := thresholdL1(g, gr.p.Alpha)
	return float32(t * t / (h + gr.p.Lambda))
}

// scaled is the value a leaf stores: its weight times eta, in float32
// as XGBoost computes it.
func (gr *grower[T]) scaled(w float32) float32 { return w * gr.eta }

func (gr *grower[T]) getHist() ([]histBin, []int32) {
	var h []histBin
	var m []int32
	if n := len(gr.histPool); n > 0 {
		h, gr.histPool = gr.histPool[n-1], gr.histPool[:n-1]
	} else {
		h = make([]histBin, gr.histSize)
	}
	if n := len(gr.missPool); n > 0 {
		m, gr.missPool = gr.missPool[n-1], gr.missPool[:n-1]
	} else {
		m = make([]int32, len(gr.histOff))
	}
	return h, m
}

func (gr *grower[T]) putHist(n *growNode) {
	if n.hist != nil {
		gr.histPool = append(gr.histPool, n.hist)
		gr.missPool = append(gr.missPool, n.miss)
		n.hist, n.miss = nil, nil
	}
}

// grow grows one tree depthwise, level by level as XGBoost's hist updater
// does, on the rows in sample (ascending) and the features in feats
// (ascending), from the per-row gradients gpair.
//
// Node ids are assigned as XGBoost assigns them: the nodes of a level are
// expanded in id order and each gets the next two ids for its children.
// A node is split only if its best split reduces the loss by more than
// 1e-6 and by at least gamma, with both children's hessian sums at least
// min_child_weight, and if it is shallower than max_depth. Checking gamma
// before splitting rather than pruning afterwards is what XGBoost's hist
// updater does; it never splits a node whose own gain is below gamma, even
// if splits further down would have had a large gain.
func (gr *grower[T]) grow(gpair []gradPair, sample []int32, feats []int) *tree {
	gr.feats = feats
	gr.leaves = gr.leaves[:0]
	n := len(sample)
	copy(gr.rows, sample)
	gr.gpair = gpair
	var g, h float64
	for _, r := range sample {
		gp := gpair[r]
		g += float64(gp.g)
		h += float64(gp.h)
	}

	t := &tree{numFeature: len(gr.histOff)}
	t.addNode(rootParent)
	root := &growNode{id: 0, begin: 0, end: n, g: g, h: h}
	w := gr.weight(g, h)
	t.baseWeight[0] = w
	t.cond[0] = gr.scaled(w)
	t.sumHess[0] = float32(h)

	level := []*growNode{root}
	if gr.p.MaxDepth > 0 {
		gr.buildHists(level)
		gr.evaluate(level)
	}
	for len(level) > 0 {
		var expand []*growNode
		for _, nd := range level {
			if nd.valid {
				expand = append(expand, nd)
			} else {
				gr.putHist(nd)
				gr.leaves = append(gr.leaves, leafRows{nd.id, nd.begin, nd.end})
			}
		}
		if len(expand) == 0 {
			break
		}
		children := make([]*growNode, 0, 2*len(expand))
		for _, nd := range expand {
			s := &nd.split
			l, r := t.addNode(nd.id), t.addNode(nd.id)
			t.left[nd.id], t.right[nd.id] = l, r
			t.feature[nd.id] = int32(s.feature)
			t.cond[nd.id] = s.threshold
			if s.defaultLeft {
				t.defaultLeft[nd.id] = 1
			}
			t.lossChg[nd.id] = s.loss
			// A child starts as a leaf whose base weight is its leaf value,
			// as in XGBoost; expanding it later overwrites both.
			lw, rw := gr.weight(s.lg, s.lh), gr.weight(s.rg, s.rh)
			t.cond[l], t.baseWeight[l], t.sumHess[l] = gr.scaled(lw), gr.scaled(lw), float32(s.lh)
			t.cond[r], t.baseWeight[r], t.sumHess[r] = gr.scaled(rw), gr.scaled(rw), float32(s.rh)
			t.baseWeight[nd.id] = gr.weight(nd.g, nd.h)
			children = append(children,
				&growNode{id: l, depth: nd.depth + 1, g: s.lg, h: s.lh},
				&growNode{id: r, depth: nd.depth + 1, g: s.rg, h: s.rh})
		}
		gr.partition(expand, children)
		if expand[0].depth+1 < gr.p.MaxDepth {
			gr.childHists(expand, children)
			gr.evaluate(children)
		} else {
			for _, nd := range expand {
				gr.putHist(nd)
			}
		}
		level = children
	}
	return t
}

// partition splits the rows of every node in expand between its two
// children (children[2i] and children[2i+1]), stably, so that each node's
// rows stay in ascending order and histogram sums stay in a fixed order.
func (gr *grower[T]) partition(expand, children []*growNode) {
	parallelFor(gr.threads, len(expand), func(i int) {
		nd := expand[i]
		s := &nd.split
		col := gr.codes[s.feature*gr.nrows : (s.feature+1)*gr.nrows]
		miss := T(gr.cuts.nbins(s.feature))
		nl := nd.begin + partitionRows(col, T(s.lt), miss, s.defaultLeft,
			gr.rows[nd.begin:nd.end], gr.rowsTmp[nd.begin:nd.end])
		l, r := children[2*i], children[2*i+1]
		l.begin, l.end = nd.begin, nl
		r.begin, r.end = nl, nd.end
	})
}

// partitionRows reorders rows (and grads with them) so that the rows going
// left come first, both sides keeping their order, and returns how many go
// left. A row goes left if its code is below lt, or if it is missing (code
// miss) and missing values go left. Every row is written to both sides and
// only the count of its own side advances, so there is no branch to
// mispredict on random data.
func partitionRows[T binCode](col []T, lt, miss T, defaultLeft bool, rows, rowsTmp []int32) int {
	rowsTmp = rowsTmp[:len(rows)]
	nl, nr := 0, 0
	if defaultLeft {
		for _, r := range rows {
			c := col[r]
			rows[nl] = r
			rowsTmp[nr] = r
			left := b2i(c < lt) | b2i(c == miss)
			nl += left
			nr += 1 - left
		}
	} else {
		for _, r := range rows {
			c := col[r]
			rows[nl] = r
			rowsTmp[nr] = r
			left := b2i(c < lt)
			nl += left
			nr += 1 - left
		}
	}
	copy(rows[nl:], rowsTmp[:nr])
	return nl
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// childHists gives every child a histogram: for each pair of siblings the
// smaller one is built from its rows and the larger one is the parent's
// minus the smaller one's, computed in place in the parent's buffer.
func (gr *grower[T]) childHists(expand, children []*growNode) {
	var build, big []*growNode
	for i, nd := range expand {
		l, r := children[2*i], children[2*i+1]
		small, large := l, r
		if r.size() < l.size() {
			small, large = r, l
		}
		build = append(build, small)
		large.hist, large.miss = nd.hist, nd.miss
		nd.hist, nd.miss = nil, nil
		big = append(big, large)
	}
	gr.buildHists(build)
	parallelFor(gr.threads, len(big), func(i int) {
		large, small := big[i], build[i]
		for _, f := range gr.feats {
			lo, hi := gr.histOff[f], gr.histOff[f]+gr.cuts.nbins(f)+1
			dst, src := large.hist[lo:hi], small.hist[lo:hi]
			for j := range dst {
				dst[j].g -= src[j].g
				dst[j].h -= src[j].h
			}
			large.miss[f] -= small.miss[f]
		}
	})
}

// histTask sums the rows[lo:hi] of one node for one feature into out.
type histTask struct {
	node   *growNode
	f      int
	lo, hi int
	out    []histBin
	miss   int32
}

// buildHists builds the histograms of nodes from their rows, for the
// sampled features. Each (node, feature, block of histBlockRows rows) is a
// task; nodes with several blocks sum into partial histograms that are
// then added in block order.
func (gr *grower[T]) buildHists(nodes []*growNode) {
	tasks := gr.tasks[:0]
	partialSize := 0
	for _, nd := range nodes {
		nd.hist, nd.miss = gr.getHist()
		blocks := max(1, (nd.size()+histBlockRows-1)/histBlockRows)
		for _, f := range gr.feats {
			slots := gr.cuts.nbins(f) + 1
			for b := range blocks {
				tasks = append(tasks, histTask{
					node: nd, f: f,
					lo: nd.begin + b*histBlockRows, hi: min(nd.begin+(b+1)*histBlockRows, nd.end),
				})
				if blocks > 1 {
					partialSize += slots
				}
			}
		}
	}
	if cap(gr.partial) < partialSize {
		gr.partial = make([]histBin, partialSize)
	}
	partial := gr.partial[:partialSize]
	gr.tasks = tasks
	off := 0
	for i := range tasks {
		tk := &tasks[i]
		lo := gr.histOff[tk.f]
		slots := gr.cuts.nbins(tk.f) + 1
		if tk.node.size() > histBlockRows {
			tk.out = partial[off : off+slots : off+slots]
			off += slots
		} else {
			tk.out = tk.node.hist[lo : lo+slots : lo+slots]
		}
	}
	parallelFor(gr.threads, len(tasks), func(i int) {
		tk := &tasks[i]
		clear(tk.out)
		col := gr.codes[tk.f*gr.nrows : (tk.f+1)*gr.nrows]
		buildHist(col, gr.rows[tk.lo:tk.hi], gr.gpair, tk.out)
		if gr.cuts.missing[tk.f] {
			tk.miss = countMissing(col, gr.rows[tk.lo:tk.hi], T(len(tk.out)-1))
		}
	})
	// Reduce: tasks of one (node, feature) are adjacent and in block order.
	type group struct{ first, n int }
	var groups []group
	for i := 0; i < len(tasks); {
		j := i + 1
		for j < len(tasks) && tasks[j].node == tasks[i].node && tasks[j].f == tasks[i].f {
			j++
		}
		groups = append(groups, group{i, j - i})
		i = j
	}
	parallelFor(gr.threads, len(groups), func(k int) {
		gp := groups[k]
		first := &tasks[gp.first]
		nd, f := first.node, first.f
		var miss int32
		for _, tk := range tasks[gp.first : gp.first+gp.n] {
			miss += tk.miss
		}
		nd.miss[f] = miss
		if gp.n == 1 {
			return
		}
		lo := gr.histOff[f]
		dst := nd.hist[lo : lo+len(first.out)]
		copy(dst, first.out)
		for _, tk := range tasks[gp.first+1 : gp.first+gp.n] {
			for j, b := range tk.out {
				dst[j].g += b.g
				dst[j].h += b.h
			}
		}
	})
}

// buildHist adds the gradients of rows to the bins their codes in col
// select.
func buildHist[T binCode](col []T, rows []int32, gpair []gradPair, out []histBin) {
	for _, r := range rows {
		b := &out[col[r]]
		gp := gpair[r]
		b.g += float64(gp.g)
		b.h += float64(gp.h)
	}
}

// countMissing returns how many of rows have code miss in col.
func countMissing[T binCode](col []T, rows []int32, miss T) int32 {
	var n int32
	for _, r := range rows {
		if col[r] == miss {
			n++
		}
	}
	return n
}

// evaluate finds the best split of every node in nodes: each (node,
// feature) pair is evaluated on its own, then each node takes the best over
// its features in feature order, keeping the earlier feature on ties as
// XGBoost does.
func (gr *grower[T]) evaluate(nodes []*growNode) {
	nf := len(gr.feats)
	cands := make([]splitInfo, len(nodes)*nf)
	rootGains := make([]float32, len(nodes))
	for i, nd := range nodes {
		rootGains[i] = gr.gain(nd.g, nd.h)
	}
	parallelFor(gr.threads, len(cands), func(k int) {
		i, j := k/nf, k%nf
		cands[k] = gr.evalFeature(nodes[i], gr.feats[j], rootGains[i])
	})
	gamma := float32(gr.p.Gamma)
	for i, nd := range nodes {
		best := splitInfo{}
		for _, c := range cands[i*nf : (i+1)*nf] {
			if c.loss > best.loss {
				best = c
			}
		}
		nd.split = best
		nd.valid = best.loss > kRtEps && best.lh > 0 && best.rh > 0 && best.loss >= gamma
	}
}

// evalFeature enumerates the splits of one feature for node nd as XGBoost
// does: forward over the bins with missing values going right, and, if the
// node has missing values for the feature, backward with them going left.
func (gr *grower[T]) evalFeature(nd *growNode, f int, rootGain float32) splitInfo {
	var best splitInfo
	nb := gr.cuts.nbins(f)
	cuts := gr.cuts.cuts(f)
	hist := nd.hist[gr.histOff[f] : gr.histOff[f]+nb]
	mcw := gr.p.MinChildWeight
	hasMissing := gr.cuts.missing[f] && nd.miss[f] > 0
	consider := func(lg, lh, rg, rh float64, lt int, threshold float32, defaultLeft bool) {
		loss := (gr.gain(lg, lh) + gr.gain(rg, rh)) - rootGain
		if loss > best.loss && !math.IsInf(float64(loss), 0) {
			best = splitInfo{loss: loss, feature: f, lt: lt, threshold: threshold, defaultLeft: defaultLeft,
				lg: lg, lh: lh, rg: rg, rh: rh}
		}
	}
	// Without missing values the last forward split would leave the right
	// child empty, so it is not tried.
	end := nb
	if !hasMissing {
		end = nb - 1
	}
	var lg, lh float64
	for i := 0; i < end; i++ {
		lg += hist[i].g
		lh += hist[i].h
		if lh >= mcw {
			if rg, rh := nd.g-lg, nd.h-lh; rh >= mcw {
				consider(lg, lh, rg, rh, i+1, cuts[i], false)
			}
		}
	}
	if hasMissing {
		var rg, rh float64
		for i := nb - 1; i >= 0; i-- {
			rg += hist[i].g
			rh += hist[i].h
			if rh >= mcw {
				if lg, lh := nd.g-rg, nd.h-rh; lh >= mcw {
					threshold := gr.cuts.mins[f]
					if i > 0 {
						threshold = cuts[i-1]
					}
					consider(lg, lh, rg, rh, i, threshold, true)
				}
			}
		}
	}
	return best
}

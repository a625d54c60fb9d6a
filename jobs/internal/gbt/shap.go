package gbt

import (
	"fmt"
	"slices"
)

// Exact SHAP values of a tree ensemble, by the path-dependent TreeSHAP
// algorithm (Lundberg, Erion and Lee, "Consistent Individualized Feature
// Attribution for Tree Ensembles", 2018, Algorithm 2), which is what
// XGBoost's pred_contribs computes. For every row it gives one
// contribution per feature and a bias (the expected value of the model
// over the training data the trees saw, as node covers record it) that
// add up to the row's raw score. The covers are the trees' sum_hessian
// statistics, which our trainer records as XGBoost does.
//
// The algorithm walks each tree once per row, keeping the "unique path" of
// features seen from the root with the fraction of training rows (zero
// fraction) and of this row (one fraction, 0 or 1) that flow down it; at a
// leaf, every feature on the path receives its share of the leaf value, at
// a cost of O(leaves * depth^2) per tree and row (treeShap). Trees of the
// usual depths are instead explained from tables precomputed once per
// model (shapTable), which gives the same values at O(nodes + leaves *
// depth) per tree and row; treeShap serves the trees that do not fit the
// tables' memory budget. Nothing is allocated per row.

// float is the precision a path is computed in: float32 for the per-row
// walk, as XGBoost computes it, float64 for tables built once.
type float interface{ ~float32 | ~float64 }

// pathElem is one feature on the unique path of TreeSHAP.
type pathElem[F float] struct {
	feature int32
	// zero is the fraction of training rows (by cover) that follow the
	// path at this feature's splits; one is 1 if the explained row does,
	// else 0.
	zero, one F
	// weight is the proportion of feature subsets of each size, the
	// permutation weight of the algorithm.
	weight F
}

// pathElement is a path element of the per-row walk.
type pathElement = pathElem[float32]

// extendPath adds a feature with the given fractions to path[:depth],
// updating the subset weights (the paper's EXTEND).
func extendPath[F float](path []pathElem[F], depth int, zero, one F, feature int32) {
	path[depth] = pathElem[F]{feature: feature, zero: zero, one: one}
	if depth == 0 {
		path[0].weight = 1
	}
	d := F(depth + 1)
	for i := depth - 1; i >= 0; i-- {
		path[i+1].weight += one * path[i].weight * F(i+1) / d
		path[i].weight = zero * path[i].weight * F(depth-i) / d
	}
}

// unwindPath removes element k from path[:depth+1] (the paper's UNWIND).
func unwindPath(path []pathElement, depth, k int) {
	one, zero := path[k].one, path[k].zero
	next := path[depth].weight
	d := float32(depth + 1)
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			w := path[i].weight
			path[i].weight = next * d / (float32(i+1) * one)
			next = w - path[i].weight*zero*float32(depth-i)/d
		} else {
			path[i].weight = path[i].weight * d / (zero * float32(depth-i))
		}
	}
	for i := k; i < depth; i++ {
		path[i].feature, path[i].zero, path[i].one = path[i+1].feature, path[i+1].zero, path[i+1].one
	}
}

// children returns the child of split node that a row with value x
// follows (hot) and the other one (cold): left when x < threshold, as in
// XGBoost, and a missing (NaN) x the node's default direction.
func (t *tree) children(node int32, x float32) (hot, cold int32) {
	hot, cold = t.left[node], t.right[node]
	if x != x {
		if t.defaultLeft[node] == 0 {
			hot, cold = cold, hot
		}
	} else if !(x < t.cond[node]) {
		hot, cold = cold, hot
	}
	return hot, cold
}

// unwoundSum is the total weight path[:depth+1] would have with element k
// removed, without removing it.
func unwoundSum[F float](path []pathElem[F], depth, k int) F {
	one, zero := path[k].one, path[k].zero
	next := path[depth].weight
	d := F(depth + 1)
	var total F
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			w := next * d / (F(i+1) * one)
			total += w
			next = path[i].weight - w*zero*F(depth-i)/d
		} else if zero != 0 {
			total += path[i].weight / zero * d / F(depth-i)
		}
	}
	return total
}

// treeShap adds the contributions of tree t for row to phi. parent holds
// the unique path of the parent node in parent[:depth+1]; this node's path
// is built right after it, so one buffer of (maxDepth+3)(maxDepth+4)/2
// elements serves the whole walk. zero, one and feature describe the
// split that led here (feature -1 at the root).
func (t *tree) treeShap(row []float32, phi []float64, node int32, parent []pathElement, depth int, zero, one float32, feature int32) {
	path := parent[depth+1:]
	copy(path, parent[:depth+1])
	extendPath(path, depth, zero, one, feature)
	if t.left[node] < 0 {
		leaf := t.cond[node]
		for i := 1; i <= depth; i++ {
			e := path[i]
			phi[e.feature] += float64(unwoundSum(path, depth, i) * (e.one - e.zero) * leaf)
		}
		return
	}
	split := t.feature[node]
	hot, cold := t.children(node, row[split])
	cover := t.sumHess[node]
	inZero, inOne := float32(1), float32(1)
	// A feature already on the path is taken off and put back below
	// with the fractions of both its splits combined.
	for k := 0; k <= depth; k++ {
		if path[k].feature == split {
			inZero, inOne = path[k].zero, path[k].one
			unwindPath(path, depth, k)
			depth--
			break
		}
	}
	t.treeShap(row, phi, hot, path, depth+1, t.sumHess[hot]/cover*inZero, inOne, split)
	t.treeShap(row, phi, cold, path, depth+1, t.sumHess[cold]/cover*inZero, 0, split)
}

// meanValue returns the expected leaf value of the subtree at node over
// the training rows, weighted by the covers, as XGBoost's node mean
// values.
func (t *tree) meanValue(node int32) float64 {
	l, r := t.left[node], t.right[node]
	if l < 0 {
		return float64(t.cond[node])
	}
	return (t.meanValue(l)*float64(t.sumHess[l]) + t.meanValue(r)*float64(t.sumHess[r])) / float64(t.sumHess[node])
}

// shapTableBudget bounds the entries of all precomputed tables of a model
// (8 bytes each, so 32 MiB): trees past it are walked by treeShap. A tree
// of depth d needs at most 2^d leaves x 2^d patterns x d entries, 5,120
// for depth 5 and 24,576 for depth 6, so models of the usual depths fit
// whole.
const shapTableBudget = 1 << 22

// maxTablePath is the longest unique path a table is built for: the
// patterns are bit sets in a uint32, and a table grows as 2^length.
const maxTablePath = 16

// shapTable is the TreeSHAP of one tree precomputed for every row at
// once, as in FastTreeSHAP v2 (Yang, "Fast TreeSHAP: Accelerating SHAP
// Value Computation for Trees", 2021). What a leaf gives a feature on
// its unique path depends on the row only through which of the path's
// features the row follows (the one fractions, each 0 or 1), so for each
// leaf and each such pattern the contributions are computed once, in
// float64, when the model is first explained. Explaining a row is then
// one walk over the tree's nodes, setting a pattern bit per unique
// feature, and one table row added per leaf: O(nodes + leaves * depth)
// instead of O(leaves * depth^2), with no divisions.
type shapTable struct {
	// elem is the position of node's split feature on the unique path
	// (features in order of their first split from the root); first says
	// whether node is that feature's first split on the way down, where
	// following the split sets its bit rather than keeping it.
	elem  []uint8
	first []bool
	// leaf maps a leaf node to its entry in leaves.
	leaf   []int32
	leaves []tableLeaf
	// values holds, per leaf, for each pattern p, the contributions of
	// its features: values[off+p*len(features)+j] is feature j's.
	values []float64
}

// tableLeaf is one leaf of a shapTable.
type tableLeaf struct {
	off      int
	features []int32 // the unique path from the root, first split first
}

// shapFrame is a node still to visit on the walk, with its pattern.
type shapFrame struct {
	node    int32
	pattern uint32
}

// add adds the contributions of tree t for row to phi, using stack (at
// least as long as the tree is deep) for the nodes still to visit.
func (st *shapTable) add(t *tree, row []float32, phi []float64, stack []shapFrame) {
	sp := 0
	node, pattern := int32(0), uint32(0)
	for {
		if t.left[node] < 0 {
			l := &st.leaves[st.leaf[node]]
			k := len(l.features)
			vals := st.values[l.off+int(pattern)*k : l.off+int(pattern+1)*k]
			for j, f := range l.features {
				phi[f] += vals[j]
			}
			if sp == 0 {
				return
			}
			sp--
			node, pattern = stack[sp].node, stack[sp].pattern
			continue
		}
		hot, cold := t.children(node, row[t.feature[node]])
		// The row follows a feature only if it follows all its splits.
		bit := uint32(1) << st.elem[node]
		stack[sp] = shapFrame{cold, pattern &^ bit}
		sp++
		if st.first[node] {
			pattern |= bit
		}
		node = hot
	}
}

// buildShapTable returns the table of t, or nil if it would have more
// than budget entries or a unique path longer than maxTablePath.
func buildShapTable(t *tree, budget int) *shapTable {
	n := t.numNodes()
	st := &shapTable{elem: make([]uint8, n), first: make([]bool, n), leaf: make([]int32, n)}
	// First pass: the unique paths and their zero fractions, and the size.
	type pending struct {
		node     int32
		features []int32
		zeros    []float64
	}
	var leaves []pending
	size := 0
	var visit func(node int32, features []int32, zeros []float64) bool
	visit = func(node int32, features []int32, zeros []float64) bool {
		if t.left[node] < 0 {
			k := len(features)
			size += k << k
			if size > budget {
				return false
			}
			st.leaf[node] = int32(len(leaves))
			leaves = append(leaves, pending{node, features, zeros})
			return true
		}
		split := t.feature[node]
		at := -1
		for j, f := range features {
			if f == split {
				at = j
			}
		}
		if at < 0 {
			if len(features) == maxTablePath {
				return false
			}
			at = len(features)
			st.first[node] = true
		}
		st.elem[node] = uint8(at)
		if st.first[node] {
			// Clipped, so that the subtrees' appends copy.
			features, zeros = append(slices.Clip(features), split), append(slices.Clip(zeros), 1)
		}
		cover := float64(t.sumHess[node])
		for _, child := range []int32{t.left[node], t.right[node]} {
			z := slices.Clone(zeros) // each child's own, as its subtree's leaves keep it
			z[at] *= float64(t.sumHess[child]) / cover
			if !visit(child, slices.Clip(features), z) {
				return false
			}
		}
		return true
	}
	if !visit(0, nil, nil) {
		return nil
	}
	st.values = make([]float64, 0, size)
	// In float64, for tables built once with less rounding than XGBoost's
	// per-row float32 walk.
	path := make([]pathElem[float64], maxTablePath+1)
	for _, l := range leaves {
		k := len(l.features)
		st.leaves = append(st.leaves, tableLeaf{off: len(st.values), features: l.features})
		leaf := float64(t.cond[l.node])
		for p := range 1 << k {
			extendPath(path, 0, 1, 1, 0)
			for j := range k {
				extendPath(path, j+1, l.zeros[j], float64(p>>j&1), 0)
			}
			for j := range k {
				e := path[j+1]
				st.values = append(st.values, unwoundSum(path, k, j+1)*(e.one-e.zero)*leaf)
			}
		}
	}
	return st
}

// shapState is what Contributions needs beyond the trees, computed once.
type shapState struct {
	bias     float64      // base margin plus every tree's mean value
	pathSize int          // elements of a path buffer for the deepest tree
	tables   []*shapTable // per tree; nil: walked by treeShap
	depth    int          // of the deepest tree, the stack a table walk needs
}

func (m *Model) shap() shapState {
	m.shapOnce.Do(func() { m.shapState = m.buildShap(shapTableBudget) })
	return m.shapState
}

// buildShap computes the shapState with tables of at most budget entries
// in all.
func (m *Model) buildShap(budget int) shapState {
	s := shapState{bias: float64(m.baseMargin), tables: make([]*shapTable, len(m.trees))}
	for i := range m.trees {
		t := &m.trees[i]
		if t.numNodes() == 0 {
			continue
		}
		s.bias += t.meanValue(0)
		s.depth = max(s.depth, int(m.compact[i].depth))
		if st := buildShapTable(t, budget); st != nil {
			s.tables[i] = st
			budget -= len(st.values)
		}
	}
	s.pathSize = (s.depth + 3) * (s.depth + 4) / 2
	return s
}

// shapScratch is what one goroutine reuses from row to row.
type shapScratch struct {
	path  []pathElement
	stack []shapFrame
}

func (s *shapState) scratch() shapScratch {
	return shapScratch{path: make([]pathElement, s.pathSize), stack: make([]shapFrame, s.depth+1)}
}

// NumContributions is the length of the contributions of one row: one
// per feature, then the bias.
func (m *Model) NumContributions() int { return m.numFeature + 1 }

// Contributions writes the SHAP value of every feature of row to
// out[:NumFeatures()] and the bias (the model's expected raw score) to
// out[NumFeatures()], as XGBoost's predict(pred_contribs=True) lays them
// out: they add up to PredictMargin(row), up to float rounding. NaN
// features are missing and follow the default direction. It panics if
// len(row) != NumFeatures() or len(out) != NumContributions().
func (m *Model) Contributions(row []float32, out []float64) {
	m.checkRow(len(row))
	if len(out) != m.NumContributions() {
		panic(fmt.Sprintf("gbt: len(out) = %d, want NumContributions() = %d", len(out), m.NumContributions()))
	}
	s := m.shap()
	m.contributions(Matrix{Rows: 1, Cols: len(row), Data: row}, out, &s, s.scratch())
}

// contributions writes the contributions of every row of rows to out,
// tree by tree so that a tree's table stays in cache over the rows. Each
// row's sum runs over the trees in order whatever the number of rows, so
// a row's result does not depend on the rows explained with it.
func (m *Model) contributions(rows Matrix, out []float64, s *shapState, sc shapScratch) {
	width := m.NumContributions()
	clear(out)
	for i := range m.trees {
		t := &m.trees[i]
		if t.numNodes() == 0 {
			continue
		}
		for r := range rows.Rows {
			phi := out[r*width : (r+1)*width]
			if st := s.tables[i]; st != nil {
				st.add(t, rows.Row(r), phi, sc.stack)
			} else {
				t.treeShap(rows.Row(r), phi, 0, sc.path, 0, 1, 1, -1)
			}
		}
	}
	for r := range rows.Rows {
		out[r*width+m.numFeature] = s.bias
	}
}

// ContributionsBatch writes Contributions of every row of rows to out,
// row after row (NumContributions() values each), spread over the model's
// threads (see SetThreads); results do not depend on the thread count. It
// panics if rows.Cols != NumFeatures(), the matrix is malformed or
// len(out) != rows.Rows*NumContributions().
func (m *Model) ContributionsBatch(rows Matrix, out []float64) {
	if err := rows.checkShape("contributions"); err != nil {
		panic("gbt: " + err.Error())
	}
	m.checkRow(rows.Cols)
	width := m.NumContributions()
	if len(out) != rows.Rows*width {
		panic(fmt.Sprintf("gbt: len(out) = %d, want rows.Rows*NumContributions() = %d", len(out), rows.Rows*width))
	}
	s := m.shap()
	const block = 64
	blocks := (rows.Rows + block - 1) / block
	parallelFor(resolveThreads(m.threads), blocks, func(b int) {
		lo, hi := b*block, min((b+1)*block, rows.Rows)
		part := Matrix{Rows: hi - lo, Cols: rows.Cols, Data: rows.Data[lo*rows.Cols : hi*rows.Cols]}
		m.contributions(part, out[lo*width:hi*width], &s, s.scratch())
	})
}

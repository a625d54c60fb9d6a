package gbt

import (
	"fmt"
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
// Each tree is walked once per row, keeping the "unique path" of features
// seen from the root with the fraction of training rows (zero fraction)
// and of this row (one fraction, 0 or 1) that flow down it; at a leaf,
// every feature on the path receives its share of the leaf value. The cost
// is O(leaves * depth^2) per tree and row, and nothing is allocated per
// row.

// pathElement is one feature on the unique path of TreeSHAP.
type pathElement struct {
	feature int32
	// zero is the fraction of training rows (by cover) that follow the
	// path at this feature's splits; one is 1 if the explained row does,
	// else 0.
	zero, one float32
	// weight is the proportion of feature subsets of each size, the
	// permutation weight of the algorithm.
	weight float32
}

// extendPath adds a feature with the given fractions to path[:depth],
// updating the subset weights (the paper's EXTEND).
func extendPath(path []pathElement, depth int, zero, one float32, feature int32) {
	path[depth] = pathElement{feature: feature, zero: zero, one: one}
	if depth == 0 {
		path[0].weight = 1
	}
	d := float32(depth + 1)
	for i := depth - 1; i >= 0; i-- {
		path[i+1].weight += one * path[i].weight * float32(i+1) / d
		path[i].weight = zero * path[i].weight * float32(depth-i) / d
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

// unwoundSum is the total weight path[:depth+1] would have with element k
// removed, without removing it.
func unwoundSum(path []pathElement, depth, k int) float32 {
	one, zero := path[k].one, path[k].zero
	next := path[depth].weight
	d := float32(depth + 1)
	var total float32
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			w := next * d / (float32(i+1) * one)
			total += w
			next = path[i].weight - w*zero*float32(depth-i)/d
		} else if zero != 0 {
			total += path[i].weight / zero * d / float32(depth-i)
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
	x := row[split]
	hot, cold := t.left[node], t.right[node]
	if x != x {
		if t.defaultLeft[node] == 0 {
			hot, cold = cold, hot
		}
	} else if !(x < t.cond[node]) {
		hot, cold = cold, hot
	}
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

// shapState is what Contributions needs beyond the trees, computed once.
type shapState struct {
	bias     float64 // base margin plus every tree's mean value
	pathSize int     // elements of a path buffer for the deepest tree
}

func (m *Model) shap() shapState {
	m.shapOnce.Do(func() {
		s := shapState{bias: float64(m.baseMargin)}
		depth := 0
		for i := range m.trees {
			if m.trees[i].numNodes() > 0 {
				s.bias += m.trees[i].meanValue(0)
			}
			depth = max(depth, int(m.compact[i].depth))
		}
		s.pathSize = (depth + 3) * (depth + 4) / 2
		m.shapState = s
	})
	return m.shapState
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
	path := make([]pathElement, s.pathSize)
	m.contributions(row, out, path, s.bias)
}

func (m *Model) contributions(row []float32, out []float64, path []pathElement, bias float64) {
	clear(out)
	for i := range m.trees {
		if m.trees[i].numNodes() > 0 {
			m.trees[i].treeShap(row, out, 0, path, 0, 1, 1, -1)
		}
	}
	out[m.numFeature] = bias
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
		path := make([]pathElement, s.pathSize)
		for i := b * block; i < min((b+1)*block, rows.Rows); i++ {
			m.contributions(rows.Row(i), out[i*width:(i+1)*width], path, s.bias)
		}
	})
}

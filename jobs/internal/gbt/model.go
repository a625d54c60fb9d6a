package gbt

import (
	"fmt"
	"math"
	"sync"
)

// rootParent is what XGBoost stores as the parent of a root node: its
// invalid node id -1 with the "is left child" bit masked off.
const rootParent = math.MaxInt32

// tree is one regression tree in XGBoost's array layout, kept as loaded or
// grown so that writing it back loses nothing. Node i is a leaf when
// left[i] == -1; a leaf's value is cond[i], an internal node's threshold is
// cond[i] and rows with x < cond[i] go left.
type tree struct {
	left, right, parent []int32
	feature             []int32
	cond                []float32
	defaultLeft         []uint8
	// Statistics XGBoost records for every node. Prediction does not use
	// them, but XGBoost's feature importance and SHAP values do, so a model
	// we write carries them as XGBoost would.
	baseWeight, lossChg, sumHess []float32
	numFeature                   int // tree_param.num_feature
	numDeleted                   int // tree_param.num_deleted
}

// addNode appends a leaf with the given parent and returns its id.
func (t *tree) addNode(parent int32) int32 {
	id := int32(len(t.left))
	t.left = append(t.left, -1)
	t.right = append(t.right, -1)
	t.parent = append(t.parent, parent)
	t.feature = append(t.feature, 0)
	t.cond = append(t.cond, 0)
	t.defaultLeft = append(t.defaultLeft, 0)
	t.baseWeight = append(t.baseWeight, 0)
	t.lossChg = append(t.lossChg, 0)
	t.sumHess = append(t.sumHess, 0)
	return id
}

func (t *tree) numNodes() int { return len(t.left) }

// flatNode is a node of the compiled form used for prediction: 16 bytes,
// all trees of a model in one slice, with the two children of a node next
// to each other so that choosing one is arithmetic rather than a branch
// the CPU has to guess.
type flatNode struct {
	// key is orderKey(threshold) for a split and math.MaxInt32 for a
	// leaf, which no value's key reaches, so that a step from a leaf
	// always goes "left".
	key int32
	// left indexes the left child in the same slice, the right child
	// being at left+1. A leaf's left is its own index: stepping from a
	// leaf stays there, which lets batch prediction walk several rows
	// through a tree in lockstep for a fixed number of steps.
	left    int32
	feature uint32
	// value is the leaf value of a leaf. For a split it holds the
	// stand-in for a missing feature value: -Inf if missing values go
	// left, +Inf if they go right.
	value float32
}

// orderKey maps a float32 to an int32 that orders the same way, so that
// x < threshold can be decided by an integer comparison, which the
// compiler turns into a conditional move instead of a branch. -0 is
// mapped like +0, as the two compare equal. NaN is never passed.
func orderKey(x float32) int32 {
	b := int32(math.Float32bits(x + 0)) // x + 0 turns -0 into +0
	return b ^ (b >> 31 & math.MaxInt32)
}

// compiledTree locates one tree in the compiled node slice.
type compiledTree struct {
	root  int32
	depth int32 // steps from the root to the deepest leaf
}

// appendCompiled appends the compiled nodes of t to dst, reachable nodes
// only, breadth-first from the root at index len(dst).
func appendCompiled(dst []flatNode, t *tree) ([]flatNode, compiledTree) {
	base := int32(len(dst))
	dst = append(dst, flatNode{})
	// queue[k] is the node of t stored at dst[base+k], at depth depth[k].
	queue, depth := []int32{0}, []int32{0}
	ct := compiledTree{root: base}
	for k := 0; k < len(queue); k++ {
		i, at := queue[k], base+int32(k)
		n := flatNode{key: math.MaxInt32, left: at, value: t.cond[i]}
		ct.depth = max(ct.depth, depth[k])
		if t.left[i] >= 0 {
			n.key = orderKey(t.cond[i])
			n.left = base + int32(len(queue))
			n.feature = uint32(t.feature[i])
			n.value = float32(math.Inf(1))
			if t.defaultLeft[i] != 0 {
				n.value = float32(math.Inf(-1))
			}
			queue = append(queue, t.left[i], t.right[i])
			depth = append(depth, depth[k]+1, depth[k]+1)
			dst = append(dst, flatNode{}, flatNode{})
		}
		dst[at] = n
	}
	return dst, ct
}

// step moves from node i one level down for row. Rows go left when
// x < threshold, as in XGBoost; a NaN (missing) x is replaced by the
// node's stand-in, which compares so as to follow the default direction.
// From a leaf it stays at the leaf.
func step(nodes []flatNode, i int32, row []float32) int32 {
	n := &nodes[i]
	x := row[n.feature]
	if x != x {
		x = n.value
	}
	right := int32(0)
	if orderKey(x) >= n.key {
		right = 1
	}
	return n.left + right
}

// leafValue walks the compiled tree rooted at nodes[i] for row and returns
// the leaf value it reaches.
func leafValue(nodes []flatNode, i int32, row []float32) float32 {
	for nodes[i].left != i {
		i = step(nodes, i, row)
	}
	return nodes[i].value
}

// Model is a trained tree ensemble: what [Train] returns and [ReadJSON]
// loads. Its methods are safe for concurrent use, except SetThreads.
type Model struct {
	objective  Objective
	numFeature int
	// baseScore is learner_model_param.base_score as XGBoost stores it: a
	// value for regression, a probability for binary:logistic.
	baseScore float32
	// baseMargin is the margin every prediction starts from, derived from
	// baseScore the way XGBoost derives it.
	baseMargin      float32
	bestIteration   int
	numParallelTree int
	scalePosWeight  string
	attributes      map[string]string
	featureNames    []string
	featureTypes    []string
	trees           []tree

	nodes   []flatNode     // every tree, compiled
	compact []compiledTree // where each tree is in nodes
	perfect *perfectForest // every tree padded to one depth, or nil
	threads int

	shapOnce  sync.Once // computes shapState on first use
	shapState shapState
}

// baseMargin converts a base_score into the margin predictions start from:
// the score itself for regression, its logit for binary:logistic.
// Rounding the logit to float32 happens once here, and training and every
// prediction start from the rounded value, so the margins seen while
// training are exactly those the saved model predicts.
func baseMargin(obj Objective, baseScore float32) float32 {
	if obj == Logistic {
		b := float64(baseScore)
		return float32(math.Log(b / (1 - b)))
	}
	return baseScore
}

// compile builds the prediction form of m.trees.
func (m *Model) compile() {
	m.nodes = m.nodes[:0]
	m.compact = m.compact[:0]
	for i := range m.trees {
		var ct compiledTree
		m.nodes, ct = appendCompiled(m.nodes, &m.trees[i])
		m.compact = append(m.compact, ct)
	}
	m.perfect = buildPerfect(m)
}

// Objective returns the model's learning task.
func (m *Model) Objective() Objective { return m.objective }

// NumFeatures returns the number of features every row must have.
func (m *Model) NumFeatures() int { return m.numFeature }

// NumTrees returns the number of trees in the model, all of which are used
// in predictions.
func (m *Model) NumTrees() int { return len(m.trees) }

// BestIteration returns the boosting round (counting from 0) that scored
// best on the validation data. Models trained by [Train] with early
// stopping keep only the trees up to that round, so it is NumTrees()-1 for
// them. For a loaded model it is the best_iteration attribute XGBoost
// records, or the last round (-1 for a model without trees) if that is
// absent or out of range; like XGBoost's Booster.predict, the Predict
// methods use all trees regardless.
func (m *Model) BestIteration() int { return m.bestIteration }

// BaseScore returns the global bias the model starts from, as XGBoost
// stores it: a value for regression, a probability for binary:logistic.
func (m *Model) BaseScore() float64 { return float64(m.baseScore) }

// SetThreads sets how many goroutines the batch predictions use; 0 means
// GOMAXPROCS. Results do not depend on it. It must not be called while
// predictions run.
func (m *Model) SetThreads(n int) { m.threads = max(n, 0) }

func (m *Model) checkRow(n int) {
	if n != m.numFeature {
		panic(fmt.Sprintf("gbt: row has %d features, model wants %d", n, m.numFeature))
	}
}

// PredictMargin returns the raw score of row: the sum of the base margin
// and one leaf value per tree, added in float32 in tree order exactly as
// XGBoost adds them, so that margins equal XGBoost's instead of differing
// in the last bits. NaN features are missing. It panics if
// len(row) != NumFeatures().
func (m *Model) PredictMargin(row []float32) float64 {
	m.checkRow(len(row))
	acc := m.baseMargin
	for _, t := range m.compact {
		acc += leafValue(m.nodes, t.root, row)
	}
	return float64(acc)
}

// Predict returns the prediction for row: the value for regression, the
// probability of label 1 for binary:logistic. It panics if
// len(row) != NumFeatures().
func (m *Model) Predict(row []float32) float64 {
	return m.transform(m.PredictMargin(row))
}

func (m *Model) transform(margin float64) float64 {
	if m.objective == Logistic {
		return float64(sigmoid32(float32(margin)))
	}
	return margin
}

// sigmoid32 is XGBoost's sigmoid, 1 / (1 + exp(-x)) rounded to float32 at
// every step as XGBoost rounds it, so that probabilities agree with
// XGBoost's to the last bit, or at worst one float32 step where exp
// rounds differently from the C library's expf.
func sigmoid32(x float32) float32 {
	e := float32(math.Exp(-float64(x)))
	return 1 / (1 + e)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// PredictBatch writes Predict of every row of rows to out. It spreads the
// rows over the model's threads (see SetThreads) and walks each tree for a
// block of rows at a time, which keeps the tree in cache; every row's sum
// is still taken in tree order, so results equal Predict's. It panics if
// rows.Cols != NumFeatures(), the matrix is malformed or
// len(out) != rows.Rows.
func (m *Model) PredictBatch(rows Matrix, out []float64) {
	m.predictBatch(rows, out, true)
}

// PredictMarginBatch writes PredictMargin of every row of rows to out, in
// the same way and with the same requirements as PredictBatch.
func (m *Model) PredictMarginBatch(rows Matrix, out []float64) {
	m.predictBatch(rows, out, false)
}

// predictBlockRows is how many rows share one pass over the trees.
const predictBlockRows = 256

// lanes is how many rows walk a tree in lockstep. Walking a tree is a
// chain of dependent loads; interleaving independent rows lets the CPU
// overlap their chains.
const lanes = 8

func (m *Model) predictBatch(rows Matrix, out []float64, transform bool) {
	if err := rows.checkShape("prediction"); err != nil {
		panic("gbt: " + err.Error())
	}
	m.checkRow(rows.Cols)
	if len(out) != rows.Rows {
		panic(fmt.Sprintf("gbt: len(out) = %d, want rows.Rows = %d", len(out), rows.Rows))
	}
	blocks := (rows.Rows + predictBlockRows - 1) / predictBlockRows
	if threads := resolveThreads(m.threads); threads > 1 && blocks > 1 {
		parallelFor(threads, blocks, func(b int) { m.predictBlock(rows, out, b, transform) })
		return
	}
	// One goroutine: no closure, so that a caller predicting block by
	// block, as the infer job does, allocates nothing.
	for b := range blocks {
		m.predictBlock(rows, out, b, transform)
	}
}

// predictBlock writes the predictions of block b of rows to out.
func (m *Model) predictBlock(rows Matrix, out []float64, b int, transform bool) {
	lo := b * predictBlockRows
	hi := min(lo+predictBlockRows, rows.Rows)
	var acc [predictBlockRows]float32
	for i := range hi - lo {
		acc[i] = m.baseMargin
	}
	if m.perfect == nil || !m.perfect.predictBlock(rows, lo, hi, acc[:hi-lo]) {
		m.addTrees(rows, lo, hi, acc[:hi-lo])
	}
	for i := lo; i < hi; i++ {
		if transform {
			out[i] = m.transform(float64(acc[i-lo]))
		} else {
			out[i] = float64(acc[i-lo])
		}
	}
}

// addTrees adds the leaf value of every tree, in tree order, to acc[i-lo]
// for rows lo to hi-1.
func (m *Model) addTrees(rows Matrix, lo, hi int, acc []float32) {
	nodes, cols := m.nodes, rows.Cols
	for _, t := range m.compact {
		i := lo
		if cols > 0 {
			for ; i+lanes <= hi; i += lanes {
				var rs [lanes][]float32
				var at [lanes]int32
				for k := range lanes {
					rs[k] = rows.Data[(i+k)*cols : (i+k+1)*cols]
					at[k] = t.root
				}
				for range t.depth {
					for k := range lanes {
						at[k] = step(nodes, at[k], rs[k])
					}
				}
				for k := range lanes {
					acc[i+k-lo] += nodes[at[k]].value
				}
			}
		}
		for ; i < hi; i++ {
			acc[i-lo] += leafValue(nodes, t.root, rows.Data[i*cols:(i+1)*cols])
		}
	}
}

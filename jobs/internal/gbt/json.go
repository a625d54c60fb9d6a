package gbt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// formatVersion is the XGBoost version whose JSON layout WriteJSON emits.
var formatVersion = [3]int{1, 7, 4}

// WriteJSON writes m in XGBoost's JSON model format, the layout XGBoost
// 1.7's Booster.save_model("model.json") produces, so that XGBoost loads
// it with Booster(model_file=...) and predicts the same values. Output is
// byte-for-byte deterministic: keys are sorted as XGBoost sorts them and
// numbers are formatted as XGBoost formats them (float32 values in the
// shortest form that reads back exactly, such as "1.25E-1"). A model read
// with [ReadJSON] from a file XGBoost 1.7 wrote is written back unchanged.
func (m *Model) WriteJSON(w io.Writer) error {
	_, err := w.Write(m.appendJSON(nil))
	return err
}

func (m *Model) appendJSON(b []byte) []byte {
	b = append(b, `{"learner":{"attributes":{`...)
	for i, k := range slices.Sorted(maps.Keys(m.attributes)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m.attributes[k])
	}
	b = append(b, `},"feature_names":`...)
	b = appendStrings(b, m.featureNames)
	b = append(b, `,"feature_types":`...)
	b = appendStrings(b, m.featureTypes)
	b = append(b, `,"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"`...)
	b = strconv.AppendInt(b, int64(m.numParallelTree), 10)
	b = append(b, `","num_trees":"`...)
	b = strconv.AppendInt(b, int64(len(m.trees)), 10)
	b = append(b, `","size_leaf_vector":"0"},"tree_info":[`...)
	for i := range m.trees {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '0')
	}
	b = append(b, `],"trees":[`...)
	for i := range m.trees {
		if i > 0 {
			b = append(b, ',')
		}
		b = m.trees[i].appendJSON(b, i)
	}
	b = append(b, `]},"name":"gbtree"},"learner_model_param":{"base_score":"`...)
	b = appendFloat32(b, m.baseScore)
	b = append(b, `","boost_from_average":"1","num_class":"0","num_feature":"`...)
	b = strconv.AppendInt(b, int64(m.numFeature), 10)
	b = append(b, `","num_target":"1"},"objective":{"name":`...)
	b = appendString(b, string(m.objective))
	b = append(b, `,"reg_loss_param":{"scale_pos_weight":`...)
	b = appendString(b, m.scalePosWeight)
	b = append(b, `}}},"version":[`...)
	for i, v := range formatVersion {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return append(b, "]}"...)
}

func (t *tree) appendJSON(b []byte, id int) []byte {
	b = append(b, `{"base_weights":`...)
	b = appendFloats(b, t.baseWeight)
	b = append(b, `,"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":[`...)
	for i, v := range t.defaultLeft {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '0'+v)
	}
	b = append(b, `],"id":`...)
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, `,"left_children":`...)
	b = appendInts(b, t.left)
	b = append(b, `,"loss_changes":`...)
	b = appendFloats(b, t.lossChg)
	b = append(b, `,"parents":`...)
	b = appendInts(b, t.parent)
	b = append(b, `,"right_children":`...)
	b = appendInts(b, t.right)
	b = append(b, `,"split_conditions":`...)
	b = appendFloats(b, t.cond)
	b = append(b, `,"split_indices":`...)
	b = appendInts(b, t.feature)
	b = append(b, `,"split_type":[`...)
	for i := range t.left {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '0')
	}
	b = append(b, `],"sum_hessian":`...)
	b = appendFloats(b, t.sumHess)
	b = append(b, `,"tree_param":{"num_deleted":"`...)
	b = strconv.AppendInt(b, int64(t.numDeleted), 10)
	b = append(b, `","num_feature":"`...)
	b = strconv.AppendInt(b, int64(t.numFeature), 10)
	b = append(b, `","num_nodes":"`...)
	b = strconv.AppendInt(b, int64(t.numNodes()), 10)
	return append(b, `","size_leaf_vector":"0"}}`...)
}

// appendFloat32 formats f as XGBoost does: the shortest decimal that reads
// back as the same float32, in scientific notation with an upper-case E
// and no "+" or leading zeros in the exponent ("9.382975E0", "8E-1").
func appendFloat32(b []byte, f float32) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, float64(f), 'E', -1, 32)
	e := bytes.IndexByte(b[start:], 'E')
	if e < 0 {
		return b // not reached for finite values
	}
	e += start
	exp, err := strconv.Atoi(string(b[e+1:]))
	if err != nil {
		return b
	}
	return strconv.AppendInt(b[:e+1], int64(exp), 10)
}

func appendFloats(b []byte, fs []float32) []byte {
	b = append(b, '[')
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat32(b, f)
	}
	return append(b, ']')
}

func appendInts(b []byte, xs []int32) []byte {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString writes s as a JSON string, escaping only what JSON requires
// (as XGBoost does), so that names with non-ASCII letters stay readable.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// The JSON document as XGBoost writes it. Pointers and nil slices tell a
// missing field from an empty one, so that a missing field is reported by
// name instead of being read as zero.
type (
	jsonModel struct {
		Learner *jsonLearner `json:"learner"`
		Version []int64      `json:"version"`
	}
	jsonLearner struct {
		Attributes        map[string]string `json:"attributes"`
		FeatureNames      []string          `json:"feature_names"`
		FeatureTypes      []string          `json:"feature_types"`
		GradientBooster   *jsonBooster      `json:"gradient_booster"`
		LearnerModelParam *jsonLearnerParam `json:"learner_model_param"`
		Objective         *jsonObjective    `json:"objective"`
	}
	jsonBooster struct {
		Name  *string    `json:"name"`
		Model *jsonTrees `json:"model"`
	}
	jsonTrees struct {
		Param    *jsonTreesParam `json:"gbtree_model_param"`
		TreeInfo []int64         `json:"tree_info"`
		Trees    []*jsonTree     `json:"trees"`
	}
	jsonTreesParam struct {
		NumParallelTree *string `json:"num_parallel_tree"`
		NumTrees        *string `json:"num_trees"`
		SizeLeafVector  *string `json:"size_leaf_vector"`
	}
	jsonLearnerParam struct {
		BaseScore  *string `json:"base_score"`
		NumClass   *string `json:"num_class"`
		NumFeature *string `json:"num_feature"`
		NumTarget  *string `json:"num_target"`
	}
	jsonObjective struct {
		Name         *string `json:"name"`
		RegLossParam *struct {
			ScalePosWeight *string `json:"scale_pos_weight"`
		} `json:"reg_loss_param"`
	}
	jsonTree struct {
		BaseWeights        []float32      `json:"base_weights"`
		Categories         []int64        `json:"categories"`
		CategoriesNodes    []int64        `json:"categories_nodes"`
		CategoriesSegments []int64        `json:"categories_segments"`
		CategoriesSizes    []int64        `json:"categories_sizes"`
		DefaultLeft        jsonBools      `json:"default_left"`
		ID                 *int64         `json:"id"`
		LeftChildren       []int64        `json:"left_children"`
		LossChanges        []float32      `json:"loss_changes"`
		Parents            []int64        `json:"parents"`
		RightChildren      []int64        `json:"right_children"`
		SplitConditions    []float32      `json:"split_conditions"`
		SplitIndices       []int64        `json:"split_indices"`
		SplitType          []int64        `json:"split_type"`
		SumHessian         []float32      `json:"sum_hessian"`
		TreeParam          *jsonTreeParam `json:"tree_param"`
	}
	jsonTreeParam struct {
		NumDeleted     *string `json:"num_deleted"`
		NumFeature     *string `json:"num_feature"`
		NumNodes       *string `json:"num_nodes"`
		SizeLeafVector *string `json:"size_leaf_vector"`
	}
)

// jsonBools reads default_left, which XGBoost writes as 0/1 numbers but
// which a hand-edited or converted file may hold as true/false.
type jsonBools []int64

func (j *jsonBools) UnmarshalJSON(data []byte) error {
	var ints []int64
	if err := json.Unmarshal(data, &ints); err == nil {
		*j = ints
		return nil
	}
	var bools []bool
	if err := json.Unmarshal(data, &bools); err != nil {
		return errors.New("default_left: want an array of 0/1 or booleans")
	}
	if bools == nil {
		*j = nil
		return nil
	}
	*j = make(jsonBools, len(bools))
	for i, v := range bools {
		if v {
			(*j)[i] = 1
		}
	}
	return nil
}

// ReadJSON reads a model in XGBoost's JSON format, as written by
// Booster.save_model("model.json") in XGBoost 1.6 or later (including
// SageMaker's built-in XGBoost) or by [Model.WriteJSON]. It supports the
// gbtree booster with objectives reg:squarederror and binary:logistic and
// numerical splits.
//
// Everything is validated before the model is used, so that a damaged or
// hostile file yields an error rather than a panic or a wrong prediction:
// array lengths against num_nodes, child indices in range and forming a
// tree, parents consistent with children, feature indices below
// num_feature, finite numbers, and supported booster, objective and split
// types. Errors start with "model:" and name the tree and node at fault, as
// in "model: tree 3 node 7: left child 99 out of range [0, 37)".
func ReadJSON(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("model: reading: %w", err)
	}
	if isUBJSON(data) {
		return nil, errors.New("model: this is XGBoost's UBJSON model format, not JSON; read it with ReadModel or ReadUBJSON")
	}
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("model: not a JSON object; " + legacyHint)
	}
	return readJSON(data)
}

// legacyHint says which formats are read, for a file that is neither.
const legacyHint = "XGBoost's legacy binary model format is not supported, save the model with Booster.save_model(\"model.json\") or (\"model.ubj\")"

// ReadUBJSON reads a model in XGBoost's UBJSON format, as written by
// Booster.save_model("model.ubj") in XGBoost 1.6 or later. It accepts
// the same models as [ReadJSON], validated the same way, and a model
// saved in both formats predicts the same from either. A truncated or
// corrupted file gives an error naming the byte offset at fault, as in
// "model: invalid UBJSON: byte 812: file ends inside the array at byte 790
// (truncated?)".
func ReadUBJSON(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("model: reading: %w", err)
	}
	if !isUBJSON(data) {
		if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
			return nil, errors.New("model: this is a JSON model, not UBJSON; read it with ReadModel or ReadJSON")
		}
		return nil, errors.New("model: not a UBJSON object; " + legacyHint)
	}
	return readUBJSON(data)
}

func readUBJSON(data []byte) (*Model, error) {
	doc, err := ubjsonToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("model: invalid UBJSON: %w", err)
	}
	return readJSON(doc)
}

// ReadModel reads a model in XGBoost's JSON or UBJSON format, telling
// them apart by content (see [ReadJSON] and [ReadUBJSON]); XGBoost's
// legacy binary format, which SageMaker's built-in XGBoost writes before
// version 1.6 (XGBoost 1.3 to 1.5 by default), gives an error that says so.
func ReadModel(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("model: reading: %w", err)
	}
	if isUBJSON(data) {
		return readUBJSON(data)
	}
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("model: neither XGBoost's JSON nor its UBJSON model format; " + legacyHint)
	}
	return readJSON(data)
}

func readJSON(data []byte) (*Model, error) {
	var doc jsonModel
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("model: invalid JSON: %w", err)
	}
	m, err := doc.model()
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return m, nil
}

// parseCount parses one of the integer parameters XGBoost stores as strings.
func parseCount(name string, s *string, lo, hi int64) (int, error) {
	if s == nil {
		return 0, fmt.Errorf("%s is missing", name)
	}
	n, err := strconv.ParseInt(*s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s = %q; want an integer in [%d, %d]", name, *s, lo, hi)
	}
	return int(n), nil
}

func (doc *jsonModel) model() (*Model, error) {
	if len(doc.Version) != 3 {
		return nil, fmt.Errorf("version = %v; want [major, minor, patch] (is this an XGBoost JSON model?)", doc.Version)
	}
	if v := doc.Version; v[0] < 1 || v[0] == 1 && v[1] < 6 {
		return nil, fmt.Errorf("XGBoost version %d.%d.%d is not supported; want 1.6 or later", v[0], v[1], v[2])
	}
	l := doc.Learner
	if l == nil {
		return nil, errors.New("learner is missing")
	}
	m := &Model{attributes: l.Attributes, featureNames: l.FeatureNames, featureTypes: l.FeatureTypes}
	if m.attributes == nil {
		m.attributes = map[string]string{}
	}
	if m.featureNames == nil {
		m.featureNames = []string{}
	}
	if m.featureTypes == nil {
		m.featureTypes = []string{}
	}

	if l.Objective == nil || l.Objective.Name == nil {
		return nil, errors.New("learner.objective.name is missing")
	}
	m.objective = Objective(*l.Objective.Name)
	if m.objective.Metric() == "" {
		return nil, fmt.Errorf("objective %q is not supported; want %q or %q", *l.Objective.Name, SquaredError, Logistic)
	}
	m.scalePosWeight = "1"
	if rp := l.Objective.RegLossParam; rp != nil && rp.ScalePosWeight != nil {
		if v, err := strconv.ParseFloat(*rp.ScalePosWeight, 64); err != nil || !finite(v) || v < 0 {
			return nil, fmt.Errorf("objective scale_pos_weight = %q; want a finite number >= 0", *rp.ScalePosWeight)
		}
		m.scalePosWeight = *rp.ScalePosWeight
	}

	lp := l.LearnerModelParam
	if lp == nil {
		return nil, errors.New("learner.learner_model_param is missing")
	}
	var err error
	if m.numFeature, err = parseCount("num_feature", lp.NumFeature, 0, math.MaxInt32); err != nil {
		return nil, err
	}
	if lp.NumClass != nil {
		if n, err := parseCount("num_class", lp.NumClass, 0, math.MaxInt32); err != nil {
			return nil, err
		} else if n > 1 {
			return nil, fmt.Errorf("num_class = %d: multi-class models are not supported", n)
		}
	}
	if lp.NumTarget != nil {
		if n, err := parseCount("num_target", lp.NumTarget, 0, math.MaxInt32); err != nil {
			return nil, err
		} else if n > 1 {
			return nil, fmt.Errorf("num_target = %d: multi-target models are not supported", n)
		}
	}
	if lp.BaseScore == nil {
		return nil, errors.New("base_score is missing")
	}
	// XGBoost 3 writes the intercept as a one-element vector, "[5E-1]".
	bs := strings.TrimSuffix(strings.TrimPrefix(*lp.BaseScore, "["), "]")
	base, err := strconv.ParseFloat(bs, 32)
	if err != nil || !finite(base) {
		return nil, fmt.Errorf("base_score = %q; want a finite number", *lp.BaseScore)
	}
	m.baseScore = float32(base)
	if m.objective == Logistic && (m.baseScore <= 0 || m.baseScore >= 1) {
		return nil, fmt.Errorf("base_score = %q; objective %s wants a probability in (0, 1)", *lp.BaseScore, m.objective)
	}
	m.baseMargin = baseMargin(m.objective, m.baseScore)

	gb := l.GradientBooster
	if gb == nil || gb.Name == nil {
		return nil, errors.New("learner.gradient_booster.name is missing")
	}
	if *gb.Name != "gbtree" {
		return nil, fmt.Errorf("booster %q is not supported; want \"gbtree\"", *gb.Name)
	}
	if gb.Model == nil || gb.Model.Param == nil {
		return nil, errors.New("gradient_booster.model.gbtree_model_param is missing")
	}
	gm := gb.Model
	if m.numParallelTree, err = parseCount("num_parallel_tree", gm.Param.NumParallelTree, 1, math.MaxInt32); err != nil {
		return nil, err
	}
	numTrees, err := parseCount("num_trees", gm.Param.NumTrees, 0, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	if gm.Param.SizeLeafVector != nil {
		if n, err := parseCount("gbtree_model_param.size_leaf_vector", gm.Param.SizeLeafVector, 0, math.MaxInt32); err != nil {
			return nil, err
		} else if n > 1 {
			return nil, fmt.Errorf("gbtree_model_param.size_leaf_vector = %d: vector leaves are not supported", n)
		}
	}
	if gm.Trees == nil {
		return nil, errors.New("gradient_booster.model.trees is missing")
	}
	if len(gm.Trees) != numTrees {
		return nil, fmt.Errorf("num_trees = %d but there are %d trees", numTrees, len(gm.Trees))
	}
	if len(gm.TreeInfo) != numTrees {
		return nil, fmt.Errorf("tree_info has %d entries for %d trees", len(gm.TreeInfo), numTrees)
	}
	for i, g := range gm.TreeInfo {
		if g != 0 {
			return nil, fmt.Errorf("tree_info[%d] = %d: trees of output groups other than 0 (multi-class) are not supported", i, g)
		}
	}
	m.trees = make([]tree, numTrees)
	totalNodes := 0
	for i, jt := range gm.Trees {
		if err := jt.validate(i, m.numFeature, &m.trees[i]); err != nil {
			return nil, err
		}
		totalNodes += m.trees[i].numNodes()
		if totalNodes > math.MaxInt32 {
			return nil, fmt.Errorf("tree %d: more than %d nodes in all", i, math.MaxInt32)
		}
	}

	rounds := numTrees / m.numParallelTree
	m.bestIteration = rounds - 1
	if s, ok := m.attributes["best_iteration"]; ok {
		// Only informative: a value that does not fit is ignored, as it
		// does not change predictions.
		if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < rounds {
			m.bestIteration = n
		}
	}
	m.compile()
	return m, nil
}

// validate checks one tree and, if it is sound, fills t from it.
func (jt *jsonTree) validate(id, numFeature int, t *tree) error {
	treeErr := func(format string, args ...any) error {
		return fmt.Errorf("tree %d: "+format, append([]any{id}, args...)...)
	}
	nodeErr := func(node int, format string, args ...any) error {
		return fmt.Errorf("tree %d node %d: "+format, append([]any{id, node}, args...)...)
	}
	if jt == nil {
		return treeErr("not an object")
	}
	if jt.ID == nil {
		return treeErr("id is missing")
	}
	if *jt.ID != int64(id) {
		return treeErr("id = %d; want %d, its position", *jt.ID, id)
	}
	tp := jt.TreeParam
	if tp == nil {
		return treeErr("tree_param is missing")
	}
	n, err := parseCount("num_nodes", tp.NumNodes, 1, math.MaxInt32)
	if err != nil {
		return treeErr("%w", err)
	}
	if t.numFeature, err = parseCount("tree_param.num_feature", tp.NumFeature, 0, math.MaxInt32); err != nil {
		return treeErr("%w", err)
	}
	if t.numDeleted, err = parseCount("num_deleted", tp.NumDeleted, 0, int64(n)-1); err != nil {
		return treeErr("%w", err)
	}
	if tp.SizeLeafVector != nil {
		if k, err := parseCount("tree_param.size_leaf_vector", tp.SizeLeafVector, 0, math.MaxInt32); err != nil {
			return treeErr("%w", err)
		} else if k > 1 {
			return treeErr("tree_param.size_leaf_vector = %d: vector leaves are not supported", k)
		}
	}
	lengths := []struct {
		name string
		n    int
		nil  bool
	}{
		{"base_weights", len(jt.BaseWeights), jt.BaseWeights == nil},
		{"default_left", len(jt.DefaultLeft), jt.DefaultLeft == nil},
		{"left_children", len(jt.LeftChildren), jt.LeftChildren == nil},
		{"loss_changes", len(jt.LossChanges), jt.LossChanges == nil},
		{"parents", len(jt.Parents), jt.Parents == nil},
		{"right_children", len(jt.RightChildren), jt.RightChildren == nil},
		{"split_conditions", len(jt.SplitConditions), jt.SplitConditions == nil},
		{"split_indices", len(jt.SplitIndices), jt.SplitIndices == nil},
		{"sum_hessian", len(jt.SumHessian), jt.SumHessian == nil},
	}
	for _, a := range lengths {
		if a.nil {
			return treeErr("%s is missing", a.name)
		}
		if a.n != n {
			return treeErr("%s has %d entries; want num_nodes = %d", a.name, a.n, n)
		}
	}
	// split_type is absent from models with no categorical support in the
	// writer; when present it must say "numerical" everywhere.
	if jt.SplitType != nil && len(jt.SplitType) != n {
		return treeErr("split_type has %d entries; want num_nodes = %d", len(jt.SplitType), n)
	}
	for i, st := range jt.SplitType {
		if st != 0 {
			return nodeErr(i, "split_type = %d: categorical splits are not supported", st)
		}
	}
	for _, c := range []struct {
		name string
		n    int
	}{
		{"categories", len(jt.Categories)},
		{"categories_nodes", len(jt.CategoriesNodes)},
		{"categories_segments", len(jt.CategoriesSegments)},
		{"categories_sizes", len(jt.CategoriesSizes)},
	} {
		if c.n != 0 {
			return treeErr("%s has %d entries: categorical splits are not supported", c.name, c.n)
		}
	}

	t.left = make([]int32, n)
	t.right = make([]int32, n)
	t.parent = make([]int32, n)
	t.feature = make([]int32, n)
	t.defaultLeft = make([]uint8, n)
	for i := range n {
		for _, c := range []struct {
			name string
			v    int64
		}{{"left child", jt.LeftChildren[i]}, {"right child", jt.RightChildren[i]}} {
			if c.v < -1 || c.v >= int64(n) {
				return nodeErr(i, "%s %d out of range [0, %d)", c.name, c.v, n)
			}
		}
		if (jt.LeftChildren[i] == -1) != (jt.RightChildren[i] == -1) {
			return nodeErr(i, "left child %d and right child %d; want both -1 (a leaf) or neither", jt.LeftChildren[i], jt.RightChildren[i])
		}
		t.left[i], t.right[i] = int32(jt.LeftChildren[i]), int32(jt.RightChildren[i])
		p := jt.Parents[i]
		if p != rootParent && p != -1 && (p < 0 || p >= int64(n)) {
			return nodeErr(i, "parent %d out of range [0, %d)", p, n)
		}
		t.parent[i] = int32(p)
		if f := jt.SplitIndices[i]; f < 0 || f > math.MaxInt32 {
			return nodeErr(i, "split index %d out of range [0, %d]", f, math.MaxInt32)
		}
		t.feature[i] = int32(jt.SplitIndices[i])
		if d := jt.DefaultLeft[i]; d != 0 && d != 1 {
			return nodeErr(i, "default_left = %d; want 0 or 1", d)
		}
		t.defaultLeft[i] = uint8(jt.DefaultLeft[i])
		for _, v := range []struct {
			name string
			v    float32
		}{{"base_weight", jt.BaseWeights[i]}, {"loss_change", jt.LossChanges[i]}, {"split_condition", jt.SplitConditions[i]}, {"sum_hessian", jt.SumHessian[i]}} {
			if !finite(float64(v.v)) {
				return nodeErr(i, "%s = %v; want a finite number", v.name, v.v)
			}
		}
	}
	t.cond = jt.SplitConditions
	t.baseWeight = jt.BaseWeights
	t.lossChg = jt.LossChanges
	t.sumHess = jt.SumHessian

	// Walk the tree from the root: every node must be reached at most once
	// (no cycles, no shared subtrees), and through the parent it names.
	if p := t.parent[0]; p != rootParent && p != -1 {
		return nodeErr(0, "parent %d; want %d (none), as node 0 is the root", p, rootParent)
	}
	reached := make([]bool, n)
	reached[0] = true
	stack := []int32{0}
	numReached := 1
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if t.left[i] == -1 {
			continue
		}
		if f := t.feature[i]; int(f) >= numFeature {
			return nodeErr(int(i), "split feature %d out of range [0, %d)", f, numFeature)
		}
		for _, c := range [2]int32{t.left[i], t.right[i]} {
			if reached[c] {
				return nodeErr(int(i), "child %d is reached twice; the nodes do not form a tree", c)
			}
			if t.parent[c] != i {
				return nodeErr(int(c), "parent %d; want %d, which lists it as a child", t.parent[c], i)
			}
			reached[c] = true
			numReached++
			stack = append(stack, c)
		}
	}
	if unreached := n - numReached; unreached != t.numDeleted {
		return treeErr("%d nodes are not reachable from the root but num_deleted = %d", unreached, t.numDeleted)
	}
	return nil
}

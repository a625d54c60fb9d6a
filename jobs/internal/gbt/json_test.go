package gbt

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureDoc returns the binary fixture model as a generic JSON document,
// numbers kept as written, for tests to damage.
func fixtureDoc(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, "binary-model.json"))
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	require.NoError(t, dec.Decode(&doc))
	return doc
}

func obj(v any, key string) map[string]any { return v.(map[string]any)[key].(map[string]any) }

func learnerOf(doc map[string]any) map[string]any { return obj(doc, "learner") }

func modelOf(doc map[string]any) map[string]any {
	return obj(obj(learnerOf(doc), "gradient_booster"), "model")
}

func treeOf(doc map[string]any, i int) map[string]any {
	return modelOf(doc)["trees"].([]any)[i].(map[string]any)
}

// set sets element i of array key of tree (from treeOf) to v.
func set(tree map[string]any, key string, i int, v any) { tree[key].([]any)[i] = v }

func TestReadJSONRejects(t *testing.T) {
	// Tree 3 of the binary fixture has 29 nodes; node 7 splits into 13
	// and 14, node 6 is a leaf, node 20 splits into the leaves 27 and 28.
	tests := []struct {
		name   string
		damage func(doc map[string]any)
		want   string
	}{
		{"missing learner", func(d map[string]any) { delete(d, "learner") }, "model: learner is missing"},
		{"missing version", func(d map[string]any) { delete(d, "version") }, "model: version = []; want [major, minor, patch]"},
		{"old version", func(d map[string]any) { d["version"] = []any{1, 5, 2} }, "model: XGBoost version 1.5.2 is not supported; want 1.6 or later"},
		{"objective", func(d map[string]any) { obj(learnerOf(d), "objective")["name"] = "reg:pseudohubererror" },
			`model: objective "reg:pseudohubererror" is not supported; want "reg:squarederror" or "binary:logistic"`},
		{"missing objective", func(d map[string]any) { delete(learnerOf(d), "objective") }, "model: learner.objective.name is missing"},
		{"booster", func(d map[string]any) { obj(learnerOf(d), "gradient_booster")["name"] = "dart" },
			`model: booster "dart" is not supported; want "gbtree"`},
		{"num_class", func(d map[string]any) { obj(learnerOf(d), "learner_model_param")["num_class"] = "3" },
			"model: num_class = 3: multi-class models are not supported"},
		{"num_target", func(d map[string]any) { obj(learnerOf(d), "learner_model_param")["num_target"] = "2" },
			"model: num_target = 2: multi-target models are not supported"},
		{"base_score not a number", func(d map[string]any) { obj(learnerOf(d), "learner_model_param")["base_score"] = "abc" },
			`model: base_score = "abc"; want a finite number`},
		{"base_score not a probability", func(d map[string]any) { obj(learnerOf(d), "learner_model_param")["base_score"] = "1E0" },
			`model: base_score = "1E0"; objective binary:logistic wants a probability in (0, 1)`},
		{"num_feature negative", func(d map[string]any) { obj(learnerOf(d), "learner_model_param")["num_feature"] = "-1" },
			`model: num_feature = "-1"; want an integer in [0, 2147483647]`},
		{"num_feature too small for the splits", func(d map[string]any) { obj(learnerOf(d), "learner_model_param")["num_feature"] = "5" },
			"out of range [0, 5)"},
		{"num_trees", func(d map[string]any) { obj(modelOf(d), "gbtree_model_param")["num_trees"] = "49" },
			"model: num_trees = 49 but there are 50 trees"},
		{"tree_info length", func(d map[string]any) { modelOf(d)["tree_info"] = modelOf(d)["tree_info"].([]any)[1:] },
			"model: tree_info has 49 entries for 50 trees"},
		{"tree_info group", func(d map[string]any) { modelOf(d)["tree_info"].([]any)[4] = 1 },
			"model: tree_info[4] = 1: trees of output groups other than 0 (multi-class) are not supported"},
		{"tree not an object", func(d map[string]any) { modelOf(d)["trees"].([]any)[3] = nil }, "model: tree 3: not an object"},
		{"tree id", func(d map[string]any) { treeOf(d, 3)["id"] = 4 }, "model: tree 3: id = 4; want 3, its position"},
		{"left child out of range", func(d map[string]any) { set(treeOf(d, 3), "left_children", 7, 99) },
			"model: tree 3 node 7: left child 99 out of range [0, 29)"},
		{"right child negative", func(d map[string]any) { set(treeOf(d, 3), "right_children", 7, -2) },
			"model: tree 3 node 7: right child -2 out of range [0, 29)"},
		{"cycle", func(d map[string]any) { set(treeOf(d, 3), "left_children", 7, 0) },
			"model: tree 3 node 7: child 0 is reached twice; the nodes do not form a tree"},
		{"shared child", func(d map[string]any) { set(treeOf(d, 3), "right_children", 7, 13) },
			"model: tree 3 node 7: child 13 is reached twice; the nodes do not form a tree"},
		{"leaf with one child", func(d map[string]any) { set(treeOf(d, 3), "right_children", 6, 28) },
			"model: tree 3 node 6: left child -1 and right child 28; want both -1 (a leaf) or neither"},
		{"parent not the splitting node", func(d map[string]any) { set(treeOf(d, 3), "parents", 13, 8) },
			"model: tree 3 node 13: parent 8; want 7, which lists it as a child"},
		{"parent out of range", func(d map[string]any) { set(treeOf(d, 3), "parents", 13, 99) },
			"model: tree 3 node 13: parent 99 out of range [0, 29)"},
		{"root with a parent", func(d map[string]any) { set(treeOf(d, 3), "parents", 0, 5) },
			"model: tree 3 node 0: parent 5; want 2147483647 (none), as node 0 is the root"},
		{"split feature", func(d map[string]any) { set(treeOf(d, 3), "split_indices", 7, 12) },
			"model: tree 3 node 7: split feature 12 out of range [0, 10)"},
		{"split index negative", func(d map[string]any) { set(treeOf(d, 3), "split_indices", 7, -1) },
			"model: tree 3 node 7: split index -1 out of range [0, 2147483647]"},
		{"categorical split", func(d map[string]any) { set(treeOf(d, 3), "split_type", 7, 1) },
			"model: tree 3 node 7: split_type = 1: categorical splits are not supported"},
		{"categories", func(d map[string]any) { treeOf(d, 3)["categories"] = []any{1, 2} },
			"model: tree 3: categories has 2 entries: categorical splits are not supported"},
		{"default_left", func(d map[string]any) { set(treeOf(d, 3), "default_left", 7, 2) },
			"model: tree 3 node 7: default_left = 2; want 0 or 1"},
		{"array too short", func(d map[string]any) {
			tr := treeOf(d, 3)
			tr["loss_changes"] = tr["loss_changes"].([]any)[:28]
		}, "model: tree 3: loss_changes has 28 entries; want num_nodes = 29"},
		{"num_nodes", func(d map[string]any) { obj(treeOf(d, 3), "tree_param")["num_nodes"] = "30" },
			"model: tree 3: base_weights has 29 entries; want num_nodes = 30"},
		{"num_nodes not a number", func(d map[string]any) { obj(treeOf(d, 3), "tree_param")["num_nodes"] = "many" },
			`model: tree 3: num_nodes = "many"; want an integer in [1, 2147483647]`},
		{"missing array", func(d map[string]any) { delete(treeOf(d, 3), "sum_hessian") }, "model: tree 3: sum_hessian is missing"},
		{"unreachable nodes", func(d map[string]any) {
			tr := treeOf(d, 3)
			set(tr, "left_children", 20, -1)
			set(tr, "right_children", 20, -1)
		}, "model: tree 3: 2 nodes are not reachable from the root but num_deleted = 0"},
		{"num_deleted", func(d map[string]any) { obj(treeOf(d, 3), "tree_param")["num_deleted"] = "1" },
			"model: tree 3: 0 nodes are not reachable from the root but num_deleted = 1"},
		{"vector leaves", func(d map[string]any) { obj(treeOf(d, 3), "tree_param")["size_leaf_vector"] = "2" },
			"model: tree 3: tree_param.size_leaf_vector = 2: vector leaves are not supported"},
		{"number beyond float32", func(d map[string]any) { set(treeOf(d, 3), "split_conditions", 7, json.Number("1e39")) },
			"model: invalid JSON: json: cannot unmarshal number 1e39"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := fixtureDoc(t)
			tc.damage(doc)
			data, err := json.Marshal(doc)
			require.NoError(t, err)
			m, err := ReadJSON(bytes.NewReader(data))
			require.Errorf(t, err, "ReadJSON(damaged model) = %v, want an error", m)
			assert.Containsf(t, err.Error(), tc.want, "ReadJSON(damaged model) error = %q, want it to contain %q", err, tc.want)
		})
	}
}

func TestReadJSONRejectsNonModels(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "model: not a JSON object; XGBoost's legacy binary model format is not supported"},
		{"array", "[1,2]", "model: not a JSON object"},
		{"null", "null", "model: not a JSON object"},
		{"UBJSON", "{L\x00\x00\x00\x00\x00\x00\x00\x07learner{", "model: this is XGBoost's UBJSON model format, not JSON; read it with ReadModel"},
		{"truncated", `{"learner":{"attributes":{`, "model: invalid JSON: unexpected end of JSON input"},
		{"trailing garbage", `{"version":[1,7,4]} x`, "model: invalid JSON"},
		{"empty object", "{}", "model: version = []"},
		{"wrong type", `{"learner":[],"version":[1,7,4]}`, "model: invalid JSON: json: cannot unmarshal array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadJSON(strings.NewReader(tc.in))
			require.Errorf(t, err, "ReadJSON(%q) = %v, want an error", tc.in, m)
			assert.Containsf(t, err.Error(), tc.want, "ReadJSON(%q) error = %q, want it to contain %q", tc.in, err, tc.want)
		})
	}
}

// TestReadJSONAcceptsVariants checks layouts other writers produce: default
// directions as booleans, XGBoost 3's bracketed base_score, a missing
// split_type, and deleted nodes accounted for in num_deleted. Each must
// predict as the original.
func TestReadJSONAcceptsVariants(t *testing.T) {
	x := fixtureFeatures(t)
	orig, _ := readModel(t, filepath.Join(fixtureDir, "binary-model.json"))
	want := make([]float64, x.Rows)
	orig.PredictBatch(x, want)
	tests := []struct {
		name   string
		change func(doc map[string]any)
	}{
		{"boolean default_left", func(d map[string]any) {
			tr := treeOf(d, 3)
			for i, v := range tr["default_left"].([]any) {
				tr["default_left"].([]any)[i] = v.(json.Number).String() == "1"
			}
		}},
		{"bracketed base_score", func(d map[string]any) { obj(learnerOf(d), "learner_model_param")["base_score"] = "[5E-1]" }},
		{"no split_type", func(d map[string]any) { delete(treeOf(d, 3), "split_type") }},
		{"no num_class or num_target", func(d map[string]any) {
			delete(obj(learnerOf(d), "learner_model_param"), "num_class")
			delete(obj(learnerOf(d), "learner_model_param"), "num_target")
		}},
		// Two extra nodes nothing points to, as XGBoost's pruner leaves
		// them, counted in num_deleted.
		{"deleted nodes", func(d map[string]any) {
			tr := treeOf(d, 3)
			for key, v := range map[string]any{
				"base_weights": 0, "default_left": 0, "left_children": -1, "loss_changes": 0, "parents": 20,
				"right_children": -1, "split_conditions": 0, "split_indices": 2147483647, "split_type": 0, "sum_hessian": 0,
			} {
				tr[key] = append(tr[key].([]any), v, v)
			}
			obj(tr, "tree_param")["num_nodes"] = "31"
			obj(tr, "tree_param")["num_deleted"] = "2"
		}},
		{"unknown fields", func(d map[string]any) {
			learnerOf(d)["something_new"] = map[string]any{"a": 1}
			treeOf(d, 3)["leaf_vector"] = []any{}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := fixtureDoc(t)
			tc.change(doc)
			data, err := json.Marshal(doc)
			require.NoError(t, err)
			m, err := ReadJSON(bytes.NewReader(data))
			require.NoError(t, err, "ReadJSON")
			got := make([]float64, x.Rows)
			m.PredictBatch(x, got)
			assert.Equal(t, want, got, "predictions differ from the unchanged model's")
		})
	}
}

func TestAppendFloat32(t *testing.T) {
	tests := []struct {
		in   float32
		want string
	}{
		{0, "0E0"},
		{float32(math.Copysign(0, -1)), "-0E0"},
		{0.5, "5E-1"},
		{1, "1E0"},
		{9.382975, "9.382975E0"},
		{2413, "2.413E3"},
		{-1.5e-7, "-1.5E-7"},
		{1e-45, "1E-45"},
		{math.MaxFloat32, "3.4028235E38"},
		{0.1, "1E-1"},
		{16777217, "1.6777216E7"}, // not representable: rounds to 2^24
	}
	for _, tc := range tests {
		got := string(appendFloat32(nil, tc.in))
		assert.Equalf(t, tc.want, got, "appendFloat32(%v) = %q, want %q", tc.in, got, tc.want)
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"tab\tnew\nline\r\x01", `"tab\tnew\nline\r\u0001"`},
		{"größe", `"größe"`},
		{"bad\xffutf8", "\"bad\uFFFDutf8\""},
	}
	for _, tc := range tests {
		got := string(appendString(nil, tc.in))
		assert.Equalf(t, tc.want, got, "appendString(%q) = %s, want %s", tc.in, got, tc.want)
		var back string
		require.NoErrorf(t, json.Unmarshal([]byte(got), &back), "appendString(%q) = %s is not valid JSON", tc.in, got)
	}
}

// TestWriteJSONKeepsNamesAndAttributes checks that feature names, types
// and attributes of a loaded model survive a round trip.
func TestWriteJSONKeepsNamesAndAttributes(t *testing.T) {
	doc := fixtureDoc(t)
	names := []any{"sex_f", "sex_i", "sex_m", "length", "diameter", "height", "whole \"weight\"", "shucked", "viscera", "shell"}
	learnerOf(doc)["feature_names"] = names
	learnerOf(doc)["feature_types"] = []any{"int", "int", "int", "float", "float", "float", "float", "float", "float", "float"}
	learnerOf(doc)["attributes"].(map[string]any)["note"] = "größe"
	data, err := json.Marshal(doc)
	require.NoError(t, err)
	m, err := ReadJSON(bytes.NewReader(data))
	require.NoError(t, err)
	out := writeModel(t, m)
	var back map[string]any
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, names, learnerOf(back)["feature_names"], "feature_names")
	assert.Equal(t, "größe", learnerOf(back)["attributes"].(map[string]any)["note"], "attributes.note")
	again, err := ReadJSON(bytes.NewReader(out))
	require.NoError(t, err)
	assert.Truef(t, bytes.Equal(out, writeModel(t, again)), "second round trip changed the bytes")
}

// TestPredictPanicsOnWrongShape checks the documented panics: a row or
// matrix with the wrong number of features is a caller bug that would
// otherwise give silently wrong predictions.
func TestPredictPanicsOnWrongShape(t *testing.T) {
	m, _ := readModel(t, filepath.Join(fixtureDir, "regression-model.json"))
	assert.PanicsWithValue(t, "gbt: row has 9 features, model wants 10", func() { m.Predict(make([]float32, 9)) })
	assert.PanicsWithValue(t, "gbt: row has 11 features, model wants 10", func() {
		m.PredictBatch(Matrix{Rows: 1, Cols: 11, Data: make([]float32, 11)}, make([]float64, 1))
	})
	assert.PanicsWithValue(t, "gbt: len(out) = 2, want rows.Rows = 1", func() {
		m.PredictBatch(Matrix{Rows: 1, Cols: 10, Data: make([]float32, 10)}, make([]float64, 2))
	})
	assert.PanicsWithValue(t, "gbt: prediction matrix: len(Data) = 9, want Rows*Cols = 1*10 = 10", func() {
		m.PredictMarginBatch(Matrix{Rows: 1, Cols: 10, Data: make([]float32, 9)}, make([]float64, 1))
	})
}

// TestPredictMissingAndExtremeValues walks one tree by hand for rows with
// NaN, ±Inf and ±0 and checks that PredictMargin and PredictBatch agree
// with XGBoost's rule: x < threshold goes left, NaN follows default_left.
func TestPredictMissingAndExtremeValues(t *testing.T) {
	// Root: feature 0 < 0, NaN right; left child: feature 1 < 2.5, NaN
	// left; leaves 1 (0 left, 1 left), 2 (left, right), 3 (root right).
	tr := tree{
		left:        []int32{1, 3, -1, -1, -1},
		right:       []int32{2, 4, -1, -1, -1},
		parent:      []int32{rootParent, 0, 0, 1, 1},
		feature:     []int32{0, 1, 0, 0, 0},
		cond:        []float32{0, 2.5, 3, 1, 2},
		defaultLeft: []uint8{0, 1, 0, 0, 0},
		baseWeight:  make([]float32, 5), lossChg: make([]float32, 5), sumHess: make([]float32, 5),
		numFeature: 2,
	}
	m := &Model{objective: SquaredError, numFeature: 2, trees: []tree{tr}}
	m.compile()
	inf, negZero := float32(math.Inf(1)), float32(math.Copysign(0, -1))
	tests := []struct {
		row  []float32
		want float64
	}{
		{[]float32{-1, 0}, 1},
		{[]float32{-1, 2.5}, 2},
		{[]float32{-1, nan32}, 1},
		{[]float32{-1, inf}, 2},
		{[]float32{-1, -inf}, 1},
		{[]float32{0, 0}, 3},       // 0 < 0 is false
		{[]float32{negZero, 0}, 3}, // -0 < 0 is false too
		{[]float32{nan32, 0}, 3},
		{[]float32{-inf, 3}, 2},
		{[]float32{inf, 0}, 3},
		{[]float32{-1e-45, 0}, 1},
	}
	batch := Matrix{Cols: 2}
	for _, tc := range tests {
		got := m.PredictMargin(tc.row)
		assert.Equalf(t, tc.want, got, "PredictMargin(%v) = %v, want %v", tc.row, got, tc.want)
		batch.Data = append(batch.Data, tc.row...)
		batch.Rows++
	}
	// Enough copies to use the interleaved path as well as the tail.
	for len(batch.Data) < 40*len(tests)*2 {
		batch.Data = append(batch.Data, batch.Data[:len(tests)*2]...)
		batch.Rows += len(tests)
	}
	out := make([]float64, batch.Rows)
	m.PredictMarginBatch(batch, out)
	for i, got := range out {
		want := tests[i%len(tests)]
		assert.Equalf(t, want.want, got, "PredictMarginBatch row %d (%v) = %v, want %v", i, want.row, got, want.want)
	}
}

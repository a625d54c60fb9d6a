package gbt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// tinyModel is a minimal valid model: one tree, a split and two leaves.
// Small seeds let the fuzzer reach the validation code quickly. The
// archive reader's fuzz seeds (package modelio) use the same file.
var tinyModel = readTinyModel("testdata/tiny-model.json")

// readTinyModel reads the shared tiny model at path.
func readTinyModel(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(b))
}

// FuzzReadJSON feeds ReadJSON arbitrary bytes. It must never panic; an
// error must say "model:"; a model it accepts must predict without
// panicking and survive a write and read unchanged.
func FuzzReadJSON(f *testing.F) {
	f.Add([]byte(tinyModel))
	for _, name := range []string{"regression-model.json", "binary-model.json"} {
		data, err := os.ReadFile(filepath.Join(fixtureDir, name))
		require.NoError(f, err)
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	for _, damage := range []struct{ old, new string }{
		{`"left_children":[1,`, `"left_children":[99,`},
		{`"left_children":[1,`, `"left_children":[0,`},
		{`"right_children":[2,`, `"right_children":[1,`},
		{`"parents":[2147483647,0,0]`, `"parents":[2147483647,1,0]`},
		{`"split_indices":[1,`, `"split_indices":[7,`},
		{`"split_type":[0,`, `"split_type":[1,`},
		{`"num_nodes":"3"`, `"num_nodes":"4"`},
		{`"num_deleted":"0"`, `"num_deleted":"2"`},
		{`"num_trees":"1"`, `"num_trees":"2"`},
		{`"default_left":[1,`, `"default_left":[true,`},
		{`"base_score":"5E-1"`, `"base_score":"[5E-1]"`},
		{`"gbtree"`, `"dart"`},
		{`"split_conditions":[5E-1,`, `"split_conditions":[1E39,`},
	} {
		f.Add([]byte(strings.Replace(tinyModel, damage.old, damage.new, 1)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "model: ") {
				t.Errorf("ReadJSON error = %q, want it to start with \"model: \"", err)
			}
			return
		}
		checkAccepted(t, m)
	})
}

// FuzzUBJSON feeds ReadUBJSON arbitrary bytes, seeded with the UBJSON
// models XGBoost wrote (two trees, and fifty), truncated and whole, and a
// tiny model. It must
// never panic; an error must say "model:"; a model it accepts must predict
// without panicking and survive a write and read unchanged.
func FuzzUBJSON(f *testing.F) {
	f.Add(toUBJSON(f, tinyModel))
	f.Add(toUBJSON(f, strings.Replace(tinyModel, `"left_children":[1,`, `"left_children":[99,`, 1)))
	for _, name := range []string{"binary-2trees-model.ubj", "regression-model.ubj", "binary-model.ubj"} {
		data, err := os.ReadFile(filepath.Join(fixtureDir, name))
		require.NoError(f, err)
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(data[:len(data)-1])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadUBJSON(bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "model: ") {
				t.Errorf("ReadUBJSON error = %q, want it to start with \"model: \"", err)
			}
			return
		}
		checkAccepted(t, m)
	})
}

// checkAccepted checks a model a fuzzed reader accepted: Predict and
// PredictBatch agree, and writing it as JSON and reading it back gives
// the same bytes when written again.
func checkAccepted(t *testing.T, m *Model) {
	t.Helper()
	if n := m.NumFeatures(); n <= 1000 {
		rows := Matrix{Rows: 2 * lanes, Cols: n, Data: make([]float32, 2*lanes*n)}
		for i := range rows.Data {
			switch i % 3 {
			case 0:
				rows.Data[i] = nan32
			case 1:
				rows.Data[i] = float32(i) - 10
			}
		}
		out := make([]float64, rows.Rows)
		m.PredictBatch(rows, out)
		for i := range rows.Rows {
			if got := m.Predict(rows.Row(i)); got != out[i] && !(got != got && out[i] != out[i]) {
				t.Errorf("Predict(row %d) = %v, PredictBatch gave %v", i, got, out[i])
			}
		}
	}
	var first bytes.Buffer
	require.NoError(t, m.WriteJSON(&first))
	back, err := ReadJSON(bytes.NewReader(first.Bytes()))
	require.NoErrorf(t, err, "ReadJSON(WriteJSON(input read))")
	var second bytes.Buffer
	require.NoError(t, back.WriteJSON(&second))
	require.Truef(t, bytes.Equal(first.Bytes(), second.Bytes()), "writing the model read back changed it:\n%s\n%s", first.Bytes(), second.Bytes())
}

// toUBJSON encodes a JSON document as UBJSON for fuzz seeds: objects with
// sorted keys, whole numbers as int64 ('L'), others as float32 ('d'), the
// forms XGBoost writes.
func toUBJSON(t testing.TB, doc string) []byte {
	var v any
	require.NoError(t, json.Unmarshal([]byte(doc), &v))
	var enc func(b []byte, v any) []byte
	str := func(b []byte, s string) []byte {
		b = append(b, 'L')
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		return append(b, s...)
	}
	enc = func(b []byte, v any) []byte {
		switch v := v.(type) {
		case nil:
			return append(b, 'Z')
		case bool:
			if v {
				return append(b, 'T')
			}
			return append(b, 'F')
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<62 {
				return binary.BigEndian.AppendUint64(append(b, 'L'), uint64(int64(v)))
			}
			return binary.BigEndian.AppendUint32(append(b, 'd'), math.Float32bits(float32(v)))
		case string:
			return str(append(b, 'S'), v)
		case []any:
			b = append(b, '[')
			for _, e := range v {
				b = enc(b, e)
			}
			return append(b, ']')
		case map[string]any:
			b = append(b, '{')
			for _, k := range slices.Sorted(maps.Keys(v)) {
				b = enc(str(b, k), v[k])
			}
			return append(b, '}')
		}
		t.Fatalf("toUBJSON: unexpected %T", v)
		return nil
	}
	return enc(nil, v)
}

// FuzzParamsFromHyperparameters feeds arbitrary name=value pairs to the
// hyperparameter parser. It must never panic, and whatever it accepts must
// be valid parameters.
func FuzzParamsFromHyperparameters(f *testing.F) {
	f.Add("max_depth", "5", "eta", "0.2")
	f.Add("num_round", "50", "subsample", "0.7")
	f.Add("objective", "binary:logistic", "max_bin", "65535")
	f.Add("eta", "NaN", "gamma", "-1")
	f.Add("learning_rate", "0.1", "eta", "0.2")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		p, err := ParamsFromHyperparameters(map[string]string{k1: v1, k2: v2})
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParamsFromHyperparameters({%q: %q, %q: %q}) accepted invalid params: %v", k1, v1, k2, v2, err)
		}
	})
}

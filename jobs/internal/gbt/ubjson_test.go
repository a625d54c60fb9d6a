package gbt

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadUBJSONFixtures reads the models XGBoost 1.7.4 saved as UBJSON
// (make-ubj.py) and checks that they predict what XGBoost predicted, and
// exactly what the same models read from XGBoost's JSON predict. The
// fixtures' first three features are a one-hot encoded category.
func TestReadUBJSONFixtures(t *testing.T) {
	x := fixtureFeatures(t)
	for _, name := range []string{"regression", "binary"} {
		t.Run(name, func(t *testing.T) {
			fromJSON, _ := readModel(t, filepath.Join(fixtureDir, name+"-model.json"))
			data, err := os.ReadFile(filepath.Join(fixtureDir, name+"-model.ubj"))
			require.NoError(t, err)
			for _, read := range []struct {
				name string
				f    func(r *bytes.Reader) (*Model, error)
			}{
				{"ReadUBJSON", func(r *bytes.Reader) (*Model, error) { return ReadUBJSON(r) }},
				{"ReadModel", func(r *bytes.Reader) (*Model, error) { return ReadModel(r) }},
			} {
				m, err := read.f(bytes.NewReader(data))
				require.NoErrorf(t, err, "%s(%s-model.ubj)", read.name, name)
				want := readCSV(t, filepath.Join(fixtureDir, name+"-predictions.csv"))
				require.Len(t, want, x.Rows)
				batch := make([]float64, x.Rows)
				m.PredictBatch(x, batch)
				for i := range x.Rows {
					got := m.Predict(x.Row(i))
					// The predictions files hold 9 significant digits.
					assert.InDeltaf(t, want[i][0], got, 1e-6, "Predict(row %d) = %v, want %v (XGBoost)", i, got, want[i][0])
					assert.Equalf(t, fromJSON.Predict(x.Row(i)), got, "Predict(row %d) from UBJSON, want the JSON model's", i)
					assert.Equalf(t, got, batch[i], "PredictBatch row %d = %v, want Predict's %v", i, batch[i], got)
				}
				// The same model in every field: written as JSON, it is
				// the file XGBoost wrote as JSON.
				assert.Truef(t, bytes.Equal(writeModel(t, fromJSON), writeModel(t, m)), "%s(%s-model.ubj) written as JSON differs from %s-model.json", read.name, name, name)
			}
		})
	}
}

// TestReadModelTellsFormatsApart reads JSON and UBJSON through ReadModel
// and checks what it says about other bytes.
func TestReadModelTellsFormatsApart(t *testing.T) {
	jsonData, err := os.ReadFile(filepath.Join(fixtureDir, "binary-model.json"))
	require.NoError(t, err)
	m, err := ReadModel(bytes.NewReader(append([]byte("\n "), jsonData...)))
	require.NoError(t, err, "ReadModel(JSON with leading white space)")
	assert.Equal(t, Logistic, m.Objective())
	m, err = ReadModel(bytes.NewReader(toUBJSON(t, tinyModel)))
	require.NoError(t, err, "ReadModel(tinyModel as UBJSON)")
	assert.Equal(t, 2, m.NumFeatures())

	tests := []struct{ name, in, want string }{
		// The first bytes of XGBoost 1.7's Booster.save_model("x.model").
		{"legacy binary", "binf\x00\x00\x00?\n\x00\x00\x00\x00\x00\x00\x00\x01", "model: neither XGBoost's JSON nor its UBJSON model format; XGBoost's legacy binary model format is not supported"},
		{"empty", "", "model: neither XGBoost's JSON nor its UBJSON"},
		{"empty UBJSON object", "{#U\x00", "model: version = []"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadModel(strings.NewReader(tc.in))
			require.Errorf(t, err, "ReadModel(%q) = %v, want an error", tc.in, m)
			assert.Containsf(t, err.Error(), tc.want, "ReadModel(%q) error = %q, want it to contain %q", tc.in, err, tc.want)
		})
	}
	_, err = ReadUBJSON(bytes.NewReader(jsonData))
	assert.ErrorContains(t, err, "model: this is a JSON model, not UBJSON")
}

// TestReadUBJSONRejectsDamage checks that truncated and corrupted UBJSON
// gives an error naming the byte at fault, never a panic.
func TestReadUBJSONRejectsDamage(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixtureDir, "binary-model.ubj"))
	require.NoError(t, err)
	tests := []struct{ name, in, want string }{
		{"truncated fixture", string(data[:len(data)/2]), "model: invalid UBJSON: byte 25596: array count 13 does not fit the 46 bytes left (truncated or corrupted?)"},
		{"one byte short", string(data[:len(data)-1]), "(truncated?)"},
		{"trailing bytes", string(data) + "Z", "bytes after the end of the document"},
		{"huge count", "{#L\x7f\xff\xff\xff\xff\xff\xff\xff", "byte 2: object count 9223372036854775807 does not fit the 0 bytes left"},
		{"typed count past the end", "{U\x01a[$d#U\x03\x00\x00\x00\x00", "byte 8: array count 3 does not fit the 4 bytes left"},
		{"negative length", "{i\xffa", "byte 1: string length -1 does not fit"},
		{"payload-free type", "{U\x01a[$T#L\x7f\xff\xff\xff\xff\xff\xff\xff}", `byte 4: array of type 'T' is not supported`},
		{"type without count", "{U\x01a[$d\x00\x00\x00\x00]}", "byte 4: array with a type ($) but no count (#)"},
		{"unknown marker", "{U\x01aX}", "byte 4: unknown type marker 'X'"},
		{"key without length", "{U\x01aZS\x01b", "byte 5: string length has type marker 'S'"},
		{"NaN", "{U\x01ad\x7f\xc0\x00\x00}", "byte 4: number NaN; want a finite number"},
		{"invalid UTF-8", "{U\x01\xff" + "Z}", "byte 1: string is not valid UTF-8"},
		{"deep nesting", "{U\x01a" + strings.Repeat("[", 100), "containers nested deeper than 64"},
		{"bad high-precision number", "{U\x01aHU\x031e}", "high-precision number \"1e}\" is not a number"},
		{"wrong field type", "{U\x07learner[]U\x07version[$U#U\x03\x01\x07\x04}", "model: invalid JSON: json: cannot unmarshal array into Go struct field jsonModel.learner"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadUBJSON(strings.NewReader(tc.in))
			require.Errorf(t, err, "ReadUBJSON(%q) = %v, want an error", tc.in, m)
			assert.Containsf(t, err.Error(), tc.want, "ReadUBJSON(%.40q...) error = %q, want it to contain %q", tc.in, err, tc.want)
		})
	}
}

// TestUBJSONToJSON checks the transcoding of every UBJSON form.
func TestUBJSONToJSON(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"scalars", "[ZTFi\xffU\xffI\x80\x00l\x00\x01\x00\x00L\x80\x00\x00\x00\x00\x00\x00\x00]", `[null,true,false,-1,255,-32768,65536,-9223372036854775808]`},
		{"floats", "[d\x3e\x4c\xcc\xcdD\x3f\xb9\x99\x99\x99\x99\x99\x9a]", `[0.2,0.1]`},
		{"no-op markers", "N[NU\x01NN]", `[1]`},
		{"strings and chars", "[SU\x03\"\xc3\xa9Ca]", `["\"é","a"]`},
		{"high precision", "[HU\x041.5e]", ``},
		{"counted array", "[#U\x02U\x01SU\x01x", `[1,"x"]`},
		{"typed array", "[$I#U\x02\x00\x01\xff\xff", `[1,-1]`},
		{"typed string array", "[$S#U\x02U\x01aU\x00", `["a",""]`},
		{"empty typed array", "[$d#U\x00", `[]`},
		{"object", "{U\x01aZU\x01b{}}", `{"a":null,"b":{}}`},
		{"counted object", "{#U\x02U\x01aTU\x01bF", `{"a":true,"b":false}`},
		{"typed object", "{$U#U\x02U\x01a\x01U\x01b\x02", `{"a":1,"b":2}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ubjsonToJSON([]byte(tc.in))
			if tc.want == "" {
				require.Errorf(t, err, "ubjsonToJSON(%q) = %s, want an error", tc.in, got)
				return
			}
			require.NoErrorf(t, err, "ubjsonToJSON(%q)", tc.in)
			assert.Equalf(t, tc.want, string(got), "ubjsonToJSON(%q) = %s, want %s", tc.in, got, tc.want)
		})
	}
}

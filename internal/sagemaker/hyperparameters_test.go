package sagemaker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeFile writes content to name in a fresh temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func TestReadHyperparametersMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hyperparameters.json")
	got, err := ReadHyperparameters(path)
	require.NoErrorf(t, err, "ReadHyperparameters(%q)", path)
	assert.NotNilf(t, got, "ReadHyperparameters(%q) = nil, want empty set", path)
	assert.Emptyf(t, got, "ReadHyperparameters(%q) = %v, want empty set", path, got)
}

func TestReadHyperparametersValid(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    Hyperparameters
	}{
		{"empty object", `{}`, Hyperparameters{}},
		{
			"sagemaker style",
			`{"epochs": "10", "learning_rate": "0.01", "use_gpu": "True", "name": ""}`,
			Hyperparameters{"epochs": "10", "learning_rate": "0.01", "use_gpu": "True", "name": ""},
		},
		{
			"whitespace and escapes",
			"{\n  \"path\" :\t\"a\\/b \\u00e9\"\n}\n",
			Hyperparameters{"path": "a/b é"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "hyperparameters.json", tc.content)
			got, err := ReadHyperparameters(path)
			require.NoErrorf(t, err, "ReadHyperparameters(%s)", tc.content)
			assert.Equalf(t, tc.want, got, "ReadHyperparameters(%s) = %v, want %v", tc.content, got, tc.want)
		})
	}
}

func TestReadHyperparametersInvalid(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantKey string // key the error must name, if any
	}{
		{"number value", `{"epochs": 10}`, `"epochs"`},
		{"bool value", `{"a": "x", "use_gpu": true}`, `"use_gpu"`},
		{"null value", `{"seed": null}`, `"seed"`},
		{"object value", `{"nested": {"a": "b"}}`, `"nested"`},
		{"first bad key in sorted order", `{"zeta": 1, "alpha": 2}`, `"alpha"`},
		{"malformed", `{"epochs": "10"`, ""},
		{"trailing garbage", `{"epochs": "10"} x`, ""},
		{"empty file", ``, ""},
		{"array", `["epochs"]`, ""},
		{"string", `"epochs"`, ""},
		{"null", `null`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "hyperparameters.json", tc.content)
			got, err := ReadHyperparameters(path)
			require.Errorf(t, err, "ReadHyperparameters(%s) = %v, want error", tc.content, got)
			assert.Nilf(t, got, "ReadHyperparameters(%s) = %v, want nil on error", tc.content, got)
			assert.Containsf(t, err.Error(), path, "ReadHyperparameters(%s) error = %q, want it to name the file", tc.content, err)
			if tc.wantKey != "" {
				assert.Containsf(t, err.Error(), tc.wantKey, "ReadHyperparameters(%s) error = %q, want it to name key %s", tc.content, err, tc.wantKey)
			}
		})
	}
}

func TestReadHyperparametersUnreadable(t *testing.T) {
	// A directory exists but cannot be read as a file; that is not a local
	// run and must not be mistaken for a missing file.
	path := t.TempDir()
	got, err := ReadHyperparameters(path)
	assert.Errorf(t, err, "ReadHyperparameters(%q) = %v, want error", path, got)
}

func TestHyperparametersString(t *testing.T) {
	h := Hyperparameters{"optimizer": "adam", "suffix": ""}
	tests := []struct {
		name, def, want string
	}{
		{"optimizer", "sgd", "adam"},
		{"suffix", "default", ""},
		{"missing", "sgd", "sgd"},
	}
	for _, tc := range tests {
		got := h.String(tc.name, tc.def)
		assert.Equalf(t, tc.want, got, "String(%q, %q) = %q, want %q", tc.name, tc.def, got, tc.want)
	}
}

func TestHyperparametersInt(t *testing.T) {
	h := Hyperparameters{
		"epochs":   "10",
		"negative": "-3",
		"plus":     "+4",
		"zero":     "0",
		"word":     "ten",
		"float":    "1.5",
		"exp":      "1e3",
		"empty":    "",
		"spaces":   " 10",
		"huge":     "99999999999999999999999",
	}
	tests := []struct {
		name    string
		def     int
		want    int
		wantErr bool
	}{
		{"epochs", 1, 10, false},
		{"negative", 1, -3, false},
		{"plus", 1, 4, false},
		{"zero", 1, 0, false},
		{"missing", 42, 42, false},
		{"word", 1, 0, true},
		{"float", 1, 0, true},
		{"exp", 1, 0, true},
		{"empty", 1, 0, true},
		{"spaces", 1, 0, true},
		{"huge", 1, 0, true},
	}
	for _, tc := range tests {
		got, err := h.Int(tc.name, tc.def)
		if tc.wantErr {
			if assert.Errorf(t, err, "Int(%q, %d) = %d, want error", tc.name, tc.def, got) {
				assertNamesKeyAndValue(t, err, tc.name, h[tc.name])
			}
			continue
		}
		require.NoErrorf(t, err, "Int(%q, %d)", tc.name, tc.def)
		assert.Equalf(t, tc.want, got, "Int(%q, %d) = %d, want %d", tc.name, tc.def, got, tc.want)
	}
}

func TestHyperparametersFloat(t *testing.T) {
	h := Hyperparameters{
		"lr":       "0.01",
		"int":      "3",
		"exp":      "1e-4",
		"negative": "-2.5",
		"nan":      "NaN",
		"nanlower": "nan",
		"inf":      "Inf",
		"neginf":   "-Infinity",
		"overflow": "1e400",
		"word":     "fast",
		"empty":    "",
	}
	tests := []struct {
		name    string
		def     float64
		want    float64
		wantErr bool
	}{
		{"lr", 1, 0.01, false},
		{"int", 1, 3, false},
		{"exp", 1, 1e-4, false},
		{"negative", 1, -2.5, false},
		{"missing", 0.5, 0.5, false},
		{"nan", 1, 0, true},
		{"nanlower", 1, 0, true},
		{"inf", 1, 0, true},
		{"neginf", 1, 0, true},
		{"overflow", 1, 0, true},
		{"word", 1, 0, true},
		{"empty", 1, 0, true},
	}
	for _, tc := range tests {
		got, err := h.Float(tc.name, tc.def)
		if tc.wantErr {
			if assert.Errorf(t, err, "Float(%q, %g) = %g, want error", tc.name, tc.def, got) {
				assertNamesKeyAndValue(t, err, tc.name, h[tc.name])
			}
			continue
		}
		require.NoErrorf(t, err, "Float(%q, %g)", tc.name, tc.def)
		assert.Equalf(t, tc.want, got, "Float(%q, %g) = %g, want %g", tc.name, tc.def, got, tc.want)
	}
}

func TestHyperparametersBool(t *testing.T) {
	h := Hyperparameters{
		"true": "true", "True": "True", "TRUE": "TRUE", "one": "1",
		"false": "false", "False": "False", "FALSE": "FALSE", "zero": "0",
		"yes": "yes", "t": "t", "two": "2", "empty": "", "spaced": "true ",
	}
	tests := []struct {
		name    string
		def     bool
		want    bool
		wantErr bool
	}{
		{"true", false, true, false},
		{"True", false, true, false},
		{"TRUE", false, true, false},
		{"one", false, true, false},
		{"false", true, false, false},
		{"False", true, false, false},
		{"FALSE", true, false, false},
		{"zero", true, false, false},
		{"missing", true, true, false},
		{"missing", false, false, false},
		{"yes", false, false, true},
		{"t", false, false, true},
		{"two", false, false, true},
		{"empty", false, false, true},
		{"spaced", false, false, true},
	}
	for _, tc := range tests {
		got, err := h.Bool(tc.name, tc.def)
		if tc.wantErr {
			if assert.Errorf(t, err, "Bool(%q, %t) = %t, want error", tc.name, tc.def, got) {
				assertNamesKeyAndValue(t, err, tc.name, h[tc.name])
			}
			continue
		}
		require.NoErrorf(t, err, "Bool(%q, %t)", tc.name, tc.def)
		assert.Equalf(t, tc.want, got, "Bool(%q, %t) = %t, want %t", tc.name, tc.def, got, tc.want)
	}
}

// assertNamesKeyAndValue checks that an accessor's error tells the user which
// hyperparameter was wrong and what its value was.
func assertNamesKeyAndValue(t *testing.T, err error, name, value string) {
	t.Helper()
	assert.Containsf(t, err.Error(), `"`+name+`"`, "error %q does not name key %q", err, name)
	assert.Containsf(t, err.Error(), `"`+value+`"`, "error %q does not show value %q", err, value)
}

func TestHyperparametersNil(t *testing.T) {
	var h Hyperparameters
	s := h.String("a", "def")
	assert.Equalf(t, "def", s, `nil.String("a", "def") = %q, want "def"`, s)
	i, err := h.Int("a", 3)
	assert.NoError(t, err)
	assert.Equalf(t, 3, i, `nil.Int("a", 3) = %d, want 3`, i)
	f, err := h.Float("a", 0.5)
	assert.NoError(t, err)
	assert.Equalf(t, 0.5, f, `nil.Float("a", 0.5) = %g, want 0.5`, f)
	b, err := h.Bool("a", true)
	assert.NoError(t, err)
	assert.Truef(t, b, `nil.Bool("a", true) = %t, want true`, b)
	u := h.Unknown("a")
	assert.Emptyf(t, u, `nil.Unknown("a") = %q, want none`, u)
}

func TestHyperparametersUnknown(t *testing.T) {
	h := Hyperparameters{"epochs": "1", "lr": "0.1", "learnig_rate": "0.1", "Epochs": "2", "batch": "8"}
	tests := []struct {
		name  string
		known []string
		want  []string
	}{
		{"none known", nil, []string{"Epochs", "batch", "epochs", "learnig_rate", "lr"}},
		{"some known", []string{"epochs", "lr", "batch"}, []string{"Epochs", "learnig_rate"}},
		{"known but unset is fine", []string{"epochs", "lr", "batch", "Epochs", "learnig_rate", "seed"}, nil},
	}
	for _, tc := range tests {
		got := h.Unknown(tc.known...)
		assert.Equalf(t, tc.want, got, "Unknown(%q) = %q, want %q", tc.known, got, tc.want)
	}
}

func TestHyperparametersWithoutReserved(t *testing.T) {
	h := Hyperparameters{
		"_tuning_objective_metric":      "validation:rmse",
		"sagemaker_program":             `"train.py"`,
		"sagemaker_submit_directory":    `"s3://bucket/source.tar.gz"`,
		"sagemaker_container_log_level": "20",
		"sagemaker_job_name":            `"job"`,
		"sagemaker_region":              `"eu-west-1"`,
		"max_depth":                     "5",
		"tuning_objective_metric":       "x",
	}
	assert.Equal(t, Hyperparameters{"max_depth": "5", "tuning_objective_metric": "x"}, h.WithoutReserved())
	assert.Len(t, h, 8, "the original is left as it is")
	assert.True(t, IsReserved("_tuning_objective_metric"))
	assert.False(t, IsReserved("Sagemaker_program"), "SageMaker's names are lowercase")
}

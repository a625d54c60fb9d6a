package sagemaker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Hyperparameters holds a training job's hyperparameters by name. SageMaker
// passes every value as a string, whatever type it had when the job was
// created, so the accessors parse on demand and report which key was bad.
// A nil Hyperparameters is valid and behaves as an empty set.
type Hyperparameters map[string]string

// ReadHyperparameters reads the hyperparameters.json file at path (see
// [Paths.Hyperparameters]). A missing file yields an empty set and no error,
// so a binary run locally without SageMaker falls back to its defaults. A
// file that is not a JSON object, or that has a value that is not a JSON
// string, is an error naming the file and, for a bad value, the key:
// SageMaker never writes such a file, so it signals a broken setup rather
// than something to guess around.
func ReadHyperparameters(path string) (Hyperparameters, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Hyperparameters{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading hyperparameters: %w", err)
	}
	return ParseHyperparameters(data, path)
}

// ParseHyperparameters decodes the contents of a hyperparameters.json file;
// name is the file's name in errors. See [ReadHyperparameters].
func ParseHyperparameters(data []byte, name string) (Hyperparameters, error) {
	path := name
	// Decode values as raw JSON first so a non-string value can be reported
	// by key instead of as an opaque type mismatch.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("hyperparameters file %s: %w", path, err)
	}
	if raw == nil {
		// json.Unmarshal accepts a bare null as an empty map.
		return nil, fmt.Errorf("hyperparameters file %s: want a JSON object, got %s", path, bytes.TrimSpace(data))
	}
	h := make(Hyperparameters, len(raw))
	// Sorted keys make the reported key deterministic when several are bad.
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		var s string
		if v := raw[k]; bytes.HasPrefix(v, []byte(`"`)) && json.Unmarshal(v, &s) == nil {
			h[k] = s
			continue
		}
		return nil, fmt.Errorf("hyperparameters file %s: key %q: want a JSON string, got %s", path, k, raw[k])
	}
	return h, nil
}

// badValue is the error every accessor returns for a value it cannot parse,
// so they all name the key and show the offending value the same way.
func badValue(name, value, want string) error {
	return fmt.Errorf("hyperparameter %q = %q: want %s", name, value, want)
}

// String returns the value of the hyperparameter called name, or def if it
// is not set. A value set to the empty string is returned as is, because
// an empty string may be deliberate.
func (h Hyperparameters) String(name, def string) string {
	if v, ok := h[name]; ok {
		return v
	}
	return def
}

// Int returns the hyperparameter called name parsed as a base-10 int, or def
// if it is not set. A value that is not an integer or does not fit in an int
// is an error naming the key and the value.
func (h Hyperparameters) Int(name string, def int) (int, error) {
	v, ok := h[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badValue(name, v, "a base-10 integer that fits in an int")
	}
	return n, nil
}

// Float returns the hyperparameter called name parsed as a float64, or def
// if it is not set. A value that is not a number is an error naming the key
// and the value, and so are NaN and ±Inf: no hyperparameter we use is
// meaningful at those values, and they would silently poison training.
func (h Hyperparameters) Float(name string, def float64) (float64, error) {
	v, ok := h[name]
	if !ok {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, badValue(name, v, "a finite number")
	}
	return f, nil
}

// Bool returns the hyperparameter called name parsed as a boolean, or def if
// it is not set. It accepts true, false, 1 and 0 in any letter case, which
// covers both Python's str(True) and JSON's true; anything else is an error
// naming the key and the value rather than a guess.
func (h Hyperparameters) Bool(name string, def bool) (bool, error) {
	v, ok := h[name]
	if !ok {
		return def, nil
	}
	switch {
	case strings.EqualFold(v, "true") || v == "1":
		return true, nil
	case strings.EqualFold(v, "false") || v == "0":
		return false, nil
	}
	return false, badValue(name, v, "true, false, 1 or 0")
}

// Unknown returns, sorted, the names of the hyperparameters in h that are not
// in known, or nil if there are none. A job can fail on a non-empty result,
// so that a misspelt hyperparameter is not silently replaced by its default.
func (h Hyperparameters) Unknown(known ...string) []string {
	var unknown []string
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	return unknown
}

// TuningObjectiveMetric is the hyperparameter SageMaker's automatic model
// tuning adds to every training job it starts: the name of the objective
// metric it optimises.
const TuningObjectiveMetric = "_tuning_objective_metric"

// ReservedPrefix starts the hyperparameters that SageMaker and its Python
// SDK add for their own use (sagemaker_program, sagemaker_submit_directory,
// sagemaker_container_log_level, sagemaker_job_name, sagemaker_region,
// sagemaker_estimator_module, sagemaker_estimator_class_name, ...).
const ReservedPrefix = "sagemaker_"

// IsReserved reports whether the hyperparameter called name is one that
// SageMaker adds for its own use rather than one for the algorithm:
// [TuningObjectiveMetric] or a name starting with [ReservedPrefix].
func IsReserved(name string) bool {
	return name == TuningObjectiveMetric || strings.HasPrefix(name, ReservedPrefix)
}

// WithoutReserved returns a copy of h without the reserved hyperparameters
// (see [IsReserved]), which a job accepts and ignores.
func (h Hyperparameters) WithoutReserved() Hyperparameters {
	out := make(Hyperparameters, len(h))
	for k, v := range h {
		if !IsReserved(k) {
			out[k] = v
		}
	}
	return out
}

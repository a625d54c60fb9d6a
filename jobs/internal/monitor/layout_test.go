package monitor

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
)

var abalone = filepath.Join("..", "..", "..", "data", "abalone")

// abaloneBaseline returns the bundled abalone table, the training rows of
// preprocess's default split and their baseline.
func abaloneBaseline(t testing.TB, seed uint64) (*features.Table, []int, *Baseline) {
	t.Helper()
	schema, err := dataset.Load(filepath.Join(abalone, "schema.json"))
	require.NoError(t, err)
	table := features.NewTable(schema)
	require.NoError(t, table.ReadFile(filepath.Join(abalone, "abalone.csv")))
	split, err := features.SplitRows(table.Labels, 0.7, 0.15, 42, false)
	require.NoError(t, err)
	return table, split.Train, NewBaseline(table, split.Train, seed)
}

// The fields the two Model Monitor pages show, by JSON path, with the
// JSON type the example gives each. No machine-readable schema of these
// files exists (AWS documents them as an annotated example only), so this
// table is transcribed from the pages the package comment cites:
// "features[]" means every element of the array, which must not be empty;
// enum lists the values the page allows.
type field struct {
	path string
	kind string // number, string, boolean, array, object
	enum []string
}

// statisticsFields apply to the whole of statistics.json; numericFields
// and stringFields to each feature of that inferred_type.
var (
	statisticsFields = []field{
		{"version", "number", nil},
		{"dataset", "object", nil},
		{"dataset.item_count", "number", nil},
		{"features", "array", nil},
		{"features[].name", "string", nil},
		{"features[].inferred_type", "string", []string{"Fractional", "Integral", "String"}},
	}
	numericFields = []field{
		{"numerical_statistics.common.num_present", "number", nil},
		{"numerical_statistics.common.num_missing", "number", nil},
		{"numerical_statistics.mean", "number", nil},
		{"numerical_statistics.sum", "number", nil},
		{"numerical_statistics.std_dev", "number", nil},
		{"numerical_statistics.min", "number", nil},
		{"numerical_statistics.max", "number", nil},
		{"numerical_statistics.distribution.kll.buckets[].lower_bound", "number", nil},
		{"numerical_statistics.distribution.kll.buckets[].upper_bound", "number", nil},
		{"numerical_statistics.distribution.kll.buckets[].count", "number", nil},
		{"numerical_statistics.distribution.kll.sketch.parameters.c", "number", nil},
		{"numerical_statistics.distribution.kll.sketch.parameters.k", "number", nil},
		{"numerical_statistics.distribution.kll.sketch.data[]", "array", nil},
		{"numerical_statistics.distribution.kll.sketch.data[][]", "number", nil},
	}
	stringFields = []field{
		{"string_statistics.common.num_present", "number", nil},
		{"string_statistics.common.num_missing", "number", nil},
		{"string_statistics.distinct_count", "number", nil},
		{"string_statistics.distribution.categorical.buckets[].value", "string", nil},
		{"string_statistics.distribution.categorical.buckets[].count", "number", nil},
	}
	constraintsFields = []field{
		{"version", "number", nil},
		{"features[].name", "string", nil},
		{"features[].inferred_type", "string", []string{"Integral", "Fractional", "String", "Unknown"}},
		{"features[].completeness", "number", nil},
		{"monitoring_config.evaluate_constraints", "string", []string{"Enabled", "Disabled"}},
		{"monitoring_config.emit_metrics", "string", []string{"Enabled", "Disabled"}},
		{"monitoring_config.datatype_check_threshold", "number", nil},
		{"monitoring_config.domain_content_threshold", "number", nil},
		{"monitoring_config.distribution_constraints.perform_comparison", "string", []string{"Enabled", "Disabled"}},
		{"monitoring_config.distribution_constraints.comparison_threshold", "number", nil},
		{"monitoring_config.distribution_constraints.comparison_method", "string", []string{"Simple", "Robust"}},
		{"monitoring_config.distribution_constraints.categorical_comparison_threshold", "number", nil},
		{"monitoring_config.distribution_constraints.categorical_drift_method", "string", []string{"LInfinity", "ChiSquared"}},
	}
	numericConstraintFields = []field{{"num_constraints.is_non_negative", "boolean", nil}}
	stringConstraintFields  = []field{{"string_constraints.domains[]", "string", nil}}
)

// values returns the values at path in doc, descending into every element
// where the path says "[]"; a missing member or an empty array is an
// error naming where.
func values(doc any, path string) ([]any, string) {
	cur := []any{doc}
	for _, step := range strings.Split(path, ".") {
		name := strings.TrimRight(step, "[]")
		var next []any
		for _, v := range cur {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, "not an object before " + step
			}
			m, ok := obj[name]
			if !ok {
				return nil, "no member " + name
			}
			next = append(next, m)
		}
		for range strings.Count(step, "[]") {
			var elems []any
			for _, v := range next {
				a, ok := v.([]any)
				if !ok || len(a) == 0 {
					return nil, name + " is not a non-empty array"
				}
				elems = append(elems, a...)
			}
			next = elems
		}
		cur = next
	}
	return cur, ""
}

func kindOf(v any) string {
	switch v.(type) {
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

// checkFields checks each field of fields in doc and returns the problems.
func checkFields(doc any, fields []field) []string {
	var problems []string
	for _, f := range fields {
		vs, problem := values(doc, f.path)
		if problem != "" {
			problems = append(problems, f.path+": "+problem)
			continue
		}
		for _, v := range vs {
			if k := kindOf(v); k != f.kind {
				problems = append(problems, f.path+": a "+k+", want a "+f.kind)
				break
			}
			if s, _ := v.(string); f.enum != nil && !slices.Contains(f.enum, s) {
				problems = append(problems, f.path+": "+s+" is not one of "+strings.Join(f.enum, ", "))
				break
			}
		}
	}
	return problems
}

// decode returns the JSON that write writes as generic values.
func decode(t *testing.T, write func(w *bytes.Buffer) error) map[string]any {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	return doc
}

// checkLayouts checks a baseline's two files against the documented
// fields and returns the problems.
func checkLayouts(t *testing.T, b *Baseline) []string {
	stats := decode(t, func(w *bytes.Buffer) error { return b.Statistics.WriteJSON(w) })
	cons := decode(t, func(w *bytes.Buffer) error { return b.Constraints.WriteJSON(w) })
	problems := checkFields(stats, statisticsFields)
	problems = append(problems, checkFields(cons, constraintsFields)...)
	kinds := map[string]int{}
	for _, list := range []struct {
		doc              map[string]any
		numeric, strings []field
	}{{stats, numericFields, stringFields}, {cons, numericConstraintFields, stringConstraintFields}} {
		feats, _ := list.doc["features"].([]any)
		for _, f := range feats {
			typ, _ := f.(map[string]any)["inferred_type"].(string)
			kinds[typ]++
			want := list.numeric
			if typ == String {
				want = list.strings
			}
			for _, p := range checkFields(f, want) {
				problems = append(problems, f.(map[string]any)["name"].(string)+": "+p)
			}
		}
	}
	assert.Positive(t, kinds[String], "the data has a String feature, whose fields are checked")
	assert.Positive(t, kinds[Fractional], "the data has a Fractional feature, whose fields are checked")
	return problems
}

func TestBaselineHasTheDocumentedLayouts(t *testing.T) {
	_, _, b := abaloneBaseline(t, 42)
	assert.Empty(t, checkLayouts(t, b))
}

// The check itself finds a missing, a mistyped and an out-of-enum field.
func TestLayoutCheckFindsProblems(t *testing.T) {
	_, _, b := abaloneBaseline(t, 42)
	b.Statistics.Features[1].NumericalStatistics.Distribution.KLL.Buckets = nil
	b.Statistics.Features[3].InferredType = "Unknown" // valid in constraints.json only
	b.Constraints.MonitoringConfig.DistributionConstraints.ComparisonMethod = "linf"
	b.Constraints.Features[2].NumConstraints = nil
	problems := checkLayouts(t, b)
	assert.Equal(t, []string{
		"features[].inferred_type: Unknown is not one of Fractional, Integral, String",
		"monitoring_config.distribution_constraints.comparison_method: linf is not one of Simple, Robust",
		"Length: numerical_statistics.distribution.kll.buckets[].lower_bound: buckets is not a non-empty array",
		"Length: numerical_statistics.distribution.kll.buckets[].upper_bound: buckets is not a non-empty array",
		"Length: numerical_statistics.distribution.kll.buckets[].count: buckets is not a non-empty array",
		"Diameter: num_constraints.is_non_negative: no member num_constraints",
	}, problems)
}

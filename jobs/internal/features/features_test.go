package features

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// smallSchema has one categorical and two numeric features, an id and a
// binary target.
const smallSchema = `{
  "columns": [
    {"name": "id", "type": "categorical"},
    {"name": "color", "type": "categorical"},
    {"name": "size", "type": "numeric"},
    {"name": "weight", "type": "numeric"},
    {"name": "label", "type": "categorical"}
  ],
  "target": "label", "task": "binary_classification", "positiveLabel": "yes",
  "id": "id", "header": true, "missingValues": ["", "NA"]
}`

// smallData: size has one missing value (median of 1, 2, 4, 10 is 3);
// weight is constant (scale 1); color has a tie between red and blue (2
// each), so the mode is the smaller name, blue.
const smallData = `id,color,size,weight,label
a,red,1,5,yes
b,blue,2,5,no
c,red,NA,5,yes
d,blue,4,5,no
e,green,10,5,no
`

func smallTable(t *testing.T) *Table {
	t.Helper()
	s, err := dataset.Parse([]byte(smallSchema))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "small.csv")
	require.NoError(t, os.WriteFile(path, []byte(smallData), 0o644))
	table := NewTable(s)
	require.NoError(t, table.ReadFile(path))
	return table
}

func TestTableReadsColumns(t *testing.T) {
	table := smallTable(t)
	require.Equal(t, 5, table.Len())
	assert.Equal(t, []float64{1, 0, 1, 0, 0}, table.Labels)
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, table.IDs)
	assert.Equal(t, []string{"red", "blue", "green"}, table.Cols[1].Dict)
	assert.True(t, math.IsNaN(table.Cols[2].Num[2]), "NA is missing")
	v, ok := table.Category(1, 4)
	assert.True(t, ok)
	assert.Equal(t, "green", v)
}

func TestFitByHand(t *testing.T) {
	table := smallTable(t)
	p, err := Fit(table, []int{0, 1, 2, 3, 4})
	require.NoError(t, err)
	require.Len(t, p.Columns, 3, "id and target are not features")

	color := p.Columns[0].Categorical
	require.NotNil(t, color)
	assert.Equal(t, "blue", color.Mode, "ties go to the smaller category")
	assert.Equal(t, []string{"blue", "green", "red"}, color.Categories)

	size := p.Columns[1].Numeric
	require.NotNil(t, size)
	assert.Equal(t, 3.0, size.Median, "median of 1, 2, 4, 10")
	// After imputation: 1, 2, 3, 4, 10 -> mean 4, population variance
	// (9 + 4 + 1 + 0 + 36) / 5 = 10.
	assert.InDelta(t, 4.0, size.Mean, 1e-12)
	assert.InDelta(t, math.Sqrt(10), size.Scale, 1e-12)

	assert.Equal(t, 1.0, p.Columns[2].Numeric.Scale, "a constant column keeps scale 1")
	assert.Equal(t, []string{"color=blue", "color=green", "color=red", "color" + UnseenSuffix, "size", "weight"}, p.FeatureNames)
}

func TestTransformRecord(t *testing.T) {
	table := smallTable(t)
	p, err := Fit(table, []int{0, 1, 2, 3, 4})
	require.NoError(t, err)
	s := table.Schema
	tests := []struct {
		name string
		line string
		want []float32
	}{
		{"known category", "x,red,4,5", []float32{0, 0, 1, 0, 0, 0}},
		{"unseen category", "x,purple,4,5", []float32{0, 0, 0, 1, 0, 0}},
		{"missing category takes the mode", "x,NA,4,5", []float32{1, 0, 0, 0, 0, 0}},
		{"missing number takes the median", "x,red,,5", []float32{0, 0, 1, 0, float32(-1 / math.Sqrt(10)), 0}},
		{"scaled number", "x,red,14,7", []float32{0, 0, 1, 0, float32(10 / math.Sqrt(10)), 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := dataset.NewReader(strings.NewReader("id,color,size,weight\n"+tt.line+"\n"), "in.csv", s, dataset.Options{TargetOptional: true})
			require.NoError(t, err)
			rec, err := r.Read()
			require.NoError(t, err)
			got := make([]float32, p.NumFeatures())
			require.NoError(t, p.TransformRecord(rec, got))
			assert.InDeltaSlice(t, tt.want, got, 1e-6, "TransformRecord(%q)", tt.line)
		})
	}
	assert.Error(t, p.TransformRecord(nil, make([]float32, 2)), "wrong feature slot count")
}

func TestTransformRowMatchesRecord(t *testing.T) {
	table := smallTable(t)
	p, err := Fit(table, []int{0, 1, 3})
	require.NoError(t, err)
	r, err := dataset.NewReader(strings.NewReader(smallData), "small.csv", table.Schema, dataset.Options{})
	require.NoError(t, err)
	for row := 0; row < table.Len(); row++ {
		rec, err := r.Read()
		require.NoError(t, err)
		fromRecord := make([]float32, p.NumFeatures())
		fromTable := make([]float32, p.NumFeatures())
		require.NoError(t, p.TransformRecord(rec, fromRecord))
		require.NoError(t, p.TransformRow(table, row, fromTable))
		assert.Equal(t, fromRecord, fromTable, "row %d: training and inference transforms agree", row)
	}
}

func TestPreprocessorGolden(t *testing.T) {
	table := smallTable(t)
	p, err := Fit(table, []int{0, 1, 2, 3, 4})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, p.WriteJSON(&buf))
	golden := filepath.Join("testdata", "preprocessor.golden.json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), buf.String(), "fitted preprocessor JSON; run go test -update to accept a change")

	loaded, err := ParsePreprocessor(buf.Bytes(), table.Schema)
	require.NoError(t, err)
	assert.Equal(t, p.FeatureNames, loaded.FeatureNames)
	assert.Equal(t, p.Columns, loaded.Columns)
}

func TestParsePreprocessorRejects(t *testing.T) {
	table := smallTable(t)
	p, err := Fit(table, []int{0, 1, 2, 3, 4})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, p.WriteJSON(&buf))
	good := buf.String()
	other, err := dataset.Parse([]byte(strings.Replace(smallSchema, `"weight"`, `"mass"`, 1)))
	require.NoError(t, err)
	tests := []struct {
		name   string
		data   string
		schema *dataset.Schema
		want   string
	}{
		{"other schema", good, other, "preprocessor: fitted with schema"},
		{"version", strings.Replace(good, `"version": 1`, `"version": 2`, 1), table.Schema, "preprocessor: version 2 is not supported"},
		{"zero scale", strings.Replace(good, `"scale": 1`, `"scale": 0`, 1), table.Schema, `preprocessor: column "weight": median 5, mean 5, scale 0`},
		{"unknown field", strings.Replace(good, `"version"`, `"extra": 1, "version"`, 1), table.Schema, `unknown field "extra"`},
		{"mode not a category", strings.Replace(good, `"mode": "blue"`, `"mode": "pink"`, 1), table.Schema, `contain the mode "pink"`},
		{"not JSON", "{", table.Schema, "preprocessor:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePreprocessor([]byte(tt.data), tt.schema)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestFitFailsOnEmptyColumn(t *testing.T) {
	table := smallTable(t)
	_, err := Fit(table, []int{2})
	assert.EqualError(t, err, `fit preprocessor: column "size" has no values in the 1 training rows; it cannot be imputed`)
	_, err = Fit(table, nil)
	assert.Error(t, err)
}

func TestSplitRowsReproducible(t *testing.T) {
	labels := make([]float64, 1000)
	for i := range labels {
		labels[i] = float64(i % 4 / 3) // a quarter positive
	}
	a, err := SplitRows(labels, 0.7, 0.15, 7, true)
	require.NoError(t, err)
	b, err := SplitRows(labels, 0.7, 0.15, 7, true)
	require.NoError(t, err)
	assert.Equal(t, a, b, "same seed, same split")
	c, err := SplitRows(labels, 0.7, 0.15, 8, true)
	require.NoError(t, err)
	assert.NotEqual(t, a.Train, c.Train, "another seed, another split")

	assert.Len(t, a.Train, 700)
	assert.Len(t, a.Validation, 150)
	assert.Len(t, a.Test, 150)
	seen := map[int]bool{}
	for _, part := range [][]int{a.Train, a.Validation, a.Test} {
		for _, r := range part {
			assert.False(t, seen[r], "row %d in two parts", r)
			seen[r] = true
		}
	}
	assert.Len(t, seen, 1000, "every row is in a part")
}

func TestSplitRowsStratified(t *testing.T) {
	labels := make([]float64, 1000)
	for i := range labels {
		if i%10 == 0 {
			labels[i] = 1 // 10% positive
		}
	}
	s, err := SplitRows(labels, 0.7, 0.15, 1, true)
	require.NoError(t, err)
	share := func(rows []int) float64 {
		pos := 0
		for _, r := range rows {
			pos += int(labels[r])
		}
		return float64(pos) / float64(len(rows))
	}
	for name, rows := range map[string][]int{"train": s.Train, "validation": s.Validation, "test": s.Test} {
		assert.InDelta(t, 0.1, share(rows), 0.005, "positive share of %s", name)
	}
}

func TestSplitRowsErrors(t *testing.T) {
	_, err := SplitRows(make([]float64, 10), 0.9, 0.2, 1, false)
	assert.ErrorContains(t, err, "valid: train > 0, validation >= 0, train + validation <= 1")
	_, err = SplitRows(make([]float64, 2), 0.7, 0.15, 1, false)
	assert.ErrorContains(t, err, "is empty")
}

func TestSplitFileRoundTrip(t *testing.T) {
	table := smallTable(t)
	p, err := Fit(table, []int{0, 1, 2, 3, 4})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteSplit(&buf, table, []int{0, 4}, p))
	assert.Equal(t, "1,0,0,1,0,-0.9486833,0\n0,0,1,0,0,1.8973666,0\n", buf.String())

	path := filepath.Join(t.TempDir(), "train.csv")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	d, err := ReadSplit(path, false)
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 0}, d.Labels)
	assert.Equal(t, 6, d.Cols)
	want := make([]float32, 6)
	require.NoError(t, p.TransformRow(table, 4, want))
	assert.Equal(t, want, d.Features[6:], "features read back exactly as float32")
}

func TestReadSplitErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, data, want string }{
		{"empty", "", "no rows"},
		{"ragged", "1,2,3\n0,1\n", "ragged.csv:2: 1 features, earlier rows have 2"},
		{"not a number", "1,2\n0,x\n", "not_a_number.csv:2: field 2"},
		{"NaN", "1,NaN\n", "nan.csv:1: field 2"},
		{"label only", "1\n", "0 features"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(strings.ToLower(tt.name), " ", "_")+".csv")
			require.NoError(t, os.WriteFile(path, []byte(tt.data), 0o644))
			_, err := ReadSplit(path, false)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestProfile(t *testing.T) {
	table := smallTable(t)
	p := NewProfile(table, []int{0, 1, 2, 3, 4})
	assert.Equal(t, 5, p.Rows)
	color := p.Columns[0]
	assert.Equal(t, []CategoryCount{{"blue", 2, 0.4}, {"red", 2, 0.4}, {"green", 1, 0.2}}, color.Categories)
	size := p.Columns[1]
	assert.Equal(t, 4, size.Count)
	assert.Equal(t, 1, size.Missing)
	require.NotNil(t, size.Numeric)
	assert.Equal(t, 1.0, size.Numeric.Min)
	assert.Equal(t, 10.0, size.Numeric.Max)
	assert.InDelta(t, 4.25, size.Numeric.Mean, 1e-12)
	assert.Equal(t, 5, p.Target.Count)
	assert.InDelta(t, 0.4, p.Target.Numeric.Mean, 1e-12, "the target's mean is the positive share")
}

func TestWriteSplitIsTheSameOnAnyCoreCount(t *testing.T) {
	s, err := dataset.Parse([]byte(smallSchema))
	require.NoError(t, err)
	table := NewTable(s)
	var b strings.Builder
	b.WriteString("id,color,size,weight,label\n")
	for i := range 3*splitBlockRows + 17 {
		fmt.Fprintf(&b, "r%d,%s,%d,%d,%s\n", i, []string{"red", "blue", "green"}[i%3], i%97, i%13, []string{"yes", "no"}[i%2])
	}
	path := filepath.Join(t.TempDir(), "many.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	require.NoError(t, table.ReadFile(path))
	rows := make([]int, table.Len())
	for i := range rows {
		rows[len(rows)-1-i] = i // reversed: output must follow the given order
	}
	p, err := Fit(table, rows)
	require.NoError(t, err)

	var serial bytes.Buffer
	feat := make([]float32, p.NumFeatures())
	for _, r := range rows {
		require.NoError(t, p.TransformRow(table, r, feat))
		serial.Write(AppendRow(nil, table.Labels[r], feat))
	}
	for _, procs := range []int{1, 2, 4} {
		prev := runtime.GOMAXPROCS(procs)
		var got bytes.Buffer
		err := WriteSplit(&got, table, rows, p)
		runtime.GOMAXPROCS(prev)
		require.NoError(t, err)
		assert.Equal(t, serial.String(), got.String(), "WriteSplit with GOMAXPROCS=%d", procs)
	}
	var empty bytes.Buffer
	require.NoError(t, WriteSplit(&empty, table, nil, p))
	assert.Empty(t, empty.String())
}

func TestMedianOfMatchesSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 3, 4, 31, 32, 33, 100, 1001, 4096, 100_000} {
		for _, distinct := range []int{1, 3, 50, 1 << 30} {
			values := make([]float64, n)
			for i := range values {
				values[i] = float64(rng.IntN(distinct)) - float64(distinct)/2
			}
			sorted := slices.Clone(values)
			slices.Sort(sorted)
			want := sorted[n/2]
			if n%2 == 0 {
				want = (sorted[n/2-1] + sorted[n/2]) / 2
			}
			got := medianOf(values)
			assert.Equal(t, want, got, "medianOf(%d values, %d distinct)", n, distinct)
			slices.Sort(values)
			assert.Equal(t, sorted, values, "medianOf(%d values) only reorders them", n)
		}
	}
	// Already sorted and reversed input, the classic bad cases of a
	// fixed pivot rule.
	descending := ascending(50_000)
	slices.Reverse(descending)
	for _, values := range [][]float64{ascending(50_001), descending} {
		n := len(values)
		want := float64(n/2) + 1
		if n%2 == 0 {
			want = float64(n)/2 + 0.5
		}
		assert.Equal(t, want, medianOf(values), "medianOf(1..%d)", n)
	}
}

func ascending(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i + 1)
	}
	return out
}

// TestFitCapsCategories: beyond a column's maxCategories, the most
// frequent categories are kept (the smaller value first on ties) and the
// rest are encoded as unseen values, and Fit reports what it folded.
func TestFitCapsCategories(t *testing.T) {
	s, err := dataset.Parse([]byte(`{"columns": [
		{"name": "c", "type": "categorical", "maxCategories": 3},
		{"name": "d", "type": "categorical"},
		{"name": "y", "type": "numeric"}],
		"target": "y", "task": "regression", "header": true}`))
	require.NoError(t, err)
	// c: e 3 times, b and d twice, a and c once: a tie at the cut between
	// b and d, both kept; a and c tie below it and are folded.
	data := "c,d,y\n"
	for i, v := range []string{"e", "d", "b", "e", "a", "d", "b", "e", "c"} {
		data += fmt.Sprintf("%s,x%d,%d\n", v, i, i)
	}
	path := filepath.Join(t.TempDir(), "in.csv")
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
	table := NewTable(s)
	require.NoError(t, table.ReadFile(path))
	rows := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
	p, err := Fit(table, rows)
	require.NoError(t, err)
	c := p.Columns[0].Categorical
	assert.Equal(t, []string{"b", "d", "e"}, c.Categories)
	assert.Equal(t, "e", c.Mode)
	assert.Len(t, p.Columns[1].Categorical.Categories, 9, "d has 9 values, under the default limit")
	assert.Equal(t, []FoldedColumn{{Column: "c", Limit: 3, Folded: 2, Rows: 2}}, p.Folded())

	// A folded category is encoded as an unseen one.
	dst := make([]float32, p.NumFeatures())
	require.NoError(t, p.TransformRow(table, 4, dst)) // c = a
	assert.Equal(t, []float32{0, 0, 0, 1}, dst[:4], "c=a goes to %s", "c"+UnseenSuffix)

	// The same rows in another order fit the same preprocessor.
	slices.Reverse(rows)
	again, err := Fit(table, rows)
	require.NoError(t, err)
	assert.Equal(t, p.Columns, again.Columns)

	// A column with a value per row stays at the default limit.
	s.Columns[0].MaxCategories = 0
	var many strings.Builder
	many.WriteString("c,d,y\n")
	for i := range dataset.DefaultMaxCategories + 50 {
		fmt.Fprintf(&many, "v%04d,x,%d\n", i, i)
	}
	require.NoError(t, os.WriteFile(path, []byte(many.String()), 0o644))
	table = NewTable(s)
	require.NoError(t, table.ReadFile(path))
	rows = make([]int, table.Len())
	for i := range rows {
		rows[i] = i
	}
	p, err = Fit(table, rows)
	require.NoError(t, err)
	assert.Len(t, p.Columns[0].Categorical.Categories, dataset.DefaultMaxCategories)
	assert.Equal(t, "v0000", p.Columns[0].Categorical.Categories[0], "all counts tie: the smallest values are kept")
	assert.Equal(t, []FoldedColumn{{Column: "c", Limit: 100, Folded: 50, Rows: 50}}, p.Folded())
}

func TestReadSplitChecksBinaryLabels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "train.csv")
	require.NoError(t, os.WriteFile(path, []byte("1,0.5\n0,0.25\n\n2,0.75\n"), 0o644))
	_, err := ReadSplit(path, true)
	assert.EqualError(t, err, "train.csv:4: field 1, the label: 2 is not 0 or 1; binary classification needs labels 0 or 1")
	d, err := ReadSplit(path, false)
	require.NoError(t, err, "a regression label may be 2")
	assert.Equal(t, []float32{1, 0, 2}, d.Labels)
}

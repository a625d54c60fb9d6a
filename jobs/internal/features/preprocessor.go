package features

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"gonum.org/v1/gonum/stat"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
)

// FormatVersion is the version of the preprocessor's JSON layout; a loader
// rejects other versions rather than guess.
const FormatVersion = 1

// UnseenSuffix names the one-hot feature that receives categories the
// training rows did not have, and those folded by the column's cap on
// categories (the schema's maxCategories).
const UnseenSuffix = "=(unseen)"

// Preprocessor turns one raw row into the model's features: missing values
// are imputed (median for numeric columns, mode for categorical ones),
// numeric columns are standardised, categorical columns one-hot encoded
// with one extra feature for unseen values. It is fitted on training rows
// only and saved as JSON next to the model.
type Preprocessor struct {
	// Version is FormatVersion.
	Version int `json:"version"`
	// SchemaFingerprint ties the preprocessor to the schema it was fitted with.
	SchemaFingerprint string `json:"schemaFingerprint"`
	// Columns holds one transform per feature column, in schema order.
	Columns []Transform `json:"columns"`
	// FeatureNames names the output features in order.
	FeatureNames []string `json:"featureNames"`

	slots  []map[string]int // per transform: category -> one-hot offset
	folded []FoldedColumn   // set by Fit
}

// FoldedColumn tells that a categorical column had more categories in the
// training rows than its limit (the schema's maxCategories): the least
// frequent ones are encoded as unseen values are.
type FoldedColumn struct {
	// Column is the schema column's name.
	Column string
	// Limit is the number of categories kept.
	Limit int
	// Folded is the number of distinct categories folded.
	Folded int
	// Rows is the number of training rows with a folded category.
	Rows int
}

// Folded lists, in schema order, the columns whose categories Fit capped;
// it is empty for a preprocessor that was loaded rather than fitted.
func (p *Preprocessor) Folded() []FoldedColumn { return p.folded }

// Transform is the fitted transformation of one schema column.
type Transform struct {
	// Column is the schema column's name.
	Column string `json:"column"`
	// Index is the column's position in the schema.
	Index int `json:"index"`
	// Numeric is set for numeric columns.
	Numeric *NumericTransform `json:"numeric,omitempty"`
	// Categorical is set for categorical columns.
	Categorical *CategoricalTransform `json:"categorical,omitempty"`
}

// NumericTransform imputes a numeric column with its median, then
// standardises it: (x - Mean) / Scale.
type NumericTransform struct {
	// Median replaces missing values.
	Median float64 `json:"median"`
	// Mean is the mean after imputation.
	Mean float64 `json:"mean"`
	// Scale is the population standard deviation after imputation, or 1 for
	// a constant column (as scikit-learn's StandardScaler does).
	Scale float64 `json:"scale"`
}

// CategoricalTransform imputes a categorical column with its mode, then
// one-hot encodes it: one feature per category, then one for unseen values.
type CategoricalTransform struct {
	// Mode replaces missing values: the most frequent category, the
	// smallest one on ties.
	Mode string `json:"mode"`
	// Categories are the training categories in sorted order: all of
	// them, or the most frequent ones up to the column's cap (the
	// schema's maxCategories).
	Categories []string `json:"categories"`
}

// width returns how many features the transform produces.
func (tr *Transform) width() int {
	if tr.Categorical != nil {
		return len(tr.Categorical.Categories) + 1
	}
	return 1
}

// Fit fits a preprocessor on the given rows of t.
func Fit(t *Table, rows []int) (*Preprocessor, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("fit preprocessor: no training rows")
	}
	p := &Preprocessor{Version: FormatVersion, SchemaFingerprint: t.Schema.Fingerprint()}
	features := t.Schema.FeatureIndexes()
	p.Columns = make([]Transform, len(features))
	errs := make([]error, len(features))
	folded := make([]FoldedColumn, len(features))
	eachColumn(len(features), func(k int) {
		i := features[k]
		name := t.Schema.Columns[i].Name
		tr := Transform{Column: name, Index: i}
		if t.Schema.Columns[i].Type == dataset.Categorical {
			tr.Categorical, folded[k], errs[k] = fitCategorical(t, i, rows)
		} else {
			tr.Numeric, errs[k] = fitNumeric(name, t.Cols[i].Num, rows)
		}
		p.Columns[k] = tr
	})
	for k, err := range errs {
		if err != nil {
			return nil, err
		}
		if folded[k].Folded > 0 {
			p.folded = append(p.folded, folded[k])
		}
	}
	p.index()
	return p, nil
}

// eachColumn calls f(0) .. f(n-1) on all cores and returns when all are
// done. Columns are independent and each call writes only its own slot,
// so results do not depend on the scheduling.
func eachColumn(n int, f func(k int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for k := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			f(k)
		})
	}
	wg.Wait()
}

// medianOf returns the median of values (the mean of the two middle ones
// for an even count), reordering values. It selects rather than sorts:
// linear time on average, which matters on millions of training rows.
func medianOf(values []float64) float64 {
	n := len(values)
	upper := kth(values, n/2)
	if n%2 == 1 {
		return upper
	}
	// kth leaves every value below position n/2 at or below upper, so
	// the largest of them is the lower middle value.
	return (slices.Max(values[:n/2]) + upper) / 2
}

// kth returns the k-th smallest (0-based) of values, which must hold no
// NaN, and reorders values so that those before position k are at or
// below it. Three-way partitions keep runs of equal values, common in
// measured data, linear; a pivot sequence that keeps splitting badly
// falls back to sorting what is left.
func kth(values []float64, k int) float64 {
	lo, hi := 0, len(values)
	for budget := 2 * bits.Len(uint(len(values))); hi-lo > 32 && budget > 0; budget-- {
		a, b, c := values[lo], values[lo+(hi-lo)/2], values[hi-1]
		pivot := max(min(a, b), min(max(a, b), c)) // the median of the three
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch v := values[i]; {
			case v < pivot:
				values[lt], values[i] = v, values[lt]
				lt++
				i++
			case v > pivot:
				gt--
				values[i], values[gt] = values[gt], v
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			return pivot
		}
	}
	slices.Sort(values[lo:hi])
	return values[k]
}

func fitNumeric(name string, values []float64, rows []int) (*NumericTransform, error) {
	present := make([]float64, 0, len(rows))
	for _, r := range rows {
		if !math.IsNaN(values[r]) {
			present = append(present, values[r])
		}
	}
	if len(present) == 0 {
		return nil, fmt.Errorf("fit preprocessor: column %q has no values in the %d training rows; it cannot be imputed", name, len(rows))
	}
	median := medianOf(present)
	imputed := make([]float64, len(rows))
	for k, r := range rows {
		imputed[k] = values[r]
		if math.IsNaN(imputed[k]) {
			imputed[k] = median
		}
	}
	mean, std := stat.PopMeanStdDev(imputed, nil)
	scale := std
	if !(scale > 1e-12) {
		scale = 1
	}
	return &NumericTransform{Median: median, Mean: mean, Scale: scale}, nil
}

// fitCategorical fits the transform of categorical column col. Beyond the
// schema's limit for the column, only the most frequent categories are
// kept, the smaller value first among equally frequent ones, so that the
// choice depends on the data alone; the others fall into the bucket for
// unseen values, and folded reports them.
func fitCategorical(t *Table, col int, rows []int) (c *CategoricalTransform, folded FoldedColumn, err error) {
	counts := make([]int, len(t.Cols[col].Dict))
	for _, r := range rows {
		if code := t.Cols[col].Codes[r]; code >= 0 {
			counts[code]++
		}
	}
	type category struct {
		value string
		n     int
	}
	var present []category
	for code, n := range counts {
		if n > 0 {
			present = append(present, category{t.Cols[col].Dict[code], n})
		}
	}
	name := t.Schema.Columns[col].Name
	if len(present) == 0 {
		return nil, folded, fmt.Errorf("fit preprocessor: column %q has no values in the %d training rows; it cannot be imputed", name, len(rows))
	}
	// Most frequent first; the first is the mode.
	slices.SortFunc(present, func(a, b category) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.value, b.value)
	})
	if limit := t.Schema.CategoryLimit(col); len(present) > limit {
		folded = FoldedColumn{Column: name, Limit: limit, Folded: len(present) - limit}
		for _, f := range present[limit:] {
			folded.Rows += f.n
		}
		present = present[:limit]
	}
	c = &CategoricalTransform{Mode: present[0].value, Categories: make([]string, len(present))}
	for i, p := range present {
		c.Categories[i] = p.value
	}
	sort.Strings(c.Categories)
	return c, folded, nil
}

// index derives the feature names and the category lookups.
func (p *Preprocessor) index() {
	p.FeatureNames = nil
	p.slots = make([]map[string]int, len(p.Columns))
	for k, tr := range p.Columns {
		if tr.Categorical == nil {
			p.FeatureNames = append(p.FeatureNames, tr.Column)
			continue
		}
		p.slots[k] = make(map[string]int, len(tr.Categorical.Categories))
		for j, c := range tr.Categorical.Categories {
			p.slots[k][c] = j
			p.FeatureNames = append(p.FeatureNames, tr.Column+"="+c)
		}
		p.FeatureNames = append(p.FeatureNames, tr.Column+UnseenSuffix)
	}
}

// NumFeatures returns how many features a row turns into.
func (p *Preprocessor) NumFeatures() int { return len(p.FeatureNames) }

// TransformRecord writes the features of rec into dst, which must have
// NumFeatures elements.
func (p *Preprocessor) TransformRecord(rec *dataset.Record, dst []float32) error {
	return p.transform(dst, func(col int) (float64, []byte, bool) {
		return rec.Num[col], rec.Raw[col], rec.Missing[col]
	})
}

// TransformRow writes the features of row r of t into dst, which must have
// NumFeatures elements.
func (p *Preprocessor) TransformRow(t *Table, r int, dst []float32) error {
	return p.transform(dst, func(col int) (float64, []byte, bool) {
		if t.Cols[col].Codes == nil {
			v := t.Cols[col].Num[r]
			return v, nil, math.IsNaN(v)
		}
		s, ok := t.Category(col, r)
		return 0, []byte(s), !ok
	})
}

// transform fills dst from a row given by value(col): the number of a
// numeric column, the bytes of a categorical one, and whether it is missing.
func (p *Preprocessor) transform(dst []float32, value func(col int) (float64, []byte, bool)) error {
	if len(dst) != len(p.FeatureNames) {
		return fmt.Errorf("transform: %d feature slots, the preprocessor makes %d", len(dst), len(p.FeatureNames))
	}
	off := 0
	for k := range p.Columns {
		tr := &p.Columns[k]
		num, raw, missing := value(tr.Index)
		if tr.Numeric != nil {
			if missing {
				num = tr.Numeric.Median
			}
			dst[off] = float32((num - tr.Numeric.Mean) / tr.Numeric.Scale)
			off++
			continue
		}
		w := tr.width()
		clear(dst[off : off+w])
		slot, ok := 0, false
		if missing {
			slot = p.slots[k][tr.Categorical.Mode]
		} else if slot, ok = p.slots[k][string(raw)]; !ok {
			slot = w - 1
		}
		dst[off+slot] = 1
		off += w
	}
	if i, ok := finite(dst); !ok {
		return fmt.Errorf("transform: feature %q is %g after imputation and scaling; the preprocessor and the data disagree", p.FeatureNames[i], dst[i])
	}
	return nil
}

// WriteJSON writes p as indented JSON.
func (p *Preprocessor) WriteJSON(w io.Writer) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// ParsePreprocessor decodes a preprocessor and checks it against s, the
// schema it must have been fitted with.
func ParsePreprocessor(data []byte, s *dataset.Schema) (*Preprocessor, error) {
	var p Preprocessor
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("preprocessor: %w", err)
	}
	if p.Version != FormatVersion {
		return nil, fmt.Errorf("preprocessor: version %d is not supported; valid: %d", p.Version, FormatVersion)
	}
	if p.SchemaFingerprint != s.Fingerprint() {
		return nil, fmt.Errorf("preprocessor: fitted with schema %.12s…, the data schema is %.12s…; valid: the schema stored with the model", p.SchemaFingerprint, s.Fingerprint())
	}
	features := s.FeatureIndexes()
	if len(p.Columns) != len(features) {
		return nil, fmt.Errorf("preprocessor: %d columns, the schema has %d feature columns", len(p.Columns), len(features))
	}
	for k, tr := range p.Columns {
		col := s.Columns[features[k]]
		wantCategorical := col.Type == dataset.Categorical
		switch {
		case tr.Index != features[k] || tr.Column != col.Name:
			return nil, fmt.Errorf("preprocessor: column %d is %q at index %d, the schema has %q at %d", k, tr.Column, tr.Index, col.Name, features[k])
		case (tr.Numeric != nil) == (tr.Categorical != nil) || (tr.Categorical != nil) != wantCategorical:
			return nil, fmt.Errorf("preprocessor: column %q must have exactly one transform, %s", tr.Column, col.Type)
		case tr.Numeric != nil && (!isFinite(tr.Numeric.Median) || !isFinite(tr.Numeric.Mean) || !(tr.Numeric.Scale > 0) || !isFinite(tr.Numeric.Scale)):
			return nil, fmt.Errorf("preprocessor: column %q: median %g, mean %g, scale %g; valid: finite numbers, scale > 0", tr.Column, tr.Numeric.Median, tr.Numeric.Mean, tr.Numeric.Scale)
		case tr.Categorical != nil && (len(tr.Categorical.Categories) == 0 || !slices.IsSorted(tr.Categorical.Categories) || !slices.Contains(tr.Categorical.Categories, tr.Categorical.Mode)):
			return nil, fmt.Errorf("preprocessor: column %q: categories must be non-empty, sorted and contain the mode %q", tr.Column, tr.Categorical.Mode)
		}
	}
	names := p.FeatureNames
	p.index()
	if !slices.Equal(names, p.FeatureNames) {
		return nil, fmt.Errorf("preprocessor: feature names do not match its columns")
	}
	return &p, nil
}

// LoadPreprocessor reads a preprocessor file and checks it against s.
func LoadPreprocessor(path string, s *dataset.Schema) (*Preprocessor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := ParsePreprocessor(data, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// TransformWidth returns how many features the transform of Columns[k]
// makes: one for a numeric column, one per category and one for unseen
// values for a categorical one.
func (p *Preprocessor) TransformWidth(k int) int { return p.Columns[k].width() }

// Package features turns raw rows read through a data schema into model
// features: an in-memory columnar table, a seeded (stratified) split, a
// preprocessor fitted on the training rows (imputation, standardisation,
// one-hot encoding with a bucket for unseen categories) and a profile of the
// training data for later drift checks.
package features

import (
	"errors"
	"io"
	"math"
	"path/filepath"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
)

// Column holds the values of one schema column for every row of a Table.
type Column struct {
	// Num holds a numeric column's values, NaN where missing.
	Num []float64
	// Codes holds a categorical column's values as indexes into Dict, -1
	// where missing.
	Codes []int32
	// Dict holds a categorical column's distinct values in order of first
	// appearance.
	Dict []string
}

// Table is a data set held in memory column by column, in the schema's
// column order.
type Table struct {
	// Schema describes the columns.
	Schema *dataset.Schema
	// Cols holds one Column per schema column; the target's and the id's
	// entries are empty.
	Cols []Column
	// Labels holds the target of every row: the value for regression, 0 or 1
	// for binary classification.
	Labels []float64
	// IDs holds the id column's raw values when the schema has one.
	IDs []string
	// index maps a categorical value to its code, per column.
	index []map[string]int32
}

// NewTable returns an empty table for schema s.
func NewTable(s *dataset.Schema) *Table {
	t := &Table{Schema: s, Cols: make([]Column, len(s.Columns)), index: make([]map[string]int32, len(s.Columns))}
	for _, i := range s.FeatureIndexes() {
		if s.Columns[i].Type == dataset.Categorical {
			t.index[i] = map[string]int32{}
		}
	}
	return t
}

// Len returns the number of rows.
func (t *Table) Len() int { return len(t.Labels) }

// Append adds one record read through the table's schema.
func (t *Table) Append(rec *dataset.Record) {
	for _, i := range t.Schema.FeatureIndexes() {
		c := &t.Cols[i]
		if t.index[i] == nil {
			c.Num = append(c.Num, rec.Num[i])
			continue
		}
		if rec.Missing[i] {
			c.Codes = append(c.Codes, -1)
			continue
		}
		code, ok := t.index[i][string(rec.Raw[i])]
		if !ok {
			code = int32(len(c.Dict))
			value := string(rec.Raw[i])
			c.Dict = append(c.Dict, value)
			t.index[i][value] = code
		}
		c.Codes = append(c.Codes, code)
	}
	if id := t.Schema.IDIndex(); id >= 0 {
		t.IDs = append(t.IDs, string(rec.Raw[id]))
	}
	t.Labels = append(t.Labels, rec.Label)
}

// Category returns row r's value of categorical column col and whether it
// is present.
func (t *Table) Category(col, r int) (string, bool) {
	code := t.Cols[col].Codes[r]
	if code < 0 {
		return "", false
	}
	return t.Cols[col].Dict[code], true
}

// ReadFile appends every row of the CSV file at path to t, naming the file
// by its base name in messages. The target must be present.
func (t *Table) ReadFile(path string) error {
	return t.ReadInput(Input{Path: path, Name: filepath.Base(path)})
}

// ReadInput appends every row of the CSV file in to t, naming the file by
// in.Name in messages. The target must be present.
func (t *Table) ReadInput(in Input) error {
	f, err := dataset.Open(in.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := dataset.NewReader(f, in.Name, t.Schema, dataset.Options{})
	if err != nil {
		return err
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		t.Append(rec)
	}
}

// finite reports whether every value is neither NaN nor infinite.
func finite(xs []float32) (int, bool) {
	for i, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i, false
		}
	}
	return 0, true
}

package features

import (
	"encoding/json"
	"io"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
)

// ProfileQuantiles are the quantiles a profile records of numeric columns.
var ProfileQuantiles = []float64{0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99}

// Profile describes the training rows, as a baseline for later drift checks.
type Profile struct {
	// Rows is the number of rows profiled.
	Rows int `json:"rows"`
	// Columns holds one entry per feature column, in schema order.
	Columns []ColumnProfile `json:"columns"`
	// Target describes the labels.
	Target ColumnProfile `json:"target"`
}

// ColumnProfile describes one column.
type ColumnProfile struct {
	// Name is the column's name.
	Name string `json:"name"`
	// Type is numeric or categorical.
	Type dataset.ColumnType `json:"type"`
	// Count is the number of present values.
	Count int `json:"count"`
	// Missing is the number of missing values.
	Missing int `json:"missing"`
	// Numeric holds the statistics of a numeric column with values.
	Numeric *NumericProfile `json:"numeric,omitempty"`
	// Categories holds a categorical column's values by descending
	// frequency, ties in name order.
	Categories []CategoryCount `json:"categories,omitempty"`
}

// NumericProfile holds the summary statistics of a numeric column.
type NumericProfile struct {
	Mean float64 `json:"mean"`
	// Std is the sample standard deviation.
	Std float64 `json:"std"`
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Quantiles holds the values at ProfileQuantiles, by linear
	// interpolation between order statistics.
	Quantiles []Quantile `json:"quantiles"`
}

// Quantile is the value below which a fraction P of the values lie.
type Quantile struct {
	P     float64 `json:"p"`
	Value float64 `json:"value"`
}

// CategoryCount is how often one category occurs.
type CategoryCount struct {
	Value string  `json:"value"`
	Count int     `json:"count"`
	Share float64 `json:"share"`
}

// NewProfile profiles the given rows of t.
func NewProfile(t *Table, rows []int) Profile {
	p := Profile{Rows: len(rows)}
	features := t.Schema.FeatureIndexes()
	p.Columns = make([]ColumnProfile, len(features))
	eachColumn(len(features), func(k int) {
		col := t.Schema.Columns[features[k]]
		if col.Type == dataset.Categorical {
			p.Columns[k] = categoricalProfile(col.Name, t, features[k], rows)
			return
		}
		p.Columns[k] = numericProfile(col, t.Cols[features[k]].Num, rows)
	})
	target := t.Schema.Columns[t.Schema.TargetIndex()]
	target.Type = dataset.Numeric // labels are numbers: values, or 0 and 1
	p.Target = numericProfile(target, t.Labels, rows)
	return p
}

func numericProfile(col dataset.Column, values []float64, rows []int) ColumnProfile {
	cp := ColumnProfile{Name: col.Name, Type: col.Type}
	present := make([]float64, 0, len(rows))
	for _, r := range rows {
		if math.IsNaN(values[r]) {
			cp.Missing++
			continue
		}
		present = append(present, values[r])
	}
	cp.Count = len(present)
	if cp.Count == 0 {
		return cp
	}
	sort.Float64s(present)
	mean, std := stat.MeanStdDev(present, nil)
	if cp.Count == 1 {
		std = 0 // a single value has no spread; avoid NaN, which JSON cannot hold
	}
	np := &NumericProfile{Mean: mean, Std: std, Min: present[0], Max: present[len(present)-1]}
	for _, q := range ProfileQuantiles {
		np.Quantiles = append(np.Quantiles, Quantile{P: q, Value: stat.Quantile(q, stat.LinInterp, present, nil)})
	}
	cp.Numeric = np
	return cp
}

func categoricalProfile(name string, t *Table, col int, rows []int) ColumnProfile {
	cp := ColumnProfile{Name: name, Type: dataset.Categorical}
	counts := make([]int, len(t.Cols[col].Dict))
	for _, r := range rows {
		if code := t.Cols[col].Codes[r]; code >= 0 {
			counts[code]++
			cp.Count++
		} else {
			cp.Missing++
		}
	}
	for code, n := range counts {
		if n > 0 {
			cp.Categories = append(cp.Categories, CategoryCount{Value: t.Cols[col].Dict[code], Count: n, Share: float64(n) / float64(cp.Count)})
		}
	}
	sort.Slice(cp.Categories, func(i, j int) bool {
		a, b := cp.Categories[i], cp.Categories[j]
		return a.Count > b.Count || a.Count == b.Count && a.Value < b.Value
	})
	return cp
}

// WriteJSON writes p as indented JSON.
func (p Profile) WriteJSON(w io.Writer) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

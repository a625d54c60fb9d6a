package gbt

import (
	"fmt"
	"math"
)

// Matrix is a dense, row-major matrix of features: feature j of row i is
// Data[i*Cols+j]. NaN marks a missing value, as it does in XGBoost's DMatrix
// built from a NumPy array. float32 matches what XGBoost stores, so
// thresholds learned here compare exactly as they do in XGBoost.
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// Row returns row i of m as a slice of m.Data (no copy).
func (m Matrix) Row(i int) []float32 {
	return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols]
}

// checkShape reports a matrix whose dimensions do not match its data.
func (m Matrix) checkShape(name string) error {
	if m.Rows < 0 || m.Cols < 0 {
		return fmt.Errorf("%s matrix: Rows = %d, Cols = %d; want both >= 0", name, m.Rows, m.Cols)
	}
	if m.Cols > 0 && m.Rows > math.MaxInt/m.Cols {
		return fmt.Errorf("%s matrix: Rows*Cols = %d*%d overflows", name, m.Rows, m.Cols)
	}
	if len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("%s matrix: len(Data) = %d, want Rows*Cols = %d*%d = %d", name, len(m.Data), m.Rows, m.Cols, m.Rows*m.Cols)
	}
	return nil
}

// checkTrainingData reports everything Train cannot use: a shape mismatch,
// no rows or no columns, labels that do not match the rows, infinite
// features, non-finite labels and, for binary:logistic, labels other than
// 0 and 1. Row indices can reach 2^31 only with far more memory than a
// training instance has, but the int32 row indices used while growing
// trees make it a hard limit, so it is checked too.
func checkTrainingData(name string, m Matrix, labels []float32, obj Objective) error {
	if err := m.checkShape(name); err != nil {
		return err
	}
	if m.Rows == 0 {
		return fmt.Errorf("%s matrix has 0 rows; want at least 1", name)
	}
	if m.Cols == 0 {
		return fmt.Errorf("%s matrix has 0 columns; want at least 1 feature", name)
	}
	if m.Rows > math.MaxInt32 {
		return fmt.Errorf("%s matrix has %d rows; at most %d are supported", name, m.Rows, math.MaxInt32)
	}
	if len(labels) != m.Rows {
		return fmt.Errorf("%s data: %d labels for %d rows; want one label per row", name, len(labels), m.Rows)
	}
	for i, v := range m.Data {
		if math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s matrix: row %d column %d is %v; features must be finite, or NaN for missing", name, i/m.Cols, i%m.Cols, v)
		}
	}
	for i, y := range labels {
		switch {
		case math.IsNaN(float64(y)) || math.IsInf(float64(y), 0):
			return fmt.Errorf("%s label %d is %v; labels must be finite", name, i, y)
		case obj == Logistic && y != 0 && y != 1:
			return fmt.Errorf("%s label %d is %v; objective %s needs labels 0 or 1", name, i, y, obj)
		}
	}
	return nil
}

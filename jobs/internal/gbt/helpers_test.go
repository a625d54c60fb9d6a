package gbt

import (
	"bytes"
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// fixtureDir holds models and predictions made by XGBoost 1.7.4; see its
// README.md.
const fixtureDir = "testdata/xgboost-fixture"

// readCSV reads a header-less CSV of numbers into rows.
func readCSV(t testing.TB, path string) [][]float64 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	require.NoErrorf(t, err, "reading %s", path)
	out := make([][]float64, len(records))
	for i, rec := range records {
		for j, s := range rec {
			v, err := strconv.ParseFloat(s, 64)
			require.NoErrorf(t, err, "%s line %d field %d", path, i+1, j+1)
			out[i] = append(out[i], v)
		}
	}
	return out
}

// fixtureFeatures returns the fixture's feature matrix.
func fixtureFeatures(t testing.TB) Matrix {
	t.Helper()
	rows := readCSV(t, filepath.Join(fixtureDir, "regression-features.csv"))
	m := Matrix{Rows: len(rows), Cols: len(rows[0])}
	for _, r := range rows {
		require.Len(t, r, m.Cols)
		for _, v := range r {
			m.Data = append(m.Data, float32(v))
		}
	}
	return m
}

// readModel reads a model file with ReadJSON.
func readModel(t testing.TB, path string) (*Model, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	m, err := ReadJSON(bytes.NewReader(data))
	require.NoErrorf(t, err, "ReadJSON(%s)", path)
	return m, data
}

// writeModel returns m's JSON.
func writeModel(t testing.TB, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, m.WriteJSON(&buf))
	return buf.Bytes()
}

// synthetic returns n rows of cols uniform features in [0, 1) and labels:
// for SquaredError a smooth function of the first features plus noise, for
// Logistic a 0/1 label drawn from a logistic model of the same function.
// A fraction missing of the feature values are NaN.
func synthetic(seed uint64, n, cols int, obj Objective, missing float64) (Matrix, []float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := Matrix{Rows: n, Cols: cols, Data: make([]float32, n*cols)}
	y := make([]float32, n)
	for i := range n {
		row := x.Data[i*cols : (i+1)*cols]
		for j := range row {
			row[j] = float32(rng.Float64())
		}
		f := 3*float64(row[0]) - 2*float64(row[min(1, cols-1)])*float64(row[min(2, cols-1)])
		if cols > 3 {
			f += math.Sin(6 * float64(row[3]))
		}
		switch obj {
		case Logistic:
			if rng.Float64() < 1/(1+math.Exp(-3*(f-1))) {
				y[i] = 1
			}
		default:
			y[i] = float32(10 + 2*f + 0.3*rng.NormFloat64())
		}
		for j := range row {
			if rng.Float64() < missing {
				row[j] = float32(math.NaN())
			}
		}
	}
	return x, y
}

func nan() float64 { return math.NaN() }

// nan32 is a missing feature value.
var nan32 = float32(math.NaN())

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

package gbt

import (
	"context"
	"testing"
)

// benchData is the synthetic data set of the benchmarks: 100,000 rows of
// 10 features.
func benchData() (Matrix, []float32) { return synthetic(42, 100_000, 10, SquaredError, 0) }

// BenchmarkTrain trains 100 rounds of depth-6 trees (XGBoost's defaults)
// on 100,000 rows of 10 features.
func BenchmarkTrain(b *testing.B) {
	x, y := benchData()
	p := DefaultParams()
	p.NumRound = 100
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Train(context.Background(), p, x, y, nil, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// trainedBenchModel returns a model trained on benchData for the
// prediction benchmarks.
func trainedBenchModel(b *testing.B) (*Model, Matrix) {
	b.Helper()
	x, y := benchData()
	p := DefaultParams()
	p.NumRound = 100
	m, err := Train(context.Background(), p, x, y, nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	return m, x
}

// BenchmarkPredictBatch predicts 100,000 rows with a 100-tree model.
func BenchmarkPredictBatch(b *testing.B) {
	m, x := trainedBenchModel(b)
	out := make([]float64, x.Rows)
	b.ReportAllocs()
	for b.Loop() {
		m.PredictBatch(x, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(x.Rows), "ns/row")
}

// BenchmarkPredict predicts one row at a time with a 100-tree model.
func BenchmarkPredict(b *testing.B) {
	m, x := trainedBenchModel(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Predict(x.Row(i))
		i = (i + 1) % x.Rows
	}
}

// BenchmarkContributionsBatch computes the TreeSHAP values of 10,000 rows
// with a 100-tree depth-6 model on the model's threads.
func BenchmarkContributionsBatch(b *testing.B) {
	m, x := trainedBenchModel(b)
	x = Matrix{Rows: 10_000, Cols: x.Cols, Data: x.Data[:10_000*x.Cols]}
	out := make([]float64, x.Rows*m.NumContributions())
	b.ReportAllocs()
	for b.Loop() {
		m.ContributionsBatch(x, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(x.Rows), "ns/row")
}

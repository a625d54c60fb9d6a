package monitor

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
)

// BenchmarkAdd measures counting one abalone row into the drift bins, the
// cost the drift check adds to each scored row:
// go test ./jobs/internal/monitor -run '^$' -bench Add
func BenchmarkAdd(b *testing.B) {
	table, _, base := abaloneBaseline(b, 42)
	m, err := New(base.Statistics, table.Schema)
	require.NoError(b, err)
	data, err := os.ReadFile(filepath.Join(abalone, "abalone.csv"))
	require.NoError(b, err)
	rd, err := dataset.NewReader(bytes.NewReader(data), "abalone.csv", table.Schema, dataset.Options{IgnoreTarget: true})
	require.NoError(b, err)
	// Copies of the records, as Read reuses its buffers.
	var recs []dataset.Record
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(b, err)
		c := dataset.Record{Num: append([]float64(nil), rec.Num...), Missing: append([]bool(nil), rec.Missing...)}
		for _, f := range rec.Raw {
			c.Raw = append(c.Raw, append([]byte(nil), f...))
		}
		recs = append(recs, c)
	}
	counts := m.NewCounts()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		counts.Add(&recs[i%len(recs)])
	}
}

package main

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
)

// smallReads returns at most 7777 bytes per Read, so that chunks are
// gathered from many reads that end anywhere in a line.
type smallReads struct{ r io.Reader }

func (s smallReads) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 7777)]) }

// chunks reads all chunks of input, failing the test on an error.
func chunks(t *testing.T, input []byte) []*chunk {
	t.Helper()
	cr := chunkReader{r: smallReads{bytes.NewReader(input)}, name: "in.csv", line: 1}
	var all []*chunk
	for {
		c := &chunk{}
		cr.fill(c)
		require.NoError(t, c.err)
		if len(c.data) == 0 {
			return all
		}
		all = append(all, c)
	}
}

func TestChunkReaderKeepsLinesWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var in bytes.Buffer
	for in.Len() < 3*chunkBytes+12345 {
		n := rng.IntN(200)
		if rng.IntN(500) == 0 {
			n = 300_000 // a few long lines
		}
		in.WriteString(strings.Repeat("x", n))
		in.WriteByte('\n')
	}
	in.WriteString("last line without a line ending")
	input := in.Bytes()

	all := chunks(t, input)
	require.Greater(t, len(all), 3)
	var joined []byte
	line := 1
	for i, c := range all {
		assert.Equal(t, i, c.seq)
		assert.Equalf(t, line, c.firstLine, "chunk %d starts at the line after the previous chunk", i)
		if i < len(all)-1 {
			assert.Equalf(t, byte('\n'), c.data[len(c.data)-1], "chunk %d ends a line", i)
			assert.GreaterOrEqualf(t, len(c.data), chunkBytes-300_000, "chunk %d is about chunkBytes", i)
		}
		assert.LessOrEqualf(t, cap(c.buf), chunkBytes+maxUnfinishedLine+1, "chunk %d buffer stays its size", i)
		line += bytes.Count(c.data, []byte{'\n'})
		joined = append(joined, c.data...)
	}
	assert.True(t, bytes.Equal(input, joined), "the chunks are the input")
}

func TestChunkReaderLongLines(t *testing.T) {
	head := "a\nb\n"
	// The longest line a chunk may hold: the reader's limit with "\r\n".
	longest := strings.Repeat("1", dataset.DefaultMaxLineBytes) + "\r\n"
	all := chunks(t, []byte(head+longest+"c\n"))
	var joined string
	for _, c := range all {
		joined += string(c.data)
	}
	assert.Equal(t, head+longest+"c\n", joined)

	for _, tc := range []struct{ name, input string }{
		{"too long, after whole chunks", strings.Repeat("z\n", chunkBytes) + strings.Repeat("1", maxUnfinishedLine+1) + "\n"},
		{"too long, at the end of the input", head + strings.Repeat("1", 3*chunkBytes)},
		{"just too long, without a line ending", head + strings.Repeat("1", maxUnfinishedLine+1)},
		{"just too long, with one", head + strings.Repeat("1", maxUnfinishedLine+1) + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cr := chunkReader{r: smallReads{strings.NewReader(tc.input)}, name: "in.csv", line: 1}
			var err error
			for err == nil {
				c := &chunk{}
				cr.fill(c)
				if err = c.err; err == nil && len(c.data) == 0 {
					t.Fatal("no error")
				}
			}
			line := strings.Count(tc.input[:strings.Index(tc.input, "11")], "\n") + 1
			assert.EqualError(t, err, "in.csv:"+strconv.Itoa(line)+": line longer than 1048576 bytes")
		})
	}
}

// abaloneInput returns the bundled abalone sample with its data rows
// repeated to at least rows rows.
func abaloneInput(t testing.TB, rows int) []byte {
	raw, err := os.ReadFile(filepath.Join(abalone, "abalone.csv"))
	require.NoError(t, err)
	header, body, _ := strings.Cut(string(raw), "\n")
	var b strings.Builder
	b.WriteString(header + "\n")
	for n := 0; n < rows; n += strings.Count(body, "\n") {
		b.WriteString(body)
	}
	return []byte(b.String())
}

// TestScoreFileDoesNotDependOnWorkers scores an input of several chunks
// with one and with three workers and compares the outputs byte for byte.
func TestScoreFileDoesNotDependOnWorkers(t *testing.T) {
	bundle, err := modelio.Load(testModel(t))
	require.NoError(t, err)
	bundle.Model.SetThreads(1)
	input := abaloneInput(t, 150_000)
	var outs []string
	for _, workers := range []int{1, 3} {
		s := &scorer{bundle: bundle, threshold: 0.5, workers: workers}
		for range 2 { // the second file reuses the chunk buffers
			var out bytes.Buffer
			rows, bad, err := s.scoreFile(context.Background(), bytes.NewReader(input), "in.csv", &out, io.Discard)
			require.NoError(t, err)
			assert.Equal(t, bytes.Count(input, []byte{'\n'})-1, rows)
			assert.Zero(t, bad)
			outs = append(outs, out.String())
		}
	}
	for i := 1; i < len(outs); i++ {
		assert.Truef(t, outs[0] == outs[i], "output %d differs from the first", i)
	}
}

// BenchmarkScore scores 100,000 rows of the abalone sample with a 3-tree
// model, with one worker per core as the job does.
func BenchmarkScore(b *testing.B) {
	bundle, err := modelio.Load(testModel(b))
	require.NoError(b, err)
	bundle.Model.SetThreads(1)
	input := abaloneInput(b, 100_000)
	rows := bytes.Count(input, []byte{'\n'}) - 1
	s := &scorer{bundle: bundle, threshold: 0.5, workers: 2}
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.scoreFile(context.Background(), bytes.NewReader(input), "in.csv", io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

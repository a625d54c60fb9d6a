package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/explain"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/monitor"
)

// chunkBytes is how much of a file one worker scores at a time: large enough
// to amortise hand-offs, small enough that workers x chunks in flight stay
// a few megabytes whatever the file size.
const chunkBytes = 1 << 20

// maxUnfinishedLine is the longest unfinished line a chunk may end with:
// a line of the reader's limit plus a CRLF line ending. A longer one fails
// the file before a chunk is made, so that a chunk never splits a line and
// a chunk's buffer has a fixed size.
const maxUnfinishedLine = dataset.DefaultMaxLineBytes + 2

// chunkReader.fill relies on chunks being no longer than the longest line.
var _ [maxUnfinishedLine - chunkBytes]struct{}

// attributionPrefix starts the names of the attribution columns.
const attributionPrefix = "shap_"

// batchRows is how many rows are predicted together, so that each tree is
// walked for a block of rows while it is in cache.
const batchRows = 256

// scorer scores files with one model.
type scorer struct {
	bundle    *modelio.Bundle
	skip      bool
	threshold float64
	workers   int
	// explain adds each row's TreeSHAP attributions per column, cols says
	// which features make which column.
	explain bool
	cols    explain.Columns
	// drift counts the scored rows against the training baseline; nil
	// without a drift check.
	drift *drift
	// chunks are the chunk buffers, made by the first file and reused by
	// the next ones; a file that fails leaves them to its goroutines.
	chunks []*chunk
}

// chunk is one buffer of the fixed set a file is scored through: the
// reader fills data with whole lines, a worker appends the predictions
// and rejected rows to out and rejected, and the writer writes them and
// hands the buffer back to the reader. Reusing the buffers keeps the
// steady state free of allocation, so the heap, and with it the peak RSS,
// stays at the size of this working set whatever the input size, instead
// of growing with the garbage collector's pacing over a longer run.
type chunk struct {
	seq       int
	firstLine int
	// buf holds data followed by the unfinished line after it, which the
	// reader moves to the next chunk.
	buf  []byte
	data []byte
	err  error // reading failed here; reported in input order

	out      []byte
	rejected []byte
	rows     int
	bad      int
}

// worker holds what one scoring goroutine reuses from chunk to chunk.
type worker struct {
	rd    *dataset.Reader // reads chunks after the first, made on first use
	batch []float32       // batchRows rows of features
	pred  []float64
	// contribs and attr hold the batch's feature contributions and one
	// row's column attributions, with -attributions.
	contribs, attr []float64
	ids            []byte // the batch's id fields, back to back
	idEnd          []int  // where each row's id ends in ids
	// drift counts this worker's rows; nil without a drift check.
	drift *monitor.Counts
}

// scoreFile scores the CSV in r, named name in messages, writing the
// predictions to out and, when skipping bad rows, the rejected rows to rej.
// Chunks of lines are scored in parallel and written back in input order;
// a fixed set of chunk buffers, reused, bounds the memory in use.
func (s *scorer) scoreFile(ctx context.Context, r io.Reader, name string, out, rej io.Writer) (rows, bad int, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inFlight := 2*s.workers + 2
	if len(s.chunks) != inFlight {
		s.chunks = make([]*chunk, inFlight)
		for i := range s.chunks {
			s.chunks[i] = &chunk{}
		}
	}
	free := make(chan *chunk, inFlight) // buffers the reader may fill
	for _, c := range s.chunks {
		free <- c
	}
	defer func() {
		if err != nil {
			s.chunks = nil // goroutines of this file may still use them
		}
	}()
	cr := chunkReader{r: r, name: name, line: 1}
	c := <-free
	if cr.fill(c); c.err != nil {
		return 0, 0, c.err
	}
	first, err := dataset.NewReader(bytes.NewReader(c.data), name, s.bundle.Schema, dataset.Options{IgnoreTarget: true})
	if err != nil {
		return 0, 0, err
	}
	if _, err := io.WriteString(out, s.header()); err != nil {
		return 0, 0, err
	}
	if s.skip {
		if _, err := io.WriteString(rej, "line,reason\n"); err != nil {
			return 0, 0, err
		}
	}

	jobs := make(chan *chunk, s.workers)
	results := make(chan *chunk, inFlight)
	go func() {
		defer close(jobs)
		for len(c.data) > 0 {
			select {
			case jobs <- c:
			case <-ctx.Done():
				return
			}
			select {
			case c = <-free:
			case <-ctx.Done():
				return
			}
			if cr.fill(c); c.err != nil {
				// Reported after the chunks before it, as a result in order.
				select {
				case results <- c:
				case <-ctx.Done():
				}
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range s.workers {
		wg.Go(func() {
			w := &worker{drift: s.drift.counts()}
			defer s.drift.merge(w.drift)
			for c := range jobs {
				rd := first
				if c.seq > 0 {
					if w.rd == nil {
						w.rd = first.ContinueBytes(c.data, c.firstLine)
					} else {
						w.rd.ResetBytes(c.data, c.firstLine)
					}
					rd = w.rd
				}
				s.scoreChunk(w, rd, name, c)
				select {
				case results <- c:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(results) }()

	// Every chunk in flight has a sequence number in [next, next+inFlight),
	// so a ring of inFlight slots holds the ones that arrive early.
	pending := make([]*chunk, inFlight)
	next := 0
	for c := range results {
		pending[c.seq%inFlight] = c
		for {
			c := pending[next%inFlight]
			if c == nil || c.seq != next {
				break
			}
			pending[next%inFlight] = nil
			next++
			if c.err != nil {
				return rows, bad, c.err
			}
			if _, err := out.Write(c.out); err != nil {
				return rows, bad, err
			}
			if _, err := rej.Write(c.rejected); err != nil {
				return rows, bad, err
			}
			rows += c.rows
			bad += c.bad
			free <- c // never blocks: there are inFlight buffers
		}
	}
	return rows, bad, ctx.Err()
}

// header returns the first line of a predictions file.
func (s *scorer) header() string {
	h := "prediction"
	if s.bundle.Model.Objective() == gbt.Logistic {
		h += ",probability"
	}
	if id := s.bundle.Schema.IDIndex(); id >= 0 {
		h = csvField([]byte(s.bundle.Schema.Columns[id].Name)) + "," + h
	}
	if s.explain {
		for _, name := range s.cols.Names {
			h += "," + csvField([]byte(attributionPrefix+name))
		}
		h += "," + attributionPrefix + "expected_value"
	}
	return h + "\n"
}

// scoreChunk scores every row rd reads into c, using w's buffers.
func (s *scorer) scoreChunk(w *worker, rd *dataset.Reader, name string, c *chunk) {
	c.out, c.rejected, c.rows, c.bad, c.err = c.out[:0], c.rejected[:0], 0, 0, nil
	prep, model := s.bundle.Preprocessor, s.bundle.Model
	cols := prep.NumFeatures()
	id := s.bundle.Schema.IDIndex()
	if w.batch == nil {
		w.batch = make([]float32, batchRows*cols)
		w.pred = make([]float64, batchRows)
		if s.explain {
			w.contribs = make([]float64, batchRows*model.NumContributions())
			w.attr = make([]float64, s.cols.Width())
		}
	}
	batch, pred := w.batch, w.pred
	ids, idEnd := w.ids[:0], w.idEnd[:0]
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		rows := gbt.Matrix{Rows: n, Cols: cols, Data: batch[:n*cols]}
		model.PredictBatch(rows, pred[:n])
		width := model.NumContributions()
		if s.explain {
			model.ContributionsBatch(rows, w.contribs[:n*width])
		}
		start := 0
		for i := range n {
			if id >= 0 {
				c.out = appendCSVField(c.out, ids[start:idEnd[i]])
				c.out = append(c.out, ',')
				start = idEnd[i]
			}
			c.out = s.appendPrediction(c.out, pred[i])
			if s.explain {
				s.cols.Sum(w.contribs[i*width:(i+1)*width], w.attr)
				c.out = c.out[:len(c.out)-1] // the prediction's newline
				for _, a := range w.attr {
					c.out = append(c.out, ',')
					c.out = strconv.AppendFloat(c.out, a, 'g', -1, 32)
				}
				c.out = append(c.out, '\n')
			}
		}
		c.rows += n
		n, ids, idEnd = 0, ids[:0], idEnd[:0]
	}
	defer func() { w.ids, w.idEnd = ids, idEnd }()
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			if terr := prep.TransformRecord(rec, batch[n*cols:(n+1)*cols]); terr != nil {
				err = &dataset.RowError{File: name, Line: rec.Line, Reason: terr.Error()}
			}
		}
		if err != nil {
			// Declared here, as errors.As moves it to the heap: outside
			// this branch it would cost an allocation per row.
			var rowErr *dataset.RowError
			if !s.skip || !errors.As(err, &rowErr) {
				c.err = err
				return
			}
			c.bad++
			c.rejected = strconv.AppendInt(c.rejected, int64(rowErr.Line), 10)
			c.rejected = append(c.rejected, ',')
			c.rejected = appendCSVField(c.rejected, []byte(rowErr.Error()))
			c.rejected = append(c.rejected, '\n')
			continue
		}
		if w.drift != nil {
			w.drift.Add(rec)
		}
		if id >= 0 {
			ids = append(ids, rec.Raw[id]...)
			idEnd = append(idEnd, len(ids))
		}
		if n++; n == batchRows {
			flush()
		}
	}
	flush()
}

// appendPrediction appends one prediction line without the id.
func (s *scorer) appendPrediction(b []byte, p float64) []byte {
	if s.bundle.Model.Objective() == gbt.Logistic {
		if p >= s.threshold {
			b = append(b, '1', ',')
		} else {
			b = append(b, '0', ',')
		}
	}
	b = strconv.AppendFloat(b, p, 'g', -1, 32)
	return append(b, '\n')
}

// csvField returns f as one CSV field, quoted when it has to be.
func csvField(f []byte) string {
	return string(appendCSVField(nil, f))
}

// appendCSVField appends f to b as one CSV field, quoted when it has to
// be.
func appendCSVField(b, f []byte) []byte {
	if !bytes.ContainsAny(f, ",\"\r\n") {
		return append(b, f...)
	}
	b = append(b, '"')
	for {
		i := bytes.IndexByte(f, '"')
		if i < 0 {
			break
		}
		b = append(b, f[:i+1]...)
		b = append(b, '"')
		f = f[i+1:]
	}
	b = append(b, f...)
	return append(b, '"')
}

// chunkReader cuts a file into chunks of whole lines.
type chunkReader struct {
	r    io.Reader
	name string
	seq  int    // sequence number of the next chunk
	line int    // physical line number of the next chunk's first line
	rest []byte // the unfinished line after the last chunk
	eof  bool
}

// fill fills c with the next chunk: about chunkBytes of whole lines, all
// of the input's end, or nothing once the input is exhausted; on failure
// it sets c.err instead. The unfinished line at the end of the chunk is
// moved to the start of the next one. A line longer than
// maxUnfinishedLine (the reader's limit and a CRLF) fails here, wherever
// reads happen to end, so that the buffer never holds more than a chunk
// and one such line; a line up to that long goes to the reader, which
// rejects one longer than its limit as a row.
func (cr *chunkReader) fill(c *chunk) {
	c.seq, c.firstLine, c.err = cr.seq, cr.line, nil
	cr.seq++
	if c.buf == nil {
		c.buf = make([]byte, 0, chunkBytes+maxUnfinishedLine+1)
	}
	// rest points into the buffer filled last, past its data, which is all
	// that workers and the writer read. If c is that buffer, it has been
	// written already, and the overlapping copy is a memmove.
	buf := append(c.buf[:0], cr.rest...)
	cr.rest = nil
	end := 0 // buf[:end] is whole lines
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		end = i + 1
	}
	// Read until the chunk is full and ends a line. Reads stop at
	// chunkBytes, or just past the longest allowed line once no line ends,
	// so that only a line that long makes the buffer grow past a chunk.
	for !cr.eof && (len(buf) < chunkBytes || end == 0) {
		limit := chunkBytes
		if len(buf) >= chunkBytes {
			// One line, buf, is longer than a chunk: read on to its end,
			// or until it is too long.
			if len(buf) > maxUnfinishedLine {
				c.err = &dataset.RowError{File: cr.name, Line: cr.line, Reason: fmt.Sprintf("line longer than %d bytes", dataset.DefaultMaxLineBytes)}
				return
			}
			limit = cap(buf)
		}
		n, err := cr.r.Read(buf[len(buf):limit])
		if i := bytes.LastIndexByte(buf[len(buf):len(buf)+n], '\n'); i >= 0 {
			end = len(buf) + i + 1
		}
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			cr.eof = true
		case err != nil:
			c.err = fmt.Errorf("reading %s: %w", cr.name, err)
			return
		}
	}
	if cr.eof {
		end = len(buf)
	}
	// Only the chunk's first line can be longer than maxUnfinishedLine:
	// the lines after it start before chunkBytes (no longer than
	// maxUnfinishedLine) and end before it, or start after the read past
	// chunkBytes that ended the first line, which reads at most
	// maxUnfinishedLine+1 bytes; the same bounds the line left over.
	if first := bytes.IndexByte(buf, '\n'); first > maxUnfinishedLine || first < 0 && len(buf) > maxUnfinishedLine {
		c.err = &dataset.RowError{File: cr.name, Line: cr.line, Reason: fmt.Sprintf("line longer than %d bytes", dataset.DefaultMaxLineBytes)}
		return
	}
	c.buf, c.data, cr.rest = buf, buf[:end], buf[end:]
	cr.line += bytes.Count(c.data, []byte{'\n'})
}

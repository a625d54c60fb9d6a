package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
)

// chunkBytes is how much of a file one worker scores at a time: large enough
// to amortise hand-offs, small enough that workers x chunks in flight stay
// a few megabytes whatever the file size.
const chunkBytes = 1 << 20

// batchRows is how many rows are predicted together, so that each tree is
// walked for a block of rows while it is in cache.
const batchRows = 256

// scorer scores files with one model.
type scorer struct {
	bundle    *modelio.Bundle
	skip      bool
	threshold float64
	workers   int
}

type chunk struct {
	seq       int
	data      []byte
	firstLine int
}

type result struct {
	seq      int
	out      []byte
	rejected []byte
	rows     int
	bad      int
	err      error
}

// scoreFile scores the CSV in r, named name in messages, writing the
// predictions to out and, when skipping bad rows, the rejected rows to rej.
// Chunks of lines are scored in parallel and written back in input order;
// at most a fixed number of chunks is in memory at once.
func (s *scorer) scoreFile(ctx context.Context, r io.Reader, name string, out, rej io.Writer) (rows, bad int, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	br := bufio.NewReaderSize(r, 64<<10)
	data, lines, err := readChunk(br, nil, name, 1)
	if err != nil {
		return 0, 0, err
	}
	first, err := dataset.NewReader(bytes.NewReader(data), name, s.bundle.Schema, dataset.Options{TargetOptional: true})
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

	inFlight := 2*s.workers + 2
	tokens := make(chan struct{}, inFlight) // bounds the chunks in memory
	jobs := make(chan chunk, s.workers)
	results := make(chan result, inFlight)
	go func() {
		defer close(jobs)
		line := 1
		seq := 0
		for len(data) > 0 {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- chunk{seq: seq, data: data, firstLine: line}:
			case <-ctx.Done():
				return
			}
			seq++
			line += lines
			var err error
			if data, lines, err = readChunk(br, nil, name, line); err != nil {
				// Reported after the chunks before it, as a result in order.
				select {
				case results <- result{seq: seq, err: err}:
				case <-ctx.Done():
				}
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range s.workers {
		wg.Go(func() {
			for c := range jobs {
				rd := first
				if c.seq > 0 {
					rd = first.Continue(bytes.NewReader(c.data), c.firstLine)
				}
				res := s.scoreChunk(rd, name)
				res.seq = c.seq
				select {
				case results <- res:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(results) }()

	pending := map[int]result{}
	next := 0
	for res := range results {
		pending[res.seq] = res
		for {
			res, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if res.err != nil {
				return rows, bad, res.err
			}
			if _, err := out.Write(res.out); err != nil {
				return rows, bad, err
			}
			if _, err := rej.Write(res.rejected); err != nil {
				return rows, bad, err
			}
			rows += res.rows
			bad += res.bad
			<-tokens
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
	return h + "\n"
}

// scoreChunk scores every row rd reads.
func (s *scorer) scoreChunk(rd *dataset.Reader, name string) result {
	var res result
	prep, model := s.bundle.Preprocessor, s.bundle.Model
	cols := prep.NumFeatures()
	id := s.bundle.Schema.IDIndex()
	batch := make([]float32, batchRows*cols)
	pred := make([]float64, batchRows)
	var ids []byte  // the batch's id fields, back to back
	var idEnd []int // where each row's id ends in ids
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		model.PredictBatch(gbt.Matrix{Rows: n, Cols: cols, Data: batch[:n*cols]}, pred[:n])
		start := 0
		for i := range n {
			if id >= 0 {
				res.out = append(res.out, csvField(ids[start:idEnd[i]])...)
				res.out = append(res.out, ',')
				start = idEnd[i]
			}
			res.out = s.appendPrediction(res.out, pred[i])
		}
		res.rows += n
		n, ids, idEnd = 0, ids[:0], idEnd[:0]
	}
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
		var rowErr *dataset.RowError
		switch {
		case err == nil:
		case errors.As(err, &rowErr) && s.skip:
			res.bad++
			res.rejected = strconv.AppendInt(res.rejected, int64(rowErr.Line), 10)
			res.rejected = append(res.rejected, ',')
			res.rejected = append(res.rejected, csvField([]byte(rowErr.Error()))...)
			res.rejected = append(res.rejected, '\n')
			continue
		default:
			res.err = err
			return res
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
	return res
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
	if bytes.ContainsAny(f, ",\"\r\n") {
		return `"` + string(bytes.ReplaceAll(f, []byte(`"`), []byte(`""`))) + `"`
	}
	return string(f)
}

// readChunk reads about chunkBytes of whole lines from br into buf and
// returns them with their line count; at the end of the input it returns no
// bytes. A line that would hold more than a row may (the reader's line
// limit) fails here, so that a chunk never splits a line and memory stays
// bounded.
func readChunk(br *bufio.Reader, buf []byte, name string, firstLine int) ([]byte, int, error) {
	buf = buf[:0]
	for len(buf) < chunkBytes || buf[len(buf)-1] != '\n' {
		b, err := br.ReadSlice('\n')
		buf = append(buf, b...)
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return buf, bytes.Count(buf, []byte{'\n'}), nil
		case errors.Is(err, bufio.ErrBufferFull):
			if lineLen(buf) > dataset.DefaultMaxLineBytes+2 {
				line := firstLine + bytes.Count(buf, []byte{'\n'})
				return nil, 0, &dataset.RowError{File: name, Line: line, Reason: fmt.Sprintf("line longer than %d bytes", dataset.DefaultMaxLineBytes)}
			}
		default:
			return nil, 0, fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return buf, bytes.Count(buf, []byte{'\n'}), nil
}

// lineLen returns the length of the last, unfinished line in buf.
func lineLen(buf []byte) int {
	return len(buf) - 1 - bytes.LastIndexByte(buf, '\n')
}

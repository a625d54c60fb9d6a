package features

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strconv"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
)

// The split files are header-less CSV with the label first and the features
// after it: the layout SageMaker's built-in XGBoost algorithm reads, so that
// it can train on the same files.

// splitBlockRows is how many rows one worker formats at a time: enough to
// amortise the hand-off, few enough that the blocks in flight stay small.
const splitBlockRows = 4096

// WriteSplit writes the given rows of t, transformed by p, to w, in order.
// Blocks of rows are transformed and formatted on all cores; the output does
// not depend on how many there are.
func WriteSplit(w io.Writer, t *Table, rows []int, p *Preprocessor) error {
	blocks := (len(rows) + splitBlockRows - 1) / splitBlockRows
	workers := min(runtime.GOMAXPROCS(0), blocks)
	type block struct {
		data []byte
		err  error
	}
	// results[i] receives block i; at most 2*workers blocks are formatted
	// ahead of the writer.
	results := make([]chan block, blocks)
	for i := range results {
		results[i] = make(chan block, 1)
	}
	next := make(chan int)
	tokens := make(chan struct{}, 2*max(workers, 1))
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(next)
		for i := range blocks {
			select {
			case tokens <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case next <- i:
			case <-stop:
				return
			}
		}
	}()
	for range workers {
		go func() {
			feat := make([]float32, p.NumFeatures())
			for i := range next {
				var b block
				for _, r := range rows[i*splitBlockRows : min((i+1)*splitBlockRows, len(rows))] {
					if b.err = p.TransformRow(t, r, feat); b.err != nil {
						b.err = fmt.Errorf("row %d: %w", r+1, b.err)
						break
					}
					b.data = AppendRow(b.data, t.Labels[r], feat)
				}
				results[i] <- b
			}
		}()
	}
	for i := range blocks {
		b := <-results[i]
		if b.err != nil {
			return b.err
		}
		if _, err := w.Write(b.data); err != nil {
			return err
		}
		<-tokens
	}
	return nil
}

// AppendRow appends one split line: the label, then the features in their
// shortest float32 form, so that any reader parsing them as float32 (as
// XGBoost does) gets exactly the values the model was trained on.
func AppendRow(buf []byte, label float64, feat []float32) []byte {
	buf = strconv.AppendFloat(buf, label, 'g', -1, 64)
	for _, f := range feat {
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, float64(f), 'g', -1, 32)
	}
	return append(buf, '\n')
}

// SplitData is a split read back: labels and a dense row-major feature matrix.
type SplitData struct {
	// Labels holds one label per row.
	Labels []float32
	// Features holds Rows x Cols values, row after row.
	Features []float32
	// Cols is the number of features per row.
	Cols int
}

// Rows returns the number of rows.
func (d *SplitData) Rows() int { return len(d.Labels) }

// ReadSplit reads every split file at path (a file or a directory of files)
// and fails on an empty split, a ragged row or a value that is not a finite
// number, naming the file and line. With binary, the labels are those of
// binary classification, and one other than 0 or 1 is an error too.
func ReadSplit(path string, binary bool) (*SplitData, error) {
	inputs, err := Inputs(path)
	if err != nil {
		return nil, err
	}
	d := &SplitData{Cols: -1}
	for _, in := range inputs {
		if err := d.readFile(in.Path, in.Name, binary); err != nil {
			return nil, err
		}
	}
	if d.Rows() == 0 {
		return nil, fmt.Errorf("split %s: no rows; valid: at least one row", path)
	}
	return d, nil
}

func (d *SplitData) readFile(path, name string, binary bool) error {
	f, err := dataset.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for line := 1; sc.Scan(); line++ {
		fields := bytes.Split(sc.Bytes(), []byte{','})
		if len(fields) == 1 && len(fields[0]) == 0 {
			continue // blank line
		}
		if d.Cols < 0 {
			d.Cols = len(fields) - 1
		}
		if len(fields)-1 != d.Cols || d.Cols == 0 {
			return fmt.Errorf("%s:%d: %d features, earlier rows have %d; valid: the same number of features on every row, at least one", name, line, len(fields)-1, d.Cols)
		}
		for i, field := range fields {
			v, err := dataset.ParseNumber(field)
			if err != nil {
				return fmt.Errorf("%s:%d: field %d: %w", name, line, i+1, err)
			}
			if i == 0 {
				if binary && v != 0 && v != 1 {
					return fmt.Errorf("%s:%d: field 1, the label: %s is not 0 or 1; binary classification needs labels 0 or 1", name, line, field)
				}
				d.Labels = append(d.Labels, float32(v))
			} else {
				d.Features = append(d.Features, float32(v))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

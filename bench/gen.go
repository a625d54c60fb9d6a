package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Schema is the part of a data schema file the generator needs.
type Schema struct {
	// Columns lists the columns in file order.
	Columns []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"columns"`
	// Target names the target column.
	Target string `json:"target"`
}

// ReadSchema reads a data schema file.
func ReadSchema(path string) (*Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Schema
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(s.Columns) == 0 {
		return nil, fmt.Errorf("%s: no columns", path)
	}
	return &s, nil
}

// Source is a parsed seed data set from which larger ones are resampled.
type Source struct {
	// Header holds the column names of the seed file.
	Header []string
	// Rows holds the data rows of the seed file.
	Rows [][]string
	// jitter marks the columns that get multiplicative noise: numeric
	// columns that are not all integers.
	jitter []bool
}

// LoadSource reads a seed CSV file with a header line, laid out as schema
// says.
func LoadSource(path string, schema *Schema) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("%s: no data rows", path)
	}
	if len(recs[0]) != len(schema.Columns) {
		return nil, fmt.Errorf("%s: %d columns, schema has %d", path, len(recs[0]), len(schema.Columns))
	}
	s := &Source{Header: recs[0], Rows: recs[1:], jitter: make([]bool, len(schema.Columns))}
	for c, col := range schema.Columns {
		if col.Type != "numeric" {
			continue
		}
		for _, r := range s.Rows {
			if r[c] == "" {
				continue
			}
			if _, err := strconv.ParseInt(r[c], 10, 64); err != nil {
				s.jitter[c] = true
				break
			}
		}
	}
	return s, nil
}

// Generate writes a header and rows resampled rows from s to w. Numeric
// non-integer fields are multiplied by a factor drawn uniformly from
// [0.99, 1.01] and written with 4 decimals; other fields are copied. The
// output depends only on s, rows and rng's state.
func (s *Source) Generate(w io.Writer, rows int, rng *rand.Rand) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	writeRow := func(r []string) {
		for i, f := range r {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(f)
		}
		bw.WriteByte('\n')
	}
	writeRow(s.Header)
	var num []byte
	for range rows {
		r := s.Rows[rng.IntN(len(s.Rows))]
		for i, f := range r {
			if i > 0 {
				bw.WriteByte(',')
			}
			if !s.jitter[i] || f == "" {
				bw.WriteString(f)
				continue
			}
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return fmt.Errorf("column %s: %q is not a number", s.Header[i], f)
			}
			v *= 1 + 0.02*(rng.Float64()-0.5)
			num = strconv.AppendFloat(num[:0], v, 'f', 4, 64)
			bw.Write(num)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// Dataset is a generated data set on disk: a pool for training and
// validation and a test file, side by side in Dir so that a job reading
// the directory scores every row.
type Dataset struct {
	// Dir holds Pool and Test and nothing else.
	Dir string
	// Pool is the file training and validation rows come from.
	Pool string
	// Test is the file of test rows.
	Test string
	// PoolRows and TestRows count the data rows of each file.
	PoolRows, TestRows int
}

// Rows is the number of data rows of both files.
func (d Dataset) Rows() int { return d.PoolRows + d.TestRows }

// Prepare returns the data set of rows rows (testShare of them in the test
// file) generated from s with seed under cacheDir, generating it unless the
// cached files exist with the right row counts.
func (s *Source) Prepare(cacheDir string, rows int, testShare float64, seed uint64) (Dataset, error) {
	test := int(float64(rows) * testShare)
	d := Dataset{
		Dir:      filepath.Join(cacheDir, fmt.Sprintf("data-%d-seed%d", rows, seed)),
		PoolRows: rows - test,
		TestRows: test,
	}
	d.Pool = filepath.Join(d.Dir, "pool.csv")
	d.Test = filepath.Join(d.Dir, "test.csv")
	if countRows(d.Pool) == d.PoolRows && countRows(d.Test) == d.TestRows {
		return d, nil
	}
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return d, err
	}
	rng := rand.New(rand.NewPCG(seed, uint64(rows)))
	for _, part := range []struct {
		path string
		rows int
	}{{d.Pool, d.PoolRows}, {d.Test, d.TestRows}} {
		if err := writeFile(part.path, func(w io.Writer) error { return s.Generate(w, part.rows, rng) }); err != nil {
			return d, err
		}
	}
	return d, nil
}

// writeFile writes path through a temporary file renamed into place.
func writeFile(path string, fill func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// countRows returns the number of lines after the header of path, or -1
// when it cannot be read.
func countRows(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	lines := 0
	for {
		n, err := f.Read(buf)
		lines += bytes.Count(buf[:n], []byte{'\n'})
		if err == io.EOF {
			return lines - 1
		}
		if err != nil {
			return -1
		}
	}
}

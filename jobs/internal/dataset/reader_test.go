package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// row is a copy of a Record that outlives the next Read, with Raw as
// strings and absent columns as "<absent>".
type row struct {
	Line    int
	Raw     []string
	Num     []float64
	Missing []bool
	Label   float64
}

const absent = "<absent>"

func copyRecord(rec *Record) row {
	r := row{Line: rec.Line, Num: append([]float64(nil), rec.Num...), Missing: append([]bool(nil), rec.Missing...), Label: rec.Label}
	for _, b := range rec.Raw {
		if b == nil {
			r.Raw = append(r.Raw, absent)
		} else {
			r.Raw = append(r.Raw, string(b))
		}
	}
	return r
}

// readAll reads input with s and opt. It returns the rows read before the
// first error, and that error, which is nil if the input ended cleanly.
func readAll(t *testing.T, s *Schema, opt Options, input string) ([]row, error) {
	t.Helper()
	r, err := NewReader(strings.NewReader(input), "t.csv", s, opt)
	if err != nil {
		return nil, err
	}
	var rows []row
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, copyRecord(rec))
	}
}

// smallSchema is a regression schema: name (categorical), x, y (target).
func smallSchema(header bool) *Schema {
	return &Schema{
		Columns: []Column{
			{Name: "name", Type: Categorical},
			{Name: "x", Type: Numeric},
			{Name: "y", Type: Numeric},
		},
		Target: "y",
		Task:   Regression,
		Header: header,
	}
}

// labelSchema is a binary schema laid out like the UCI Adult files: x,
// label (target), c, separated by ", ", with "?" missing and "#" comments.
func labelSchema(header bool) *Schema {
	return &Schema{
		Columns: []Column{
			{Name: "x", Type: Numeric},
			{Name: "label", Type: Categorical},
			{Name: "c", Type: Categorical},
		},
		Target:          "label",
		Task:            BinaryClassification,
		PositiveLabel:   "yes",
		LabelTrimSuffix: ".",
		Header:          header,
		Separator:       ", ",
		MissingValues:   []string{"", "?"},
		CommentPrefix:   "#",
	}
}

var nan = math.NaN()

func TestReadValid(t *testing.T) {
	tests := []struct {
		name   string
		schema *Schema
		opt    Options
		input  string
		want   []row
	}{
		{
			name:   "header, trailing newline",
			schema: smallSchema(true),
			input:  "name,x,y\na,1.5,2\nb,-3,4e1\n",
			want: []row{
				{2, []string{"a", "1.5", "2"}, []float64{0, 1.5, 2}, []bool{false, false, false}, 2},
				{3, []string{"b", "-3", "4e1"}, []float64{0, -3, 40}, []bool{false, false, false}, 40},
			},
		},
		{
			name:   "no final newline",
			schema: smallSchema(true),
			input:  "name,x,y\na,1,2",
			want:   []row{{2, []string{"a", "1", "2"}, []float64{0, 1, 2}, []bool{false, false, false}, 2}},
		},
		{
			name:   "header in another order",
			schema: smallSchema(true),
			input:  "y,name,x\n2,a,1\n",
			want:   []row{{2, []string{"a", "1", "2"}, []float64{0, 1, 2}, []bool{false, false, false}, 2}},
		},
		{
			name:   "CRLF lines",
			schema: smallSchema(true),
			input:  "name,x,y\r\na,1,2\r\nb,3,4\r\n",
			want: []row{
				{2, []string{"a", "1", "2"}, []float64{0, 1, 2}, []bool{false, false, false}, 2},
				{3, []string{"b", "3", "4"}, []float64{0, 3, 4}, []bool{false, false, false}, 4},
			},
		},
		{
			name:   "blank lines anywhere, counted in line numbers",
			schema: smallSchema(true),
			input:  "\n\r\nname,x,y\n\na,1,2\n\n\n",
			want:   []row{{5, []string{"a", "1", "2"}, []float64{0, 1, 2}, []bool{false, false, false}, 2}},
		},
		{
			name:   "byte order mark",
			schema: smallSchema(true),
			input:  "\ufeffname,x,y\na,1,2\n",
			want:   []row{{2, []string{"a", "1", "2"}, []float64{0, 1, 2}, []bool{false, false, false}, 2}},
		},
		{
			name:   "missing features",
			schema: smallSchema(true),
			input:  "name,x,y\n,,2\n",
			want:   []row{{2, []string{"", "", "2"}, []float64{0, nan, 2}, []bool{true, true, false}, 2}},
		},
		{
			name:   "quoted fields with separators and doubled quotes",
			schema: smallSchema(true),
			input:  "\"name\",x,y\n\"a,\"\"b\"\"\",\"1.5\",2\n\"\",\"\",\"3\"\n",
			want: []row{
				{2, []string{`a,"b"`, "1.5", "2"}, []float64{0, 1.5, 2}, []bool{false, false, false}, 2},
				{3, []string{"", "", "3"}, []float64{0, nan, 3}, []bool{true, true, false}, 3},
			},
		},
		{
			name:   "quoted field with a multi-byte separator inside",
			schema: labelSchema(false),
			input:  "1, \"yes\", \"a, \"\"b\"\"\"\n2, no, \"\"\"\"\n",
			want: []row{
				{1, []string{"1", "yes", `a, "b"`}, []float64{1, 0, 0}, []bool{false, false, false}, 1},
				{2, []string{"2", "no", `"`}, []float64{2, 0, 0}, []bool{false, false, false}, 0},
			},
		},
		{
			name:   "binary labels, trim suffix, comments, missing values",
			schema: labelSchema(false),
			input:  "# comment, 1, 2\n1, yes, a\n2, yes., ?\n#\n3, no., b\n?, maybe, \n",
			want: []row{
				{2, []string{"1", "yes", "a"}, []float64{1, 0, 0}, []bool{false, false, false}, 1},
				{3, []string{"2", "yes.", "?"}, []float64{2, 0, 0}, []bool{false, false, true}, 1},
				{5, []string{"3", "no.", "b"}, []float64{3, 0, 0}, []bool{false, false, false}, 0},
				{6, []string{"?", "maybe", ""}, []float64{nan, 0, 0}, []bool{true, false, true}, 0},
			},
		},
		{
			name:   "comment before the header",
			schema: labelSchema(true),
			input:  "#x, label, c\nc, label, x\nb, no, 1\n",
			want:   []row{{3, []string{"1", "no", "b"}, []float64{1, 0, 0}, []bool{false, false, false}, 0}},
		},
		{
			name:   "categorical UTF-8",
			schema: smallSchema(false),
			input:  "naïve 日本,1,2\n",
			want:   []row{{1, []string{"naïve 日本", "1", "2"}, []float64{0, 1, 2}, []bool{false, false, false}, 2}},
		},
		{
			name:   "header only",
			schema: smallSchema(true),
			input:  "name,x,y\n",
		},
		{
			name:   "empty file without header",
			schema: smallSchema(false),
			input:  "",
		},
		{
			name:   "only blank and comment lines",
			schema: labelSchema(false),
			input:  "\n# nothing\n\r\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, tc.schema, tc.opt, tc.input)
			require.NoError(t, err)
			assertRows(t, tc.want, got)
		})
	}
}

// assertRows compares rows, treating NaN as equal to NaN.
func assertRows(t *testing.T, want, got []row) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		assert.Equal(t, w.Line, g.Line, "row %d: Line", i)
		assert.Equal(t, w.Raw, g.Raw, "row %d: Raw", i)
		assert.Equal(t, w.Missing, g.Missing, "row %d: Missing", i)
		assert.Equal(t, fmt.Sprint(w.Num), fmt.Sprint(g.Num), "row %d: Num", i)
		assert.Equal(t, fmt.Sprint(w.Label), fmt.Sprint(g.Label), "row %d: Label", i)
	}
}

func TestReadErrors(t *testing.T) {
	const notFinite = "is not a finite number; NaN and Inf are not allowed (list them in missingValues if they mean missing)"
	longLine := "a," + strings.Repeat("1", 10<<20) + ",2\n"
	tests := []struct {
		name    string
		schema  *Schema
		opt     Options
		input   string
		wantErr string
		good    int // rows read before the error
	}{
		{"empty file with header", smallSchema(true), Options{}, "",
			"t.csv: no header line", 0},
		{"blank lines only with header", smallSchema(true), Options{}, "\n\r\n\n",
			"t.csv: no header line", 0},
		{"missing column", smallSchema(true), Options{}, "name,y\na,1\n",
			`t.csv:1: header: missing column "x"; want the columns of the schema: "name", "x", "y"`, 0},
		{"missing columns", smallSchema(true), Options{}, "name\na\n",
			`t.csv:1: header: missing columns "x", "y"; want the columns of the schema: "name", "x", "y"`, 0},
		{"missing target", smallSchema(true), Options{}, "name,x\na,1\n",
			`t.csv:1: header: missing column "y"; want the columns of the schema: "name", "x", "y"`, 0},
		{"extra column", smallSchema(true), Options{}, "name,x,y,z\na,1,2,3\n",
			`t.csv:1: header: unknown column "z"; want the columns of the schema: "name", "x", "y"`, 0},
		{"misspelt column", smallSchema(true), Options{}, "name,X,y, z\n",
			`t.csv:1: header: missing column "x"; unknown columns "X", " z"; want the columns of the schema: "name", "x", "y"`, 0},
		{"duplicate header", smallSchema(true), Options{}, "name,x,y,x\n",
			`t.csv:1: header: column "x" appears twice (fields 2 and 4); want each column once`, 0},
		{"header with unclosed quote", smallSchema(true), Options{}, "name,\"x,y\n",
			`t.csv:1: header: field 2: "\"x,y" opens a quote that is not closed on this line; quoted fields cannot span lines`, 0},
		{"too few fields", smallSchema(true), Options{}, "name,x,y\na,1,2\nb,3\n",
			`t.csv:3: got 2 fields, want 3`, 1},
		{"too many fields", smallSchema(true), Options{}, "name,x,y\na,1,2,3,4\n",
			`t.csv:2: got 5 fields, want 3`, 0},
		{"wrong field count without header", labelSchema(false), Options{}, "1, yes, a\n2, no,b\n",
			`t.csv:2: got 2 fields, want 3`, 1},
		{"separator without its space", labelSchema(false), Options{}, "1,yes,a\n",
			`t.csv:1: got 1 fields, want 3`, 0},
		{"not a number", smallSchema(true), Options{}, "name,x,y\na,abc,1\n",
			`t.csv:2: column "x": "abc" is not a number`, 0},
		{"space around a number", smallSchema(false), Options{}, "a, 1,2\n",
			`t.csv:1: column "x": " 1" is not a number`, 0},
		{"NaN", smallSchema(false), Options{}, "a,NaN,2\n",
			`t.csv:1: column "x": "NaN" ` + notFinite, 0},
		{"Inf", smallSchema(false), Options{}, "a,1,-Inf\n",
			`t.csv:1: column "y": "-Inf" ` + notFinite, 0},
		{"overflow", smallSchema(false), Options{}, "a,1e999,2\n",
			`t.csv:1: column "x": "1e999" is out of range for a 64-bit float`, 0},
		{"non-UTF-8 categorical", smallSchema(false), Options{}, "a,1,2\nb\xff\xfe,1,2\n",
			`t.csv:2: column "name": "b\xff\xfe" is not valid UTF-8`, 1},
		{"non-UTF-8 label", labelSchema(false), Options{}, "1, y\xc3, a\n",
			`t.csv:1: column "label": "y\xc3" is not valid UTF-8`, 0},
		{"10 MB line", smallSchema(false), Options{}, "a,1,2\n" + longLine + "b,3,4\n",
			`t.csv:2: line longer than 1048576 bytes`, 1},
		{"line over a small limit", smallSchema(false), Options{MaxLineBytes: 5}, "a,1,2\nab,1,2\n",
			`t.csv:2: line longer than 5 bytes`, 1},
		{"long header", smallSchema(true), Options{MaxLineBytes: 5}, "name,x,y\n",
			`t.csv:1: line longer than 5 bytes`, 0},
		{"missing target", smallSchema(false), Options{}, "a,1,2\nb,2,\n",
			`t.csv:2: column "y": "" is a missing value; the target must have a value`, 1},
		{"missing binary target", labelSchema(false), Options{}, "1, ?, a\n",
			`t.csv:1: column "label": "?" is a missing value; the target must have a value`, 0},
		{"unclosed quote", smallSchema(false), Options{}, "\"a,1,2\n",
			`t.csv:1: column "name": "\"a,1,2" opens a quote that is not closed on this line; quoted fields cannot span lines`, 0},
		{"quoted field over two lines", smallSchema(false), Options{}, "\"a\nb\",1,2\n",
			`t.csv:1: column "name": "\"a" opens a quote that is not closed on this line; quoted fields cannot span lines`, 0},
		{"text after closing quote", smallSchema(false), Options{}, "a,\"1\"5,2\n",
			`t.csv:1: column "x": "\"1\"5,2" has text after its closing quote; want a separator there`, 0},
		{"quote inside unquoted field", smallSchema(false), Options{}, "5'10\",1,2\n",
			`t.csv:1: column "name": "5'10\",1,2" has a quote inside an unquoted field; want the whole field quoted, with each quote inside doubled`, 0},
		{"bad quote past the last column", smallSchema(false), Options{}, "a,1,2,\"3\n",
			`t.csv:1: field 4: opens a quote that is not closed on this line; quoted fields cannot span lines`, 0},
		{"long value is shortened", smallSchema(false), Options{}, "a," + strings.Repeat("9", 50) + "x,2\n",
			`t.csv:1: column "x": "9999999999999999999999999999999999999999"… (51 bytes) is not a number`, 0},
		{"line number counts comments and blank lines", labelSchema(false), Options{}, "#a\n\n1, no, a\n\n#b\n2, no, a, b\n",
			`t.csv:6: got 4 fields, want 3`, 1},
		{"invalid schema", &Schema{Columns: []Column{{Name: "a", Type: Numeric}}, Target: "a", Task: Regression}, Options{}, "1\n",
			`t.csv: schema: columns: no feature column; want at least one column besides the target "a" and the id`, 0},
		{"negative line limit", smallSchema(false), Options{MaxLineBytes: -1}, "",
			`t.csv: MaxLineBytes: -1 is negative; want 0 for the default or a positive limit`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, tc.schema, tc.opt, tc.input)
			assert.EqualError(t, err, tc.wantErr)
			assert.Len(t, got, tc.good)
			assert.NotContains(t, fmt.Sprint(err), "\n", "the error must fit on one line")
		})
	}
}

func TestReadContinuesAfterRowError(t *testing.T) {
	input := "name,x,y\na,1,2\nb,oops,3\n" + "c," + strings.Repeat("7", 2<<20) + ",4\n" + "d,5,6\n"
	r, err := NewReader(strings.NewReader(input), "t.csv", smallSchema(true), Options{})
	require.NoError(t, err)
	var lines []int
	var errs []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var rowErr *RowError
		if errors.As(err, &rowErr) {
			errs = append(errs, err.Error())
			continue
		}
		require.NoError(t, err)
		lines = append(lines, rec.Line)
	}
	assert.Equal(t, []int{2, 5}, lines)
	assert.Equal(t, []string{
		`t.csv:3: column "x": "oops" is not a number`,
		`t.csv:4: line longer than 1048576 bytes`,
	}, errs)
}

func TestRowErrorFields(t *testing.T) {
	_, err := readAll(t, smallSchema(false), Options{}, "a,1,2\nb,x1,2\n")
	var rowErr *RowError
	require.ErrorAs(t, err, &rowErr)
	assert.Equal(t, RowError{File: "t.csv", Line: 2, Column: "x", Value: "x1", Reason: "is not a number"}, *rowErr)
}

func TestRowErrorShortensAtCharacterBoundary(t *testing.T) {
	e := &RowError{File: "f", Line: 1, Column: "c", Value: strings.Repeat("a", 39) + "é" + strings.Repeat("b", 10), Reason: "is bad"}
	assert.Equal(t, `f:1: column "c": "`+strings.Repeat("a", 39)+`"… (51 bytes) is bad`, e.Error())
}

func TestReadLongLinesAcrossSmallBuffer(t *testing.T) {
	// With a 16-byte buffer every line below is longer than the buffer,
	// so this covers the path that gathers a line in pieces.
	long := strings.Repeat("z", 100)
	tests := []struct {
		name    string
		maxLine int
		input   string
		want    []string // Raw of the name column, or the error
	}{
		{"fits", 200, "name,x,y\r\n" + long + ",1,2\r\n" + long + ",3,4", []string{long, long}},
		{"exactly the limit", 104, long + ",1,2\r\n", []string{long}},
		{"one over the limit", 103, long + ",1,2\r\n", []string{"t.csv:2: line longer than 103 bytes"}},
		{"long comment is skipped", 20, "#" + long + "\n" + "a,1,2\n", []string{"a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := smallSchema(true)
			s.CommentPrefix = "#"
			input := tc.input
			if !strings.HasPrefix(input, "name") {
				input = "n,x,y\n" + input
				s.Columns[0].Name = "n"
			}
			r, err := newReader(strings.NewReader(input), "t.csv", s, Options{MaxLineBytes: tc.maxLine}, 16)
			require.NoError(t, err)
			var got []string
			for {
				rec, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					got = append(got, err.Error())
					continue
				}
				got = append(got, string(rec.Raw[0]))
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// endlessLine yields "a,1,2\n", then n bytes of '7' and "\nb,3,4\n",
// without holding the long line in memory.
type endlessLine struct {
	head, tail string
	n          int
}

func (e *endlessLine) Read(p []byte) (int, error) {
	switch {
	case e.head != "":
		k := copy(p, e.head)
		e.head = e.head[k:]
		return k, nil
	case e.n > 0:
		k := min(len(p), e.n)
		for i := range k {
			p[i] = '7'
		}
		e.n -= k
		return k, nil
	case e.tail != "":
		k := copy(p, e.tail)
		e.tail = e.tail[k:]
		return k, nil
	}
	return 0, io.EOF
}

func TestLongLineMemoryIsBounded(t *testing.T) {
	const lineBytes = 256 << 20
	in := &endlessLine{head: "a,1,2\n", n: lineBytes, tail: "\nb,3,4\n"}
	r, err := NewReader(in, "t.csv", smallSchema(false), Options{})
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var got []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			got = append(got, err.Error())
			continue
		}
		got = append(got, string(rec.Raw[0]))
	}
	runtime.ReadMemStats(&after)
	assert.Equal(t, []string{"a", "t.csv:2: line longer than 1048576 bytes", "b"}, got)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(8<<20), "reading a %d-byte line allocated %d bytes", lineBytes, allocated)
}

func TestReadIOErrorIsSticky(t *testing.T) {
	boom := errors.New("boom")
	in := io.MultiReader(strings.NewReader("a,1,2\n"), iotest.ErrReader(boom))
	r, err := NewReader(in, "t.csv", smallSchema(false), Options{})
	require.NoError(t, err)
	_, err = r.Read()
	require.NoError(t, err)
	for range 2 {
		_, err = r.Read()
		assert.ErrorIs(t, err, boom)
		assert.EqualError(t, err, "reading t.csv: boom")
	}
}

func TestTargetOptional(t *testing.T) {
	opt := Options{TargetOptional: true}
	tests := []struct {
		name      string
		schema    *Schema
		opt       Options
		input     string
		hasTarget bool
		want      []row
		wantErr   string
	}{
		{
			name: "header without target", schema: smallSchema(true), opt: opt,
			input: "x,name\n1,a\n", hasTarget: false,
			want: []row{{2, []string{"a", "1", absent}, []float64{0, 1, nan}, []bool{false, false, true}, nan}},
		},
		{
			name: "header with target", schema: smallSchema(true), opt: opt,
			input: "name,x,y\na,1,2\n", hasTarget: true,
			want: []row{{2, []string{"a", "1", "2"}, []float64{0, 1, 2}, []bool{false, false, false}, 2}},
		},
		{
			name: "header without target, target required", schema: smallSchema(true),
			input:   "x,name\n1,a\n",
			wantErr: `t.csv:1: header: missing column "y"; want the columns of the schema: "name", "x", "y"`,
		},
		{
			name: "header without target or another column", schema: smallSchema(true), opt: opt,
			input:   "name\na\n",
			wantErr: `t.csv:1: header: missing column "x"; want the columns of the schema: "name", "x", "y"`,
		},
		{
			name: "no header, target absent in the middle", schema: labelSchema(false), opt: opt,
			input: "# c\n\n1, a\n?, b\n", hasTarget: false,
			want: []row{
				{3, []string{"1", absent, "a"}, []float64{1, 0, 0}, []bool{false, true, false}, nan},
				{4, []string{"?", absent, "b"}, []float64{nan, 0, 0}, []bool{true, true, false}, nan},
			},
		},
		{
			name: "no header, target present", schema: labelSchema(false), opt: opt,
			input: "1, yes, a\n", hasTarget: true,
			want: []row{{1, []string{"1", "yes", "a"}, []float64{1, 0, 0}, []bool{false, false, false}, 1}},
		},
		{
			name: "no header, target absent, then a line with it", schema: labelSchema(false), opt: opt,
			input: "1, a\n2, yes, b\n", hasTarget: false,
			want:    []row{{1, []string{"1", absent, "a"}, []float64{1, 0, 0}, []bool{false, true, false}, nan}},
			wantErr: `t.csv:2: got 3 fields, want 2, without the target "label", as line 1 has`,
		},
		{
			name: "no header, target present, then a line without it", schema: labelSchema(false), opt: opt,
			input: "2, yes, b\n1, a\n", hasTarget: true,
			want:    []row{{1, []string{"2", "yes", "b"}, []float64{2, 0, 0}, []bool{false, false, false}, 1}},
			wantErr: `t.csv:2: got 2 fields, want 3, with the target "label", as line 1 has`,
		},
		{
			name: "no header, target required", schema: labelSchema(false),
			input: "1, a\n", hasTarget: true,
			wantErr: `t.csv:1: got 2 fields, want 3`,
		},
		{
			name: "no header, first line bad", schema: labelSchema(false), opt: opt,
			input: "1\n2, yes, b\n", hasTarget: true,
			wantErr: `t.csv:1: got 1 fields, want 3 (or 2 without the target "label")`,
		},
		{
			name: "no header, first line too long", schema: labelSchema(false), opt: Options{TargetOptional: true, MaxLineBytes: 8},
			input: "1, yes, abc\n2, yes, b\n", hasTarget: true,
			wantErr: `t.csv:1: line longer than 8 bytes`,
		},
		{
			name: "no header, no data", schema: labelSchema(false), opt: opt,
			input: "\n", hasTarget: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tc.input), "t.csv", tc.schema, tc.opt)
			if err != nil {
				assert.EqualError(t, err, tc.wantErr)
				assert.Nil(t, tc.want)
				return
			}
			assert.Equal(t, tc.hasTarget, r.HasTarget())
			var got []row
			for {
				rec, err := r.Read()
				if err == io.EOF {
					assert.Empty(t, tc.wantErr)
					break
				}
				if err != nil {
					assert.EqualError(t, err, tc.wantErr)
					break
				}
				got = append(got, copyRecord(rec))
			}
			assertRows(t, tc.want, got)
		})
	}
}

// sampleFile is what the tests know about a shipped sample data file.
type sampleFile struct {
	schema, file string
	rows         int
	positives    int     // binary: rows with label 1
	labelSum     float64 // regression: sum of the labels
	first        map[string]string
	firstLine    int
	firstLabel   float64
}

func TestReadSampleFiles(t *testing.T) {
	tests := []sampleFile{
		{
			schema: "abalone", file: "abalone.csv", rows: 4177, labelSum: 41493,
			firstLine: 2, firstLabel: 15,
			first: map[string]string{"Sex": "M", "Length": "0.455", "Rings": "15"},
		},
		{
			schema: "adult", file: "adult.train.csv", rows: 32561, positives: 7841,
			firstLine: 1, firstLabel: 0,
			first: map[string]string{"age": "39", "workclass": "State-gov", "native-country": "United-States", "income": "<=50K"},
		},
		{
			schema: "adult", file: "adult.test.csv", rows: 16281, positives: 3846,
			firstLine: 2, firstLabel: 0,
			first: map[string]string{"age": "25", "education": "11th", "income": "<=50K."},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s, err := Load(filepath.Join(dataDir, tc.schema, "schema.json"))
			require.NoError(t, err)
			f, err := os.Open(filepath.Join(dataDir, tc.schema, tc.file))
			require.NoError(t, err)
			defer f.Close()
			r, err := NewReader(f, tc.file, s, Options{})
			require.NoError(t, err)
			require.True(t, r.HasTarget())

			col := make(map[string]int)
			for i, c := range s.Columns {
				col[c.Name] = i
			}
			rows, positives, missing := 0, 0, 0
			labelSum := 0.0
			for {
				rec, err := r.Read()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				if rows == 0 {
					assert.Equal(t, tc.firstLine, rec.Line)
					assert.Equal(t, tc.firstLabel, rec.Label)
					for name, want := range tc.first {
						assert.Equal(t, want, string(rec.Raw[col[name]]), name)
					}
				}
				rows++
				labelSum += rec.Label
				if rec.Label == 1 {
					positives++
				}
				for _, m := range rec.Missing {
					if m {
						missing++
					}
				}
			}
			assert.Equal(t, tc.rows, rows)
			if s.Task == BinaryClassification {
				assert.Equal(t, tc.positives, positives)
				assert.Positive(t, missing, "the Adult files mark missing values with ?")
			} else {
				assert.InDelta(t, tc.labelSum, labelSum, 1e-9)
				assert.Zero(t, missing)
			}
		})
	}
}

func TestAdultMissingValue(t *testing.T) {
	// Line 15 of adult.train.csv has "?" as native-country.
	s, err := Load(filepath.Join(dataDir, "adult", "schema.json"))
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(dataDir, "adult", "adult.train.csv"))
	require.NoError(t, err)
	r, err := NewReader(bytes.NewReader(data), "adult.train.csv", s, Options{})
	require.NoError(t, err)
	country := s.index("native-country")
	age := s.index("age")
	for {
		rec, err := r.Read()
		require.NoError(t, err)
		if rec.Line == 15 {
			assert.True(t, rec.Missing[country])
			assert.Equal(t, "?", string(rec.Raw[country]))
			assert.False(t, rec.Missing[age])
			assert.Equal(t, 40.0, rec.Num[age])
			assert.Equal(t, 1.0, rec.Label)
			break
		}
	}
}

// repeatLines returns n copies of line.
func repeatLines(line string, n int) string {
	return strings.Repeat(line, n)
}

func TestReadDoesNotAllocate(t *testing.T) {
	tests := []struct {
		name   string
		schema *Schema
		header string
		line   string
	}{
		{"abalone-like", smallSchema(true), "name,x,y\n", "M,0.455,15\n"},
		{"long numbers and missing", smallSchema(true), "name,x,y\n", "Infant,,0.30000000000000004\n"},
		{"adult-like", labelSchema(false), "", "39, yes., State-gov\n"},
		{"quoted", smallSchema(true), "name,x,y\n", "\"a,\"\"b\"\"\",\"1.5\",2\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const runs = 1000
			input := tc.header + repeatLines(tc.line, runs+10)
			r, err := NewReader(strings.NewReader(input), "t.csv", tc.schema, Options{})
			require.NoError(t, err)
			_, err = r.Read() // let the scratch buffers grow
			require.NoError(t, err)
			var readErr error
			allocs := testing.AllocsPerRun(runs, func() {
				if _, err := r.Read(); err != nil {
					readErr = err
				}
			})
			require.NoError(t, readErr)
			assert.Zero(t, allocs, "allocations per Read")
		})
	}
}

func TestContinueReadsLaterChunks(t *testing.T) {
	s, err := Parse([]byte(`{"columns": [{"name": "a", "type": "numeric"}, {"name": "c", "type": "categorical"}, {"name": "y", "type": "numeric"}],
		"target": "y", "task": "regression", "header": true}`))
	require.NoError(t, err)
	// The header puts the columns in another order and leaves out the target.
	first, err := NewReader(strings.NewReader("c,a\nx,1\n"), "in.csv", s, Options{TargetOptional: true})
	require.NoError(t, err)
	rec, err := first.Read()
	require.NoError(t, err)
	assert.Equal(t, 2, rec.Line)

	next := first.Continue(strings.NewReader("y,2\n\nz,oops\n"), 3)
	assert.False(t, next.HasTarget())
	rec, err = next.Read()
	require.NoError(t, err)
	assert.Equal(t, 3, rec.Line, "line numbers go on from firstLine")
	assert.Equal(t, "y", string(rec.Raw[1]))
	assert.Equal(t, 2.0, rec.Num[0])
	assert.True(t, math.IsNaN(rec.Label), "the absent target stays absent")
	_, err = next.Read()
	assert.EqualError(t, err, `in.csv:5: column "a": "oops" is not a number`)
	_, err = next.Read()
	assert.ErrorIs(t, err, io.EOF)

	rec, err = first.Read()
	assert.ErrorIs(t, err, io.EOF, "the first reader is not disturbed")
	assert.Nil(t, rec)
}

// TestContinueBytesReadsLikeContinue checks that a reader of an in-memory
// chunk returns what a reader of the same chunk through io.Reader does,
// record for record and error for error, also after ResetBytes, and that
// it does not allocate.
func TestContinueBytesReadsLikeContinue(t *testing.T) {
	s := smallSchema(true)
	s.CommentPrefix = "#"
	first, err := NewReader(strings.NewReader("name,x,y\n"), "in.csv", s, Options{MaxLineBytes: 40})
	require.NoError(t, err)
	chunks := []string{
		"M,1,2\r\n\n# comment\nF,oops,3\nI,,4\n" + "L," + strings.Repeat("9", 50) + ",5\nM,2,6",
		"F,3,7\n",
		"",
		"I,4,8\n\n",
	}
	readAllFrom := func(r *Reader) []string {
		var got []string
		for {
			rec, err := r.Read()
			if err == io.EOF {
				return got
			}
			if err != nil {
				got = append(got, err.Error())
				continue
			}
			got = append(got, fmt.Sprint(copyRecord(rec)))
		}
	}
	var reused *Reader
	for i, chunk := range chunks {
		want := readAllFrom(first.Continue(strings.NewReader(chunk), 10*i+2))
		got := readAllFrom(first.ContinueBytes([]byte(chunk), 10*i+2))
		assert.Equalf(t, want, got, "chunk %d", i)
		if reused == nil {
			reused = first.ContinueBytes(nil, 1)
		}
		reused.ResetBytes([]byte(chunk), 10*i+2)
		assert.Equalf(t, want, readAllFrom(reused), "chunk %d after ResetBytes", i)
	}
	assert.Panics(t, func() { first.Continue(strings.NewReader(""), 1).ResetBytes(nil, 1) })

	data := []byte(repeatLines("M,0.455,15\n", 1010))
	r := first.ContinueBytes(data, 2)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := r.Read(); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "allocations per Read")
}

func TestIgnoreTarget(t *testing.T) {
	opt := Options{IgnoreTarget: true}
	tests := []struct {
		name   string
		schema *Schema
		input  string
		want   []row
	}{
		{
			name: "header, target empty or garbage", schema: smallSchema(true),
			input: "name,x,y\na,1,\nb,2,oops\nc,3,4\n",
			want: []row{
				{2, []string{"a", "1", absent}, []float64{0, 1, nan}, []bool{false, false, true}, nan},
				{3, []string{"b", "2", absent}, []float64{0, 2, nan}, []bool{false, false, true}, nan},
				{4, []string{"c", "3", absent}, []float64{0, 3, nan}, []bool{false, false, true}, nan},
			},
		},
		{
			name: "header without target", schema: smallSchema(true),
			input: "x,name\n1,a\n",
			want:  []row{{2, []string{"a", "1", absent}, []float64{0, 1, nan}, []bool{false, false, true}, nan}},
		},
		{
			name: "no header, binary target missing and present", schema: labelSchema(false),
			input: "1, ?, a\n2, yes, b\n",
			want: []row{
				{1, []string{"1", absent, "a"}, []float64{1, 0, 0}, []bool{false, true, false}, nan},
				{2, []string{"2", absent, "b"}, []float64{2, 0, 0}, []bool{false, true, false}, nan},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, tc.schema, opt, tc.input)
			require.NoError(t, err)
			assertRows(t, tc.want, got)
		})
	}
	// Later chunks, read through Continue, ignore the target too.
	r, err := NewReader(strings.NewReader("name,x,y\na,1,\n"), "t.csv", smallSchema(true), opt)
	require.NoError(t, err)
	c := r.ContinueBytes([]byte("b,2,\n"), 3)
	rec, err := c.Read()
	require.NoError(t, err)
	assertRows(t, []row{{3, []string{"b", "2", absent}, []float64{0, 2, nan}, []bool{false, false, true}, nan}}, []row{copyRecord(rec)})
}

func TestCROnlyLineEndingsAreRejected(t *testing.T) {
	_, err := readAll(t, smallSchema(true), Options{}, "name,x,y\ra,1,2\rb,3,4\r")
	assert.EqualError(t, err, "t.csv:1: has a carriage return (CR) inside the line; CR-only line endings are not supported, want LF or CRLF line endings")
	rows, err := readAll(t, smallSchema(true), Options{}, "name,x,y\r\na,1,2\r\nb,3,4\ra,5,6\r\n")
	assert.Len(t, rows, 1, "CRLF lines read")
	assert.EqualError(t, err, "t.csv:3: has a carriage return (CR) inside the line; CR-only line endings are not supported, want LF or CRLF line endings")
}

// endless is an input that never ends a line, as /dev/zero; it fails
// after max bytes so that a reader that reads on does not hang the test.
type endless struct{ read, max int }

func (e *endless) Read(p []byte) (int, error) {
	if e.read >= e.max {
		return 0, errors.New("read too far")
	}
	n := min(len(p), e.max-e.read)
	for i := range p[:n] {
		p[i] = '0'
	}
	e.read += n
	return n, nil
}

func TestLineWithoutEndFailsAtTheLimit(t *testing.T) {
	s := smallSchema(false)
	in := &endless{max: 64 << 20}
	r, err := NewReader(in, "zero", s, Options{MaxLineBytes: 1 << 10})
	require.NoError(t, err)
	_, err = r.Read()
	var rowErr *RowError
	require.ErrorAs(t, err, &rowErr)
	assert.EqualError(t, err, "zero:1: line longer than 1024 bytes")
	assert.Less(t, in.read, 1<<20, "bytes read before failing")
}

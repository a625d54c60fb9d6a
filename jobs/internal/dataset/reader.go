package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Options adjusts how a [Reader] reads a file.
type Options struct {
	// TargetOptional lets the target column be absent, as in the input of
	// batch inference. With a header line, the header decides; without one,
	// the first data line does: one field fewer than the schema has columns
	// means the target is absent, at its position in the schema.
	TargetOptional bool
	// IgnoreTarget makes the reader skip the target column's values, as
	// batch inference does, which does not use them: the target may be
	// absent (as with TargetOptional), and where present its field may
	// be empty or hold anything. Every record then has the target
	// missing: Raw nil, Missing true, Num and Label NaN. It implies
	// TargetOptional.
	IgnoreTarget bool
	// MaxLineBytes is the longest line, without its line ending, that the
	// reader accepts; a longer one is a *RowError. Zero means
	// DefaultMaxLineBytes (1 MiB). The reader holds at most about this many
	// bytes of a line in memory.
	MaxLineBytes int
}

// Record is one data line of a file, by schema column: index i of each
// slice is Columns[i] of the schema.
type Record struct {
	// Line is the 1-based physical line number of the record in the file,
	// counting blank and comment lines.
	Line int
	// Raw holds each column's field as written, without its quotes if it
	// was quoted. It is nil for a column absent from the file. The bytes
	// are only valid until the next call to Read.
	Raw [][]byte
	// Num holds the value of each numeric column, NaN when the value is
	// missing or the column absent. It is 0 for categorical columns.
	Num []float64
	// Missing tells whether each column's field is one of the schema's
	// missing values. It is true for a column absent from the file.
	Missing []bool
	// Label is the target: its value for regression, 1 or 0 for binary
	// classification. It is NaN when the target column is absent.
	Label float64
}

// RowError reports a problem with one line of a data file: its header, its
// layout, or the value of one field.
type RowError struct {
	// File is the name given to NewReader.
	File string
	// Line is the 1-based physical line number.
	Line int
	// Column names the schema column at fault; it is empty when the
	// problem is with the line as a whole.
	Column string
	// Value is the offending field, when Column is set.
	Value string
	// Reason says what is wrong, phrased to follow the value.
	Reason string
}

// Error formats the error on one line, as
// `data.csv:12: column "x": "abc" is not a number`, or
// `data.csv:12: got 8 fields, want 9` for a problem with the whole line.
// Values longer than 40 bytes are shortened.
func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(": ")
	if e.Column != "" {
		b.WriteString("column ")
		b.WriteString(strconv.Quote(e.Column))
		b.WriteString(": ")
		b.WriteString(quoteValue(e.Value))
		b.WriteByte(' ')
	}
	b.WriteString(e.Reason)
	return b.String()
}

// maxShownValue is how many bytes of a value an error message shows.
const maxShownValue = 40

// quoteValue quotes v for an error message, on one line, shortened to
// maxShownValue bytes (cut at a character boundary) plus "…" and the full
// length.
func quoteValue(v string) string {
	if len(v) <= maxShownValue {
		return strconv.Quote(v)
	}
	n := maxShownValue
	for n > maxShownValue-utf8.UTFMax && !utf8.RuneStart(v[n]) {
		n--
	}
	return strconv.Quote(v[:n]) + "… (" + strconv.Itoa(len(v)) + " bytes)"
}

// Reader reads the data lines of a file described by a [Schema]. It is not
// safe for concurrent use.
type Reader struct {
	name      string
	br        *bufio.Reader // nil when reading from src
	src       []byte        // the rest of an in-memory chunk (ContinueBytes)
	sep       []byte
	comment   []byte
	missing   [][]byte
	positive  []byte
	trim      []byte
	maxLine   int
	numeric   []bool // per schema column
	names     []string
	target    int
	binary    bool
	hasTarget bool
	// ignoreTarget skips the target's field (Options.IgnoreTarget).
	ignoreTarget bool
	// optional tells that the target may be absent (TargetOptional) and,
	// without a header, that layoutLine decided whether it is.
	optional   bool
	layoutLine int
	fieldCol   []int // schema column of each field of a line
	// skipLong is set after a line longer than maxLine was reported: the
	// rest of it is read and dropped by the next read, not before, so
	// that a job that stops at the error stops at once, even on a stream
	// that never ends a line.
	skipLong bool

	line    int  // physical number of the last line read
	eof     bool // the underlying reader is exhausted
	err     error
	pending bool // pendLine, read ahead by NewReader, is the next line
	pendLn  []byte
	pendNo  int
	pendErr error

	fields [][]byte // scratch: the fields of the current line
	unq    []byte   // scratch: quoted fields with their doubled quotes undone
	long   []byte   // scratch: a line longer than the bufio buffer
	rec    Record
}

// bufferSize is the size of the reader's bufio buffer. Lines longer than it
// are copied into a separate buffer.
const bufferSize = 64 << 10

var bom = []byte("\xef\xbb\xbf")

// NewReader returns a reader of the data in r, described by s. name is the
// file name used in errors. The schema's defaults are filled in on a copy,
// and the schema is validated. If the schema has a header line, NewReader
// reads it and checks that it names exactly the schema's columns (with
// opt.TargetOptional, the target may be left out), in any order: missing,
// unknown and repeated names are errors. An input with no header line at
// all is an error; one with a header and no data is not.
func NewReader(r io.Reader, name string, s *Schema, opt Options) (*Reader, error) {
	return newReader(r, name, s, opt, bufferSize)
}

// newReader is NewReader with a bufio buffer of bufSize bytes, so that tests
// can reach the code for lines longer than the buffer with small inputs.
func newReader(r io.Reader, name string, s *Schema, opt Options, bufSize int) (*Reader, error) {
	if s == nil {
		return nil, fmt.Errorf("%s: no schema", name)
	}
	sc := s.clone()
	sc.applyDefaults()
	if err := sc.validate(); err != nil {
		return nil, fmt.Errorf("%s: schema: %w", name, err)
	}
	if opt.MaxLineBytes < 0 {
		return nil, fmt.Errorf("%s: MaxLineBytes: %d is negative; want 0 for the default or a positive limit", name, opt.MaxLineBytes)
	}
	if opt.MaxLineBytes == 0 {
		opt.MaxLineBytes = DefaultMaxLineBytes
	}
	if opt.IgnoreTarget {
		opt.TargetOptional = true
	}
	n := len(sc.Columns)
	rd := &Reader{
		name:         name,
		br:           bufio.NewReaderSize(r, bufSize),
		sep:          []byte(sc.Separator),
		comment:      []byte(sc.CommentPrefix),
		positive:     []byte(sc.PositiveLabel),
		trim:         []byte(sc.LabelTrimSuffix),
		maxLine:      opt.MaxLineBytes,
		numeric:      make([]bool, n),
		names:        make([]string, n),
		target:       sc.TargetIndex(),
		binary:       sc.Task == BinaryClassification,
		hasTarget:    true,
		ignoreTarget: opt.IgnoreTarget,
		optional:     opt.TargetOptional,
		rec: Record{
			Raw:     make([][]byte, n),
			Num:     make([]float64, n),
			Missing: make([]bool, n),
		},
	}
	for _, m := range sc.MissingValues {
		rd.missing = append(rd.missing, []byte(m))
	}
	for i, c := range sc.Columns {
		rd.numeric[i] = c.Type == Numeric
		rd.names[i] = c.Name
	}
	var err error
	if sc.Header {
		err = rd.readHeader(opt.TargetOptional)
	} else {
		err = rd.layoutWithoutHeader(opt.TargetOptional)
	}
	if err != nil {
		return nil, err
	}
	rd.rec.clearTarget(rd)
	rd.fields = make([][]byte, 0, len(rd.fieldCol))
	return rd, nil
}

// readHeader reads the header line and maps its fields to schema columns.
func (r *Reader) readHeader(targetOptional bool) error {
	line, no, err := r.nextLine()
	if err == io.EOF {
		return fmt.Errorf("%s: no header line", r.name)
	}
	if err != nil {
		return err
	}
	fields, _, bad, reason := r.split(line, math.MaxInt)
	if reason != "" {
		return &RowError{File: r.name, Line: no, Reason: fmt.Sprintf("header: field %d: %s %s", bad+1, quoteValue(string(fields[bad])), reason)}
	}
	col := make(map[string]int, len(r.names))
	for i, name := range r.names {
		col[name] = i
	}
	pos := make(map[string]int, len(fields))
	var unknown []string
	r.fieldCol = make([]int, len(fields))
	for i, f := range fields {
		name := string(f)
		if j, dup := pos[name]; dup {
			return &RowError{File: r.name, Line: no, Reason: fmt.Sprintf("header: column %q appears twice (fields %d and %d); want each column once", name, j+1, i+1)}
		}
		pos[name] = i
		c, ok := col[name]
		if !ok {
			unknown = append(unknown, name)
		}
		r.fieldCol[i] = c
	}
	var missing []string
	for i, name := range r.names {
		if _, ok := pos[name]; ok {
			continue
		}
		if i == r.target && targetOptional {
			r.hasTarget = false
			continue
		}
		missing = append(missing, name)
	}
	if len(missing) == 0 && len(unknown) == 0 {
		return nil
	}
	var msg []string
	if len(missing) > 0 {
		msg = append(msg, plural(len(missing), "missing column")+" "+quoteList(missing))
	}
	if len(unknown) > 0 {
		msg = append(msg, plural(len(unknown), "unknown column")+" "+quoteList(unknown))
	}
	return &RowError{File: r.name, Line: no, Reason: "header: " + strings.Join(msg, "; ") + "; want the columns of the schema: " + quoteList(r.names)}
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// layoutWithoutHeader maps fields to columns in schema order. With
// targetOptional it reads the first data line ahead to see whether the
// target is there, and keeps it for the first Read.
func (r *Reader) layoutWithoutHeader(targetOptional bool) error {
	if targetOptional {
		line, no, err := r.nextLine()
		var rowErr *RowError
		if err != nil && err != io.EOF && !errors.As(err, &rowErr) {
			return err
		}
		// Read returns this line, or its error, first. A line that cannot
		// be split leaves the target present; Read reports the problem.
		r.pending, r.pendLn, r.pendNo, r.pendErr = true, line, no, err
		r.layoutLine = no
		if err == nil {
			if _, n, _, reason := r.split(line, len(r.names)+1); reason == "" && n == len(r.names)-1 {
				r.hasTarget = false
			}
		}
	}
	for i := range r.names {
		if i != r.target || r.hasTarget {
			r.fieldCol = append(r.fieldCol, i)
		}
	}
	return nil
}

// Continue returns a reader of src, a later part of the same file that
// starts at physical line firstLine on a line boundary. It reads src with
// r's column layout (from r's header, or r's first data line) and reads no
// header of its own, so that several goroutines can each read a
// line-aligned chunk of one file while r reads the first. The readers share
// no mutable state.
func (r *Reader) Continue(src io.Reader, firstLine int) *Reader {
	c := r.continued(firstLine)
	c.br = bufio.NewReaderSize(src, bufferSize)
	return c
}

// ContinueBytes is Continue for a chunk that is already in memory: the
// reader takes its lines straight from data instead of copying them
// through a buffer of its own, and Raw fields point into data. data must
// not change while the reader is in use.
func (r *Reader) ContinueBytes(data []byte, firstLine int) *Reader {
	c := r.continued(firstLine)
	c.src = data
	return c
}

// ResetBytes makes a reader returned by ContinueBytes read another chunk
// of the same file, starting at physical line firstLine, as a new one
// from ContinueBytes would, so that a goroutine scoring many chunks reuses
// one reader instead of allocating one per chunk.
func (r *Reader) ResetBytes(data []byte, firstLine int) {
	if r.br != nil {
		panic("dataset: ResetBytes on a reader not made by ContinueBytes")
	}
	r.src = data
	r.line = firstLine - 1
	r.eof, r.err = false, nil
}

// continued returns a reader with r's layout and no input yet.
func (r *Reader) continued(firstLine int) *Reader {
	n := len(r.names)
	c := &Reader{
		name: r.name,
		sep:  r.sep, comment: r.comment, missing: r.missing, positive: r.positive, trim: r.trim,
		maxLine: r.maxLine, numeric: r.numeric, names: r.names, target: r.target,
		binary: r.binary, hasTarget: r.hasTarget, fieldCol: r.fieldCol,
		ignoreTarget: r.ignoreTarget, optional: r.optional, layoutLine: r.layoutLine,
		line:   firstLine - 1,
		fields: make([][]byte, 0, len(r.fieldCol)),
		rec:    Record{Raw: make([][]byte, n), Num: make([]float64, n), Missing: make([]bool, n)},
	}
	c.rec.clearTarget(c)
	return c
}

// clearTarget marks the target of rec missing when r never reads it: it
// is absent from the file or ignored.
func (rec *Record) clearTarget(r *Reader) {
	if r.hasTarget && !r.ignoreTarget {
		return
	}
	rec.Missing[r.target] = true
	rec.Label = math.NaN()
	if r.numeric[r.target] {
		rec.Num[r.target] = math.NaN()
	}
}

// HasTarget reports whether the file has the target column. It is false
// only when Options.TargetOptional let the target be absent and it is.
func (r *Reader) HasTarget() bool {
	return r.hasTarget
}

// Read returns the next data line, skipping blank and comment lines. At the
// end of the input it returns io.EOF. The *Record, and the bytes its Raw
// fields point to, are reused by the next call to Read: copy what must
// outlive it.
//
// A problem with the line is a *RowError; Read may be called again to go on
// with the next line. Any other error comes from the underlying reader and
// is returned again by every later call.
func (r *Reader) Read() (*Record, error) {
	var (
		line []byte
		no   int
		err  error
	)
	if r.pending {
		r.pending = false
		line, no, err = r.pendLn, r.pendNo, r.pendErr
		r.pendLn, r.pendErr = nil, nil
	} else {
		line, no, err = r.nextLine()
	}
	if err != nil {
		return nil, err
	}
	want := len(r.fieldCol)
	fields, n, bad, reason := r.split(line, want)
	if reason != "" {
		if bad < want {
			return nil, r.fieldError(no, r.fieldCol[bad], fields[bad], reason)
		}
		return nil, &RowError{File: r.name, Line: no, Reason: fmt.Sprintf("field %d: %s", bad+1, reason)}
	}
	if n != want {
		return nil, &RowError{File: r.name, Line: no, Reason: r.fieldCountReason(n, no)}
	}
	rec := &r.rec
	rec.Line = no
	// Most lines are ASCII: one check of the whole line spares a check of
	// each categorical field.
	valid := utf8.Valid(line)
	for i, f := range fields {
		c := r.fieldCol[i]
		if r.ignoreTarget && c == r.target {
			continue
		}
		rec.Raw[c] = f
		miss := r.isMissing(f)
		rec.Missing[c] = miss
		switch {
		case !r.numeric[c]:
			if !valid && !utf8.Valid(f) {
				return nil, r.fieldError(no, c, f, "is not valid UTF-8")
			}
		case miss:
			rec.Num[c] = math.NaN()
		default:
			v, reason := parseNumber(f)
			if reason != "" {
				return nil, r.fieldError(no, c, f, reason)
			}
			rec.Num[c] = v
		}
	}
	if r.hasTarget && !r.ignoreTarget {
		t := r.target
		switch {
		case rec.Missing[t]:
			return nil, r.fieldError(no, t, rec.Raw[t], "is a missing value; the target must have a value")
		case r.binary:
			if bytes.Equal(bytes.TrimSuffix(rec.Raw[t], r.trim), r.positive) {
				rec.Label = 1
			} else {
				rec.Label = 0
			}
		default:
			rec.Label = rec.Num[t]
		}
	}
	return rec, nil
}

// fieldCountReason says why a line of n fields, at line no, does not fit
// the layout. Where the target may be absent and no header decides, the
// first data line does; the message says which counts are valid and why.
func (r *Reader) fieldCountReason(n, no int) string {
	want := len(r.fieldCol)
	switch {
	case !r.optional || r.sawHeader():
		return fmt.Sprintf("got %d fields, want %d", n, want)
	case no == r.layoutLine && r.hasTarget:
		return fmt.Sprintf("got %d fields, want %d (or %d without the target %q)", n, want, want-1, r.names[r.target])
	case r.hasTarget:
		return fmt.Sprintf("got %d fields, want %d, with the target %q, as line %d has", n, want, r.names[r.target], r.layoutLine)
	default:
		return fmt.Sprintf("got %d fields, want %d, without the target %q, as line %d has", n, want, r.names[r.target], r.layoutLine)
	}
}

// sawHeader tells whether a header line decided the layout.
func (r *Reader) sawHeader() bool { return r.layoutLine == 0 }

func (r *Reader) fieldError(line, col int, value []byte, reason string) *RowError {
	return &RowError{File: r.name, Line: line, Column: r.names[col], Value: string(value), Reason: reason}
}

func (r *Reader) isMissing(f []byte) bool {
	for _, m := range r.missing {
		if string(f) == string(m) {
			return true
		}
	}
	return false
}

// nextLine returns the next line that is neither blank nor a comment,
// without its line ending, and its physical line number. The line is valid
// until the next read from r.br. At the end of the input it returns io.EOF.
func (r *Reader) nextLine() ([]byte, int, error) {
	for {
		b, err := r.rawLine()
		if err != nil {
			return nil, 0, err
		}
		r.line++
		if r.line == 1 {
			b = bytes.TrimPrefix(b, bom)
		}
		if len(r.comment) > 0 && bytes.HasPrefix(b, r.comment) {
			continue
		}
		if b = trimEOL(b); len(b) > r.maxLine {
			return nil, r.line, &RowError{File: r.name, Line: r.line, Reason: fmt.Sprintf("line longer than %d bytes", r.maxLine)}
		}
		if len(b) == 0 {
			continue
		}
		if bytes.IndexByte(b, '\r') >= 0 {
			// A carriage return inside a line is nearly always a file
			// with CR-only (classic Mac) line endings, read as one line.
			return nil, r.line, &RowError{File: r.name, Line: r.line, Reason: "has a carriage return (CR) inside the line; CR-only line endings are not supported, want LF or CRLF line endings"}
		}
		return b, r.line, nil
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// rawLine returns the next physical line with its line ending. From an
// in-memory chunk the line is a subslice of it. Otherwise, a line that
// does not fit in the bufio buffer is gathered in r.long; once that holds
// more than maxLine bytes plus a line ending, rawLine returns it, still too
// long, and leaves the rest of the line to be dropped by the next call, so
// that memory stays bounded and an input without line ends (/dev/zero)
// fails at the limit instead of being read forever. It returns io.EOF only
// when no bytes are left.
func (r *Reader) rawLine() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.skipLong && !r.eof {
		r.skipLong = false
		if err := r.skipRestOfLine(); err != nil {
			return nil, err
		}
	}
	if r.eof {
		return nil, io.EOF
	}
	if r.br == nil {
		// In memory: a line is a subslice of the chunk, however long.
		i := bytes.IndexByte(r.src, '\n')
		if i < 0 {
			r.eof = true
			if len(r.src) == 0 {
				return nil, io.EOF
			}
			i = len(r.src) - 1
		}
		b := r.src[:i+1]
		r.src = r.src[i+1:]
		return b, nil
	}
	b, err := r.br.ReadSlice('\n')
	switch err {
	case nil:
		return b, nil
	case io.EOF:
		r.eof = true
		if len(b) == 0 {
			return nil, io.EOF
		}
		return b, nil
	case bufio.ErrBufferFull:
	default:
		return nil, r.readError(err)
	}
	limit := r.maxLine + len("\r\n")
	r.long = append(r.long[:0], b...)
	for err == bufio.ErrBufferFull && len(r.long) <= limit {
		b, err = r.br.ReadSlice('\n')
		r.long = append(r.long, b...)
	}
	switch err {
	case nil:
	case bufio.ErrBufferFull:
		r.skipLong = true // too long already; the rest is dropped later
	case io.EOF:
		r.eof = true
	default:
		return nil, r.readError(err)
	}
	return r.long, nil
}

// skipRestOfLine reads and drops the input up to and including the next
// line end.
func (r *Reader) skipRestOfLine() error {
	for {
		_, err := r.br.ReadSlice('\n')
		switch err {
		case nil:
			return nil
		case bufio.ErrBufferFull:
		case io.EOF:
			r.eof = true
			return nil
		default:
			return r.readError(err)
		}
	}
}

func (r *Reader) readError(err error) error {
	r.err = fmt.Errorf("reading %s: %w", r.name, err)
	return r.err
}

// split splits line into fields, undoing quotes. It keeps at most limit
// fields in r.fields, and returns them with the number n of fields the line
// has. If a field is malformed, reason says why and bad is its index; if bad
// < limit, fields[bad] is the field from its start to the end of the line.
func (r *Reader) split(line []byte, limit int) (fields [][]byte, n, bad int, reason string) {
	fields = r.fields[:0]
	if bytes.IndexByte(line, '"') < 0 {
		// The common case: no quotes, so every separator splits.
		if len(r.sep) == 1 {
			sep := r.sep[0]
			for {
				i := bytes.IndexByte(line, sep)
				if i < 0 {
					break
				}
				if n < limit {
					fields = append(fields, line[:i])
				}
				n++
				line = line[i+1:]
			}
		} else {
			for {
				i := r.indexSep(line)
				if i < 0 {
					break
				}
				if n < limit {
					fields = append(fields, line[:i])
				}
				n++
				line = line[i+len(r.sep):]
			}
		}
		if n < limit {
			fields = append(fields, line)
		}
		n++
		r.fields = fields
		return fields, n, 0, ""
	}
	r.unq = r.unq[:0]
	for {
		var (
			f    []byte
			more bool
		)
		f, line, more, reason = r.splitField(line)
		if reason != "" {
			if n < limit {
				fields = append(fields, f)
			}
			r.fields = fields
			return fields, n + 1, n, reason
		}
		if n < limit {
			fields = append(fields, f)
		}
		n++
		if !more {
			break
		}
	}
	r.fields = fields
	return fields, n, 0, ""
}

// indexSep returns the index of the first separator in b, or -1. For
// separators such as ", " it is faster than bytes.Index on short lines:
// the first byte of the separator rarely appears elsewhere.
func (r *Reader) indexSep(b []byte) int {
	first, rest := r.sep[0], r.sep[1:]
	for off := 0; ; {
		i := bytes.IndexByte(b[off:], first)
		if i < 0 {
			return -1
		}
		off += i
		if bytes.HasPrefix(b[off+1:], rest) {
			return off
		}
		off++
	}
}

// splitField cuts the first field off line. more tells whether a separator
// followed it. For a malformed field, f is the rest of the line and reason
// says what is wrong.
func (r *Reader) splitField(line []byte) (f, rest []byte, more bool, reason string) {
	if len(line) == 0 || line[0] != '"' {
		i := r.indexSep(line)
		f, rest = line, nil
		if i >= 0 {
			f, rest, more = line[:i], line[i+len(r.sep):], true
		}
		if bytes.IndexByte(f, '"') >= 0 {
			return line, nil, false, "has a quote inside an unquoted field; want the whole field quoted, with each quote inside doubled"
		}
		return f, rest, more, ""
	}
	s := line[1:]
	start := len(r.unq)
	doubled := false
	for {
		i := bytes.IndexByte(s, '"')
		if i < 0 {
			return line, nil, false, "opens a quote that is not closed on this line; quoted fields cannot span lines"
		}
		if i+1 < len(s) && s[i+1] == '"' {
			r.unq = append(r.unq, s[:i+1]...)
			s = s[i+2:]
			doubled = true
			continue
		}
		if doubled {
			r.unq = append(r.unq, s[:i]...)
			f = r.unq[start:len(r.unq):len(r.unq)]
		} else {
			f = s[:i:i]
		}
		rest = s[i+1:]
		break
	}
	if len(rest) == 0 {
		return f, nil, false, ""
	}
	if !bytes.HasPrefix(rest, r.sep) {
		return line, nil, false, "has text after its closing quote; want a separator there"
	}
	return f, rest[len(r.sep):], true, ""
}

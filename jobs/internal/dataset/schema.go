package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ColumnType is the type of the values in a column: [Numeric] or
// [Categorical].
type ColumnType string

const (
	// Numeric marks a column of finite numbers (see [ParseNumber]).
	Numeric ColumnType = "numeric"
	// Categorical marks a column of labels: any valid UTF-8 text, compared
	// as is.
	Categorical ColumnType = "categorical"
)

// Task is the learning task a schema's target column is for:
// [Regression] or [BinaryClassification].
type Task string

const (
	// Regression predicts the numeric value of the target column.
	Regression Task = "regression"
	// BinaryClassification predicts whether the target column holds the
	// schema's positive label.
	BinaryClassification Task = "binary_classification"
)

// Default values that [Parse] and [NewReader] fill in when a schema leaves
// the field empty.
const (
	// DefaultSeparator is the field separator of a schema that sets none.
	DefaultSeparator = ","
	// DefaultMaxLineBytes is the longest line, without its line ending,
	// that a [Reader] accepts when [Options.MaxLineBytes] is zero.
	DefaultMaxLineBytes = 1 << 20
	// DefaultMaxCategories is how many categories of a categorical
	// feature column are one-hot encoded when the column sets no
	// maxCategories: the most frequent ones; the rest share the column's
	// bucket for unseen values. 100 keeps every category of the usual
	// categorical columns whole (the widest of the bundled samples,
	// adult's native-country, has 41) while a column with a value per row,
	// an id not declared as one, stays 101 features wide instead of one
	// per row.
	DefaultMaxCategories = 100
)

// Column is one column of a data set: its name (as written in the header
// line, if the file has one) and the type of its values.
type Column struct {
	Name string     `json:"name"`
	Type ColumnType `json:"type"`
	// MaxCategories caps, for a categorical feature column, how many of
	// its categories in the training rows are one-hot encoded: the most
	// frequent ones, the smaller value first among equally frequent ones;
	// the rest are encoded as unseen values are. Zero means
	// [DefaultMaxCategories]. It is an error on other columns.
	MaxCategories int `json:"maxCategories,omitempty"`
}

// CategoryLimit returns how many categories of column i are one-hot
// encoded: its MaxCategories, or [DefaultMaxCategories] when that is zero.
func (s *Schema) CategoryLimit(i int) int {
	if n := s.Columns[i].MaxCategories; n > 0 {
		return n
	}
	return DefaultMaxCategories
}

// Schema describes a data set: its columns in file order, which one is the
// target and for which task, and how the file is written. It is stored as
// JSON beside the data; see [Load]. The zero values of Separator and
// MissingValues mean their defaults, "," and [""].
type Schema struct {
	// Columns lists every column of the file, in the order a file without
	// a header line has them.
	Columns []Column `json:"columns"`
	// Target names the column to predict.
	Target string `json:"target"`
	// Task is the learning task; it decides how the target is read.
	Task Task `json:"task"`
	// PositiveLabel is, for binary classification, the target value that
	// means 1; any other value that is not missing means 0.
	PositiveLabel string `json:"positiveLabel,omitempty"`
	// ID optionally names a column that identifies a row. It is carried
	// through to predictions and is never a feature.
	ID string `json:"id,omitempty"`
	// Header tells whether the first line of the file (after blank and
	// comment lines) names the columns.
	Header bool `json:"header"`
	// Separator separates the fields of a line. It may be several bytes
	// long, such as ", ". Empty means [DefaultSeparator].
	Separator string `json:"separator,omitempty"`
	// MissingValues lists the field values that mean "missing". A field
	// is compared to each entry as a whole. Empty means [""], so only an
	// empty field is missing.
	MissingValues []string `json:"missingValues,omitempty"`
	// CommentPrefix, if not empty, marks lines to skip: every line that
	// starts with it, anywhere in the file.
	CommentPrefix string `json:"commentPrefix,omitempty"`
	// LabelTrimSuffix, if not empty, is removed from the end of each
	// target value before it is compared to PositiveLabel; the UCI Adult
	// test file writes ">50K." where the training file writes ">50K".
	LabelTrimSuffix string `json:"labelTrimSuffix,omitempty"`
}

// Parse decodes a schema from JSON, fills in the defaults and validates it.
// A UTF-8 byte order mark before the JSON is ignored.
// Decoding is strict: an unknown field, a field given twice, a field whose
// name differs from the documented one only in case, a value of the wrong
// JSON type and anything after the schema object are errors, each naming the
// field at fault.
func Parse(data []byte) (*Schema, error) {
	s, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return s, nil
}

// Load reads and parses the schema file at path (see [Parse]). Its errors
// name the file.
func Load(path string) (*Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading schema: %w", err)
	}
	s, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("schema file %s: %w", path, err)
	}
	return s, nil
}

func parse(data []byte) (*Schema, error) {
	// Editors on Windows save UTF-8 with a byte order mark, which JSON
	// does not allow but which carries no meaning: drop it.
	data = bytes.TrimPrefix(data, bom)
	if err := checkFields(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Schema
	if err := dec.Decode(&s); err != nil {
		return nil, jsonError(err)
	}
	s.applyDefaults()
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// schemaFields and columnFields are the JSON field names Parse accepts, in
// the order they are documented.
var (
	schemaFields = jsonNames(reflect.TypeFor[Schema]())
	columnFields = jsonNames(reflect.TypeFor[Column]())
)

func jsonNames(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}

// checkFields walks the JSON document and rejects what encoding/json lets
// through: duplicate fields (it keeps the last), field names that match
// only case-insensitively, and a top level that is not an object. It also
// reports unknown fields with the list of valid ones, which the decoder's
// own message does not give.
func checkFields(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("want a JSON object, got %s", describeToken(tok))
	}
	err = walkObject(dec, "", schemaFields, func(key string) error {
		if key == "columns" {
			return walkColumns(dec)
		}
		return skipValue(dec)
	})
	if err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the schema object; want a single JSON object")
	}
	return nil
}

// walkObject reads the fields of an object whose '{' has been read,
// checking each name against valid, and calls value to consume each value.
// path names the object in errors; it is empty for the schema itself.
func walkObject(dec *json.Decoder, path string, valid []string, value func(key string) error) error {
	prefix := ""
	if path != "" {
		prefix = path + ": "
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		key := tok.(string)
		if !slices.Contains(valid, key) {
			return fmt.Errorf("%sunknown field %q; want one of %s", prefix, key, quoteList(valid))
		}
		if seen[key] {
			return fmt.Errorf("%sfield %q given twice; want each field once", prefix, key)
		}
		seen[key] = true
		if err := value(key); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return jsonError(err)
	}
	return nil
}

// walkColumns checks the fields of each object in the columns array. A
// value of another shape is left to the decoder, which reports its type.
func walkColumns(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	if tok != json.Delim('[') {
		return skipRest(dec, tok)
	}
	for i := 0; dec.More(); i++ {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		if tok != json.Delim('{') {
			if err := skipRest(dec, tok); err != nil {
				return err
			}
			continue
		}
		path := fmt.Sprintf("columns[%d]", i)
		if err := walkObject(dec, path, columnFields, func(string) error { return skipValue(dec) }); err != nil {
			return err
		}
	}
	_, err = dec.Token() // ']'
	return jsonError(err)
}

// skipValue consumes one JSON value.
func skipValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	return skipRest(dec, tok)
}

// skipRest consumes the rest of a value whose first token is tok.
func skipRest(dec *json.Decoder, tok json.Token) error {
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

func describeToken(tok json.Token) string {
	switch tok.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	}
	return "an array"
}

// jsonError rewrites the decoder's errors so that they name the field and
// say what is valid, without the Go type names encoding/json uses.
func jsonError(err error) error {
	if err == nil {
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("invalid JSON at byte offset %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		return fmt.Errorf("%s: got a JSON %s; want %s", typ.Field, typ.Value, jsonKind(typ.Type))
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("unexpected end of JSON; want a complete JSON object")
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array of objects"
	case reflect.Struct:
		return "an object"
	}
	return t.String()
}

// applyDefaults fills in the fields whose zero value means a default.
func (s *Schema) applyDefaults() {
	if s.Separator == "" {
		s.Separator = DefaultSeparator
	}
	if len(s.MissingValues) == 0 {
		s.MissingValues = []string{""}
	}
}

// clone returns a deep copy of s.
func (s *Schema) clone() *Schema {
	c := *s
	c.Columns = slices.Clone(s.Columns)
	c.MissingValues = slices.Clone(s.MissingValues)
	return &c
}

// Validate checks that the schema is usable: column names are non-empty
// and unique, column types and the task are valid, the target is a column
// (numeric for regression, categorical for binary classification), the id,
// if set, is a column other than the target, binary classification has a
// positive label that can match, at least one column is left as a feature,
// and the separator is non-empty UTF-8 with no quote or line break.
// Validate checks s as it is: unlike [Parse] it does not fill in defaults,
// so an empty Separator is an error. Each message names the schema field,
// shows the bad value and says what is valid.
func (s *Schema) Validate() error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	return nil
}

func (s *Schema) validate() error {
	if len(s.Columns) == 0 {
		return errors.New("columns: empty; want the target and at least one feature column")
	}
	first := make(map[string]int, len(s.Columns))
	for i, c := range s.Columns {
		if c.Name == "" {
			return fmt.Errorf("columns[%d].name: empty; every column needs a name", i)
		}
		if j, dup := first[c.Name]; dup {
			return fmt.Errorf("columns[%d].name: %q is also the name of columns[%d]; want unique names", i, c.Name, j)
		}
		first[c.Name] = i
		if c.Type != Numeric && c.Type != Categorical {
			return fmt.Errorf("columns[%d].type: %q is not a column type; want %q or %q", i, c.Type, Numeric, Categorical)
		}
	}
	if s.Task != Regression && s.Task != BinaryClassification {
		return fmt.Errorf("task: %q is not a task; want %q or %q", s.Task, Regression, BinaryClassification)
	}
	t, ok := first[s.Target]
	if !ok {
		return fmt.Errorf("target: %q is not a column; want one of %s", s.Target, s.columnList())
	}
	switch s.Task {
	case Regression:
		if s.Columns[t].Type != Numeric {
			return fmt.Errorf("target: %q is %s; task %q needs a %s target", s.Target, s.Columns[t].Type, s.Task, Numeric)
		}
		if s.PositiveLabel != "" {
			return fmt.Errorf("positiveLabel: %q is set for task %q; want it empty, only %q uses it", s.PositiveLabel, s.Task, BinaryClassification)
		}
		if s.LabelTrimSuffix != "" {
			return fmt.Errorf("labelTrimSuffix: %q is set for task %q; want it empty, only %q uses it", s.LabelTrimSuffix, s.Task, BinaryClassification)
		}
	case BinaryClassification:
		if s.Columns[t].Type != Categorical {
			return fmt.Errorf("target: %q is %s; task %q needs a %s target, compared as text to positiveLabel", s.Target, s.Columns[t].Type, s.Task, Categorical)
		}
		if s.PositiveLabel == "" {
			return fmt.Errorf("positiveLabel: empty; task %q needs the target value that means the positive class", s.Task)
		}
		if s.LabelTrimSuffix != "" && strings.HasSuffix(s.PositiveLabel, s.LabelTrimSuffix) {
			return fmt.Errorf("positiveLabel: %q ends with labelTrimSuffix %q, so no trimmed label can match it; want the label without the suffix", s.PositiveLabel, s.LabelTrimSuffix)
		}
		if slices.Contains(s.missingValues(), s.PositiveLabel) {
			return fmt.Errorf("positiveLabel: %q is one of missingValues; want a value that is not missing", s.PositiveLabel)
		}
	}
	for i, c := range s.Columns {
		switch {
		case c.MaxCategories == 0:
		case c.MaxCategories < 0:
			return fmt.Errorf("columns[%d].maxCategories: %d is negative; want a positive count, or 0 for the default %d", i, c.MaxCategories, DefaultMaxCategories)
		case c.Type != Categorical:
			return fmt.Errorf("columns[%d].maxCategories: %d is set for %s column %q; want it only on categorical feature columns", i, c.MaxCategories, c.Type, c.Name)
		case c.Name == s.Target || c.Name == s.ID:
			return fmt.Errorf("columns[%d].maxCategories: %d is set for %q, which is not a feature (the target or the id); want it only on categorical feature columns", i, c.MaxCategories, c.Name)
		}
	}
	if s.ID != "" {
		if _, ok := first[s.ID]; !ok {
			return fmt.Errorf("id: %q is not a column; want one of %s, or no id", s.ID, s.columnList())
		}
		if s.ID == s.Target {
			return fmt.Errorf("id: %q is the target; want another column, or no id", s.ID)
		}
	}
	if len(s.FeatureIndexes()) == 0 {
		return fmt.Errorf("columns: no feature column; want at least one column besides the target %q and the id", s.Target)
	}
	if s.Separator == "" {
		return fmt.Errorf("separator: empty; want one or more characters, such as %q", DefaultSeparator)
	}
	if strings.ContainsAny(s.Separator, "\"\r\n") {
		return fmt.Errorf("separator: %q contains a quote or a line break; want other characters", s.Separator)
	}
	if !utf8.ValidString(s.Separator) {
		return fmt.Errorf("separator: %q is not valid UTF-8; want UTF-8 text", s.Separator)
	}
	if strings.ContainsAny(s.CommentPrefix, "\r\n") {
		return fmt.Errorf("commentPrefix: %q contains a line break; want characters that start a line", s.CommentPrefix)
	}
	return nil
}

// missingValues returns the missing values with the default applied.
func (s *Schema) missingValues() []string {
	if len(s.MissingValues) == 0 {
		return []string{""}
	}
	return s.MissingValues
}

func (s *Schema) columnList() string {
	names := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		names[i] = c.Name
	}
	return quoteList(names)
}

// quoteList formats names as "a", "b", "c".
func quoteList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(n))
	}
	return b.String()
}

// TargetIndex returns the index in Columns of the target column, or -1 if
// no column has the target's name (which Validate rejects).
func (s *Schema) TargetIndex() int {
	return s.index(s.Target)
}

// IDIndex returns the index in Columns of the id column, or -1 if the schema
// has none.
func (s *Schema) IDIndex() int {
	if s.ID == "" {
		return -1
	}
	return s.index(s.ID)
}

func (s *Schema) index(name string) int {
	return slices.IndexFunc(s.Columns, func(c Column) bool { return c.Name == name })
}

// FeatureIndexes returns the indexes in Columns of the feature columns:
// every column that is neither the target nor the id, in schema order. The
// slice is new on each call.
func (s *Schema) FeatureIndexes() []int {
	idx := make([]int, 0, len(s.Columns))
	for i, c := range s.Columns {
		if c.Name != s.Target && (s.ID == "" || c.Name != s.ID) {
			idx = append(idx, i)
		}
	}
	return idx
}

// WriteJSON writes the schema, with its defaults filled in, to w as
// indented JSON that [Parse] reads back into an equal schema with the same
// fingerprint. Jobs use it to store the schema beside a model.
func (s *Schema) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	c := s.clone()
	c.applyDefaults()
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("writing schema: %w", err)
	}
	return nil
}

// Fingerprint returns the hex-encoded SHA-256 of the schema's canonical
// JSON: encoding/json's compact output for the schema with its defaults
// filled in. Two schema files that differ only in formatting, in the order
// of their JSON object fields or in spelling out defaults have the same
// fingerprint; the order of the columns does matter. A model records it so
// that data can be checked against the schema the model was trained with.
func (s *Schema) Fingerprint() string {
	c := s.clone()
	c.applyDefaults()
	data, err := json.Marshal(c)
	if err != nil {
		// A Schema holds only strings, bools and slices of them.
		panic(fmt.Sprintf("dataset: marshaling a schema: %v", err))
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

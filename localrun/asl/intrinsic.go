package asl

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"maps"
	"math"
	"strconv"
	"strings"
)

// env is what paths and intrinsic functions are evaluated against: the data
// ($) and the context object ($$).
type env struct {
	input   any
	context any
	uuid    func() string
}

// expr is a compiled value expression: a path, a literal or an intrinsic call.
type expr interface {
	eval(e *env) (any, *TaskError)
	String() string
}

// pathExpr reads a path; a path that matches nothing is States.Runtime, as in
// Step Functions.
type pathExpr struct{ p *path }

func (x pathExpr) eval(e *env) (any, *TaskError) {
	root := e.input
	if x.p.context {
		root = e.context
	}
	v, ok := x.p.get(root)
	if !ok {
		return nil, runtimeErr("the JSONPath %s could not be found in the input", x.p.raw)
	}
	return v, nil
}

func (x pathExpr) String() string { return x.p.raw }

// litExpr is a literal argument of an intrinsic function. For strings raw
// keeps the escapes, which States.Format needs to tell {} from \{\}.
type litExpr struct {
	v   any
	raw string
}

func (x litExpr) eval(*env) (any, *TaskError) { return x.v, nil }

func (x litExpr) String() string { return x.raw }

// callExpr is a compiled intrinsic function call.
type callExpr struct {
	name   string
	args   []expr
	raw    string
	format []string // States.Format: the template split at its placeholders
}

func (x *callExpr) String() string { return x.raw }

// intrinsic describes one supported intrinsic function.
type intrinsic struct {
	minArgs, maxArgs int // maxArgs < 0 means variadic
	fn               func(x *callExpr, args []any, e *env) (any, *TaskError)
}

var intrinsics map[string]intrinsic

func init() {
	// Assigned in init because the table refers to functions that refer
	// back to it through compileExpr.
	intrinsics = map[string]intrinsic{
		"States.Format":       {1, -1, fnFormat},
		"States.StringToJson": {1, 1, fnStringToJSON},
		"States.JsonToString": {1, 1, fnJSONToString},
		"States.JsonMerge":    {3, 3, fnJSONMerge},
		"States.Hash":         {2, 2, fnHash},
		"States.Array":        {0, -1, fnArray},
		"States.ArrayGetItem": {2, 2, fnArrayGetItem},
		"States.MathAdd":      {2, 2, fnMathAdd},
		"States.UUID":         {0, 0, fnUUID},
	}
}

var hashes = map[string]func() hash.Hash{
	"MD5":     md5.New,
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-384": sha512.New384,
	"SHA-512": sha512.New,
}

func (x *callExpr) eval(e *env) (any, *TaskError) {
	args := make([]any, len(x.args))
	for i, a := range x.args {
		v, err := a.eval(e)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return intrinsics[x.name].fn(x, args, e)
}

// compileExpr compiles the value of a "key.$" field, an ErrorPath or a
// CausePath: either a path or an intrinsic function call.
func compileExpr(s string) (expr, error) {
	if strings.HasPrefix(s, "$") {
		p, err := parsePath(s)
		if err != nil {
			return nil, err
		}
		return pathExpr{p}, nil
	}
	if !strings.HasPrefix(s, "States.") {
		return nil, fmt.Errorf("%q is neither a path nor an intrinsic function", s)
	}
	ps := &intrinsicParser{s: s}
	c, err := ps.call()
	if err != nil {
		return nil, fmt.Errorf("intrinsic function %q: %w", s, err)
	}
	if ps.skipSpace(); ps.pos != len(s) {
		return nil, fmt.Errorf("intrinsic function %q: unexpected text after the call", s)
	}
	return c, nil
}

// intrinsicParser is a recursive-descent parser for intrinsic function calls.
type intrinsicParser struct {
	s   string
	pos int
}

func (p *intrinsicParser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *intrinsicParser) call() (*callExpr, error) {
	start := p.pos
	for p.pos < len(p.s) && (isIdent(p.s[p.pos]) || p.s[p.pos] == '.') {
		p.pos++
	}
	name := p.s[start:p.pos]
	def, ok := intrinsics[name]
	if !ok {
		return nil, fmt.Errorf("intrinsic function %s is not supported", name)
	}
	p.skipSpace()
	if p.pos >= len(p.s) || p.s[p.pos] != '(' {
		return nil, fmt.Errorf("expected ( after %s", name)
	}
	p.pos++
	c := &callExpr{name: name}
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == ')' {
		p.pos++
	} else {
		for {
			p.skipSpace()
			a, err := p.arg()
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
			p.skipSpace()
			if p.pos >= len(p.s) {
				return nil, fmt.Errorf("missing ) after the arguments of %s", name)
			}
			if p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.s[p.pos] == ')' {
				p.pos++
				break
			}
			return nil, fmt.Errorf("unexpected %q in the arguments of %s", p.s[p.pos], name)
		}
	}
	c.raw = p.s[start:p.pos]
	if len(c.args) < def.minArgs || (def.maxArgs >= 0 && len(c.args) > def.maxArgs) {
		return nil, fmt.Errorf("%s takes %s arguments, got %d", name, arity(def), len(c.args))
	}
	return c, c.check()
}

func arity(d intrinsic) string {
	switch {
	case d.maxArgs < 0:
		return fmt.Sprintf("at least %d", d.minArgs)
	case d.minArgs == d.maxArgs:
		return strconv.Itoa(d.minArgs)
	default:
		return fmt.Sprintf("%d to %d", d.minArgs, d.maxArgs)
	}
}

// check validates what can be known before running: literal string escapes,
// the States.Format template, the hash algorithm and the merge mode.
func (c *callExpr) check() error {
	for i, a := range c.args {
		l, ok := a.(litExpr)
		if !ok {
			continue
		}
		if _, isStr := l.v.(string); !isStr {
			continue
		}
		if c.name == "States.Format" && i == 0 {
			pieces, err := splitFormat(l.raw)
			if err != nil {
				return err
			}
			if len(pieces)-1 != len(c.args)-1 {
				return fmt.Errorf("States.Format template has %d placeholders but %d values", len(pieces)-1, len(c.args)-1)
			}
			c.format = pieces
			continue
		}
		if strings.ContainsAny(unescapedBraces(l.raw), "{}") {
			return fmt.Errorf("string literal '%s' of %s has unescaped { or }", l.raw, c.name)
		}
	}
	switch c.name {
	case "States.Format":
		if c.format == nil {
			return fmt.Errorf("the first argument of States.Format must be a string literal")
		}
	case "States.Hash":
		if l, ok := c.args[1].(litExpr); ok {
			if alg, _ := l.v.(string); hashes[alg] == nil {
				return fmt.Errorf("States.Hash algorithm %s is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512", l.raw)
			}
		}
	case "States.JsonMerge":
		if l, ok := c.args[2].(litExpr); ok && l.v != false {
			return fmt.Errorf("States.JsonMerge supports only a shallow merge (third argument false), got %s", l.raw)
		}
	}
	return nil
}

// unescapedBraces returns raw with every escaped character removed, so that
// only the braces that were not escaped remain to be found.
func unescapedBraces(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' {
			i++
			continue
		}
		b.WriteByte(raw[i])
	}
	return b.String()
}

// splitFormat splits a States.Format template at its {} placeholders and
// resolves the escapes \' \{ \} and \\.
func splitFormat(raw string) ([]string, error) {
	var pieces []string
	var cur strings.Builder
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '\\':
			i++
			cur.WriteByte(raw[i])
		case '{':
			if i+1 >= len(raw) || raw[i+1] != '}' {
				return nil, fmt.Errorf("States.Format template '%s' has a { that is neither escaped nor part of {}", raw)
			}
			pieces = append(pieces, cur.String())
			cur.Reset()
			i++
		case '}':
			return nil, fmt.Errorf("States.Format template '%s' has an unescaped }", raw)
		default:
			cur.WriteByte(c)
		}
	}
	return append(pieces, cur.String()), nil
}

func isIdent(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *intrinsicParser) arg() (expr, error) {
	if p.pos >= len(p.s) {
		return nil, fmt.Errorf("missing argument")
	}
	rest := p.s[p.pos:]
	switch c := rest[0]; {
	case c == '\'':
		return p.stringLit()
	case c == '$':
		return p.pathArg()
	case c == '-' || (c >= '0' && c <= '9'):
		n := 0
		for n < len(rest) && strings.IndexByte("0123456789.eE+-", rest[n]) >= 0 {
			n++
		}
		tok := rest[:n]
		if _, err := strconv.ParseFloat(tok, 64); err != nil || !json.Valid([]byte(tok)) {
			return nil, fmt.Errorf("invalid number %q", tok)
		}
		p.pos += n
		return litExpr{v: json.Number(tok), raw: tok}, nil
	case strings.HasPrefix(rest, "States."):
		return p.call()
	}
	for word, v := range map[string]any{"true": true, "false": false, "null": nil} {
		if strings.HasPrefix(rest, word) && (len(rest) == len(word) || !isIdent(rest[len(word)])) {
			p.pos += len(word)
			return litExpr{v: v, raw: word}, nil
		}
	}
	return nil, fmt.Errorf("unsupported argument starting at %q", rest)
}

// stringLit reads a single-quoted literal; the backslash escapes \' \{ \} and
// \\ are the only ones intrinsic functions define.
func (p *intrinsicParser) stringLit() (expr, error) {
	start := p.pos + 1
	var b strings.Builder
	for i := start; i < len(p.s); i++ {
		switch c := p.s[i]; c {
		case '\\':
			if i+1 >= len(p.s) || strings.IndexByte(`'{}\`, p.s[i+1]) < 0 {
				return nil, fmt.Errorf("invalid escape in string literal at %q", p.s[i:])
			}
			i++
			b.WriteByte(p.s[i])
		case '\'':
			p.pos = i + 1
			return litExpr{v: b.String(), raw: p.s[start:i]}, nil
		default:
			b.WriteByte(c)
		}
	}
	return nil, fmt.Errorf("unterminated string literal %q", p.s[p.pos:])
}

// pathArg reads a path argument up to the next , or ) outside brackets.
func (p *intrinsicParser) pathArg() (expr, error) {
	start, depth, quoted := p.pos, 0, false
	for ; p.pos < len(p.s); p.pos++ {
		c := p.s[p.pos]
		if quoted {
			quoted = c != '\''
			continue
		}
		switch {
		case c == '\'':
			quoted = true
		case c == '[':
			depth++
		case c == ']':
			depth--
		case depth == 0 && (c == ',' || c == ')' || c == ' ' || c == '\t'):
			goto done
		}
	}
done:
	pp, err := parsePath(p.s[start:p.pos])
	if err != nil {
		return nil, err
	}
	return pathExpr{pp}, nil
}

func fnFormat(x *callExpr, args []any, _ *env) (any, *TaskError) {
	var b strings.Builder
	b.WriteString(x.format[0])
	for i, v := range args[1:] {
		s, err := formatValue(v)
		if err != nil {
			return nil, runtimeErr("%s: argument %s: %s", x.raw, x.args[i+1], err)
		}
		b.WriteString(s)
		b.WriteString(x.format[i+1])
	}
	return b.String(), nil
}

// formatValue renders a States.Format argument. Objects and arrays are
// rejected rather than serialized because we cannot be sure their rendering
// would match Step Functions.
func formatValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return formatNumber(v), nil
	case bool:
		return strconv.FormatBool(v), nil
	case nil:
		return "null", nil
	default:
		return "", fmt.Errorf("is a JSON %s; States.Format accepts only strings, numbers, booleans and null", jsonType(v))
	}
}

// formatNumber prints integral values without a fraction ("6", not "6.0")
// and others in their shortest form.
func formatNumber(n json.Number) string {
	if i, err := n.Int64(); err == nil {
		return strconv.FormatInt(i, 10)
	}
	f, err := n.Float64()
	if err != nil {
		return n.String()
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func fnStringToJSON(x *callExpr, args []any, _ *env) (any, *TaskError) {
	s, ok := args[0].(string)
	if !ok {
		return nil, runtimeErr("%s: the argument is a JSON %s, not a string", x.raw, jsonType(args[0]))
	}
	v, err := decodeJSON([]byte(s))
	if err != nil {
		return nil, runtimeErr("%s: %v", x.raw, err)
	}
	return v, nil
}

func fnJSONToString(x *callExpr, args []any, _ *env) (any, *TaskError) {
	s, err := encodeJSON(args[0])
	if err != nil {
		return nil, runtimeErr("%s: %v", x.raw, err)
	}
	return s, nil
}

func fnJSONMerge(x *callExpr, args []any, _ *env) (any, *TaskError) {
	a, okA := args[0].(map[string]any)
	b, okB := args[1].(map[string]any)
	if !okA || !okB {
		return nil, runtimeErr("%s: both values must be JSON objects, got %s and %s", x.raw, jsonType(args[0]), jsonType(args[1]))
	}
	if args[2] != false {
		return nil, runtimeErr("%s: only a shallow merge (third argument false) is supported", x.raw)
	}
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out, nil
}

func fnHash(x *callExpr, args []any, _ *env) (any, *TaskError) {
	data, ok := args[0].(string)
	if !ok {
		return nil, runtimeErr("%s: the data is a JSON %s, not a string", x.raw, jsonType(args[0]))
	}
	alg, _ := args[1].(string)
	newHash := hashes[alg]
	if newHash == nil {
		return nil, runtimeErr("%s: unsupported hash algorithm %v", x.raw, args[1])
	}
	h := newHash()
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnArray(_ *callExpr, args []any, _ *env) (any, *TaskError) {
	return append([]any{}, args...), nil
}

func fnArrayGetItem(x *callExpr, args []any, _ *env) (any, *TaskError) {
	arr, ok := args[0].([]any)
	if !ok {
		return nil, runtimeErr("%s: the first argument is a JSON %s, not an array", x.raw, jsonType(args[0]))
	}
	i, ok := integer(args[1])
	if !ok || i < 0 || i >= int64(len(arr)) {
		return nil, runtimeErr("%s: index %v is not an integer within the array of length %d", x.raw, args[1], len(arr))
	}
	return arr[i], nil
}

func fnMathAdd(x *callExpr, args []any, _ *env) (any, *TaskError) {
	a, okA := integer(args[0])
	b, okB := integer(args[1])
	if !okA || !okB {
		return nil, runtimeErr("%s: both values must be integers, got %v and %v", x.raw, args[0], args[1])
	}
	return json.Number(strconv.FormatInt(a+b, 10)), nil
}

func fnUUID(_ *callExpr, _ []any, e *env) (any, *TaskError) {
	return e.uuid(), nil
}

// integer returns v as an int64 when it is a number without a fraction.
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// decodeJSON decodes exactly one JSON value, keeping numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

// encodeJSON encodes compactly without escaping <, > and &, which Step
// Functions leaves as they are.
func encodeJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// normalize turns any JSON-encodable Go value into the generic form the
// executor works on (map[string]any, []any, string, json.Number, bool, nil)
// and, as a side effect, deep-copies it.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeJSON(b)
}

package apimodel

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/dlclark/regexp2"
)

// Botocore's patterns come from the services' Smithy models, whose pattern
// trait is an ECMA 262 / Java style regular expression that is not
// implicitly anchored (Smithy 2.0 specification, "Constraint traits",
// pattern trait: https://smithy.io/2.0/spec/constraint-traits.html#pattern-trait):
// a value passes when the pattern matches some part of it, so
// "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}" only constrains how a job name
// starts, and its length limit does the rest.
//
// Go's regexp is RE2, which lacks some Java syntax. Translate rewrites what
// has an RE2 equivalent. A pattern that needs lookaround or a back
// reference elsewhere is compiled by regexp2, a backtracking engine with
// .NET syntax, which shares Java's lookaround, back references and atomic
// groups (with a match timeout). What neither can compile is an error, so
// that a pattern is checked or reported as unchecked, never skipped.

var compiled sync.Map // Java pattern -> compileResult

type compileResult struct {
	p   *Pattern
	err error
}

// Pattern is a compiled botocore pattern.
type Pattern struct {
	re *regexp.Regexp
	// bt is the backtracking form, used when re is nil.
	bt *regexp2.Regexp
	// not are conditions a value must not meet: a leading "^(?!X)" or a
	// trailing "(?<!X)$" of the Java pattern, which RE2 cannot express
	// inline but which are plain tests on the value's start or end.
	not []*regexp.Regexp
}

// MatchString reports whether s satisfies the pattern.
func (p *Pattern) MatchString(s string) bool {
	if p.bt != nil {
		ok, err := p.bt.MatchString(s)
		return ok && err == nil
	}
	if !p.re.MatchString(s) {
		return false
	}
	for _, n := range p.not {
		if n.MatchString(s) {
			return false
		}
	}
	return true
}

// Compile translates a botocore (Java) pattern to RE2 and compiles it. The
// error names what could not be translated.
func Compile(pattern string) (*Pattern, error) {
	if r, ok := compiled.Load(pattern); ok {
		c := r.(compileResult)
		return c.p, c.err
	}
	var c compileResult
	c.p, c.err = compile(pattern)
	if c.err != nil {
		c.err = fmt.Errorf("pattern %q: %w", pattern, c.err)
	}
	compiled.Store(pattern, c)
	return c.p, c.err
}

func compile(java string) (*Pattern, error) {
	p, err := compileRE2(java)
	if err == nil || !errors.Is(err, errLookaround) {
		return p, err
	}
	bt, btErr := regexp2.Compile(java, regexp2.None)
	if btErr != nil {
		return nil, fmt.Errorf("%w; nor as a backtracking expression: %v", err, btErr)
	}
	bt.MatchTimeout = time.Second
	return &Pattern{bt: bt}, nil
}

// errLookaround marks syntax that only a backtracking engine has.
var errLookaround = errors.New("needs a backtracking engine")

func compileRE2(java string) (*Pattern, error) {
	p := &Pattern{}
	// A negative lookahead right after the leading ^, or a negative
	// lookbehind right before the final $, of a pattern without top-level
	// alternatives only tests how the value starts or ends.
	if !topLevelAlternation(java) {
		if rest, ok := strings.CutPrefix(java, "^(?!"); ok {
			if i := groupEnd(rest); i >= 0 {
				cond, err := translateRE("^(?:" + rest[:i] + ")")
				if err != nil {
					return nil, err
				}
				p.not = append(p.not, cond)
				java = "^" + rest[i+1:]
			}
		}
		if i := strings.LastIndex(java, "(?<!"); i >= 0 && strings.HasSuffix(java, ")$") {
			body := java[i+4 : len(java)-1]
			if groupEnd(body) == len(body)-1 {
				cond, err := translateRE("(?:" + body[:len(body)-1] + ")$")
				if err != nil {
					return nil, err
				}
				p.not = append(p.not, cond)
				java = java[:i] + "$"
			}
		}
	}
	re, err := translateRE(java)
	if err != nil {
		return nil, err
	}
	p.re = re
	return p, nil
}

func translateRE(java string) (*regexp.Regexp, error) {
	t, err := Translate(java)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(t)
	if err != nil {
		return nil, fmt.Errorf("as RE2 %q: %w", t, err)
	}
	return re, nil
}

// groupEnd returns the index of the ')' that closes a group whose body
// starts at s[0], or -1.
func groupEnd(s string) int {
	return scanGroups(s, func(c byte, depth int) bool { return c == ')' && depth == 0 })
}

// topLevelAlternation reports whether a '|' separates whole alternatives.
func topLevelAlternation(s string) bool {
	return scanGroups(s, func(c byte, depth int) bool { return c == '|' && depth == 0 }) >= 0
}

// scanGroups walks s outside escapes and character classes and returns the
// index of the first character c for which stop(c, depth) holds, depth
// being the group nesting just before c, or -1.
func scanGroups(s string, stop func(c byte, depth int) bool) int {
	depth, inClass := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
			continue
		case inClass:
			inClass = c != ']'
			continue
		case c == '[':
			inClass = true
			continue
		}
		if stop(c, depth) {
			return i
		}
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		}
	}
	return -1
}

// posixClasses are Java's POSIX \p{...} classes (US-ASCII only, as in
// java.util.regex.Pattern) by their RE2 bracket names.
var posixClasses = map[string]string{
	"Lower": "lower", "Upper": "upper", "ASCII": "ascii", "Alpha": "alpha",
	"Digit": "digit", "Alnum": "alnum", "Punct": "punct", "Graph": "graph",
	"Print": "print", "Blank": "blank", "Cntrl": "cntrl", "XDigit": "xdigit",
	"Space": "space",
}

// javaClasses are the java.lang.Character classes of Pattern, and the
// Unicode binary properties it spells with "Is", as RE2 classes.
var javaClasses = map[string]string{
	"javaLowerCase": `\p{Ll}`, "javaUpperCase": `\p{Lu}`, "javaWhitespace": `\s`,
	"javaMirrored": "", "IsAlphabetic": `\p{L}\p{Nl}`, "IsLetter": `\p{L}`,
	"IsDigit": `\p{Nd}`, "IsUppercase": `\p{Lu}`, "IsLowercase": `\p{Ll}`,
	"IsWhite_Space": `\s\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}`,
	"IsPunctuation": `\p{P}`, "IsControl": `\p{Cc}`,
}

// Translate rewrites a Java regular expression into RE2 syntax: possessive
// quantifiers become greedy ones (RE2 never backtracks, so a match found
// either way is the same for the patterns AWS uses), \p{Alpha}-style POSIX
// classes become [[:alpha:]], \p{IsLatin}/\p{script=Latin} become
// \p{Latin}, \p{IsL}/\p{gc=L} become \p{L}, \uXXXX and \x{...} become
// \x{...}, \h, \v, \R and \Z get their Java meaning, \Q...\E is quoted.
// Lookaround, back references, atomic groups, class intersections (&&),
// nested class unions and Unicode blocks (\p{InGreek}) have no RE2 form and
// give an error.
func Translate(java string) (string, error) {
	t := &translation{rs: []rune(java), atom: -1}
	if err := t.run(); err != nil {
		return "", err
	}
	out := string(t.out)
	if strings.Contains(out, negatedInClass) {
		return "", fmt.Errorf(`a negated class such as \P{...} or \H inside [...] has no RE2 form`)
	}
	return out, nil
}

// maxRepeat is the largest repeat count RE2 accepts.
const maxRepeat = 1000

type translation struct {
	rs  []rune
	out []byte
	// atom is where the last atom (the operand of a quantifier) starts in
	// out, or -1; groups holds the starts of the open groups.
	atom   int
	groups []int
	// quantified is true right after a quantifier.
	quantified bool
}

func (t *translation) write(s string) { t.out = append(t.out, s...) }

// atomic writes s as a new atom.
func (t *translation) atomic(s string) {
	t.atom = len(t.out)
	t.write(s)
	t.quantified = false
}

func (t *translation) run() error {
	rs := t.rs
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\':
			next, err := t.escape(i, false)
			if err != nil {
				return err
			}
			i = next
		case c == '[':
			next, err := t.class(i)
			if err != nil {
				return err
			}
			i = next
		case c == '(':
			t.groups = append(t.groups, len(t.out))
			t.quantified = false
			if i+2 < len(rs) && rs[i+1] == '?' {
				switch rs[i+2] {
				case '=', '!':
					return fmt.Errorf("lookahead at offset %d has no RE2 form: %w", i, errLookaround)
				case '>':
					return fmt.Errorf("atomic group at offset %d has no RE2 form: %w", i, errLookaround)
				case '<':
					if i+3 < len(rs) && (rs[i+3] == '=' || rs[i+3] == '!') {
						return fmt.Errorf("lookbehind at offset %d has no RE2 form: %w", i, errLookaround)
					}
					t.write("(?P<")
					i += 2
					continue
				}
			}
			t.write("(")
		case c == ')':
			if len(t.groups) == 0 {
				return fmt.Errorf("unbalanced ) at offset %d", i)
			}
			t.write(")")
			t.atom = t.groups[len(t.groups)-1]
			t.groups = t.groups[:len(t.groups)-1]
			t.quantified = false
		case c == '|':
			t.write("|")
			t.atom, t.quantified = -1, false
		case c == '^' || c == '$':
			t.write(string(c))
			t.atom, t.quantified = -1, false
		case (c == '+' || c == '?') && t.quantified:
			// '+' after a quantifier makes it possessive, which RE2 does
			// not have: drop it. '?' makes it lazy, as in RE2.
			if c == '?' {
				t.write("?")
			}
			t.quantified = false
			t.atom = -1
		case c == '*' || c == '+' || c == '?':
			t.nest()
			t.write(string(c))
			t.quantified = true
		case c == '{':
			m, n, next, ok := repeat(rs, i)
			if !ok {
				t.atomic(`\{`)
				continue
			}
			t.nest()
			t.quantify(m, n)
			t.quantified = true
			i = next
		default:
			t.atomic(string(c))
		}
	}
	if len(t.groups) > 0 {
		return fmt.Errorf("unbalanced (")
	}
	return nil
}

// nest wraps the last atom with its quantifier in a group when another
// quantifier follows (Java's X{11}{0,5} is (X{11}){0,5}; RE2 rejects the
// nested form).
func (t *translation) nest() {
	if t.quantified && t.atom >= 0 {
		inner := string(t.out[t.atom:])
		t.out = append(t.out[:t.atom], "(?:"+inner+")"...)
	}
}

// quantify applies {m,n} (n < 0: no upper bound) to the last atom,
// splitting counts above RE2's limit of 1000 into a sequence:
// X{0,1023} becomes (?:X){0,1000}(?:X){0,23}.
func (t *translation) quantify(m, n int) {
	if m <= maxRepeat && n <= maxRepeat || t.atom < 0 {
		if n < 0 {
			t.write(fmt.Sprintf("{%d,}", m))
		} else if m == n {
			t.write(fmt.Sprintf("{%d}", m))
		} else {
			t.write(fmt.Sprintf("{%d,%d}", m, n))
		}
		return
	}
	a := "(?:" + string(t.out[t.atom:]) + ")"
	var parts []string
	for left := m; left > 0; left -= maxRepeat {
		parts = append(parts, fmt.Sprintf("%s{%d}", a, min(left, maxRepeat)))
	}
	if n < 0 {
		parts = append(parts, a+"*")
	}
	for left := n - m; n >= 0 && left > 0; left -= maxRepeat {
		parts = append(parts, fmt.Sprintf("%s{0,%d}", a, min(left, maxRepeat)))
	}
	start := t.atom
	t.out = append(t.out[:start], "(?:"+strings.Join(parts, "")+")"...)
	t.atom = start
}

// repeat parses {m}, {m,} or {m,n} at rs[i].
func repeat(rs []rune, i int) (m, n, end int, ok bool) {
	j := i + 1
	num := func() (int, bool) {
		v, k := 0, j
		for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
			v = v*10 + int(rs[j]-'0')
			j++
		}
		return v, j > k
	}
	m, ok = num()
	if !ok || j >= len(rs) {
		return 0, 0, 0, false
	}
	n = m
	if rs[j] == ',' {
		j++
		var has bool
		if n, has = num(); !has {
			n = -1
		}
	}
	if j >= len(rs) || rs[j] != '}' {
		return 0, 0, 0, false
	}
	return m, n, j, true
}

// class translates the character class starting at rs[i] and returns the
// index of its closing ']'.
func (t *translation) class(i int) (int, error) {
	rs := t.rs
	start := len(t.out)
	t.write("[")
	i++
	if i < len(rs) && rs[i] == '^' {
		t.write("^")
		i++
	}
	// A ']' right after '[' or '[^' is a literal in both syntaxes.
	if i < len(rs) && rs[i] == ']' {
		t.write(`\]`)
		i++
	}
	for ; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == ']':
			t.write("]")
			t.atom, t.quantified = start, false
			return i, nil
		case c == '\\':
			next, err := t.escape(i, true)
			if err != nil {
				return 0, err
			}
			i = next
		case c == '[':
			if i+1 < len(rs) && rs[i+1] == ':' {
				t.write("[")
				continue
			}
			return 0, fmt.Errorf("nested character class (Java class union) at offset %d has no RE2 form", i)
		case c == '&' && i+1 < len(rs) && rs[i+1] == '&':
			return 0, fmt.Errorf("character class intersection (&&) at offset %d has no RE2 form", i)
		default:
			t.write(string(c))
		}
	}
	return 0, fmt.Errorf("unterminated character class")
}

// escape translates the escape starting with the backslash at rs[i] and
// returns the index of its last rune.
func (t *translation) escape(i int, inClass bool) (int, error) {
	rs := t.rs
	if i+1 >= len(rs) {
		return 0, fmt.Errorf("trailing backslash")
	}
	i++
	e := rs[i]
	emit := func(s string) {
		if inClass {
			t.write(s)
		} else {
			t.atomic(s)
		}
	}
	switch {
	case e == 'p' || e == 'P':
		name, next, err := braced(rs, i+1)
		if err != nil {
			return 0, err
		}
		cls, err := property(name, e == 'P', inClass)
		if err != nil {
			return 0, err
		}
		emit(cls)
		return next, nil
	case e == 'u':
		r, next, err := unicodeEscape(rs, i)
		if err != nil {
			return 0, err
		}
		emit(fmt.Sprintf(`\x{%X}`, r))
		return next, nil
	case e == 'x' && i+1 < len(rs) && rs[i+1] != '{':
		if i+2 >= len(rs) {
			return 0, fmt.Errorf(`\x needs two hex digits`)
		}
		emit(`\x` + string(rs[i+1:i+3]))
		return i + 2, nil
	case e == 'h' || e == 'H':
		emit(wrap(`\t \x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}`, e == 'H', inClass))
	case e == 'v' || e == 'V':
		emit(wrap(`\n\x0B\f\r\x{85}\x{2028}\x{2029}`, e == 'V', inClass))
	case e == 'R' && !inClass:
		emit(`(?:\r\n|[\n\x0B\f\r\x{85}\x{2028}\x{2029}])`)
	case e == 'Z' && !inClass:
		t.write(`(?:\n?\z)`)
		t.atom, t.quantified = -1, false
	case e == 'e':
		emit(`\x1B`)
	case e == 'Q':
		rest := string(rs[i+1:])
		lit, _, found := strings.Cut(rest, `\E`)
		emit("(?:" + regexp.QuoteMeta(lit) + ")")
		i += len([]rune(lit))
		if found {
			i += 2
		}
	case e == 'k' || e == 'G' || (e >= '1' && e <= '9'):
		return 0, fmt.Errorf(`\%c (back reference or \G) has no RE2 form: %w`, e, errLookaround)
	case e == 'c':
		if i+1 >= len(rs) {
			return 0, fmt.Errorf(`\c needs a letter`)
		}
		i++
		emit(fmt.Sprintf(`\x%02X`, rs[i]^64))
	default:
		emit(`\` + string(e))
	}
	return i, nil
}

// unicodeEscape reads \uXXXX at rs[i] ('u'), joining a surrogate pair
// \uD83D\uDE00 into one code point as Java does.
func unicodeEscape(rs []rune, i int) (rune, int, error) {
	hex := func(at int) (rune, bool) {
		if at+4 >= len(rs) {
			return 0, false
		}
		var v rune
		for _, d := range rs[at+1 : at+5] {
			switch {
			case d >= '0' && d <= '9':
				v = v*16 + d - '0'
			case d >= 'a' && d <= 'f':
				v = v*16 + d - 'a' + 10
			case d >= 'A' && d <= 'F':
				v = v*16 + d - 'A' + 10
			default:
				return 0, false
			}
		}
		return v, true
	}
	r, ok := hex(i)
	if !ok {
		return 0, 0, fmt.Errorf(`\u needs four hex digits`)
	}
	end := i + 4
	if r >= 0xD800 && r <= 0xDBFF && end+2 < len(rs) && rs[end+1] == '\\' && rs[end+2] == 'u' {
		if lo, ok := hex(end + 2); ok && lo >= 0xDC00 && lo <= 0xDFFF {
			return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), end + 6, nil
		}
	}
	if r >= 0xD800 && r <= 0xDFFF {
		return 0, 0, fmt.Errorf(`lone surrogate \u%04X has no RE2 form`, r)
	}
	return r, end, nil
}

// braced reads a \p name: one letter, or {...} starting at i.
func braced(rs []rune, i int) (string, int, error) {
	if i >= len(rs) {
		return "", i, fmt.Errorf(`\p needs a property name`)
	}
	if rs[i] != '{' {
		return string(rs[i]), i, nil
	}
	end := strings.IndexRune(string(rs[i:]), '}')
	if end < 0 {
		return "", i, fmt.Errorf(`unterminated \p{`)
	}
	name := []rune(string(rs[i:])[1:end])
	return string(name), i + len(name) + 1, nil
}

// property translates the name of a Java \p{name} (negated for \P).
func property(name string, negated, inClass bool) (string, error) {
	if n, ok := posixClasses[name]; ok {
		if negated {
			n = "^" + n
		}
		if inClass {
			return "[:" + n + ":]", nil
		}
		return "[[:" + n + ":]]", nil
	}
	if set, ok := javaClasses[name]; ok && set != "" {
		return wrap(set, negated, inClass), nil
	}
	for _, prefix := range []string{"Is", "gc=", "general_category=", "sc=", "script=", "IsScript="} {
		if rest, ok := strings.CutPrefix(name, prefix); ok && rest != "" {
			name = rest
			break
		}
	}
	if strings.HasPrefix(name, "In") || strings.HasPrefix(name, "blk=") || strings.HasPrefix(name, "block=") {
		return "", fmt.Errorf(`\p{%s} is a Unicode block, which has no RE2 form`, name)
	}
	_, cat := unicode.Categories[name]
	_, script := unicode.Scripts[name]
	if !cat && !script {
		// Java accepts script names in any case: IsLATIN.
		for s := range unicode.Scripts {
			if strings.EqualFold(s, name) {
				name, script = s, true
				break
			}
		}
	}
	if !cat && !script {
		return "", fmt.Errorf(`\p{%s} has no RE2 form`, name)
	}
	p := "p"
	if negated {
		p = "P"
	}
	return `\` + p + "{" + name + "}", nil
}

// wrap gives a set of class items as a class, or as items inside the
// class being written. A negated set inside a class has no RE2 form: it
// gives a nested class that Translate then refuses.
func wrap(set string, negated, inClass bool) string {
	switch {
	case inClass && !negated:
		return set
	case inClass:
		return negatedInClass
	case negated:
		return "[^" + set + "]"
	default:
		return "[" + set + "]"
	}
}

// negatedInClass marks a negated class inside a class in Translate's
// output; Translate turns it into an error.
const negatedInClass = "\x00negated-in-class\x00"

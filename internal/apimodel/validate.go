package apimodel

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Rules a Violation names.
const (
	RuleUnknownMember = "unknown member"
	RuleRequired      = "required"
	RuleType          = "type"
	RuleEnum          = "enum"
	RuleLength        = "length"
	RulePattern       = "pattern"
	RuleRange         = "range"
	RuleSize          = "size"
	RuleUnion         = "union"
)

// Violation is one way a request breaks its operation's input model.
type Violation struct {
	// Path locates the value in the request, such as
	// ProcessingResources.ClusterConfig.InstanceCount or Tags[0].Value;
	// empty for the request itself.
	Path string
	// Rule is one of the Rule* constants.
	Rule string
	// Message says what is wrong and what the model allows.
	Message string
}

// String returns "path: rule: message".
func (v Violation) String() string {
	p := v.Path
	if p == "" {
		p = "(request)"
	}
	return p + ": " + v.Rule + ": " + v.Message
}

// Dynamic stands for a value that is only known when the state runs, such
// as a Parameters entry whose name ends in ".$". Validate checks that its
// member exists but not its value.
type Dynamic struct {
	// Expr is the path or intrinsic function that computes the value.
	Expr string
}

// Options adjusts Validate.
type Options struct {
	// Deferred, when set, reports whether a string is a stand-in for a
	// value only a deployment knows (such as the ARN of a role created by
	// the stack). Such a string is checked for its type only.
	Deferred func(string) bool
}

// Validate checks a decoded JSON request (objects as map[string]any,
// numbers as float64 or json.Number) against the operation's input shape
// and returns every violation, in a stable order.
func (op *Operation) Validate(request any, opt Options) []Violation {
	v := &validator{svc: op.Service, opt: opt}
	if op.Input.Shape == "" {
		if m, ok := request.(map[string]any); !ok || len(m) > 0 {
			v.add("", RuleUnknownMember, "%s takes no input", op.Name)
		}
		return v.out
	}
	v.value("", op.Input.Shape, request, true)
	return v.out
}

type validator struct {
	svc *Service
	opt Options
	out []Violation
}

func (v *validator) add(path, rule, format string, args ...any) {
	v.out = append(v.out, Violation{Path: path, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

// value checks x against the shape named name. top is true for the
// request itself.
func (v *validator) value(path, name string, x any, top bool) {
	sh, ok := v.svc.Shapes[name]
	if !ok {
		v.add(path, RuleType, "the model %s has no shape %q", v.svc.File, name)
		return
	}
	if d, ok := x.(Dynamic); ok {
		_ = d // computed at run time: only its member name is checked
		return
	}
	switch sh.Type {
	case "structure":
		if sh.Document {
			return
		}
		m, ok := x.(map[string]any)
		if !ok {
			v.typeErr(path, name, "an object", x)
			return
		}
		v.structure(path, name, sh, m)
	case "list":
		l, ok := x.([]any)
		if !ok {
			v.typeErr(path, name, "a list", x)
			return
		}
		v.bounds(path, RuleSize, "items", float64(len(l)), sh)
		for i, e := range l {
			v.value(fmt.Sprintf("%s[%d]", path, i), sh.Member.Shape, e, false)
		}
	case "map":
		m, ok := x.(map[string]any)
		if !ok {
			v.typeErr(path, name, "an object", x)
			return
		}
		v.bounds(path, RuleSize, "entries", float64(len(m)), sh)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			p := fmt.Sprintf("%s[%s]", path, strconv.Quote(k))
			v.value(p+" (key)", sh.Key.Shape, k, false)
			v.value(p, sh.Value.Shape, m[k], false)
		}
	case "string":
		s, ok := x.(string)
		if !ok {
			v.typeErr(path, name, "a string", x)
			return
		}
		v.str(path, name, sh, s)
	case "blob":
		s, ok := x.(string)
		if !ok {
			v.typeErr(path, name, "a string", x)
			return
		}
		v.bounds(path, RuleLength, "bytes", float64(len(s)), sh)
	case "boolean":
		if _, ok := x.(bool); !ok {
			v.typeErr(path, name, "a boolean", x)
		}
	case "integer", "long":
		n, ok := number(x)
		if !ok || n != math.Trunc(n) {
			v.typeErr(path, name, "an integer", x)
			return
		}
		v.bounds(path, RuleRange, "", n, sh)
	case "float", "double":
		n, ok := number(x)
		if !ok {
			v.typeErr(path, name, "a number", x)
			return
		}
		v.bounds(path, RuleRange, "", n, sh)
	case "timestamp":
		// Step Functions passes timestamps as ISO 8601 text or epoch
		// seconds.
		if _, ok := x.(string); ok {
			return
		}
		if _, ok := number(x); !ok {
			v.typeErr(path, name, "a timestamp (ISO 8601 text or epoch seconds)", x)
		}
	default:
		v.add(path, RuleType, "shape %s has type %q, which this validator does not know", name, sh.Type)
	}
}

func (v *validator) structure(path, name string, sh *Shape, m map[string]any) {
	members := slices.Sorted(maps.Keys(sh.Members))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		ref, ok := sh.Members[k]
		if !ok {
			v.add(join(path, k), RuleUnknownMember, "%s has no member %q%s", name, k, suggestion(k, members))
			continue
		}
		v.value(join(path, k), ref.Shape, m[k], false)
	}
	for _, r := range sh.Required {
		if _, ok := m[r]; !ok && !sh.Members[r].IdempotencyToken {
			v.add(join(path, r), RuleRequired, "%s requires member %s", name, r)
		}
	}
	if sh.Union && len(m) != 1 {
		v.add(path, RuleUnion, "%s is a union: set exactly one of %s, not %d", name, strings.Join(members, ", "), len(m))
	}
}

func (v *validator) str(path, name string, sh *Shape, s string) {
	if v.opt.Deferred != nil && v.opt.Deferred(s) {
		return
	}
	// Smithy's length trait counts a string's Unicode scalar values.
	v.bounds(path, RuleLength, "characters", float64(utf8.RuneCountInString(s)), sh)
	if len(sh.Enum) > 0 && !slices.Contains(sh.Enum, s) {
		v.add(path, RuleEnum, "%q is not a value of %s; valid: %s", s, name, strings.Join(sh.Enum, ", "))
	}
	if sh.Pattern != "" {
		re, err := Compile(sh.Pattern)
		switch {
		case err != nil:
			v.add(path, RulePattern, "the pattern of %s cannot be checked: %v", name, err)
		case !re.MatchString(s):
			v.add(path, RulePattern, "%q does not match the pattern of %s, %s", s, name, sh.Pattern)
		}
	}
}

// bounds checks n against the shape's min and max; unit names what n
// counts ("" for a number's value).
func (v *validator) bounds(path, rule, unit string, n float64, sh *Shape) {
	what := strconv.FormatFloat(n, 'g', -1, 64)
	if unit != "" {
		what += " " + unit
	}
	if sh.Min != nil && n < *sh.Min {
		v.add(path, rule, "%s, below the minimum %g", what, *sh.Min)
	}
	if sh.Max != nil && n > *sh.Max {
		v.add(path, rule, "%s, above the maximum %g", what, *sh.Max)
	}
}

func (v *validator) typeErr(path, name, want string, x any) {
	v.add(path, RuleType, "%s must be %s, not %s", name, want, jsonType(x))
}

func number(x any) (float64, bool) {
	switch n := x.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

func jsonType(x any) string {
	switch x := x.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		if _, ok := number(x); ok {
			return "a number"
		}
		return fmt.Sprintf("a %T", x)
	}
}

// suggestion returns `; did you mean "X"?` for the valid name closest to
// name (by edit distance, ignoring case), or "; valid: ..." when none is
// close.
func suggestion(name string, valid []string) string {
	best, bestD := "", math.MaxInt
	for _, c := range valid {
		if d := distance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" && bestD <= max(2, len(name)/3) {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	if len(valid) > 40 {
		return ""
	}
	return "; valid: " + strings.Join(valid, ", ")
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

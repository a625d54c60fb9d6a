package asl

//lint:file-ignore ST1005 ASL field names are case-sensitive (Next, Retry, Choices), and an error starts with the field it names, as the StartAt and TimeoutSeconds ones do

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// choiceRule is a compiled Choice rule: a Boolean combination (And, Or, Not)
// or a comparison of Variable against a literal or, for *Path operators,
// against another path.
type choiceRule struct {
	next     string
	and, or  []*choiceRule
	not      *choiceRule
	variable *path
	op       string // operator name without the Path suffix
	operand  any
	opPath   *path
}

// choiceOperand says what type of literal each supported operator takes.
var choiceOperand = map[string]string{
	"NumericEquals": "number", "NumericLessThan": "number", "NumericGreaterThan": "number",
	"NumericLessThanEquals": "number", "NumericGreaterThanEquals": "number",
	"StringEquals": "string", "StringLessThan": "string", "StringGreaterThan": "string",
	"StringLessThanEquals": "string", "StringGreaterThanEquals": "string", "StringMatches": "string",
	"BooleanEquals": "boolean",
	"IsPresent":     "boolean", "IsNull": "boolean", "IsNumeric": "boolean", "IsString": "boolean", "IsBoolean": "boolean",
}

// hasPathVariant lists the operators that also have a *Path form.
func hasPathVariant(op string) bool {
	return strings.HasPrefix(op, "Numeric") || (strings.HasPrefix(op, "String") && op != "StringMatches") || op == "BooleanEquals"
}

// compileChoiceRule compiles one rule; top-level rules carry Next, nested ones
// must not.
func compileChoiceRule(m map[string]any, topLevel bool) (*choiceRule, error) {
	r := &choiceRule{}
	var ops []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		switch k {
		case "Comment":
		case "Next":
			if !topLevel {
				return nil, fmt.Errorf("a nested choice rule must not have Next")
			}
			s, ok := v.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("Next must be a non-empty string")
			}
			r.next = s
		case "Variable":
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("Variable must be a string")
			}
			p, err := parsePath(s)
			if err != nil {
				return nil, err
			}
			r.variable = p
		case "And", "Or":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, fmt.Errorf("%s must be a non-empty array of rules", k)
			}
			for _, item := range list {
				sm, ok := item.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s must contain rule objects", k)
				}
				sub, err := compileChoiceRule(sm, false)
				if err != nil {
					return nil, err
				}
				if k == "And" {
					r.and = append(r.and, sub)
				} else {
					r.or = append(r.or, sub)
				}
			}
			ops = append(ops, k)
		case "Not":
			sm, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("Not must be a rule object")
			}
			sub, err := compileChoiceRule(sm, false)
			if err != nil {
				return nil, err
			}
			r.not = sub
			ops = append(ops, k)
		default:
			base, isPath := strings.CutSuffix(k, "Path")
			if isPath && hasPathVariant(base) {
				s, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("%s must be a path string", k)
				}
				p, err := parsePath(s)
				if err != nil {
					return nil, err
				}
				r.op, r.opPath = base, p
				ops = append(ops, k)
				continue
			}
			want, ok := choiceOperand[k]
			if !ok {
				return nil, fmt.Errorf("choice operator or field %q is not supported", k)
			}
			if got := jsonType(v); got != want {
				return nil, fmt.Errorf("%s needs a %s, got a %s", k, want, got)
			}
			r.op, r.operand = k, v
			ops = append(ops, k)
		}
	}
	switch {
	case len(ops) != 1:
		return nil, fmt.Errorf("a choice rule needs exactly one operator, got %v", ops)
	case topLevel && r.next == "":
		return nil, fmt.Errorf("a top-level choice rule needs Next")
	case r.op != "" && r.variable == nil:
		return nil, fmt.Errorf("operator %s needs Variable", ops[0])
	case r.op == "" && r.variable != nil:
		return nil, fmt.Errorf("%s does not take Variable", ops[0])
	}
	return r, nil
}

// eval reports whether the rule matches. A Variable (or *Path operand) that
// matches nothing is States.Runtime, except for IsPresent, as in Step
// Functions; a comparison between values of different types is false.
func (r *choiceRule) eval(e *env) (bool, *TaskError) {
	switch {
	case r.and != nil:
		for _, sub := range r.and {
			if ok, err := sub.eval(e); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, sub := range r.or {
			if ok, err := sub.eval(e); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.not != nil:
		ok, err := r.not.eval(e)
		return !ok && err == nil, err
	}
	v, found := lookup(r.variable, e)
	if r.op == "IsPresent" {
		return found == r.operand.(bool), nil
	}
	if !found {
		return false, runtimeErr("invalid path %s: the choice state's condition path references an invalid value", r.variable.raw)
	}
	operand := r.operand
	if r.opPath != nil {
		var ok bool
		if operand, ok = lookup(r.opPath, e); !ok {
			return false, runtimeErr("invalid path %s: the choice state's condition path references an invalid value", r.opPath.raw)
		}
	}
	switch r.op {
	case "IsNull":
		return (v == nil) == operand.(bool), nil
	case "IsNumeric":
		return (jsonType(v) == "number") == operand.(bool), nil
	case "IsString":
		return (jsonType(v) == "string") == operand.(bool), nil
	case "IsBoolean":
		return (jsonType(v) == "boolean") == operand.(bool), nil
	case "StringMatches":
		a, ok := v.(string)
		return ok && wildcardMatch(operand.(string), a), nil
	case "BooleanEquals":
		a, okA := v.(bool)
		b, okB := operand.(bool)
		return okA && okB && a == b, nil
	}
	var cmp int
	switch {
	case strings.HasPrefix(r.op, "Numeric"):
		a, okA := number(v)
		b, okB := number(operand)
		if !okA || !okB {
			return false, nil
		}
		cmp = compare(a < b, a > b)
	default:
		a, okA := v.(string)
		b, okB := operand.(string)
		if !okA || !okB {
			return false, nil
		}
		cmp = strings.Compare(a, b)
	}
	switch {
	case strings.HasSuffix(r.op, "LessThanEquals"):
		return cmp <= 0, nil
	case strings.HasSuffix(r.op, "GreaterThanEquals"):
		return cmp >= 0, nil
	case strings.HasSuffix(r.op, "LessThan"):
		return cmp < 0, nil
	case strings.HasSuffix(r.op, "GreaterThan"):
		return cmp > 0, nil
	default:
		return cmp == 0, nil
	}
}

// wildcardMatch reports whether s matches the StringMatches pattern: "*"
// stands for any run of characters, possibly empty, and a backslash makes
// the next character literal, so \* is a "*" and \\ a backslash
// ("Choice workflow state", AWS Step
// Functions Developer Guide,
// https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html).
func wildcardMatch(pattern, s string) bool {
	// Parse the pattern into literal runes and wildcards (-1).
	var pat []rune
	escaped := false
	for _, r := range pattern {
		switch {
		case escaped:
			pat, escaped = append(pat, r), false
		case r == '\\':
			escaped = true
		case r == '*':
			pat = append(pat, -1)
		default:
			pat = append(pat, r)
		}
	}
	if escaped {
		pat = append(pat, '\\')
	}
	text := []rune(s)
	// Greedy matching with backtracking to the last wildcard.
	p, t, star, mark := 0, 0, -1, 0
	for t < len(text) {
		switch {
		case p < len(pat) && pat[p] == -1:
			star, mark = p, t
			p++
		case p < len(pat) && pat[p] == text[t]:
			p++
			t++
		case star >= 0:
			p = star + 1
			mark++
			t = mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == -1 {
		p++
	}
	return p == len(pat)
}

func compare(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func lookup(p *path, e *env) (any, bool) {
	if p.context {
		return p.get(e.context)
	}
	return p.get(e.input)
}

package asl

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// template is a compiled payload template (Parameters or ResultSelector):
// fields whose name ends in ".$" are evaluated, everything else is copied.
type template struct {
	literal any
	expr    expr
	fields  []templateField
	items   []*template
	kind    templateKind
}

type templateKind int

const (
	tmplLiteral templateKind = iota
	tmplExpr
	tmplObject
	tmplArray
)

type templateField struct {
	name  string
	value *template
}

// compileTemplate compiles v; where names the field in error messages.
func compileTemplate(v any, where string) (*template, error) {
	switch v := v.(type) {
	case map[string]any:
		t := &template{kind: tmplObject}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			name, dynamic := strings.CutSuffix(k, ".$")
			if dynamic {
				if _, clash := v[name]; clash {
					return nil, fmt.Errorf("%s: both %q and %q are set", where, name, k)
				}
				s, ok := v[k].(string)
				if !ok {
					return nil, fmt.Errorf("%s: the value of %q must be a string", where, k)
				}
				x, err := compileExpr(s)
				if err != nil {
					return nil, fmt.Errorf("%s: field %q: %w", where, k, err)
				}
				t.fields = append(t.fields, templateField{name, &template{kind: tmplExpr, expr: x}})
				continue
			}
			sub, err := compileTemplate(v[k], where)
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, templateField{k, sub})
		}
		return t, nil
	case []any:
		t := &template{kind: tmplArray}
		for _, item := range v {
			sub, err := compileTemplate(item, where)
			if err != nil {
				return nil, err
			}
			t.items = append(t.items, sub)
		}
		return t, nil
	default:
		return &template{kind: tmplLiteral, literal: v}, nil
	}
}

// eval builds the payload; the objects and arrays are new, values selected by
// paths are shared with the input.
func (t *template) eval(e *env) (any, *TaskError) {
	switch t.kind {
	case tmplExpr:
		return t.expr.eval(e)
	case tmplObject:
		out := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			v, err := f.value.eval(e)
			if err != nil {
				return nil, err
			}
			out[f.name] = v
		}
		return out, nil
	case tmplArray:
		out := make([]any, len(t.items))
		for i, item := range t.items {
			v, err := item.eval(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	default:
		return t.literal, nil
	}
}

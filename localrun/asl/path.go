package asl

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// pathStep is one step of a compiled path: an object field or an array index.
type pathStep struct {
	key     string
	index   int
	isIndex bool
}

// path is a compiled reference path. Only the subset that reads or writes a
// single node is supported, because wildcards, filters and slices produce
// lists whose semantics in Step Functions we do not model.
type path struct {
	raw     string
	context bool
	steps   []pathStep
}

// parsePath compiles $, $.a.b, $['a'], $.a[0] and the same forms rooted at
// $$ (the context object).
func parsePath(s string) (*path, error) {
	p := &path{raw: s}
	var rest string
	switch {
	case strings.HasPrefix(s, "$$"):
		p.context, rest = true, s[2:]
	case strings.HasPrefix(s, "$"):
		rest = s[1:]
	default:
		return nil, fmt.Errorf("path %q does not start with $", s)
	}
	unsupported := func() error {
		return fmt.Errorf("unsupported JSONPath %q: only $, $$, .field, ['field'] and [index] steps are supported", s)
	}
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			n := nameLen(rest)
			if n == 0 {
				return nil, unsupported()
			}
			p.steps = append(p.steps, pathStep{key: rest[:n]})
			rest = rest[n:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, unsupported()
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			switch {
			case len(inner) >= 3 && inner[0] == '\'' && inner[len(inner)-1] == '\'' && !strings.Contains(inner[1:len(inner)-1], "'"):
				p.steps = append(p.steps, pathStep{key: inner[1 : len(inner)-1]})
			case inner != "" && strings.Trim(inner, "0123456789") == "":
				i, err := strconv.Atoi(inner)
				if err != nil {
					return nil, unsupported()
				}
				p.steps = append(p.steps, pathStep{index: i, isIndex: true})
			default:
				return nil, unsupported()
			}
		default:
			return nil, unsupported()
		}
	}
	return p, nil
}

// nameLen returns the length of the field name at the start of s. Characters
// with a meaning in JSONPath end the name, so that "$.a*" or "$..a" are
// rejected instead of being read as odd field names.
func nameLen(s string) int {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(".[]'\"*?@()$, \t\n", s[i]) >= 0 {
			return i
		}
	}
	return len(s)
}

// String returns the path as written in the definition.
func (p *path) String() string { return p.raw }

// get returns the node the path selects in root, and false when there is none.
func (p *path) get(root any) (any, bool) {
	cur := root
	for _, s := range p.steps {
		if s.isIndex {
			arr, ok := cur.([]any)
			if !ok || s.index >= len(arr) {
				return nil, false
			}
			cur = arr[s.index]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[s.key]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// set returns a copy of root with v stored at the path. Objects along the path
// are copied rather than modified, because the same input value may be shared
// with the context object or an earlier state's output. Missing fields are
// created as objects, as Step Functions does for ResultPath.
func (p *path) set(root, v any) (any, bool) {
	return setSteps(root, true, p.steps, v)
}

func setSteps(cur any, present bool, steps []pathStep, v any) (any, bool) {
	if len(steps) == 0 {
		return v, true
	}
	s := steps[0]
	if s.isIndex {
		arr, ok := cur.([]any)
		if !present || !ok || s.index >= len(arr) {
			return nil, false
		}
		nv, ok := setSteps(arr[s.index], true, steps[1:], v)
		if !ok {
			return nil, false
		}
		cp := slices.Clone(arr)
		cp[s.index] = nv
		return cp, true
	}
	var m map[string]any
	if !present {
		m = map[string]any{}
	} else if obj, ok := cur.(map[string]any); ok {
		m = maps.Clone(obj)
	} else {
		return nil, false
	}
	child, ok := m[s.key]
	nv, ok := setSteps(child, ok, steps[1:], v)
	if !ok {
		return nil, false
	}
	m[s.key] = nv
	return m, true
}

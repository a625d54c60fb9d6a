package asl

//lint:file-ignore ST1005 ASL field names are case-sensitive (Next, Retry, Choices), and an error starts with the field it names, as the StartAt and TimeoutSeconds ones do

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// StateMachine is a parsed and validated state machine definition.
type StateMachine struct {
	// Name is the state machine name reported in the context object
	// ($$.StateMachine.Name and the ARNs built from it). Parse sets it to
	// "StateMachine"; callers set the deployed name when it matters.
	Name string

	startAt string
	states  map[string]*state
	timeout time.Duration
}

// ioPath is an InputPath, OutputPath or ResultPath: nil means the default $,
// discard means the definition set it to null.
type ioPath struct {
	discard bool
	p       *path
}

type retrier struct {
	errorEquals []string
	interval    float64
	maxAttempts int
	backoff     float64
	maxDelay    float64
	fullJitter  bool
}

type catcher struct {
	errorEquals []string
	next        string
	resultPath  *ioPath
}

// state is one compiled state; which fields are used depends on typ.
type state struct {
	name, typ  string
	next       string
	end        bool
	inputPath  *ioPath
	outputPath *ioPath
	resultPath *ioPath

	parameters     *template
	resultSelector *template
	result         any
	hasResult      bool

	resource string
	timeout  time.Duration
	retry    []retrier
	catch    []catcher

	choices     []*choiceRule
	defaultNext string

	errorName, cause    string
	errorExpr, causeExp expr
}

// allowedFields lists the fields each supported state type accepts. Every
// other field is rejected by name, so features such as HeartbeatSeconds,
// Credentials, Arguments or Assign cannot be silently ignored.
var allowedFields = map[string][]string{
	"Task": {"Type", "Comment", "QueryLanguage", "Next", "End", "Resource", "InputPath", "Parameters",
		"ResultSelector", "ResultPath", "OutputPath", "TimeoutSeconds", "Retry", "Catch"},
	"Pass":    {"Type", "Comment", "QueryLanguage", "Next", "End", "InputPath", "Parameters", "Result", "ResultPath", "OutputPath"},
	"Choice":  {"Type", "Comment", "QueryLanguage", "InputPath", "OutputPath", "Choices", "Default"},
	"Succeed": {"Type", "Comment", "QueryLanguage", "InputPath", "OutputPath"},
	"Fail":    {"Type", "Comment", "QueryLanguage", "Error", "ErrorPath", "Cause", "CausePath"},
}

// Parse parses an Amazon States Language definition and validates it: StartAt
// and every transition target must exist, every state must be reachable, and
// any state type, field, path form or intrinsic function outside the
// supported subset is an error naming the state and the feature.
func Parse(definition []byte) (*StateMachine, error) {
	raw, err := decodeJSON(definition)
	if err != nil {
		return nil, fmt.Errorf("asl: decoding the definition: %w", err)
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("asl: the definition is not a JSON object")
	}
	sm := &StateMachine{Name: "StateMachine", states: map[string]*state{}}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		v := top[k]
		switch k {
		case "Comment", "Version":
		case "QueryLanguage":
			if v != "JSONPath" {
				return nil, fmt.Errorf("asl: QueryLanguage %v is not supported, only JSONPath", v)
			}
		case "StartAt":
			if sm.startAt, ok = v.(string); !ok {
				return nil, fmt.Errorf("asl: StartAt must be a string")
			}
		case "TimeoutSeconds":
			if sm.timeout, err = seconds(v); err != nil {
				return nil, fmt.Errorf("asl: TimeoutSeconds: %w", err)
			}
		case "States":
		default:
			return nil, fmt.Errorf("asl: top-level field %q is not supported", k)
		}
	}
	states, ok := top["States"].(map[string]any)
	if !ok || len(states) == 0 {
		return nil, fmt.Errorf("asl: States must be a non-empty object")
	}
	for _, name := range slices.Sorted(maps.Keys(states)) {
		m, ok := states[name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("asl: state %q is not a JSON object", name)
		}
		st, err := compileState(name, m)
		if err != nil {
			return nil, fmt.Errorf("asl: state %q: %w", name, err)
		}
		sm.states[name] = st
	}
	if err := sm.checkTransitions(); err != nil {
		return nil, fmt.Errorf("asl: %w", err)
	}
	return sm, nil
}

// Resources returns the distinct Task resources of the state machine, sorted,
// so a caller can see which handlers a run needs.
func (sm *StateMachine) Resources() []string {
	var out []string
	for _, st := range sm.states {
		if st.typ == "Task" && !slices.Contains(out, st.resource) {
			out = append(out, st.resource)
		}
	}
	sort.Strings(out)
	return out
}

func (sm *StateMachine) checkTransitions() error {
	if _, ok := sm.states[sm.startAt]; !ok {
		return fmt.Errorf("StartAt %q is not a state", sm.startAt)
	}
	reached := map[string]bool{}
	queue := []string{sm.startAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if reached[name] {
			continue
		}
		reached[name] = true
		st := sm.states[name]
		for _, next := range st.targets() {
			if _, ok := sm.states[next]; !ok {
				return fmt.Errorf("state %q: transition to %q, which is not a state", name, next)
			}
			queue = append(queue, next)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(sm.states)) {
		if !reached[name] {
			return fmt.Errorf("state %q is not reachable from StartAt", name)
		}
	}
	return nil
}

func (st *state) targets() []string {
	var out []string
	if st.next != "" {
		out = append(out, st.next)
	}
	for _, c := range st.catch {
		out = append(out, c.next)
	}
	for _, r := range st.choices {
		out = append(out, r.next)
	}
	if st.defaultNext != "" {
		out = append(out, st.defaultNext)
	}
	return out
}

func compileState(name string, m map[string]any) (*state, error) {
	typ, _ := m["Type"].(string)
	allowed, ok := allowedFields[typ]
	if !ok {
		return nil, fmt.Errorf("state type %q is not supported", typ)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("field %q is not supported in a %s state", k, typ)
		}
	}
	if ql, ok := m["QueryLanguage"]; ok && ql != "JSONPath" {
		return nil, fmt.Errorf("QueryLanguage %v is not supported, only JSONPath", ql)
	}
	st := &state{name: name, typ: typ}
	var err error
	if st.inputPath, err = compileIOPath(m, "InputPath"); err != nil {
		return nil, err
	}
	if st.outputPath, err = compileIOPath(m, "OutputPath"); err != nil {
		return nil, err
	}
	if st.resultPath, err = compileIOPath(m, "ResultPath"); err != nil {
		return nil, err
	}
	if v, ok := m["Parameters"]; ok {
		if st.parameters, err = compileTemplate(v, "Parameters"); err != nil {
			return nil, err
		}
	}
	if v, ok := m["ResultSelector"]; ok {
		if st.resultSelector, err = compileTemplate(v, "ResultSelector"); err != nil {
			return nil, err
		}
	}
	st.result, st.hasResult = m["Result"]
	if typ == "Task" || typ == "Pass" {
		if err := st.compileTransition(m); err != nil {
			return nil, err
		}
	}
	switch typ {
	case "Task":
		err = st.compileTask(m)
	case "Choice":
		err = st.compileChoice(m)
	case "Fail":
		err = st.compileFail(m)
	}
	return st, err
}

func (st *state) compileTransition(m map[string]any) error {
	next, hasNext := m["Next"]
	end, hasEnd := m["End"]
	switch {
	case hasNext && hasEnd:
		return fmt.Errorf("both Next and End are set")
	case hasNext:
		s, ok := next.(string)
		if !ok || s == "" {
			return fmt.Errorf("Next must be a non-empty string")
		}
		st.next = s
	case end == true:
		st.end = true
	default:
		return fmt.Errorf("needs Next or \"End\": true")
	}
	return nil
}

func (st *state) compileTask(m map[string]any) error {
	var ok bool
	if st.resource, ok = m["Resource"].(string); !ok || st.resource == "" {
		return fmt.Errorf("Resource must be a non-empty string")
	}
	if v, ok := m["TimeoutSeconds"]; ok {
		var err error
		if st.timeout, err = seconds(v); err != nil {
			return fmt.Errorf("TimeoutSeconds: %w", err)
		}
	}
	if v, ok := m["Retry"]; ok {
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("Retry must be an array")
		}
		for i, item := range list {
			r, err := compileRetrier(item, i == len(list)-1)
			if err != nil {
				return fmt.Errorf("Retry[%d]: %w", i, err)
			}
			st.retry = append(st.retry, r)
		}
	}
	if v, ok := m["Catch"]; ok {
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("Catch must be an array")
		}
		for i, item := range list {
			c, err := compileCatcher(item, i == len(list)-1)
			if err != nil {
				return fmt.Errorf("Catch[%d]: %w", i, err)
			}
			st.catch = append(st.catch, c)
		}
	}
	return nil
}

func compileRetrier(v any, last bool) (retrier, error) {
	r := retrier{interval: 1, maxAttempts: 3, backoff: 2}
	m, ok := v.(map[string]any)
	if !ok {
		return r, fmt.Errorf("not an object")
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		var err error
		switch k {
		case "ErrorEquals":
			r.errorEquals, err = errorEquals(m[k], last)
		case "IntervalSeconds":
			var n int64
			if n, err = positiveInt(m[k], 1); err == nil {
				r.interval = float64(n)
			}
		case "MaxAttempts":
			var n int64
			if n, err = positiveInt(m[k], 0); err == nil {
				r.maxAttempts = int(n)
			}
		case "BackoffRate":
			f, isNum := number(m[k])
			if !isNum || f < 1 {
				err = fmt.Errorf("must be a number of at least 1.0")
			}
			r.backoff = f
		case "MaxDelaySeconds":
			var n int64
			if n, err = positiveInt(m[k], 1); err == nil {
				r.maxDelay = float64(n)
			}
		case "JitterStrategy":
			switch m[k] {
			case "FULL":
				r.fullJitter = true
			case "NONE":
			default:
				err = fmt.Errorf("must be FULL or NONE")
			}
		default:
			err = fmt.Errorf("field is not supported")
		}
		if err != nil {
			return r, fmt.Errorf("%s: %w", k, err)
		}
	}
	if r.errorEquals == nil {
		return r, fmt.Errorf("ErrorEquals is required")
	}
	return r, nil
}

func compileCatcher(v any, last bool) (catcher, error) {
	var c catcher
	m, ok := v.(map[string]any)
	if !ok {
		return c, fmt.Errorf("not an object")
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		var err error
		switch k {
		case "ErrorEquals":
			c.errorEquals, err = errorEquals(m[k], last)
		case "Next":
			if c.next, ok = m[k].(string); !ok || c.next == "" {
				err = fmt.Errorf("must be a non-empty string")
			}
		case "ResultPath":
			c.resultPath, err = compileIOPath(m, k)
		default:
			err = fmt.Errorf("field is not supported")
		}
		if err != nil {
			return c, fmt.Errorf("%s: %w", k, err)
		}
	}
	if c.errorEquals == nil || c.next == "" {
		return c, fmt.Errorf("ErrorEquals and Next are required")
	}
	return c, nil
}

// errorEquals validates a non-empty list of error names; as the spec
// requires, States.ALL must stand alone and only in the last Retrier or
// Catcher.
func errorEquals(v any, last bool) ([]string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("must be a non-empty array of error names")
	}
	var out []string
	for _, item := range list {
		s, ok := item.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("must contain non-empty strings")
		}
		out = append(out, s)
	}
	if slices.Contains(out, ErrAll) && (len(out) > 1 || !last) {
		return nil, fmt.Errorf("%s must appear alone and in the last element", ErrAll)
	}
	return out, nil
}

func (st *state) compileChoice(m map[string]any) error {
	list, ok := m["Choices"].([]any)
	if !ok || len(list) == 0 {
		return fmt.Errorf("Choices must be a non-empty array")
	}
	for i, item := range list {
		rm, ok := item.(map[string]any)
		if !ok {
			return fmt.Errorf("Choices[%d] is not an object", i)
		}
		r, err := compileChoiceRule(rm, true)
		if err != nil {
			return fmt.Errorf("Choices[%d]: %w", i, err)
		}
		st.choices = append(st.choices, r)
	}
	if v, ok := m["Default"]; ok {
		if st.defaultNext, ok = v.(string); !ok || st.defaultNext == "" {
			return fmt.Errorf("Default must be a non-empty string")
		}
	}
	return nil
}

func (st *state) compileFail(m map[string]any) error {
	for _, f := range []struct {
		lit, dyn string
		s        *string
		x        *expr
	}{{"Error", "ErrorPath", &st.errorName, &st.errorExpr}, {"Cause", "CausePath", &st.cause, &st.causeExp}} {
		lit, hasLit := m[f.lit]
		dyn, hasDyn := m[f.dyn]
		switch {
		case hasLit && hasDyn:
			return fmt.Errorf("%s and %s are mutually exclusive", f.lit, f.dyn)
		case hasLit:
			s, ok := lit.(string)
			if !ok {
				return fmt.Errorf("%s must be a string", f.lit)
			}
			*f.s = s
		case hasDyn:
			s, ok := dyn.(string)
			if !ok {
				return fmt.Errorf("%s must be a string", f.dyn)
			}
			x, err := compileExpr(s)
			if err != nil {
				return fmt.Errorf("%s: %w", f.dyn, err)
			}
			*f.x = x
		}
	}
	return nil
}

// compileIOPath compiles InputPath, OutputPath or ResultPath. These read or
// write the state's data only, so context-object paths are rejected.
func compileIOPath(m map[string]any, field string) (*ioPath, error) {
	v, ok := m[field]
	if !ok {
		return nil, nil
	}
	if v == nil {
		return &ioPath{discard: true}, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%s must be a path string or null", field)
	}
	p, err := parsePath(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if p.context {
		return nil, fmt.Errorf("%s %q: context-object paths are not supported here", field, s)
	}
	return &ioPath{p: p}, nil
}

func seconds(v any) (time.Duration, error) {
	n, err := positiveInt(v, 1)
	return time.Duration(n) * time.Second, err
}

func positiveInt(v any, min int64) (int64, error) {
	n, ok := integer(v)
	if !ok || n < min || n > math.MaxInt32 {
		return 0, fmt.Errorf("must be an integer of at least %d", min)
	}
	return n, nil
}

// describe is used in error messages to show a JSON value briefly.
func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strings.TrimSpace(s)
}

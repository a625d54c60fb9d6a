package asl

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"runtime/debug"
	"strconv"
	"time"
)

// Execution statuses reported in Result.Status, named as Step Functions names
// them.
const (
	// StatusSucceeded means the execution reached a Succeed state or an End.
	StatusSucceeded = "SUCCEEDED"
	// StatusFailed means an error was not caught or a Fail state was reached.
	StatusFailed = "FAILED"
	// StatusTimedOut means the execution's TimeoutSeconds elapsed.
	StatusTimedOut = "TIMED_OUT"
)

// Event kinds reported to Executor.Observe.
const (
	// EventEnter is reported when a state is entered.
	EventEnter = "enter"
	// EventExit is reported when a state completes without failing the
	// execution, including after a Catch.
	EventExit = "exit"
	// EventRetry is reported before each retry wait.
	EventRetry = "retry"
	// EventCatch is reported when a Catcher handles an error.
	EventCatch = "catch"
	// EventFail is reported when a state's error fails the execution.
	EventFail = "fail"
)

// handlerGrace is how long a handler may take to return after its context
// ends before the executor stops waiting for it.
const handlerGrace = 5 * time.Second

// Placeholders for values that only exist in a deployed account.
const (
	localARNPrefix = "arn:aws:states:local:000000000000:"
	localRoleARN   = "arn:aws:iam::000000000000:role/local-run"
)

// Call is what a Handler receives for one attempt of a Task state.
type Call struct {
	// Resource is the Task's Resource ARN.
	Resource string
	// Parameters is the effective input: the evaluated Parameters, or the
	// input after InputPath when the state has no Parameters. It is a
	// private copy the handler may modify.
	Parameters any
	// StateName is the name of the Task state.
	StateName string
	// ExecutionName is the name given to Executor.Run.
	ExecutionName string
	// RetryCount is the number of retries of this state so far (0 on the
	// first attempt), as in $$.State.RetryCount.
	RetryCount int
}

// Handler stands in for the AWS integration behind a Task resource. Its result
// becomes the task result and must be JSON-encodable. Returning a *TaskError
// fails the task with that error name; any other error fails it with
// States.TaskFailed. The context is canceled when the state's TimeoutSeconds
// elapse.
type Handler func(ctx context.Context, call Call) (any, error)

// Event reports progress of an execution to Executor.Observe.
type Event struct {
	// Kind is one of EventEnter, EventExit, EventRetry, EventCatch and
	// EventFail.
	Kind string
	// State is the state name.
	State string
	// Type is the state type, such as "Task".
	Type string
	// Time is when the event happened, from Executor.Now.
	Time time.Time
	// Duration is the time spent in the state, set on EventExit.
	Duration time.Duration
	// Err is the error being retried, caught or failing the execution.
	Err *TaskError
	// Attempt is the 1-based number of the retry about to start, set on
	// EventRetry.
	Attempt int
	// Wait is the delay before that retry, set on EventRetry.
	Wait time.Duration
}

// Result is the outcome of an execution that ran to a terminal state.
type Result struct {
	// Status is StatusSucceeded, StatusFailed or StatusTimedOut.
	Status string
	// Output is the execution output when it succeeded.
	Output any
	// Error is the error name when it did not succeed.
	Error string
	// Cause is the error cause when it did not succeed.
	Cause string
	// States lists the states entered, in order, repeats included.
	States []string
}

// Executor runs parsed state machines. The zero value is usable but has no
// handlers; the function fields default to real time, real sleeping and
// random values when nil.
type Executor struct {
	// Handlers maps Task Resource ARNs to their local stand-ins. Run refuses
	// to start when a Task resource has no handler, so that a missing
	// mapping is found before any job runs.
	Handlers map[string]Handler
	// Sleep waits between retries; the local run shortens the waits with it
	// and tests record them. It must return ctx.Err() when ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now supplies timestamps for the context object and events.
	Now func() time.Time
	// Observe, when set, receives every Event synchronously.
	Observe func(Event)
	// Rand returns values in [0, 1) for the FULL retry jitter.
	Rand func() float64
	// UUID supplies the values of States.UUID().
	UUID func() string
}

// Run executes sm with the given input until it reaches a terminal state. A
// failed or timed-out execution is a Result with that status and a nil error;
// Run returns an error only for problems of the executor itself: a Task
// resource without a handler, a handler that panicked or returned something
// that is not JSON, an input that is not JSON, or ctx ending.
func (e *Executor) Run(ctx context.Context, sm *StateMachine, executionName string, input any) (Result, error) {
	if sm == nil {
		return Result{}, errors.New("asl: nil state machine")
	}
	for _, res := range sm.Resources() {
		if e.Handlers[res] == nil {
			return Result{}, fmt.Errorf("asl: no handler for Task resource %q", res)
		}
	}
	in, err := normalize(input)
	if err != nil {
		return Result{}, fmt.Errorf("asl: the execution input is not JSON: %w", err)
	}
	execCtx, cancel := ctx, context.CancelFunc(func() {})
	if sm.timeout > 0 {
		execCtx, cancel = context.WithTimeout(ctx, sm.timeout)
	}
	defer cancel()
	r := &run{e: e, sm: sm, ctx: execCtx, name: executionName, input: in}
	r.start = r.now()
	res, err := r.loop()
	if err != nil && ctx.Err() == nil && errors.Is(execCtx.Err(), context.DeadlineExceeded) {
		// Only the execution's own TimeoutSeconds ended it.
		res.Status, res.Error = StatusTimedOut, ErrTimeout
		res.Cause = fmt.Sprintf("the execution ran longer than its TimeoutSeconds (%s)", sm.timeout)
		return res, nil
	}
	return res, err
}

// run is the state of one execution.
type run struct {
	e     *Executor
	sm    *StateMachine
	ctx   context.Context
	name  string
	input any
	start time.Time
	res   Result
}

func (r *run) now() time.Time {
	if r.e.Now != nil {
		return r.e.Now()
	}
	return time.Now()
}

func (r *run) observe(ev Event) {
	if r.e.Observe != nil {
		ev.Time = r.now()
		r.e.Observe(ev)
	}
}

func (r *run) loop() (Result, error) {
	name, data := r.sm.startAt, r.input
	for {
		if err := r.ctx.Err(); err != nil {
			return r.res, err
		}
		st := r.sm.states[name]
		r.res.States = append(r.res.States, name)
		entered := r.now()
		r.observe(Event{Kind: EventEnter, State: name, Type: st.typ})
		out, next, serr, err := r.step(st, data, entered)
		if err != nil {
			return r.res, err
		}
		if serr != nil {
			r.observe(Event{Kind: EventFail, State: name, Type: st.typ, Err: serr})
			r.res.Status, r.res.Error, r.res.Cause = StatusFailed, serr.Name, serr.Cause
			return r.res, nil
		}
		r.observe(Event{Kind: EventExit, State: name, Type: st.typ, Duration: r.now().Sub(entered)})
		if next == "" {
			if out, err = normalize(out); err != nil {
				return r.res, err
			}
			r.res.Status, r.res.Output = StatusSucceeded, out
			return r.res, nil
		}
		name, data = next, out
	}
}

// env builds the evaluation environment, including the context object, for
// data at a state entered at the given time.
func (r *run) env(st *state, data any, entered time.Time, retries int) *env {
	uuid := r.e.UUID
	if uuid == nil {
		uuid = randomUUID
	}
	smID := localARNPrefix + "stateMachine:" + r.sm.Name
	return &env{
		input: data,
		uuid:  uuid,
		context: map[string]any{
			"Execution": map[string]any{
				"Id":        localARNPrefix + "execution:" + r.sm.Name + ":" + r.name,
				"Name":      r.name,
				"Input":     r.input,
				"StartTime": timestamp(r.start),
				"RoleArn":   localRoleARN,
				// A local execution is never redriven.
				"RedriveCount": json.Number("0"),
			},
			"State": map[string]any{
				"Name":        st.name,
				"EnteredTime": timestamp(entered),
				"RetryCount":  json.Number(strconv.Itoa(retries)),
			},
			"StateMachine": map[string]any{"Id": smID, "Name": r.sm.Name},
			"Task":         map[string]any{},
		},
	}
}

// timestamp formats like the context object's ISO 8601 times.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// step runs one state. It returns the output and the next state ("" when the
// execution ends), or the error that fails the execution, or an executor
// error.
func (r *run) step(st *state, raw any, entered time.Time) (any, string, *TaskError, error) {
	switch st.typ {
	case "Fail":
		return r.fail(st, raw, entered)
	case "Task":
		return r.task(st, raw, entered)
	}
	e := r.env(st, raw, entered, 0)
	eff, serr := applyInputPath(st, raw)
	if serr != nil {
		return nil, "", serr, nil
	}
	e.input = eff
	next := st.next
	var out any
	switch st.typ {
	case "Pass":
		if st.parameters != nil {
			if eff, serr = st.parameters.eval(e); serr != nil {
				return nil, "", serr, nil
			}
		}
		result := eff
		if st.hasResult {
			result = st.result
		}
		if out, serr = applyResultPath(st.resultPath, raw, result); serr != nil {
			return nil, "", serr, nil
		}
	case "Choice":
		next = st.defaultNext
		for _, rule := range st.choices {
			ok, serr := rule.eval(e)
			if serr != nil {
				return nil, "", serr, nil
			}
			if ok {
				next = rule.next
				break
			}
		}
		if next == "" {
			return nil, "", &TaskError{Name: ErrNoChoiceMatched, Cause: fmt.Sprintf("no choice rule of state %q matched and it has no Default", st.name)}, nil
		}
		out = eff
	case "Succeed":
		out = eff
	}
	out, serr = applyOutputPath(st, out)
	return out, next, serr, nil
}

// fail evaluates a Fail state's Error and Cause, which may come from paths or
// intrinsic functions applied to the state's input.
func (r *run) fail(st *state, raw any, entered time.Time) (any, string, *TaskError, error) {
	e := r.env(st, raw, entered, 0)
	out := &TaskError{Name: st.errorName, Cause: st.cause}
	for _, f := range []struct {
		x   expr
		dst *string
	}{{st.errorExpr, &out.Name}, {st.causeExp, &out.Cause}} {
		if f.x == nil {
			continue
		}
		v, serr := f.x.eval(e)
		if serr != nil {
			return nil, "", serr, nil
		}
		s, ok := v.(string)
		if !ok {
			return nil, "", runtimeErr("%s of Fail state %q is a JSON %s, not a string", f.x, st.name, jsonType(v)), nil
		}
		*f.dst = s
	}
	return nil, "", out, nil
}

// task runs a Task state with its Retry and Catch policies.
func (r *run) task(st *state, raw any, entered time.Time) (any, string, *TaskError, error) {
	eff, serr := applyInputPath(st, raw)
	if serr != nil {
		return nil, "", serr, nil
	}
	counts := make([]int, len(st.retry))
	retries := 0
	for {
		e := r.env(st, eff, entered, retries)
		params := eff
		if st.parameters != nil {
			if params, serr = st.parameters.eval(e); serr != nil {
				return nil, "", serr, nil
			}
		}
		result, terr, err := r.invoke(st, params, retries)
		if err != nil {
			return nil, "", nil, err
		}
		if terr == nil {
			out, serr := r.taskOutput(st, raw, result, e)
			if serr == nil {
				return out, st.next, nil, nil
			}
			if serr.Name == ErrRuntime {
				return nil, "", serr, nil
			}
			// A ResultPath that does not fit the input is not worth
			// retrying, but Catch may still handle it.
			return r.catch(st, raw, serr)
		}
		i := matchingRetrier(st.retry, terr.Name)
		// The first matching retrier decides; once it is exhausted the
		// error goes to Catch even if a later retrier would match.
		if i < 0 || counts[i] >= st.retry[i].maxAttempts {
			return r.catch(st, raw, terr)
		}
		wait := r.backoff(st.retry[i], counts[i])
		counts[i]++
		retries++
		r.observe(Event{Kind: EventRetry, State: st.name, Type: st.typ, Err: terr, Attempt: retries, Wait: wait})
		if err := r.sleep(wait); err != nil {
			return nil, "", nil, err
		}
	}
}

func matchingRetrier(rs []retrier, name string) int {
	for i, rt := range rs {
		if errorMatches(rt.errorEquals, name) {
			return i
		}
	}
	return -1
}

// backoff computes the wait before a retry as Step Functions documents it:
// IntervalSeconds * BackoffRate^n for the n-th retry by this retrier, capped
// by MaxDelaySeconds, and with FULL jitter a uniform value in [0, wait].
func (r *run) backoff(rt retrier, n int) time.Duration {
	secs := rt.interval * math.Pow(rt.backoff, float64(n))
	if rt.maxDelay > 0 && secs > rt.maxDelay {
		secs = rt.maxDelay
	}
	if rt.fullJitter {
		rnd := r.e.Rand
		if rnd == nil {
			rnd = mrand.Float64
		}
		secs *= rnd()
	}
	return time.Duration(secs * float64(time.Second))
}

func (r *run) sleep(d time.Duration) error {
	if r.e.Sleep != nil {
		return r.e.Sleep(r.ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// catch hands a state error to the first matching Catcher; without one the
// error fails the execution.
func (r *run) catch(st *state, raw any, terr *TaskError) (any, string, *TaskError, error) {
	for _, c := range st.catch {
		if !errorMatches(c.errorEquals, terr.Name) {
			continue
		}
		errOut := map[string]any{"Error": terr.Name, "Cause": terr.Cause}
		out, serr := applyResultPath(c.resultPath, raw, errOut)
		if serr != nil {
			return nil, "", serr, nil
		}
		r.observe(Event{Kind: EventCatch, State: st.name, Type: st.typ, Err: terr})
		return out, c.next, nil, nil
	}
	return nil, "", terr, nil
}

// taskOutput applies ResultSelector, ResultPath and OutputPath to a task
// result; ResultSelector paths see the result as $.
func (r *run) taskOutput(st *state, raw, result any, e *env) (any, *TaskError) {
	if st.resultSelector != nil {
		e.input = result
		var serr *TaskError
		if result, serr = st.resultSelector.eval(e); serr != nil {
			return nil, serr
		}
	}
	out, serr := applyResultPath(st.resultPath, raw, result)
	if serr != nil {
		return nil, serr
	}
	return applyOutputPath(st, out)
}

type outcome struct {
	v        any
	err      error
	panicked any
	stack    []byte
}

// invoke calls the handler for one attempt. The handler runs in its own
// goroutine so that TimeoutSeconds is enforced even when it ignores its
// context, and so that a panic can be recovered and reported.
func (r *run) invoke(st *state, params any, retries int) (any, *TaskError, error) {
	p, err := normalize(params)
	if err != nil {
		return nil, nil, fmt.Errorf("asl: state %q: the task input is not JSON: %w", st.name, err)
	}
	callCtx, cancel := r.ctx, context.CancelFunc(func() {})
	if st.timeout > 0 {
		callCtx, cancel = context.WithTimeout(r.ctx, st.timeout)
	}
	defer cancel()
	call := Call{Resource: st.resource, Parameters: p, StateName: st.name, ExecutionName: r.name, RetryCount: retries}
	h := r.e.Handlers[st.resource]
	ch := make(chan outcome, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				ch <- outcome{panicked: v, stack: debug.Stack()}
			}
		}()
		v, err := h(callCtx, call)
		ch <- outcome{v: v, err: err}
	}()
	var o outcome
	select {
	case o = <-ch:
	case <-callCtx.Done():
		// Wait for the handler to notice, so a retry never overlaps an
		// attempt that is still running; one that ignores its context is
		// abandoned after the grace period.
		select {
		case o = <-ch:
		case <-time.After(handlerGrace):
		}
		if o.panicked == nil {
			o = outcome{err: callCtx.Err()}
		}
	}
	switch {
	case o.panicked != nil:
		return nil, nil, fmt.Errorf("asl: state %q: handler for %q panicked: %v\n%s", st.name, st.resource, o.panicked, o.stack)
	case o.err == nil:
		v, err := normalize(o.v)
		if err != nil {
			return nil, nil, fmt.Errorf("asl: state %q: handler for %q returned a result that is not JSON: %w", st.name, st.resource, err)
		}
		return v, nil, nil
	case r.ctx.Err() != nil:
		// The execution itself ended (canceled or timed out), which is
		// not the task's failure.
		return nil, nil, r.ctx.Err()
	case errors.Is(callCtx.Err(), context.DeadlineExceeded):
		return nil, &TaskError{Name: ErrTimeout, Cause: fmt.Sprintf("state %q ran longer than its TimeoutSeconds (%s)", st.name, st.timeout)}, nil
	}
	var te *TaskError
	if errors.As(o.err, &te) {
		return nil, te, nil
	}
	return nil, &TaskError{Name: ErrTaskFailed, Cause: o.err.Error()}, nil
}

// applyInputPath selects the effective input; InputPath null gives {}.
func applyInputPath(st *state, raw any) (any, *TaskError) {
	return selectPath(st.inputPath, raw, "InputPath")
}

// applyOutputPath selects the state output; OutputPath null gives {}.
func applyOutputPath(st *state, data any) (any, *TaskError) {
	return selectPath(st.outputPath, data, "OutputPath")
}

func selectPath(p *ioPath, data any, field string) (any, *TaskError) {
	switch {
	case p == nil:
		return data, nil
	case p.discard:
		return map[string]any{}, nil
	}
	v, ok := p.p.get(data)
	if !ok {
		return nil, runtimeErr("the %s %s could not be found in the input %s", field, p.p.raw, describe(data))
	}
	return v, nil
}

// applyResultPath combines the state's raw input with the result: by default
// the result replaces the input, null discards the result, and a path stores
// the result inside a copy of the input.
func applyResultPath(p *ioPath, raw, result any) (any, *TaskError) {
	switch {
	case p == nil:
		return result, nil
	case p.discard:
		return raw, nil
	}
	out, ok := p.p.set(raw, result)
	if !ok {
		return nil, &TaskError{Name: ErrResultPathMatchFailure, Cause: fmt.Sprintf("unable to apply ResultPath %s to the input %s", p.p.raw, describe(raw))}
	}
	return out, nil
}

// randomUUID returns a version 4 UUID.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

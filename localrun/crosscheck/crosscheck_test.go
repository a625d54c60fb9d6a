package crosscheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlpipeline-go/mlpipeline/infra"
	"github.com/mlpipeline-go/mlpipeline/localrun/asl"
	"github.com/mlpipeline-go/mlpipeline/localrun/standin"
)

// trace is what an engine did in one execution: the states entered in
// order, every Task call's request (the effective input its integration
// received), and how the execution ended.
type trace struct {
	States []string   `json:"states"`
	Tasks  []taskCall `json:"tasks"`
	Status string     `json:"status"`
	Output any        `json:"output,omitempty"`
	Error  string     `json:"error,omitempty"`
	Cause  string     `json:"cause,omitempty"`
}

// taskCall is one call of a Task state's integration.
type taskCall struct {
	State   string `json:"state"`
	Request any    `json:"request"`
}

// canonical returns tr with its JSON values decoded alike (numbers as
// float64), so that values compare equal whichever engine produced them.
func canonical(tr trace) trace {
	tr.Output = roundTrip(tr.Output)
	tasks := make([]taskCall, len(tr.Tasks))
	for i, c := range tr.Tasks {
		tasks[i] = taskCall{State: c.State, Request: roundTrip(c.Request)}
	}
	tr.Tasks = tasks
	return tr
}

func roundTrip(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<not JSON: %v>", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Sprintf("<not JSON: %v>", err)
	}
	return out
}

// recorder wraps the local stand-ins, recording every call's request and
// what the stand-in answered, which become the engine's mocks.
type recorder struct {
	mu       sync.Mutex
	tasks    []taskCall
	mocks    map[string][]mock
	problems []string
}

func (r *recorder) wrap(h standin.Handler) asl.Handler {
	return func(ctx context.Context, call asl.Call) (any, error) {
		req := roundTrip(call.Parameters)
		v, err := h(ctx, call)
		r.mu.Lock()
		defer r.mu.Unlock()
		if call.RetryCount > 0 {
			// The engine's $$.State.RetryCount stays at the value
			// engineContext gives it, so a retried attempt's request
			// (job names hash the retry count) cannot be compared.
			r.problems = append(r.problems, fmt.Sprintf("state %q was retried (%s), which the cross-check cannot compare: the engine does not count $$.State.RetryCount", call.StateName, errText(err)))
		}
		r.tasks = append(r.tasks, taskCall{State: call.StateName, Request: req})
		var te *asl.TaskError
		switch {
		case err == nil:
			r.mocks[call.StateName] = append(r.mocks[call.StateName], mock{Result: roundTrip(v)})
		case errors.As(err, &te):
			r.mocks[call.StateName] = append(r.mocks[call.StateName], mock{Error: te.Name, Cause: te.Cause})
		default:
			// Package local reports a broken local setup this way, never
			// something AWS would answer.
			r.problems = append(r.problems, fmt.Sprintf("state %q: the local stand-in failed: %v", call.StateName, err))
			r.mocks[call.StateName] = append(r.mocks[call.StateName], mock{Error: asl.ErrTaskFailed, Cause: err.Error()})
		}
		return v, err
	}
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// world is the local AWS of one path: a store seeded as the local run
// seeds it, a model registry, and the fake job binaries.
type world struct {
	s        synthesized
	dir      string
	store    *standin.Store
	registry string
	bins     map[string]string
}

func newWorld(t *testing.T, s synthesized) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{s: s, dir: dir, store: &standin.Store{Root: filepath.Join(dir, "s3")}, registry: filepath.Join(dir, "registry.json")}
	for uri, body := range map[string]string{
		"s3://" + s.dataBucket + "/raw/data/data.csv":         "1,2\n",
		"s3://" + s.dataBucket + "/raw/schema/schema.json":    "{}\n",
		"s3://" + s.dataBucket + "/inference/data.csv":        "1,2\n",
		"s3://" + s.artifactBucket + "/readme/crosscheck.txt": "artifact bucket\n",
	} {
		if err := w.store.Put(uri, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	if w.bins, err = fakeJobBinaries(bin); err != nil {
		t.Fatal(err)
	}
	return w
}

// config returns the stand-ins' configuration, with jobEnv for the fake
// jobs.
func (w *world) config(jobEnv []string) standin.Config {
	return standin.Config{
		Store:        w.store,
		RunDir:       filepath.Join(w.dir, "run"),
		Binaries:     w.bins,
		RegistryFile: w.registry,
		Env:          append([]string{fakeJobEnv + "=1"}, jobEnv...),
	}
}

// run executes the kind's definition under our executor with the local
// stand-ins, recording through rec when it is not nil.
func (w *world) run(t *testing.T, kind, execution string, input map[string]any, jobEnv []string, rec *recorder) asl.Result {
	t.Helper()
	handlers := map[string]asl.Handler{}
	for resource, h := range standin.Handlers(w.config(jobEnv)) {
		if rec != nil {
			h = rec.wrap(h)
		}
		handlers[resource] = h
	}
	sm, err := asl.Parse(w.s.defs[kind])
	if err != nil {
		t.Fatalf("%s %s definition: %v", w.s.env.Name, kind, err)
	}
	e := &asl.Executor{
		Handlers: handlers,
		Sleep:    func(context.Context, time.Duration) error { return nil },
		Now:      func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		Rand:     func() float64 { return 0.5 },
		UUID:     func() string { return "00000000-0000-4000-8000-000000000000" },
	}
	res, err := e.Run(context.Background(), sm, execution, input)
	if err != nil {
		t.Fatalf("%s %s execution %s: %v", w.s.env.Name, kind, execution, err)
	}
	return res
}

// gateValues returns a metric value the environment's quality gate
// passes, one it rejects, and a threshold for the execution input that
// rejects the passing value. The values are exact in binary and short in
// decimal, so that both engines print them alike in States.Format.
func gateValues(g infra.QualityGate) (pass, fail, stricter float64) {
	if g.HigherIsBetter() {
		pass = g.Threshold + (1-g.Threshold)/2
		return pass, g.Threshold / 2, (pass + 1) / 2
	}
	return g.Threshold * 0.75, g.Threshold * 1.25, g.Threshold * 0.5
}

// evaluation returns an evaluation.json, in SageMaker's model quality
// layout, with the gate's metric at value.
func evaluation(g infra.QualityGate, value float64) string {
	group, metric, _ := strings.Cut(g.Key(), ".")
	b, _ := json.Marshal(map[string]any{group: map[string]any{metric: map[string]any{"value": value, "standard_deviation": 0}}})
	return string(b)
}

// scenario is one of the pipeline's main paths.
type scenario struct {
	name  string
	kind  string
	input map[string]any
	// jobEnv configures the fake jobs (fakeFailEnv, fakeEvaluationEnv).
	jobEnv []string
	// approvedModel trains and approves a model before the execution.
	approvedModel bool
	// want checks the path's end under our executor: that the path really
	// is the one named.
	want func(t *testing.T, res asl.Result)
}

func scenarios(s synthesized) []scenario {
	g := s.env.QualityGate
	pass, fail, stricter := gateValues(g)
	evalEnv := func(v float64) string { return fakeEvaluationEnv + "=" + evaluation(g, v) }
	ended := func(status, errName string, states ...string) func(*testing.T, asl.Result) {
		return func(t *testing.T, res asl.Result) {
			t.Helper()
			if res.Status != status || res.Error != errName {
				t.Errorf("ours ended %s %s (%s), want %s %s", res.Status, res.Error, res.Cause, status, errName)
			}
			for _, st := range states {
				if !slices.Contains(res.States, st) {
					t.Errorf("ours never entered %s: %v", st, res.States)
				}
			}
		}
	}
	return []scenario{
		{name: "gate-pass", kind: "training", jobEnv: []string{evalEnv(pass)}, want: ended(asl.StatusSucceeded, "", "RegisterModel")},
		{name: "gate-fail", kind: "training", jobEnv: []string{evalEnv(fail)}, want: ended(asl.StatusFailed, "ModelRejected", "NotifyRejected")},
		{
			name: "threshold-override", kind: "training", input: map[string]any{"threshold": stricter}, jobEnv: []string{evalEnv(pass)},
			want: func(t *testing.T, res asl.Result) {
				ended(asl.StatusFailed, "ModelRejected")(t, res)
				if th := strconv.FormatFloat(stricter, 'f', -1, 64); !strings.Contains(res.Cause, th) {
					t.Errorf("the cause %q does not name the threshold %s of the execution input", res.Cause, th)
				}
			},
		},
		{name: "unknown-input-field", kind: "training", input: map[string]any{"treshold": stricter}, jobEnv: []string{evalEnv(pass)}, want: rejectedInput},
		{name: "extra-input-field", kind: "training", input: map[string]any{"threshold": stricter, "zone": "a"}, jobEnv: []string{evalEnv(pass)}, want: rejectedInput},
		{
			name: "job-failure", kind: "training", jobEnv: []string{evalEnv(pass), fakeFailEnv + "=train"},
			want: func(t *testing.T, res asl.Result) {
				ended(asl.StatusFailed, asl.ErrTaskFailed, "NotifyFailure")(t, res)
				if !strings.Contains(res.Cause, "failed on purpose") {
					t.Errorf("the cause %q is not the training job's failure", res.Cause)
				}
			},
		},
		{name: "no-evaluation", kind: "training", want: ended(asl.StatusFailed, "S3.NoSuchKeyException", "NotifyFailure")},
		{name: "approved-model", kind: "inference", approvedModel: true, jobEnv: []string{evalEnv(pass)}, want: ended(asl.StatusSucceeded, "", "Infer")},
		{name: "no-approved-model", kind: "inference", want: ended(asl.StatusFailed, "NoApprovedModel", "NotifyNoModel")},
	}
}

// rejectedInput checks that an execution input failed before any job ran.
func rejectedInput(t *testing.T, res asl.Result) {
	t.Helper()
	if res.Status != asl.StatusFailed || res.Error != "InvalidInput" {
		t.Errorf("ours ended %s %s (%s), want FAILED InvalidInput", res.Status, res.Error, res.Cause)
	}
	if slices.Contains(res.States, "Preprocess") || !slices.Contains(res.States, "NotifyFailure") {
		t.Errorf("want the failure notified before any job: %v", res.States)
	}
}

// approveModel trains a model that passes the gate and makes sure an
// approved version of it is registered: environments with manual approval
// register it pending, and a person approves it; locally a second version,
// registered approved, stands for that.
func approveModel(t *testing.T, w *world, jobEnv []string) error {
	t.Helper()
	res := w.run(t, "training", "crosscheck-setup", map[string]any{}, jobEnv, nil)
	if res.Status != asl.StatusSucceeded {
		return fmt.Errorf("setup: the training that registers a model ended %s %s: %s", res.Status, res.Error, res.Cause)
	}
	if !w.s.env.ManualApproval {
		return nil
	}
	out, _ := res.Output.(map[string]any)
	registered, _ := out["registered"].(map[string]any)
	arn, _ := registered["ModelPackageArn"].(string)
	h := standin.Handlers(w.config(nil))
	desc, err := h[standin.ResourceDescribeModelPackage](context.Background(), asl.Call{Parameters: map[string]any{"ModelPackageName": arn}})
	if err != nil {
		return fmt.Errorf("setup: describe the registered model %q: %w", arn, err)
	}
	d, _ := desc.(map[string]any)
	if _, err := h[standin.ResourceCreateModelPackage](context.Background(), asl.Call{Parameters: map[string]any{
		"ModelPackageGroupName":  d["ModelPackageGroupName"],
		"ModelApprovalStatus":    "Approved",
		"InferenceSpecification": d["InferenceSpecification"],
	}}); err != nil {
		return fmt.Errorf("setup: approve %q: %w", arn, err)
	}
	return nil
}

// pathRun is one scenario as our executor ran it.
type pathRun struct {
	name     string
	sc       scenario
	res      asl.Result
	ours     trace
	problems []string
	engine   engineCase
	added    []string
}

// TestEnginesAgree runs every environment's definitions over the main
// paths under our executor, with the local stand-ins, and under
// aws-local-stepfunctions, with the stand-ins' answers as mocks, and fails
// on any difference in the states entered, the Task requests, or the
// execution's output, error and cause.
func TestEnginesAgree(t *testing.T) {
	node := needEngine(t)
	if len(environments) < 2 {
		t.Fatalf("%d environments; the cross-check needs dev and at least one other", len(environments))
	}
	var runs []*pathRun
	for _, s := range environments {
		for _, sc := range scenarios(s) {
			name := s.env.Name + "/" + sc.kind + "/" + sc.name
			w := newWorld(t, s)
			var problems []string
			if sc.approvedModel {
				if err := approveModel(t, w, sc.jobEnv); err != nil {
					problems = append(problems, err.Error())
				}
			}
			input := sc.input
			if input == nil {
				input = map[string]any{}
			}
			execution := "crosscheck-" + sc.name
			rec := &recorder{mocks: map[string][]mock{}}
			res := w.run(t, sc.kind, execution, input, sc.jobEnv, rec)
			r := &pathRun{name: name, sc: sc, res: res, problems: append(problems, rec.problems...)}
			r.ours = canonical(trace{States: res.States, Tasks: rec.tasks, Status: res.Status, Output: res.Output, Error: res.Error, Cause: res.Cause})
			def, added, err := forEngine(s.defs[sc.kind])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			r.added = added
			r.problems = append(r.problems, checkEngineSupport(s.defs[sc.kind])...)
			r.engine = engineCase{Name: name, Definition: def, Input: input, Context: engineContext(execution), Mocks: rec.mocks}
			runs = append(runs, r)
		}
	}
	cases := make([]engineCase, len(runs))
	for i, r := range runs {
		cases[i] = r.engine
	}
	traces := runEngine(t, node, cases)
	for i, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			r.sc.want(t, r.res)
			for _, p := range append(r.problems, traces[i].Problems...) {
				t.Error(p)
			}
			engine := traces[i].trace
			engine.States = slices.DeleteFunc(engine.States, func(s string) bool { return slices.Contains(r.added, s) })
			for _, d := range differences(r.ours, engine) {
				t.Error(d)
			}
		})
	}
}

// differences describes, one message each, how the engine's trace differs
// from ours, naming the states concerned.
func differences(ours, engine trace) []string {
	var out []string
	if !slices.Equal(ours.States, engine.States) {
		n := 0
		for n < len(ours.States) && n < len(engine.States) && ours.States[n] == engine.States[n] {
			n++
		}
		after := "at the start"
		if n > 0 {
			after = "after state " + strconv.Quote(ours.States[n-1])
		}
		out = append(out, fmt.Sprintf("the states entered differ %s: ours entered %s, the engine %s (-ours +engine):\n%s",
			after, stateAt(ours.States, n), stateAt(engine.States, n), cmp.Diff(ours.States, engine.States)))
	}
	for i := 0; i < max(len(ours.Tasks), len(engine.Tasks)); i++ {
		switch {
		case i >= len(ours.Tasks):
			out = append(out, fmt.Sprintf("task call %d: only the engine called state %q", i+1, engine.Tasks[i].State))
		case i >= len(engine.Tasks):
			out = append(out, fmt.Sprintf("task call %d: only ours called state %q", i+1, ours.Tasks[i].State))
		case ours.Tasks[i].State != engine.Tasks[i].State:
			out = append(out, fmt.Sprintf("task call %d: ours called state %q, the engine %q", i+1, ours.Tasks[i].State, engine.Tasks[i].State))
		default:
			if d := cmp.Diff(ours.Tasks[i].Request, engine.Tasks[i].Request); d != "" {
				out = append(out, fmt.Sprintf("task call %d, state %q: the requests differ (-ours +engine):\n%s", i+1, ours.Tasks[i].State, d))
			}
		}
	}
	last := stateAt(ours.States, len(ours.States)-1)
	if ours.Status != engine.Status || ours.Error != engine.Error || ours.Cause != engine.Cause {
		out = append(out, fmt.Sprintf("the execution ended differently (ours in state %s, the engine in %s):\n  ours:   %s %s: %s\n  engine: %s %s: %s",
			last, stateAt(engine.States, len(engine.States)-1), ours.Status, ours.Error, ours.Cause, engine.Status, engine.Error, engine.Cause))
	}
	if d := cmp.Diff(ours.Output, engine.Output); d != "" {
		out = append(out, fmt.Sprintf("the execution output, after state %s, differs (-ours +engine):\n%s", last, d))
	}
	return out
}

func stateAt(states []string, i int) string {
	if i < 0 || i >= len(states) {
		return "nothing"
	}
	return strconv.Quote(states[i])
}

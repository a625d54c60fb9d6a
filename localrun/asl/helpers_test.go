package asl

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fixedNow is the clock of every test execution, so context-object times are
// predictable.
var fixedNow = time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

func mustParse(t *testing.T, def string) *StateMachine {
	t.Helper()
	sm, err := Parse([]byte(def))
	require.NoError(t, err)
	return sm
}

// recorder is a test Executor whose sleeps are recorded instead of waited.
type recorder struct {
	Executor
	waits  []time.Duration
	events []Event
}

func newRecorder(handlers map[string]Handler) *recorder {
	r := &recorder{}
	r.Handlers = handlers
	r.Now = func() time.Time { return fixedNow }
	r.Sleep = func(_ context.Context, d time.Duration) error {
		r.waits = append(r.waits, d)
		return nil
	}
	r.Observe = func(ev Event) { r.events = append(r.events, ev) }
	r.Rand = func() float64 { return 1 }
	r.UUID = func() string { return "00000000-0000-4000-8000-000000000000" }
	return r
}

// runJSON runs sm on a JSON input and fails the test on executor errors.
func (r *recorder) runJSON(t *testing.T, sm *StateMachine, input string) Result {
	t.Helper()
	var in any
	require.NoError(t, json.Unmarshal([]byte(input), &in))
	res, err := r.Run(context.Background(), sm, "exec-1", in)
	require.NoError(t, err)
	return res
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// echo is a handler that returns its parameters.
func echo(_ context.Context, c Call) (any, error) { return c.Parameters, nil }

// failing returns a handler that fails with name every time and counts calls.
func failing(name string, calls *int) Handler {
	return func(context.Context, Call) (any, error) {
		*calls++
		return nil, &TaskError{Name: name, Cause: "boom"}
	}
}

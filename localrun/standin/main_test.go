package standin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeJobSource is a stand-in for the job binaries. Its first argument picks
// what it does; container paths in arguments are remapped below
// MLPIPELINE_SAGEMAKER_ROOT, as the real binaries do. Every run records its
// arguments in <root>/args.txt and $FAKE_VAR in <root>/env.txt; "layout"
// records what the job found in its /opt/ml before that, in
// <root>/layout.txt.
const fakeJobSource = `package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

var root = os.Getenv("MLPIPELINE_SAGEMAKER_ROOT")

func local(p string) string {
	return filepath.Join(root, strings.TrimPrefix(p, "/opt/ml/"))
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(9)
	}
}

func copyTree(src, dst string) {
	must(filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		must(os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755))
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	}))
}

func host() string {
	for _, p := range []string{"config/resourceconfig.json", "input/config/resourceconfig.json"} {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			continue
		}
		var rc struct{ CurrentHost string ` + "`json:\"current_host\"`" + ` }
		must(json.Unmarshal(b, &rc))
		return rc.CurrentHost
	}
	return "none"
}

// layout lists every path below root with its type and permission bits,
// one "drwxr-xr-x input/data" line each, in WalkDir's (lexical) order, then the SageMaker
// environment variables of a training job that are set.
func layout() string {
	var lines []string
	must(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		lines = append(lines, (info.Mode()&(fs.ModeDir|fs.ModePerm)).String()+" "+filepath.ToSlash(rel))
		return nil
	}))
	for _, k := range []string{"TRAINING_JOB_NAME", "TRAINING_JOB_ARN"} {
		if v, ok := os.LookupEnv(k); ok {
			lines = append(lines, "env "+k+"="+v)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func main() {
	var view string
	if len(os.Args) > 1 && os.Args[1] == "layout" {
		view = layout()
	}
	must(os.WriteFile(filepath.Join(root, "args.txt"), []byte(strings.Join(os.Args[1:], " ")), 0o644))
	must(os.WriteFile(filepath.Join(root, "env.txt"), []byte(os.Getenv("FAKE_VAR")), 0o644))
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	switch args := os.Args[2:]; os.Args[1] {
	case "layout":
		must(os.WriteFile(filepath.Join(root, "layout.txt"), []byte(view), 0o644))
	case "message": // message TEXT [BYTE [STATUS]]: write TEXT, then the byte given in hex, as the exit message; exit with STATUS
		b := []byte(args[0])
		if len(args) > 1 {
			x, err := strconv.ParseUint(args[1], 16, 8)
			must(err)
			b = append(b, byte(x))
		}
		must(os.MkdirAll(filepath.Join(root, "output"), 0o755))
		must(os.WriteFile(filepath.Join(root, "output", "message"), b, 0o644))
		if len(args) > 2 {
			status, err := strconv.Atoi(args[2])
			must(err)
			os.Exit(status)
		}
	case "scribble": // scribble PATH: append to a file, as a job must not do to its inputs
		f, err := os.OpenFile(local(args[0]), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		must(err)
		_, err = f.WriteString("scribbled")
		must(err)
		must(f.Close())
	case "copy": // copy IN OUT
		copyTree(local(args[0]), local(args[1]))
		must(os.WriteFile(filepath.Join(local(args[1]), "host-"+host()+".txt"), []byte(host()), 0o644))
		fmt.Println("copied on", host())
	case "fail": // fail MESSAGE [OUTDIR]
		if len(args) > 1 {
			must(os.WriteFile(filepath.Join(local(args[1]), "partial.txt"), []byte("partial"), 0o644))
		}
		must(os.MkdirAll(filepath.Join(root, "output"), 0o755))
		must(os.WriteFile(filepath.Join(root, "output", "message"), []byte(args[0]+"\n"), 0o644))
		must(os.WriteFile(filepath.Join(root, "output", "failure"), []byte(args[0]+"\n"), 0o644))
		fmt.Fprintln(os.Stderr, "not the reason")
		os.Exit(3)
	case "stderr":
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(os.Stderr, "stderr line %d\n", i)
		}
		os.Exit(1)
	case "panic": // a Go crash whose stack trace is longer than the stderr tail
		var deep func(n int)
		deep = func(n int) {
			if n == 0 {
				panic("fake job crashed")
			}
			deep(n - 1)
		}
		deep(20)
	case "sleep":
		s, _ := strconv.Atoi(args[0])
		time.Sleep(time.Duration(s) * time.Second)
	case "train":
		model := filepath.Join(root, "model")
		b, err := os.ReadFile(filepath.Join(root, "input/config/hyperparameters.json"))
		must(err)
		must(os.WriteFile(filepath.Join(model, "hyperparameters.json"), b, 0o600))
		copyTree(filepath.Join(root, "input/data"), model)
		fmt.Println("epoch 1 train-rmse:0.5")
		fmt.Println("epoch 2 train-rmse:0.25 extra")
		fmt.Fprintln(os.Stderr, "validation-rmse:0.3")
	default:
		os.Exit(2)
	}
}
`

// fakeJob is the built fake job binary.
var fakeJob string

func TestMain(m *testing.M) {
	// The modes the layout tests expect are those of the usual umask.
	setUmask(0o022)
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "local-fake-job-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	for name, content := range map[string]string{"main.go": fakeJobSource, "go.mod": "module fakejob\n\ngo 1.22\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fakeJob = filepath.Join(dir, "fakejob")
	cmd := exec.Command("go", "build", "-o", fakeJob, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the fake job: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of jobs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testEnv is a Config in temporary directories with every job binary name
// mapped to the fake job.
type testEnv struct {
	t        *testing.T
	cfg      Config
	handlers map[string]Handler
	notify   *syncBuffer
	log      *syncBuffer
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	e := &testEnv{t: t, notify: &syncBuffer{}, log: &syncBuffer{}}
	e.cfg = Config{
		Store:        &Store{Root: filepath.Join(dir, "s3")},
		RunDir:       filepath.Join(dir, "run"),
		Binaries:     map[string]string{"preprocess": fakeJob, "train": fakeJob, "evaluate": fakeJob, "infer": fakeJob},
		RegistryFile: filepath.Join(dir, "registry", "models.json"),
		Notify:       e.notify,
		Log:          e.log,
		Env:          []string{"FAKE_VAR=config", "FAKE_OTHER=config"},
	}
	e.handlers = Handlers(e.cfg)
	return e
}

// decoded returns v as the executor hands it over: decoded JSON, with
// numbers as json.Number when useNumber is set and float64 otherwise.
func decoded(t *testing.T, v any, useNumber bool) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(b))
	if useNumber {
		dec.UseNumber()
	}
	var out any
	require.NoError(t, dec.Decode(&out))
	return out
}

// call runs the handler for resource with params.
func (e *testEnv) call(resource string, params any, useNumber bool) (any, error) {
	e.t.Helper()
	h, ok := e.handlers[resource]
	require.True(e.t, ok, "no handler for %s", resource)
	return h(context.Background(), Call{Resource: resource, Parameters: decoded(e.t, params, useNumber), StateName: "S", ExecutionName: "exec-1"})
}

// put stores content as uri.
func (e *testEnv) put(uri, content string) {
	e.t.Helper()
	require.NoError(e.t, e.cfg.Store.Put(uri, bytes.NewBufferString(content)))
}

// readFile returns the content of a file, failing the test if it is missing.
func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

// taskError asserts that err is a *TaskError named name and returns it.
func taskError(t *testing.T, err error, name string) *TaskError {
	t.Helper()
	require.Error(t, err)
	te, ok := err.(*TaskError)
	require.True(t, ok, "want a *TaskError, got %T: %v", err, err)
	require.Equal(t, name, te.Name, "cause: %s", te.Cause)
	return te
}

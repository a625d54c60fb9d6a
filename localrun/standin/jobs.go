package standin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// RootEnv is the environment variable that tells a job binary where its
// /opt/ml is; the binaries remap every default container path below it.
const RootEnv = "MLPIPELINE_SAGEMAKER_ROOT"

// containerRoot is the directory SageMaker mounts a job's files under.
const containerRoot = "/opt/ml"

// defaultMaxRuntime is SageMaker's default MaxRuntimeInSeconds (one day),
// used when a request leaves StoppingCondition out.
const defaultMaxRuntime = 24 * time.Hour

// maxFailureReason is the length SageMaker cuts FailureReason to.
const maxFailureReason = 1024

// stderrTail is how many of the last stderr lines make the failure reason
// of a job that exits without writing its failure file.
const stderrTail = 10

// jobNamePattern is SageMaker's pattern for job names. Enforcing it also
// keeps the name a single, safe directory name.
var jobNamePattern = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)

// channelNamePattern is SageMaker's pattern for channel and input names.
var channelNamePattern = regexp.MustCompile(`^[A-Za-z0-9.\-_]{1,64}$`)

// containerRel maps a container path below /opt/ml to a slash path relative
// to the job root, so "/opt/ml/processing/input" gives "processing/input".
// Paths outside /opt/ml have no local counterpart and are rejected.
func containerRel(p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("local path %q is not absolute", p)
	}
	rel, ok := strings.CutPrefix(path.Clean(p), containerRoot+"/")
	if !ok {
		return "", fmt.Errorf("local path %q is not below %s", p, containerRoot)
	}
	return rel, nil
}

// job is one SageMaker job being run locally.
type job struct {
	kind        string // "Processing" or "Training", as in the API's field names
	name        string
	dir         string   // RunDir/jobs/<name>
	hosts       []string // algo-1 ..
	failureFile string   // relative to a host root: where the job explains a failure
	maxRuntime  time.Duration
	maxSeconds  int
	bin         string
	args        []string
	env         []string // the job's own Environment, "KEY=value"
	// onLine, if set, sees every stdout and stderr line of algo-1.
	onLine func(line string)
	// call and settings are the request that started the job, for the
	// requests it records.
	call     Call
	settings jobSettings
	// readOnly are the directories (relative to a host root) whose files
	// the job may read but not change: its inputs and its config.
	readOnly []string
}

// root returns the /opt/ml of host i (0-based).
func (j *job) root(i int) string {
	return filepath.Join(j.dir, j.hosts[i])
}

// arn returns the job's ARN in the local fake account.
func (j *job) arn() string {
	kind := map[string]string{"Processing": "processing-job", "Training": "training-job"}[j.kind]
	return "arn:aws:sagemaker:local:000000000000:" + kind + "/" + strings.ToLower(j.name)
}

// failed returns the TaskError Step Functions reports for a failed .sync
// job: States.TaskFailed, with the job's description as the cause.
func (j *job) failed(reason string) error {
	cause, _ := json.Marshal(map[string]string{
		"FailureReason":      truncate(reason, maxFailureReason),
		j.kind + "JobName":   j.name,
		j.kind + "JobArn":    j.arn(),
		j.kind + "JobStatus": "Failed",
	})
	return &TaskError{Name: "States.TaskFailed", Cause: string(cause)}
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// createJobDir claims the job's name by creating its directory. SageMaker
// rejects a second job with an existing name, and so does this, atomically
// even for jobs started concurrently.
func (s *service) createJobDir(name string) (string, error) {
	if s.cfg.RunDir == "" {
		return "", errors.New("local: Config.RunDir is empty")
	}
	jobs := filepath.Join(s.cfg.RunDir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		return "", err
	}
	dir := filepath.Join(jobs, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", &TaskError{Name: "SageMaker.ResourceInUse", Cause: fmt.Sprintf("Job %s already exists (%s).", name, dir)}
		}
		return "", err
	}
	return dir, nil
}

// binary resolves a container entrypoint to a local executable. An
// entrypoint with no local executable fails the job, as an image without
// that program would.
func (s *service) binary(j *job, entrypoint string) (string, error) {
	name := path.Base(entrypoint)
	bin, ok := s.cfg.Binaries[name]
	if !ok || bin == "" {
		return "", j.failed(fmt.Sprintf("no local executable for container entrypoint %q (binary %q); Config.Binaries has none", entrypoint, name))
	}
	return bin, nil
}

// run starts one process per host and waits for all of them. It returns a
// *TaskError if the job failed, another error if it could not be run or
// ctx was cancelled. The first host to fail stops the others, as SageMaker
// stops a cluster, and its reason is the one reported.
func (s *service) run(ctx context.Context, j *job) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	timed, cancelTimer := context.WithTimeout(runCtx, s.enforcedRuntime(j.maxRuntime))
	defer cancelTimer()

	var (
		mu      sync.Mutex
		failure error
		wg      sync.WaitGroup
	)
	for i := range j.hosts {
		wg.Go(func() {
			err := s.runHost(timed, j, i)
			if err == nil {
				return
			}
			if ctx.Err() == nil && errors.Is(timed.Err(), context.DeadlineExceeded) {
				err = j.failed(fmt.Sprintf("Job exceeded its maximum runtime of %d seconds (StoppingCondition.MaxRuntimeInSeconds) and was stopped.", j.maxSeconds))
			}
			mu.Lock()
			if failure == nil {
				failure = err
			}
			mu.Unlock()
			stop()
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return failure
}

// enforcedRuntime is how long a job with the maximum runtime d may run:
// d, scaled by Config.MaxRuntimeScale when that is set.
func (s *service) enforcedRuntime(d time.Duration) time.Duration {
	if s.cfg.MaxRuntimeScale > 0 {
		return time.Duration(float64(d) * s.cfg.MaxRuntimeScale)
	}
	return d
}

// isCrashLine reports whether a stderr line starts the Go runtime's report
// of a crash ("panic: ..." or "fatal error: ..."), the line that says what
// went wrong in a job that exits without writing its failure file.
func isCrashLine(line string) bool {
	return strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ")
}

// runHost runs host i's process to completion.
func (s *service) runHost(ctx context.Context, j *job, i int) error {
	root := j.root(i)
	logFile, err := os.Create(filepath.Join(j.dir, j.hosts[i]+".log"))
	if err != nil {
		return err
	}
	defer logFile.Close()

	// A log line is named by its stream, as CloudWatch names a job's:
	// <job name>/<host>.
	prefix := j.name + "/" + j.hosts[i]
	var (
		tail []string
		// crash is the first line of a Go crash report, which a long stack
		// trace can push out of tail.
		crash    string
		crashPos = -1 // its index in tail, while it is there
	)
	emit := func(line string, stderr bool) {
		s.logMu.Lock()
		defer s.logMu.Unlock()
		fmt.Fprintln(logFile, line)
		if s.cfg.Log != nil {
			fmt.Fprintf(s.cfg.Log, "%s: %s\n", prefix, line)
		}
		if stderr {
			if crash == "" && isCrashLine(line) {
				crash, crashPos = line, len(tail)
			}
			tail = append(tail, line)
			if len(tail) > stderrTail {
				tail = tail[1:]
				crashPos--
			}
		}
		if i == 0 && j.onLine != nil {
			j.onLine(line)
		}
	}
	stdout := &lineWriter{emit: func(l string) { emit(l, false) }}
	stderr := &lineWriter{emit: func(l string) { emit(l, true) }}

	before, err := snapshot(root, j.readOnly)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, j.bin, j.args...)
	cmd.Dir = root
	cmd.Env = append(append(append(os.Environ(), s.cfg.Env...), j.env...), RootEnv+"="+root)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A child that keeps the output pipes open must not hold up a job that
	// was killed.
	cmd.WaitDelay = 2 * time.Second
	runErr := cmd.Run()
	stdout.flush()
	stderr.flush()
	if runErr == nil {
		after, err := snapshot(root, j.readOnly)
		if err != nil {
			return err
		}
		if err := checkReadOnly(before, after); err != nil {
			return j.failed(err.Error())
		}
		return nil
	}
	var exitErr *exec.ExitError
	if !errors.As(runErr, &exitErr) && ctx.Err() == nil {
		// The process did not start: a broken Config.Binaries entry.
		return j.failed(fmt.Sprintf("cannot start %s: %v", j.bin, runErr))
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	reason := ""
	if b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(j.failureFile))); err == nil {
		reason = strings.TrimSpace(string(b))
		if j.kind == "Processing" && !utf8.Valid(b) {
			reason = notUTF8
		}
	}
	if reason == "" {
		s.logMu.Lock()
		reason = strings.TrimSpace(strings.Join(tail, "\n"))
		if crash != "" && crashPos < 0 {
			// Keep what crashed ahead of the end of the stack trace.
			reason = crash + "\n...\n" + reason
		}
		s.logMu.Unlock()
	}
	if reason == "" {
		reason = "AlgorithmError: " + runErr.Error()
	}
	return j.failed(reason)
}

// lineWriter splits a stream into lines. exec gives stdout and stderr each
// their own goroutine, so a lineWriter sees no concurrent writes.
type lineWriter struct {
	buf  []byte
	emit func(line string)
}

// maxLine bounds a line without a newline, so a binary writing one endless
// line cannot use up memory.
const maxLine = 64 << 10

// Write emits every complete line in p.
func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(strings.TrimSuffix(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxLine {
		w.flush()
	}
	return len(p), nil
}

// flush emits what is left of an unterminated last line.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}

// maxRuntime turns MaxRuntimeInSeconds into a duration, with SageMaker's
// default for an absent value.
func maxRuntime(svc string, seconds int) (time.Duration, int, error) {
	switch {
	case seconds < 0:
		return 0, 0, validation(svc, "StoppingCondition.MaxRuntimeInSeconds must be positive, not %d", seconds)
	case seconds == 0:
		return defaultMaxRuntime, int(defaultMaxRuntime / time.Second), nil
	}
	return time.Duration(seconds) * time.Second, seconds, nil
}

// instanceCount checks an InstanceCount; absent means one instance.
func instanceCount(svc, field string, n int) (int, error) {
	switch {
	case n < 0:
		return 0, validation(svc, "%s must be at least 1, not %d", field, n)
	case n == 0:
		return 1, nil
	}
	return n, nil
}

// envList turns an Environment map into "KEY=value" entries, sorted so the
// process environment does not depend on map order.
func envList(m stringMap) []string {
	env := make([]string, 0, len(m))
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env
}

// downloadInput copies the objects under uri into dir/<rel> of each host,
// as read-only files.
// FullyReplicated gives every host every object; ShardedByS3Key gives
// object k (in key order) to host k mod n only. A prefix with no objects
// fails the job, as SageMaker does, because it is nearly always a wrong URI.
func (s *service) downloadInput(j *job, uri, distribution, rel string) error {
	bucket, objs, err := s.cfg.Store.objects(uri)
	if err != nil {
		return j.failed("ClientError: " + err.Error())
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.key
	}
	s.recordRead(j.call, j.settings.role, uri, bucket, keys)
	if len(objs) == 0 {
		return j.failed(fmt.Sprintf("ClientError: No S3 objects found under S3 URL %q given in input data source. Please ensure that the bucket exists in the selected region, that objects exist under that S3 prefix, and that the role has permission to read them.", uri))
	}
	for i := range j.hosts {
		dir := filepath.Join(j.root(i), filepath.FromSlash(rel))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for k, o := range objs {
			if distribution == "ShardedByS3Key" && k%len(j.hosts) != i {
				continue
			}
			// Read-only: see layout.go.
			if err := s.cfg.Store.copyOut(bucket, o, dir, readOnlyFile); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDistribution validates an S3DataDistributionType, defaulting to
// FullyReplicated as SageMaker does.
func checkDistribution(svc, field, d string) (string, error) {
	switch d {
	case "":
		return "FullyReplicated", nil
	case "FullyReplicated", "ShardedByS3Key":
		return d, nil
	}
	return "", validation(svc, "%s: unknown S3DataDistributionType %q", field, d)
}

// checkDataType accepts S3Prefix (the default); manifest files are not
// supported locally.
func checkDataType(svc, field, t string) error {
	if t == "" || t == "S3Prefix" {
		return nil
	}
	return validation(svc, "%s: S3DataType %q is not supported by the local run (only S3Prefix)", field, t)
}

// describe copies a request's fields into a Describe-like result, leaving
// out Tags, which Describe does not return.
func describe(params any) map[string]any {
	out := map[string]any{}
	for k, v := range paramsMap(params) {
		if k != "Tags" {
			out[k] = v
		}
	}
	return out
}

// needStore reports a missing Config.Store as a local setup error.
func (s *service) needStore() error {
	if s.cfg.Store == nil {
		return errors.New("local: Config.Store is nil")
	}
	return nil
}

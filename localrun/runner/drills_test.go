package runner

// Failure drills: each runs the synthesized definitions locally with one
// fault put in on purpose and checks the three things an operator relies
// on when something goes wrong: how the execution ended, what was
// notified, and that nothing half-done was left where a consumer would
// pick it up.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/localrun/standin"
)

// drillJobEnv, set in a process's environment, makes the test binary play
// a job container instead of running tests (see TestMain): the drills put
// the test binary in place of a job binary with Options.Binaries and pass
// this variable to the jobs with Options.JobEnv. The real job binaries
// ignore it.
const drillJobEnv = "LOCALRUN_DRILL_JOB"

// drillRealJobEnv names the real job binary that the "after-first-host"
// drill job runs.
const drillRealJobEnv = "LOCALRUN_DRILL_REAL_JOB"

// drillPIDFile is where a sleeping drill job writes its process id, in its
// working directory (the job's /opt/ml).
const drillPIDFile = "drill.pid"

// drillJob plays a job container in the way mode names and returns the
// process's exit status:
//   - "panic" crashes like a Go job with a bug;
//   - "noisy-failure" writes thirteen lines and exits 3, as a job that
//     gives up after some work does;
//   - "sleep" writes its process id and hangs;
//   - "after-first-host" runs the real processing job binary named by
//     $LOCALRUN_DRILL_REAL_JOB with its arguments, on hosts other than
//     algo-1 only once algo-1 has written a predictions file (NAME.out), so
//     that one instance has finished its output when another fails.
func drillJob(mode string) int {
	switch mode {
	case "after-first-host":
		root := os.Getenv(standin.RootEnv)
		if filepath.Base(root) != "algo-1" {
			first := filepath.Join(filepath.Dir(root), "algo-1", "processing", "output", "*.out")
			for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
				if done, _ := filepath.Glob(first); len(done) > 0 {
					break
				}
				if time.Now().After(deadline) {
					fmt.Fprintln(os.Stderr, "drill: algo-1 wrote no output")
					return 1
				}
			}
		}
		cmd := exec.Command(os.Getenv(drillRealJobEnv), os.Args[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				return exit.ExitCode()
			}
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case "panic":
		panic("drill: the job crashed")
	case "noisy-failure":
		// All on stdout: the local run reads stdout and stderr in two
		// goroutines, so lines of the two streams reach the log in either
		// order.
		for i := 1; i <= 12; i++ {
			fmt.Printf("drill: step %d\n", i)
		}
		fmt.Println("drill: giving up")
		return 3
	case "sleep":
		if err := os.WriteFile(drillPIDFile, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		time.Sleep(time.Hour)
		return 0
	}
	fmt.Fprintf(os.Stderr, "%s: unknown drill job %q\n", drillJobEnv, mode)
	return 1
}

// The states an undisturbed run goes through.
var (
	trainingStates  = []string{"Defaults", "Configure", "ValidateInput", "Preprocess", "Train", "Evaluate", "ReadEvaluation", "QualityGate", "RegisterModel", "NotifyRegistered", "Succeeded"}
	inferenceStates = []string{"Configure", "ValidateInput", "FindModel", "HasApprovedModel", "DescribeModel", "Infer", "NotifyDone", "Succeeded"}
)

// Subjects of the dev environment's notifications.
const (
	subjectRegistered      = "ML pipeline: model registered (mlp-dev)"
	subjectPredictions     = "ML pipeline: predictions ready (mlp-dev)"
	subjectTrainingFailed  = "ML pipeline failed: mlp-dev training"
	subjectInferenceFailed = "ML pipeline failed: mlp-dev inference"
)

// drillResult is a finished drill run.
type drillResult struct {
	*Summary
	runDir string
	out    string
}

// drill runs the pipeline with opt, in a run directory of its own.
func drill(t *testing.T, opt Options) drillResult {
	t.Helper()
	var out bytes.Buffer
	opt.ProjectDir = project
	if opt.RunDir == "" {
		opt.RunDir = filepath.Join(t.TempDir(), "run")
	}
	opt.Out = &out
	sum, err := Run(context.Background(), opt)
	require.NoError(t, err, out.String())
	return drillResult{Summary: sum, runDir: opt.RunDir, out: out.String()}
}

// testBinary returns the running test binary, which plays drill jobs.
func testBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	return exe
}

// jobFailure decodes the cause Step Functions reports for a failed .sync
// job: the job's description with its FailureReason.
func jobFailure(t *testing.T, cause string) map[string]string {
	t.Helper()
	var desc map[string]string
	require.NoError(t, json.Unmarshal([]byte(cause), &desc), "cause %q", cause)
	return desc
}

// assertFailureNotified checks that the only failure message is the one
// NotifyFailure published for execution, naming the error and cause the
// execution failed with.
func assertFailureNotified(t *testing.T, d drillResult, execution, subject, machine string, res failedExecution) {
	t.Helper()
	var failures []standin.Notification
	for _, n := range d.Notifications {
		if strings.Contains(n.Subject, "failed") {
			failures = append(failures, n)
		}
	}
	require.Len(t, failures, 1, "one failure notification; all: %+v", d.Notifications)
	n := failures[0]
	assert.Equal(t, execution, n.Execution)
	assert.Equal(t, "NotifyFailure", n.State)
	assert.Equal(t, subject, n.Subject)
	assert.Equal(t, fmt.Sprintf("Execution %s of mlp-dev %s failed: %s: %s", execution, machine, res.Error, res.Cause), n.Message)
}

// failedExecution is the error an execution failed with.
type failedExecution struct{ Error, Cause string }

// subjects returns the subjects of the published messages, in order.
func subjects(d drillResult) []string {
	var s []string
	for _, n := range d.Notifications {
		s = append(s, n.Subject)
	}
	return s
}

// storeKeys returns every object in the local store as bucket/key.
func storeKeys(t *testing.T, d drillResult) []string {
	t.Helper()
	root := filepath.Join(d.runDir, "s3")
	var keys []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		keys = append(keys, filepath.ToSlash(rel))
		return err
	})
	require.NoError(t, err)
	return keys
}

// assertNoObjects checks that the store holds no object whose key (after
// the bucket) starts with one of prefixes.
func assertNoObjects(t *testing.T, d drillResult, prefixes ...string) {
	t.Helper()
	for _, k := range storeKeys(t, d) {
		_, key, _ := strings.Cut(k, "/")
		for _, p := range prefixes {
			assert.False(t, strings.HasPrefix(key, p), "object %s is left under %s", k, p)
		}
	}
}

// temporaryName matches the names of files being written: the store's
// (.put-*), the registry's (.registry-*) and the jobs' (.NAME.tmp-*).
var temporaryName = regexp.MustCompile(`^\.(put-|registry-|.+\.tmp-)`)

// assertNoHalfWrittenFiles checks that no temporary file is left in the
// store, the registry's directory or the jobs' directories.
func assertNoHalfWrittenFiles(t *testing.T, d drillResult) {
	t.Helper()
	err := filepath.WalkDir(d.runDir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && (e.Name() == "cdk.out" || e.Name() == "bin") {
			return filepath.SkipDir // synthesis and build outputs
		}
		assert.False(t, temporaryName.MatchString(e.Name()), "half-written file %s", p)
		return nil
	})
	require.NoError(t, err)
}

// registeredModels returns the model data URLs of the registered versions,
// oldest first.
func registeredModels(t *testing.T, registryFile string) []string {
	t.Helper()
	data, err := os.ReadFile(registryFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	var reg struct {
		Packages []struct {
			InferenceSpecification struct {
				Containers []struct{ ModelDataUrl string }
			}
		}
	}
	require.NoError(t, json.Unmarshal(data, &reg))
	var urls []string
	for _, p := range reg.Packages {
		require.NotEmpty(t, p.InferenceSpecification.Containers)
		urls = append(urls, p.InferenceSpecification.Containers[0].ModelDataUrl)
	}
	return urls
}

// assertTrainingLeftNoModel checks what a failed training must not leave:
// a model, an evaluation, a registered version, a half-written file.
func assertTrainingLeftNoModel(t *testing.T, d drillResult) {
	t.Helper()
	assert.Empty(t, d.Inference.Status, "no inference after a failed training")
	assert.Empty(t, d.Model, "no model")
	assertNoObjects(t, d, "models/", "evaluation/", "predictions/")
	assert.Empty(t, registeredModels(t, filepath.Join(d.runDir, "registry.json")), "no registered model version")
	assertNoHalfWrittenFiles(t, d)
}

// assertInferenceLeftNoPredictions checks what a failed inference must not
// leave: predictions or a half-written file.
func assertInferenceLeftNoPredictions(t *testing.T, d drillResult) {
	t.Helper()
	assert.Empty(t, d.Predictions, "no predictions for the execution")
	assertNoObjects(t, d, "predictions/")
	assertNoHalfWrittenFiles(t, d)
}

// processGone reports whether no process has the id pid any more.
func processGone(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	return p.Signal(syscall.Signal(0)) != nil
}

// TestDrillJobCrash: the train job panics. The failure is caught, notified
// with the crash, and fails the execution; no model is kept or registered.
func TestDrillJobCrash(t *testing.T) {
	d := drill(t, Options{
		Binaries: map[string]string{"train": testBinary(t)},
		JobEnv:   []string{drillJobEnv + "=panic"},
	})

	assert.Equal(t, "FAILED", d.Training.Status, d.out)
	assert.Equal(t, "States.TaskFailed", d.Training.Error)
	assert.Equal(t, []string{"Defaults", "Configure", "ValidateInput", "Preprocess", "Train", "NotifyFailure", "Failed"}, d.Training.States)
	job := jobFailure(t, d.Training.Cause)
	assert.Equal(t, "Failed", job["TrainingJobStatus"])
	assert.True(t, strings.HasPrefix(job["TrainingJobName"], "mlp-dev-train-"), job["TrainingJobName"])
	assert.True(t, strings.HasPrefix(job["FailureReason"], "panic: drill: the job crashed\n"), "the reason starts with the crash: %q", job["FailureReason"])
	assert.Contains(t, job["FailureReason"], "main.main()", "then the end of the stack trace")
	assert.NotContains(t, d.out, "retry", "a crashed job is not retried")

	assertFailureNotified(t, d, trainingExecution, subjectTrainingFailed, "training", failedExecution{d.Training.Error, d.Training.Cause})
	assert.Equal(t, []string{subjectTrainingFailed}, subjects(d), "no other notification")
	assertTrainingLeftNoModel(t, d)
}

// TestDrillJobOverrunsMaxRuntime: the train job hangs past its maximum
// runtime (1 minute in cdk.json, enforced after 2 seconds with
// MaxRuntimeScale). The job is stopped, and its failure is caught and
// notified with SageMaker's reason.
func TestDrillJobOverrunsMaxRuntime(t *testing.T) {
	cdk := cdkJSONWith(t, func(dev map[string]any) {
		dev["jobs"].(map[string]any)["train"].(map[string]any)["maxRuntimeMinutes"] = 1
	})
	d := drill(t, Options{
		CDKJSON:         cdk,
		Binaries:        map[string]string{"train": testBinary(t)},
		JobEnv:          []string{drillJobEnv + "=sleep"},
		MaxRuntimeScale: 1.0 / 30, // 60 s for the train job, 120 s for the others
	})

	assert.Equal(t, "FAILED", d.Training.Status, d.out)
	assert.Equal(t, "States.TaskFailed", d.Training.Error)
	assert.Equal(t, []string{"Defaults", "Configure", "ValidateInput", "Preprocess", "Train", "NotifyFailure", "Failed"}, d.Training.States)
	job := jobFailure(t, d.Training.Cause)
	assert.Equal(t, "Job exceeded its maximum runtime of 60 seconds (StoppingCondition.MaxRuntimeInSeconds) and was stopped.", job["FailureReason"],
		"the limit the definition asks for, from cdk.json")

	// The hanging process was stopped, not left behind.
	pidText, err := os.ReadFile(filepath.Join(d.runDir, "jobs", job["TrainingJobName"], "algo-1", drillPIDFile))
	require.NoError(t, err, "the drill job started")
	pid, err := strconv.Atoi(string(pidText))
	require.NoError(t, err)
	assert.True(t, processGone(pid), "job process %d still runs", pid)

	assertFailureNotified(t, d, trainingExecution, subjectTrainingFailed, "training", failedExecution{d.Training.Error, d.Training.Cause})
	assert.Contains(t, d.Notifications[0].Message, "exceeded its maximum runtime")
	assert.Equal(t, []string{subjectTrainingFailed}, subjects(d), "no other notification")
	assertTrainingLeftNoModel(t, d)
}

// TestDrillThrottlingIsRetried: the first attempts of the Train job and of
// FindModel are throttled. The definitions retry throttling under the name
// each integration reports it, so both executions succeed, quietly.
func TestDrillThrottlingIsRetried(t *testing.T) {
	type attempt struct {
		state string
		retry int
	}
	var (
		mu       sync.Mutex
		attempts []attempt
	)
	d := drill(t, Options{
		Inject: func(call standin.Call) error {
			if call.StateName != "Train" && call.StateName != "FindModel" {
				return nil
			}
			mu.Lock()
			attempts = append(attempts, attempt{call.StateName, call.RetryCount})
			mu.Unlock()
			if call.RetryCount == 0 {
				// The names each integration reports throttling under: the
				// .sync job integration's, and the SDK integration's.
				name := "SageMaker.AmazonSageMakerException"
				if call.StateName == "FindModel" {
					name = "SageMaker.ThrottlingException"
				}
				return &standin.TaskError{Name: name, Cause: "Rate exceeded"}
			}
			return nil
		},
	})

	require.Equal(t, "SUCCEEDED", d.Training.Status, "%s %s\n%s", d.Training.Error, d.Training.Cause, d.out)
	assert.Equal(t, trainingStates, d.Training.States)
	require.Equal(t, "SUCCEEDED", d.Inference.Status, "%s %s\n%s", d.Inference.Error, d.Inference.Cause, d.out)
	assert.Equal(t, inferenceStates, d.Inference.States)
	assert.Equal(t, []attempt{{"Train", 0}, {"Train", 1}, {"FindModel", 0}, {"FindModel", 1}}, attempts,
		"each throttled state ran again, as its first retry")
	assert.Regexp(t, `\.\. Train +retry 1 after [^:]+: SageMaker\.AmazonSageMakerException: Rate exceeded`, d.out)
	assert.Regexp(t, `\.\. FindModel +retry 1 after [^:]+: SageMaker\.ThrottlingException: Rate exceeded`, d.out)

	assert.Equal(t, []string{subjectRegistered, subjectPredictions}, subjects(d), "no failure notification")
	assert.Len(t, registeredModels(t, filepath.Join(d.runDir, "registry.json")), 1)
	require.NotEmpty(t, d.Predictions)
	for _, p := range d.Predictions {
		nonEmpty(t, p)
	}
	assertNoHalfWrittenFiles(t, d)
}

// TestDrillCorruptedModel: after a successful training, the model archive
// the registry points at is damaged. The infer job fails naming the model
// problem; the failure is caught and notified; no predictions appear.
func TestDrillCorruptedModel(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, archive []byte) []byte
		// reason matches the infer job's failure reason.
		reason string
	}{
		{
			name:    "not a gzip archive",
			corrupt: func(*testing.T, []byte) []byte { return []byte("this is not a model\n") },
			reason:  `^model /\S+/processing/model: model\.tar\.gz is not a gzip archive`,
		},
		{
			name: "invalid model JSON",
			corrupt: func(t *testing.T, archive []byte) []byte {
				return replaceInArchive(t, archive, "model.json", []byte(`{"learner": {"gradient_booster": `))
			},
			reason: `^model /\S+/processing/model: model\.json: model: invalid JSON`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var corrupted string
			d := drill(t, Options{
				BeforeInference: func(st Stage) error {
					models := registeredModels(t, st.RegistryFile)
					if len(models) != 1 {
						return fmt.Errorf("want one registered model, got %v", models)
					}
					corrupted = models[0]
					archive, err := st.Store.Get(corrupted)
					if err != nil {
						return err
					}
					return st.Store.Put(corrupted, bytes.NewReader(tt.corrupt(t, archive)))
				},
			})

			require.Equal(t, "SUCCEEDED", d.Training.Status, "%s %s\n%s", d.Training.Error, d.Training.Cause, d.out)
			require.NotEmpty(t, corrupted)
			assert.Equal(t, "FAILED", d.Inference.Status, d.out)
			assert.Equal(t, "States.TaskFailed", d.Inference.Error)
			assert.Equal(t, []string{"Configure", "ValidateInput", "FindModel", "HasApprovedModel", "DescribeModel", "Infer", "NotifyFailure", "Failed"}, d.Inference.States)
			job := jobFailure(t, d.Inference.Cause)
			assert.Equal(t, "Failed", job["ProcessingJobStatus"])
			assert.Regexp(t, tt.reason, job["FailureReason"])

			assertFailureNotified(t, d, inferenceExecution, subjectInferenceFailed, "inference", failedExecution{d.Inference.Error, d.Inference.Cause})
			assert.Equal(t, []string{subjectRegistered, subjectInferenceFailed}, subjects(d))
			assertInferenceLeftNoPredictions(t, d)
		})
	}
}

// replaceInArchive returns the gzip-compressed tar archive with the
// content of the file name replaced.
func replaceInArchive(t *testing.T, archive []byte, name string, content []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	replaced := false
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		if hdr.Name == name {
			data, replaced = content, true
			hdr.Size = int64(len(content))
		}
		require.NoError(t, tw.WriteHeader(hdr))
		_, err = tw.Write(data)
		require.NoError(t, err)
	}
	require.True(t, replaced, "the archive has no %s", name)
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// abaloneHeader returns the header line of the bundled sample.
func abaloneHeader(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(project, "data", "abalone", "abalone.csv"))
	require.NoError(t, err)
	header, _, _ := strings.Cut(string(raw), "\n")
	return header + "\n"
}

// TestDrillEmptyInferenceInput: the files to score hold no data rows. The
// infer job fails loudly instead of writing empty predictions; the failure
// is caught and notified; no predictions appear.
func TestDrillEmptyInferenceInput(t *testing.T) {
	tests := []struct {
		name, content string
		// reason is the infer job's failure reason.
		reason string
	}{
		{name: "header-only CSV", content: abaloneHeader(t),
			reason: "no rows to score: input /opt/ml/processing/input has 1 file and no data rows; valid: at least one data row"},
		{name: "empty file", content: "",
			reason: "input.csv: no header line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := filepath.Join(t.TempDir(), "input.csv")
			require.NoError(t, os.WriteFile(input, []byte(tt.content), 0o644))
			d := drill(t, Options{InferenceData: input})

			require.Equal(t, "SUCCEEDED", d.Training.Status, "%s %s\n%s", d.Training.Error, d.Training.Cause, d.out)
			assert.Equal(t, "FAILED", d.Inference.Status, d.out)
			assert.Equal(t, "States.TaskFailed", d.Inference.Error)
			assert.Equal(t, []string{"Configure", "ValidateInput", "FindModel", "HasApprovedModel", "DescribeModel", "Infer", "NotifyFailure", "Failed"}, d.Inference.States)
			job := jobFailure(t, d.Inference.Cause)
			assert.Equal(t, tt.reason, containerPaths(d, job["FailureReason"]))

			assertFailureNotified(t, d, inferenceExecution, subjectInferenceFailed, "inference", failedExecution{d.Inference.Error, d.Inference.Cause})
			assert.Equal(t, []string{subjectRegistered, subjectInferenceFailed}, subjects(d))
			assertInferenceLeftNoPredictions(t, d)
		})
	}
}

// containerPaths rewrites the local job directories in s back to the
// container's /opt/ml, so that messages can be compared whole.
func containerPaths(d drillResult, s string) string {
	return regexp.MustCompile(regexp.QuoteMeta(filepath.Join(d.runDir, "jobs"))+`/[^/]+/algo-\d+`).ReplaceAllString(s, "/opt/ml")
}

// TestDrillFailureMidInputLeavesNoPredictions: of two files to score, the
// second has a bad last row. Whether one instance scores both files or two
// instances score one each (ShardedByS3Key; the second starts once the
// first has written its predictions), the job fails and none of the
// predictions already computed reach the store.
func TestDrillFailureMidInputLeavesNoPredictions(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(project, "data", "abalone", "abalone.csv"))
	require.NoError(t, err)
	lines := strings.Count(string(raw), "\n")
	for _, instances := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d instances", instances), func(t *testing.T) {
			input := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(input, "a.csv"), raw, 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(input, "b.csv"), append(bytes.Clone(raw), "M,0.4,0.3,0.1,heavy,0.2,0.1,0.15,9\n"...), 0o644))
			cdk := cdkJSONWith(t, func(dev map[string]any) {
				dev["jobs"].(map[string]any)["infer"].(map[string]any)["instanceCount"] = instances
			})
			opt := Options{CDKJSON: cdk, InferenceData: input, RunDir: filepath.Join(t.TempDir(), "run")}
			if instances > 1 {
				opt.Binaries = map[string]string{"infer": testBinary(t)}
				opt.JobEnv = []string{drillJobEnv + "=after-first-host", drillRealJobEnv + "=" + filepath.Join(opt.RunDir, "bin", "infer")}
			}
			d := drill(t, opt)

			require.Equal(t, "SUCCEEDED", d.Training.Status, "%s %s\n%s", d.Training.Error, d.Training.Cause, d.out)
			assert.Equal(t, "FAILED", d.Inference.Status, d.out)
			assert.Equal(t, "States.TaskFailed", d.Inference.Error)
			assert.Equal(t, []string{"Configure", "ValidateInput", "FindModel", "HasApprovedModel", "DescribeModel", "Infer", "NotifyFailure", "Failed"}, d.Inference.States)
			job := jobFailure(t, d.Inference.Cause)
			assert.Equal(t, fmt.Sprintf(`b.csv:%d: column "Whole_Weight": "heavy" is not a number`, lines+1), job["FailureReason"])
			if instances > 1 {
				assert.FileExists(t, filepath.Join(d.runDir, "jobs", job["ProcessingJobName"], "algo-1", "processing", "output", "a.csv.out"),
					"the first instance finished its predictions")
			}

			assertFailureNotified(t, d, inferenceExecution, subjectInferenceFailed, "inference", failedExecution{d.Inference.Error, d.Inference.Cause})
			assert.Equal(t, []string{subjectRegistered, subjectInferenceFailed}, subjects(d))
			assertInferenceLeftNoPredictions(t, d)
		})
	}
}

// TestDrillMissingInputPrefix: the prefix a job reads is empty. The local
// stand-in fails the job as SageMaker does, with a ClientError naming the
// prefix; the failure is caught and notified; no outputs appear.
func TestDrillMissingInputPrefix(t *testing.T) {
	removePrefix := func(st Stage, prefix string) error {
		if err := os.RemoveAll(filepath.Join(st.Store.Root, st.DataBucket, filepath.FromSlash(prefix))); err != nil {
			return err
		}
		if keys, err := st.Store.List("s3://" + st.DataBucket + "/" + prefix + "/"); err != nil || len(keys) > 0 {
			return fmt.Errorf("%s still holds %v (%v)", prefix, keys, err)
		}
		return nil
	}
	noObjects := regexp.MustCompile(`^ClientError: No S3 objects found under S3 URL "s3://[^/]+/([^"]+)" given in input data source\.`)

	t.Run("raw training data", func(t *testing.T) {
		d := drill(t, Options{BeforeTraining: func(st Stage) error { return removePrefix(st, "raw/data") }})

		assert.Equal(t, "FAILED", d.Training.Status, d.out)
		assert.Equal(t, "States.TaskFailed", d.Training.Error)
		assert.Equal(t, []string{"Defaults", "Configure", "ValidateInput", "Preprocess", "NotifyFailure", "Failed"}, d.Training.States)
		job := jobFailure(t, d.Training.Cause)
		m := noObjects.FindStringSubmatch(job["FailureReason"])
		require.NotNil(t, m, "reason %q", job["FailureReason"])
		assert.Equal(t, "raw/data/", m[1], "the reason names the empty prefix")

		assertFailureNotified(t, d, trainingExecution, subjectTrainingFailed, "training", failedExecution{d.Training.Error, d.Training.Cause})
		assert.Equal(t, []string{subjectTrainingFailed}, subjects(d), "no other notification")
		assertNoObjects(t, d, "curated/")
		assertTrainingLeftNoModel(t, d)
	})

	t.Run("inference input", func(t *testing.T) {
		d := drill(t, Options{BeforeInference: func(st Stage) error { return removePrefix(st, "inference") }})

		require.Equal(t, "SUCCEEDED", d.Training.Status, "%s %s\n%s", d.Training.Error, d.Training.Cause, d.out)
		assert.Equal(t, "FAILED", d.Inference.Status, d.out)
		assert.Equal(t, "States.TaskFailed", d.Inference.Error)
		assert.Equal(t, []string{"Configure", "ValidateInput", "FindModel", "HasApprovedModel", "DescribeModel", "Infer", "NotifyFailure", "Failed"}, d.Inference.States)
		job := jobFailure(t, d.Inference.Cause)
		m := noObjects.FindStringSubmatch(job["FailureReason"])
		require.NotNil(t, m, "reason %q", job["FailureReason"])
		assert.Equal(t, "inference/", m[1], "the reason names the empty prefix")

		assertFailureNotified(t, d, inferenceExecution, subjectInferenceFailed, "inference", failedExecution{d.Inference.Error, d.Inference.Cause})
		assert.Equal(t, []string{subjectRegistered, subjectInferenceFailed}, subjects(d))
		assertInferenceLeftNoPredictions(t, d)
	})
}

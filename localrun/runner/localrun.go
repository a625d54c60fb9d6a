// Package runner runs the pipeline on this machine, offline, from the
// state machine definitions a synth of one environment produces: the
// training state machine, then the inference one, executed by package asl
// with the local stand-ins of package standin (jobs as local processes of the
// same binaries, S3 as a folder, the model registry as a file,
// notifications printed).
package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mlpipeline-go/mlpipeline/infra"
	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
	"github.com/mlpipeline-go/mlpipeline/internal/coverbuild"
	"github.com/mlpipeline-go/mlpipeline/internal/iamsim"
	"github.com/mlpipeline-go/mlpipeline/localrun/asl"
	"github.com/mlpipeline-go/mlpipeline/localrun/standin"
)

// Options configures Run. Paths are relative to the working directory.
type Options struct {
	// ProjectDir holds go.mod, jobs/ and the bundled data. Default: ".".
	ProjectDir string
	// CDKJSON is the cdk.json whose context configures the environments.
	// Default: cdk.json in ProjectDir.
	CDKJSON string
	// Env is the environment whose definitions run. Default: dev.
	Env string
	// RunDir receives everything the run writes. It must be a new or empty
	// directory, or one an earlier run made (it holds RunMarker), which is
	// emptied first; it must not be, hold or lie inside one of the inputs
	// (Data, Schema, InferenceData, CDKJSON), nor be or hold ProjectDir.
	// The run locks it: a second run in the same directory fails at once.
	// Default: run/local below ProjectDir.
	RunDir string
	// Data is the raw training data: a CSV file or a folder of them.
	// Default: the bundled abalone sample.
	Data string
	// Schema is the data schema. Default: the bundled abalone schema.
	Schema string
	// InferenceData is scored by the inference state machine.
	// Default: Data.
	InferenceData string
	// GateMetric, when set, replaces the environment's quality-gate metric
	// (an evaluation.json key such as auc) before synthesis, with
	// GateThreshold as its default threshold: the gate is part of the
	// definition, so data of another task needs its own.
	GateMetric    string
	GateThreshold float64
	// TrainingInput is the training execution's input, e.g.
	// {"threshold": 4.5}. Default: {}.
	TrainingInput map[string]any
	// Definitions replaces the synthesized definitions ("training",
	// "inference"); tests use it to run an edited definition.
	// Default: synthesize Env.
	Definitions map[string][]byte
	// Out receives the progress and the summary. Default: io.Discard.
	Out io.Writer
	// Quiet leaves the jobs' own output lines out of the progress; a
	// failed job's last log lines are shown regardless.
	Quiet bool
	// Approve, when set, is asked about the model version training
	// registered when the environment registers versions as
	// PendingManualApproval (prod); true approves it in the local
	// registry, as a person's UpdateModelPackage call with
	// ModelApprovalStatus=Approved does on AWS, so that inference scores
	// with it. Default: nil leaves it pending, and inference fails with
	// NoApprovedModel.
	Approve func(ModelVersion) (bool, error)

	// The fields below exist for tests and failure drills.

	// Binaries replaces job binaries, by job name (preprocess, train,
	// evaluate, infer), with other executables, e.g. one that crashes or
	// hangs. The jobs it does not name run the project's binaries.
	Binaries map[string]string
	// JobEnv is extra environment for every job process, "KEY=value" each.
	JobEnv []string
	// MaxRuntimeScale multiplies the maximum runtime of every job before
	// the local stand-ins enforce it, so that a drill can make a job overrun
	// its limit (at least a minute in cdk.json) within seconds. Failure
	// reasons still name the seconds the definition asks for. For tests
	// only. Default (0): 1, as on AWS.
	MaxRuntimeScale float64
	// Inject, when set, is called before every attempt of a Task state with
	// the call its stand-in would get. A non-nil error fails that attempt
	// instead of running it: a *standin.TaskError with its ASL error name
	// (such as SageMaker.ThrottlingException, which the definitions retry), any other
	// error as States.TaskFailed.
	Inject func(call standin.Call) error
	// BeforeTraining and BeforeInference, when set, run just before the
	// training and the inference execution, with the local store and model
	// registry as they are then, e.g. to remove or corrupt objects. An
	// error stops Run.
	BeforeTraining, BeforeInference func(Stage) error
	// EditPolicies, when set, changes the synthesized IAM policies before
	// the IAM replay decides any request, e.g. to remove a permission and
	// see the run fail on the call that needs it.
	EditPolicies func(*iamsim.Policies)
}

// Stage is the local state that the hooks of Options see.
type Stage struct {
	// Store is the local S3.
	Store *standin.Store
	// DataBucket and ArtifactBucket are the names of the data and artifact
	// buckets in Store.
	DataBucket, ArtifactBucket string
	// RegistryFile is the file that holds the model registry.
	RegistryFile string
}

// Summary is what a run produced.
type Summary struct {
	// Training and Inference are the two executions' results; Inference
	// is zero when training failed.
	Training, Inference asl.Result
	// GatePassed tells whether the quality gate let the model through.
	GatePassed bool
	// GateReached tells whether training got as far as the quality gate.
	GateReached bool
	// Evaluation is the evaluation.json the gate read, when there is one.
	Evaluation map[string]any
	// ModelVersion is the version training registered, with its approval
	// status after the approval step; nil when none was registered.
	ModelVersion *ModelVersion
	// FailedJobs are the logs of the jobs that failed, in order.
	FailedJobs []JobLog
	// Steps are the states both executions left, in order, with their
	// durations.
	Steps []Step
	// RunPage is the page that shows the run (RunDir/index.html).
	RunPage string
	// Model, Report and Predictions are local paths of the outputs.
	Model, Report string
	Predictions   []string
	// Drift holds the local paths of the infer job's drift report files
	// (drift.json, drift.html and summary.json per host).
	Drift []string
	// Notifications are the messages both executions published, in order.
	Notifications []standin.Notification
	// IAMRequests are the distinct AWS requests the IAM replay decided
	// against the synthesized policies, in the order they were made; none
	// was denied, or Run fails.
	IAMRequests []iamsim.Request
}

// Execution names are fixed so that the same inputs give the same job
// names, S3 keys and outputs.
const (
	trainingExecution  = "local-training"
	inferenceExecution = "local-inference"
)

// Run synthesizes (unless given definitions), prepares the local store and
// runs training, then inference if training succeeded. A failed execution
// is not an error of Run: it is in the summary.
func Run(ctx context.Context, opt Options) (*Summary, error) {
	opt = withDefaults(opt)
	// Jobs, notifications and the progress write to Out from their own
	// goroutines.
	opt.Out = &syncWriter{w: opt.Out}
	if err := checkDrillOptions(opt); err != nil {
		return nil, err
	}
	if err := checkOptions(opt); err != nil {
		return nil, err
	}
	// Jobs run in their own directories and find their files through the
	// run directory, so it must not depend on the working directory.
	runDir, release, err := prepareRunDir(opt.RunDir, []input{
		{"data", opt.Data}, {"schema", opt.Schema}, {"inference data", opt.InferenceData},
		{"cdk.json", opt.CDKJSON}, {"project", opt.ProjectDir},
	})
	if err != nil {
		return nil, err
	}
	defer release()
	opt.RunDir = runDir
	defs, template, err := definitions(opt)
	if err != nil {
		return nil, err
	}
	projectDir, err := filepath.Abs(opt.ProjectDir)
	if err != nil {
		return nil, err
	}
	iam, err := newReplay(projectDir, template, opt.EditPolicies)
	if err != nil {
		return nil, err
	}
	bins, err := buildJobs(ctx, opt)
	if err != nil {
		return nil, err
	}
	for job, bin := range opt.Binaries {
		bins[job] = bin
	}
	store := &standin.Store{Root: filepath.Join(opt.RunDir, "s3")}
	buckets, err := bucketNames(template)
	if err != nil {
		return nil, err
	}
	if err := seed(store, buckets, opt); err != nil {
		return nil, err
	}
	sum := &Summary{}
	var published sync.Mutex
	stage := Stage{Store: store, DataBucket: buckets.data, ArtifactBucket: buckets.artifacts, RegistryFile: filepath.Join(opt.RunDir, "registry.json")}
	handlers := standin.Handlers(standin.Config{
		Store:        store,
		RunDir:       opt.RunDir,
		Binaries:     bins,
		RegistryFile: stage.RegistryFile,
		Notify:       prefixWriter{w: opt.Out, prefix: "  notify  "},
		Log:          jobOutput(opt),
		Env:          append(coverbuild.Env(), opt.JobEnv...),
		OnPublish: func(n standin.Notification) {
			published.Lock()
			defer published.Unlock()
			sum.Notifications = append(sum.Notifications, n)
		},
		MaxRuntimeScale: opt.MaxRuntimeScale,
		Record:          iam.Record,
		ExecutionRole:   iam.roleOf,
	})
	show, steps := progress(opt.Out), &stepLog{}
	exec := &asl.Executor{
		Handlers: checkRequests(adapt(handlers, opt.Inject, opt.Out, opt.RunDir, func(logs []JobLog) {
			published.Lock()
			defer published.Unlock()
			sum.FailedJobs = append(sum.FailedJobs, logs...)
		}), opt.Out),
		// Retry waits are counted as on AWS but shortened a thousandfold.
		Sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case <-time.After(d / 1000):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		Observe: func(ev asl.Event) {
			show(ev)
			steps.observe(ev)
		},
	}
	if opt.BeforeTraining != nil {
		if err := opt.BeforeTraining(stage); err != nil {
			return nil, fmt.Errorf("before training: %w", err)
		}
	}
	steps.start("training")
	if sum.Training, err = runMachine(ctx, exec, iam, defs, "training", trainingExecution, opt.TrainingInput, opt.Out); err != nil {
		return nil, err
	}
	sum.GatePassed = contains(sum.Training.States, "RegisterModel")
	sum.GateReached = contains(sum.Training.States, "QualityGate")
	evalKey := "evaluation/" + trainingExecution + "/"
	if data, err := store.Get("s3://" + buckets.artifacts + "/" + evalKey + "evaluation.json"); err == nil {
		_ = json.Unmarshal(data, &sum.Evaluation)
		sum.Report = filepath.Join(store.Root, buckets.artifacts, evalKey, "report.html")
	}
	if models, _ := store.List("s3://" + buckets.artifacts + "/models/" + trainingExecution + "/"); len(models) > 0 {
		sum.Model = filepath.Join(store.Root, buckets.artifacts, models[len(models)-1])
	}
	if sum.GatePassed {
		registry := standin.Handlers(standin.Config{RegistryFile: stage.RegistryFile})
		if sum.ModelVersion, err = reviewApproval(ctx, registry, opt); err != nil {
			return nil, err
		}
	}
	if sum.Training.Status == "SUCCEEDED" {
		if opt.BeforeInference != nil {
			if err := opt.BeforeInference(stage); err != nil {
				return nil, fmt.Errorf("before inference: %w", err)
			}
		}
		steps.start("inference")
		if sum.Inference, err = runMachine(ctx, exec, iam, defs, "inference", inferenceExecution, map[string]any{}, opt.Out); err != nil {
			return nil, err
		}
		prefix := "predictions/" + inferenceExecution + "/"
		keys, _ := store.List("s3://" + buckets.data + "/" + prefix)
		for _, k := range keys {
			// The infer job's drift report sits beside the predictions,
			// under drift/<host>/.
			if strings.HasPrefix(k, prefix+"drift/") {
				sum.Drift = append(sum.Drift, filepath.Join(store.Root, buckets.data, k))
				continue
			}
			sum.Predictions = append(sum.Predictions, filepath.Join(store.Root, buckets.data, k))
		}
	}
	sum.IAMRequests = iam.decided
	sum.Steps = steps.steps
	if sum.RunPage, err = writeRunPage(opt.RunDir, opt.Env, sum); err != nil {
		return nil, fmt.Errorf("run page: %w", err)
	}
	printSummary(opt.Out, sum)
	return sum, nil
}

func withDefaults(opt Options) Options {
	if opt.ProjectDir == "" {
		opt.ProjectDir = "."
	}
	if opt.Env == "" {
		opt.Env = "dev"
	}
	if opt.CDKJSON == "" {
		opt.CDKJSON = filepath.Join(opt.ProjectDir, "cdk.json")
	}
	if opt.RunDir == "" {
		opt.RunDir = filepath.Join(opt.ProjectDir, "run", "local")
	}
	if opt.Data == "" {
		opt.Data = filepath.Join(opt.ProjectDir, "data", "abalone", "abalone.csv")
	}
	if opt.Schema == "" {
		opt.Schema = filepath.Join(opt.ProjectDir, "data", "abalone", "schema.json")
	}
	if opt.InferenceData == "" {
		opt.InferenceData = opt.Data
	}
	if opt.TrainingInput == nil {
		opt.TrainingInput = map[string]any{}
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	return opt
}

// jobNames are the jobs the run builds, by the base names of their
// container entrypoints.
var jobNames = []string{"preprocess", "train", "evaluate", "infer"}

// checkDrillOptions rejects drill settings that would silently do nothing.
func checkDrillOptions(opt Options) error {
	for job := range opt.Binaries {
		if !contains(jobNames, job) {
			return fmt.Errorf("Options.Binaries: unknown job %q; valid: %s", job, strings.Join(jobNames, ", "))
		}
	}
	if opt.MaxRuntimeScale < 0 {
		return fmt.Errorf("Options.MaxRuntimeScale = %g is invalid; valid: a positive number, or 0 for 1", opt.MaxRuntimeScale)
	}
	return nil
}

// definitions synthesizes the environment and returns its definitions and
// template, or the given definitions with the template.
func definitions(opt Options) (map[string][]byte, []byte, error) {
	cdkJSON := opt.CDKJSON
	if opt.GateMetric != "" {
		var err error
		if cdkJSON, err = withGate(opt); err != nil {
			return nil, nil, err
		}
	}
	paths, err := infra.Synth(cdkJSON, opt.Env, filepath.Join(opt.RunDir, "cdk.out"))
	if err != nil {
		return nil, nil, err
	}
	template, err := os.ReadFile(paths[0])
	if err != nil {
		return nil, nil, err
	}
	if opt.Definitions != nil {
		return opt.Definitions, template, nil
	}
	defs, err := cfn.Definitions(template)
	return defs, template, err
}

// withGate writes a copy of the cdk.json with the environment's quality
// gate replaced, into the run directory, and returns its path.
func withGate(opt Options) (string, error) {
	data, err := os.ReadFile(opt.CDKJSON)
	if err != nil {
		return "", err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("%s: %w", opt.CDKJSON, err)
	}
	ctx, _ := doc["context"].(map[string]any)
	envs, _ := ctx[infra.EnvironmentsContextKey].(map[string]any)
	env, ok := envs[opt.Env].(map[string]any)
	if !ok {
		return "", fmt.Errorf("%s has no environment %q", opt.CDKJSON, opt.Env)
	}
	env["qualityGate"] = map[string]any{"metric": opt.GateMetric, "threshold": opt.GateThreshold}
	if data, err = json.Marshal(doc); err != nil {
		return "", err
	}
	path := filepath.Join(opt.RunDir, "cdk.json")
	return path, os.WriteFile(path, data, 0o644)
}

// buildJobs builds the four job binaries into the run directory; the go
// command's build cache makes later builds cheap. Under the test command's
// coverage measure they are instrumented (coverbuild).
func buildJobs(ctx context.Context, opt Options) (map[string]string, error) {
	dir, err := filepath.Abs(filepath.Join(opt.RunDir, "bin"))
	if err != nil {
		return nil, err
	}
	args := append(append([]string{"build"}, coverbuild.BuildFlags()...), "-o", dir+string(filepath.Separator))
	bins := map[string]string{}
	for _, j := range jobNames {
		args = append(args, "./jobs/"+j)
		bins[j] = filepath.Join(dir, j)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = opt.ProjectDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the job binaries: %v\n%s", err, out)
	}
	return bins, nil
}

type bucketSet struct{ data, artifacts string }

// bucketNames finds the placeholder names of the data and artifact
// buckets in the synthesized template.
func bucketNames(template []byte) (bucketSet, error) {
	var doc struct {
		Resources map[string]struct{ Type string }
	}
	if err := json.Unmarshal(template, &doc); err != nil {
		return bucketSet{}, err
	}
	var b bucketSet
	for id, r := range doc.Resources {
		switch {
		case r.Type != "AWS::S3::Bucket":
		case strings.HasPrefix(id, "StorageDataBucket"):
			b.data = cfn.Placeholder(id)
		case strings.HasPrefix(id, "StorageArtifactBucket"):
			b.artifacts = cfn.Placeholder(id)
		}
	}
	if b.data == "" || b.artifacts == "" {
		return b, errors.New("the template has no data and artifact buckets")
	}
	return b, nil
}

// seed puts the raw data, the schema and the data to score where the
// definitions read them.
func seed(store *standin.Store, b bucketSet, opt Options) error {
	put := func(src, prefix string) error {
		files, err := dataFiles(src)
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := store.PutFile("s3://"+b.data+"/"+prefix+f.key, f.path); err != nil {
				return err
			}
		}
		return nil
	}
	if err := put(opt.Data, "raw/data/"); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := store.PutFile("s3://"+b.data+"/raw/schema/schema.json", opt.Schema); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if err := put(opt.InferenceData, "inference/"); err != nil {
		return fmt.Errorf("inference data: %w", err)
	}
	return nil
}

// dataFile is a file to upload and its key below the input prefix.
type dataFile struct{ path, key string }

// dataFiles returns path (keyed by its base name), or, when it is a folder,
// every file below it keyed by its slash-separated relative path, in the
// byte order of the keys: a nested folder becomes nested keys, as
// "aws s3 cp --recursive" uploads it, and SageMaker lays them out again as
// folders for the jobs, which read them the same way. Symbolic links are
// followed; a folder reached twice (a link loop) fails. Names starting
// with "." are skipped, as the jobs skip them.
func dataFiles(path string) ([]dataFile, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []dataFile{{path, filepath.Base(path)}}, nil
	}
	var files []dataFile
	dirs := []os.FileInfo{info}
	var walk func(dir, prefix string) error
	walk = func(dir, prefix string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p, key := filepath.Join(dir, e.Name()), prefix+e.Name()
			info, err := os.Stat(p) // follows links
			if err != nil {
				return err
			}
			switch {
			case info.Mode().IsRegular():
				files = append(files, dataFile{p, key})
			case info.IsDir():
				for _, d := range dirs {
					if os.SameFile(d, info) {
						return fmt.Errorf("%s: folder %s is reached twice (a symbolic link loop?); valid: each folder once", path, key)
					}
				}
				dirs = append(dirs, info)
				if err := walk(p, key+"/"); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(path, ""); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s has no data files", path)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].key < files[j].key })
	return files, nil
}

// runMachine runs one execution and then has the IAM replay decide the
// requests it made; a denied request fails the run.
func runMachine(ctx context.Context, e *asl.Executor, iam *replay, defs map[string][]byte, kind, name string, input map[string]any, out io.Writer) (asl.Result, error) {
	def, ok := defs[kind]
	if !ok {
		return asl.Result{}, fmt.Errorf("no %s state machine in the definitions", kind)
	}
	sm, err := asl.Parse(def)
	if err != nil {
		return asl.Result{}, fmt.Errorf("%s state machine: %w", kind, err)
	}
	fmt.Fprintf(out, "%s state machine, execution %s\n", kind, name)
	iam.started(kind, name)
	res, err := e.Run(ctx, sm, name, input)
	if err != nil {
		return res, fmt.Errorf("%s state machine: %w", kind, err)
	}
	iam.finished(kind, res)
	if err := iam.check(ctx); err != nil {
		return res, fmt.Errorf("%s execution %s: %w", kind, name, err)
	}
	if res.Status == "SUCCEEDED" {
		fmt.Fprintf(out, "%s: SUCCEEDED\n", kind)
	} else {
		fmt.Fprintf(out, "%s: %s: %s: %s\n", kind, res.Status, res.Error, res.Cause)
	}
	return res, nil
}

// adapt turns the stand-ins into executor handlers, naming each SageMaker
// job on out as it starts and, when it fails, showing the last lines of
// its logs (below runDir) and handing them to failed. inject, when set,
// may fail an attempt before its stand-in runs (see Options.Inject).
func adapt(handlers map[string]standin.Handler, inject func(standin.Call) error, out io.Writer, runDir string, failed func([]JobLog)) map[string]asl.Handler {
	adapted := make(map[string]asl.Handler, len(handlers))
	for resource, h := range handlers {
		adapted[resource] = func(ctx context.Context, call asl.Call) (any, error) {
			if inject != nil {
				if err := inject(call); err != nil {
					return nil, err
				}
			}
			job := ""
			if params, ok := call.Parameters.(map[string]any); ok {
				for _, key := range []string{"ProcessingJobName", "TrainingJobName"} {
					if name, ok := params[key].(string); ok {
						job = name
						fmt.Fprintf(out, "     job %s\n", name)
					}
				}
			}
			res, err := h(ctx, call)
			var taskErr *standin.TaskError
			if job != "" && errors.As(err, &taskErr) {
				logs := jobLogs(runDir, job)
				printJobLogs(out, logs)
				failed(logs)
			}
			return res, err
		}
	}
	return adapted
}

// progress prints one line per state entered and left.
func progress(out io.Writer) func(asl.Event) {
	return func(ev asl.Event) {
		switch ev.Kind {
		case "enter":
			fmt.Fprintf(out, "  -> %-18s %s\n", ev.State, ev.Type)
		case "exit":
			fmt.Fprintf(out, "  <- %-18s %s (%s)\n", ev.State, ev.Type, ev.Duration.Round(time.Millisecond))
		case "retry":
			fmt.Fprintf(out, "  .. %-18s retry %d after %s: %s\n", ev.State, ev.Attempt, ev.Wait, errText(ev.Err))
		case "catch", "fail":
			fmt.Fprintf(out, "  !! %-18s %s: %s\n", ev.State, ev.Kind, errText(ev.Err))
		}
	}
}

func errText(e *asl.TaskError) string {
	if e == nil {
		return ""
	}
	cause := e.Cause
	if len(cause) > 200 {
		cause = cause[:200] + "…"
	}
	return e.Name + ": " + cause
}

func printSummary(out io.Writer, s *Summary) {
	fmt.Fprintln(out, "\nSummary")
	gate := "not reached"
	switch {
	case s.GatePassed:
		gate = "passed, model version registered"
	case s.GateReached:
		gate = "rejected"
	}
	fmt.Fprintf(out, "  training:     %s\n", s.Training.Status)
	fmt.Fprintf(out, "  quality gate: %s\n", gate)
	if s.Evaluation != nil {
		for _, group := range []string{"regression_metrics", "binary_classification_metrics"} {
			metrics, ok := s.Evaluation[group].(map[string]any)
			if !ok {
				continue
			}
			var names []string
			for n := range metrics {
				names = append(names, n)
			}
			sort.Strings(names)
			var parts []string
			for _, n := range names {
				if v, ok := metrics[n].(map[string]any)["value"].(float64); ok {
					parts = append(parts, fmt.Sprintf("%s %.4g", n, v))
				}
			}
			fmt.Fprintf(out, "  metrics:      %s\n", strings.Join(parts, ", "))
		}
	}
	if s.Inference.Status != "" {
		fmt.Fprintf(out, "  inference:    %s\n", s.Inference.Status)
	}
	for _, p := range []struct{ name, path string }{{"model", s.Model}, {"report", s.Report}} {
		if p.path != "" {
			fmt.Fprintf(out, "  %-13s %s\n", p.name+":", p.path)
		}
	}
	for _, p := range s.Predictions {
		fmt.Fprintf(out, "  predictions:  %s\n", p)
	}
	for _, p := range s.Drift {
		if filepath.Base(p) == "drift.html" {
			fmt.Fprintf(out, "  drift report: %s\n", p)
		}
	}
	if v := s.ModelVersion; v != nil {
		fmt.Fprintf(out, "  model version: %s (%s)\n", v.Arn, v.ApprovalStatus)
		if v.ApprovalStatus == pendingStatus {
			fmt.Fprintln(out, "  approval:     the version waits for a person to approve it, and inference scores only with an approved version;")
			fmt.Fprintln(out, "                approve it here with -approve (or y at the prompt on a terminal), or on AWS with:")
			fmt.Fprintf(out, "                %s\n", v.AWSApprovalCommand())
		}
	}
	for _, l := range s.FailedJobs {
		fmt.Fprintf(out, "  failed job:   %s %s, log %s\n", l.Job, l.Host, l.Path)
	}
	fmt.Fprintf(out, "  run page:     %s\n", s.RunPage)
	fmt.Fprintf(out, "  IAM:          %d AWS requests checked against the synthesized policies, none denied\n", len(s.IAMRequests))
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// prefixWriter prefixes every line written through it.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

// Write writes the prefixed lines in one Write, so that lines written
// concurrently through other writers to the same destination do not cut
// into them.
func (p prefixWriter) Write(b []byte) (int, error) {
	var buf bytes.Buffer
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		buf.WriteString(p.prefix)
		buf.Write(l)
	}
	if _, err := p.w.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// syncWriter serializes the writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// Command localrun runs the ML pipeline on this machine, offline: it
// synthesizes an environment's stack, takes the training and inference
// state machine definitions from the template and executes them, with the
// SageMaker jobs as local processes of the same job binaries, S3 as a
// folder, the model registry as a file and notifications printed. It shows
// each state as it is entered and left and ends with where the outputs are.
// Run it from the project root:
//
//	go run ./localrun [-env dev] [-approve] [-quiet] [-data FILE_OR_DIR -schema FILE] [-gate-metric auc] [-threshold N]
//
// Each job's own output is shown under its state, prefixed with its log
// stream (<job>/<host>, as CloudWatch names it), unless -quiet; a failed
// job always shows the last lines of its log and the log's path.
//
// An environment that registers model versions as PendingManualApproval
// (prod) leaves inference without an approved model until a person
// approves the version: -approve does so in the local registry, as
// "aws sagemaker update-model-package --model-approval-status Approved"
// does on AWS; without it the command asks on a terminal, and otherwise
// ends with the pending version, the reason and that command, and exit
// status 1.
//
// With -synth-only it only writes the templates of the chosen environments.
//
// The run directory (-run-dir, default run/local) is emptied first, but only
// when it is new, empty or made by an earlier run (it holds the marker
// .mlpipeline-run, which is also the lock that keeps a second run out); a
// file, any other directory, and one that is, holds or lies inside an input
// are refused.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/aws/jsii-runtime-go"
	"golang.org/x/term"

	"github.com/mlpipeline-go/mlpipeline/infra"
	"github.com/mlpipeline-go/mlpipeline/localrun/runner"
)

func main() {
	// Before the CDK app starts Node: its banner would open every run.
	if err := QuietNodeBanner(os.Stderr, "localrun: note: "); err != nil {
		fmt.Fprintln(os.Stderr, "localrun:", err)
		os.Exit(1)
	}
	var prompt io.Reader
	if term.IsTerminal(int(os.Stdin.Fd())) {
		prompt = os.Stdin // a person can answer (not /dev/null, also a character device)
	}
	err := run(context.Background(), os.Args[1:], prompt, os.Stdout, os.Stderr)
	jsii.Close()
	if err == flag.ErrHelp {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "localrun:", err)
		os.Exit(1)
	}
}

// run runs the command. prompt, when not nil, is a terminal that answers
// the approval question when -approve is not given.
func run(ctx context.Context, args []string, prompt io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("localrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./localrun [flags]")
		fmt.Fprintln(stderr, "\nRuns the training and then the inference state machine of an environment locally,")
		fmt.Fprintln(stderr, "from their synthesized definitions, on the bundled sample data or your own.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	cdkJSON := fs.String("cdk-json", "cdk.json", "the project's `file` of CDK context; the project root is its folder")
	env := fs.String("env", "dev", "the environment whose state machines run")
	runDir := fs.String("run-dir", filepath.Join("run", "local"), "the `directory` the run writes to, emptied first: a new or empty one, or one a local run made\n"+
		"(it holds "+runner.RunMarker+"); any other, a file, or one that is, holds or lies inside an input is refused,\n"+
		"and a second run in a directory in use fails at once")
	data := fs.String("data", "", "raw training data: a CSV `file or directory` (default: the bundled abalone sample)")
	schema := fs.String("schema", "", "the data schema `file` (default: the bundled abalone schema)")
	inferenceData := fs.String("inference-data", "", "the CSV `file or directory` to score (default: -data)")
	threshold := fs.Float64("threshold", 0, "quality-gate threshold for this run (default: the environment's)")
	gateMetric := fs.String("gate-metric", "", "quality-gate `metric` for this run, one evaluate reports for the schema's task, e.g. auc for\n"+
		"classification data; needs -threshold (default: the environment's)")
	input := fs.String("input", "", "training execution input as a JSON `object`, e.g. {\"threshold\": 4.5}; threshold is its only field")
	approve := fs.Bool("approve", false, "approve the model version training registers as PendingManualApproval (prod), as\n"+
		"aws sagemaker update-model-package --model-approval-status Approved does, so that inference scores with it\n"+
		"(default: ask when stdin is a terminal, else leave it pending)")
	quiet := fs.Bool("quiet", false, "do not show the jobs' own output lines (a failed job's last lines are shown regardless)")
	synthOnly := fs.Bool("synth-only", false, "only synthesize the templates (of every environment unless -env is given) into -out")
	out := fs.String("out", "cdk.out", "with -synth-only: the `directory` to write the cloud assembly to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *synthOnly {
		selected := *env
		if !isSet(fs, "env") {
			selected = ""
		}
		templates, err := infra.Synth(*cdkJSON, selected, *out)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Synthesized %d stack(s) offline into %s:\n", len(templates), *out)
		for _, t := range templates {
			fmt.Fprintf(stdout, "  %s\n", t)
		}
		return nil
	}
	trainingInput := map[string]any{}
	if *input != "" {
		var v any
		if err := json.Unmarshal([]byte(*input), &v); err != nil {
			return fmt.Errorf("-input %s: %v; valid: a JSON object such as {\"threshold\": 4.5}", *input, err)
		}
		object, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("-input %s: want a JSON object, got %s; valid: a JSON object such as {\"threshold\": 4.5}", *input, jsonKind(v))
		}
		trainingInput = object
	}
	if math.IsNaN(*threshold) || math.IsInf(*threshold, 0) {
		return fmt.Errorf("-threshold %g is invalid; valid: a finite number", *threshold)
	}
	if *gateMetric != "" && !isSet(fs, "threshold") {
		return fmt.Errorf("-gate-metric %s needs -threshold", *gateMetric)
	}
	if isSet(fs, "threshold") {
		trainingInput["threshold"] = *threshold
	}
	var approval func(runner.ModelVersion) (bool, error)
	switch {
	case *approve:
		approval = func(runner.ModelVersion) (bool, error) { return true, nil }
	case prompt != nil:
		approval = runner.PromptApproval(prompt, stdout)
	}
	sum, err := runner.Run(ctx, runner.Options{
		ProjectDir:    filepath.Dir(*cdkJSON),
		CDKJSON:       *cdkJSON,
		Env:           *env,
		RunDir:        *runDir,
		Data:          *data,
		Schema:        *schema,
		InferenceData: *inferenceData,
		TrainingInput: trainingInput,
		GateMetric:    *gateMetric,
		GateThreshold: *threshold,
		Out:           stdout,
		Quiet:         *quiet,
		Approve:       approval,
	})
	if err != nil {
		return err
	}
	return sum.Failure()
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// jsonKind names the kind of a decoded JSON value, with its article.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	default:
		return "an object"
	}
}

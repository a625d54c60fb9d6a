package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/localrun/asl"
	"github.com/mlpipeline-go/mlpipeline/localrun/standin"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(drillJobEnv); mode != "" {
		// Started by a drill as a job container, not to run tests.
		os.Exit(drillJob(mode))
	}
	code := m.Run()
	jsii.Close()
	if approvedDir != "" {
		os.RemoveAll(approvedDir)
	}
	os.Exit(code)
}

const project = "../.."

// cdkJSONWith writes a copy of the project's cdk.json with the dev
// environment edited by edit, and returns its path.
func cdkJSONWith(t *testing.T, edit func(dev map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(project, "cdk.json"))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	edit(doc["context"].(map[string]any)["environments"].(map[string]any)["dev"].(map[string]any))
	data, err = json.Marshal(doc)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "cdk.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

func nonEmpty(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err, "output %s", path)
	assert.NotZero(t, info.Size(), "output %s", path)
}

func TestRunTrainsRegistersAndScores(t *testing.T) {
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{ProjectDir: project, RunDir: t.TempDir(), Out: &out})
	require.NoError(t, err)
	require.Equal(t, "SUCCEEDED", sum.Training.Status, "training: %s %s\n%s", sum.Training.Error, sum.Training.Cause, out.String())
	assert.True(t, sum.GatePassed)
	assert.Equal(t, []string{"Defaults", "Configure", "ValidateInput", "Preprocess", "Train", "Evaluate", "ReadEvaluation", "QualityGate",
		"RegisterModel", "NotifyRegistered", "Succeeded"}, sum.Training.States)
	require.Equal(t, "SUCCEEDED", sum.Inference.Status, "inference: %s %s\n%s", sum.Inference.Error, sum.Inference.Cause, out.String())
	nonEmpty(t, sum.Model)
	nonEmpty(t, sum.Report)
	require.NotEmpty(t, sum.Predictions)
	for _, p := range sum.Predictions {
		nonEmpty(t, p)
	}
	text := out.String()
	for _, want := range []string{"-> Preprocess", "<- Preprocess", "quality gate: passed", "notify", "predictions:"} {
		assert.Contains(t, text, want)
	}
	assertRunReplayed(t, sum, text)

	// A second run of the same inputs gives the same bytes.
	again, err := Run(context.Background(), Options{ProjectDir: project, RunDir: t.TempDir()})
	require.NoError(t, err)
	for _, pair := range [][2]string{{sum.Model, again.Model}, {sum.Report, again.Report}, {sum.Predictions[0], again.Predictions[0]}} {
		a, err := os.ReadFile(pair[0])
		require.NoError(t, err)
		b, err := os.ReadFile(pair[1])
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), "%s and %s differ", pair[0], pair[1])
	}
}

// TestRunFollowsTheDefinition changes the gate threshold in the
// configuration the construct reads and sees the run reject the model.
func TestRunFollowsTheDefinition(t *testing.T) {
	strict := cdkJSONWith(t, func(dev map[string]any) {
		dev["qualityGate"] = map[string]any{"metric": "mse", "threshold": 0.5}
	})
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{ProjectDir: project, CDKJSON: strict, RunDir: t.TempDir(), Out: &out})
	require.NoError(t, err)
	assert.Equal(t, "FAILED", sum.Training.Status, out.String())
	assert.False(t, sum.GatePassed)
	assert.Equal(t, "ModelRejected", sum.Training.Error)
	assert.Regexp(t, `^mse = [0-9.]+ is above the threshold 0.5$`, sum.Training.Cause, "the cause carries the metric")
	assert.Contains(t, sum.Training.States, "NotifyRejected")
	assert.Empty(t, sum.Inference.Status, "no inference after a rejected model")

	// The execution input overrides the configured threshold.
	sum, err = Run(context.Background(), Options{ProjectDir: project, CDKJSON: strict, RunDir: t.TempDir(),
		TrainingInput: map[string]any{"threshold": 100.0}})
	require.NoError(t, err)
	assert.True(t, sum.GatePassed, "a threshold of 100 from the execution input passes")
}

func TestRunFailingJobIsCaughtAndNotified(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(project, "data", "abalone", "abalone.csv"))
	require.NoError(t, err)
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, append(raw, []byte("M,long,0.3,0.1,0.5,0.2,0.1,0.15,9\n")...), 0o644))
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{ProjectDir: project, RunDir: filepath.Join(dir, "run"), Data: bad, Out: &out})
	require.NoError(t, err)
	assert.Equal(t, "FAILED", sum.Training.Status)
	assert.Equal(t, "States.TaskFailed", sum.Training.Error)
	assert.Contains(t, sum.Training.Cause, `bad.csv:4179: column \"Length\": \"long\" is not a number`, "the job's own message")
	assert.Equal(t, []string{"Defaults", "Configure", "ValidateInput", "Preprocess", "NotifyFailure", "Failed"}, sum.Training.States)
	assert.NotContains(t, out.String(), "retry", "a failed job is not retried: the Retry lists throttling and capacity errors only")
	assert.True(t, strings.Contains(out.String(), "notify") && strings.Contains(out.String(), "failed"), "the failure is notified:\n%s", out.String())
}

func TestRunOnRawAdultFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 32k rows; run without -short")
	}
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{
		ProjectDir: project, RunDir: t.TempDir(), Out: &out,
		Data:          filepath.Join(project, "data", "adult", "adult.train.csv"),
		InferenceData: filepath.Join(project, "data", "adult", "adult.test.csv"),
		Schema:        filepath.Join(project, "data", "adult", "schema.json"),
		GateMetric:    "auc", GateThreshold: 0.9,
	})
	require.NoError(t, err)
	require.Equal(t, "SUCCEEDED", sum.Training.Status, "%s %s\n%s", sum.Training.Error, sum.Training.Cause, out.String())
	assert.True(t, sum.GatePassed)
	auc := sum.Evaluation["binary_classification_metrics"].(map[string]any)["auc"].(map[string]any)["value"].(float64)
	assert.GreaterOrEqual(t, auc, 0.9)
	require.Equal(t, "SUCCEEDED", sum.Inference.Status)
	require.Len(t, sum.Predictions, 1)
	data, err := os.ReadFile(sum.Predictions[0])
	require.NoError(t, err)
	assert.Equal(t, 16281+1, strings.Count(string(data), "\n"), "a prediction per row of the raw test file, after the header")
}

// BenchmarkAbaloneRun measures the README's run command without the go
// command: synthesis, building the jobs (warm build cache), training and
// inference on the bundled sample.
func BenchmarkAbaloneRun(b *testing.B) {
	for b.Loop() {
		sum, err := Run(context.Background(), Options{ProjectDir: project, RunDir: b.TempDir()})
		if err != nil || sum.Inference.Status != "SUCCEEDED" {
			b.Fatalf("run: %v %+v", err, sum)
		}
	}
}

// TestRunRejectsANonNumericThreshold: a threshold of another type in the
// execution input fails the training execution before any job runs, with
// the field and the value in the cause, and is notified.
func TestRunRejectsANonNumericThreshold(t *testing.T) {
	for _, tt := range []struct {
		value any
		cause string
	}{
		{"8", `The execution input field threshold is the string "8"; valid: a number`},
		{true, `The execution input field threshold is the boolean true; valid: a number`},
		{nil, `The execution input field threshold is null; valid: a number`},
		{[]any{1.0}, `The execution input field threshold is the object or array [1]; valid: a number`},
	} {
		var out bytes.Buffer
		sum, err := Run(context.Background(), Options{ProjectDir: project, RunDir: t.TempDir(), Out: &out,
			TrainingInput: map[string]any{"threshold": tt.value}})
		require.NoError(t, err)
		assert.Equal(t, "FAILED", sum.Training.Status, "%v", tt.value)
		assert.Equal(t, "InvalidInput", sum.Training.Error, "%v", tt.value)
		assert.Contains(t, sum.Training.Cause, tt.cause)
		assert.NotContains(t, sum.Training.States, "Preprocess", "no job runs")
		assert.Contains(t, sum.Training.States, "NotifyFailure", "the failure is notified")
	}
}

// recordingExecutor runs definitions with every resource of the local
// stand-ins answered at once: each call's state name is appended to
// *calls, and the call fails with fail's error when fail returns one.
func recordingExecutor(calls *[]string, fail func(asl.Call) error) *asl.Executor {
	exec := &asl.Executor{Handlers: map[string]asl.Handler{}}
	for _, r := range []string{standin.ResourcePublish, standin.ResourceProcessingJob, standin.ResourceTrainingJob, standin.ResourceGetObject,
		standin.ResourceCreateModelPackage, standin.ResourceListModelPackages, standin.ResourceDescribeModelPackage} {
		exec.Handlers[r] = func(_ context.Context, c asl.Call) (any, error) {
			*calls = append(*calls, c.StateName)
			if fail != nil {
				if err := fail(c); err != nil {
					return nil, err
				}
			}
			return map[string]any{"MessageId": "1"}, nil
		}
	}
	return exec
}

// TestExecutionNamesSageMakerRejectsFailAtOnce: an execution name with a
// character SageMaker rejects in tag values fails both state machines
// before their first job, instead of after the retries of that job.
func TestExecutionNamesSageMakerRejectsFailAtOnce(t *testing.T) {
	defs, _, err := definitions(withDefaults(Options{ProjectDir: project}))
	require.NoError(t, err)
	for _, kind := range []string{"training", "inference"} {
		sm, err := asl.Parse(defs[kind])
		require.NoError(t, err)
		var calls []string
		exec := recordingExecutor(&calls, nil)
		for _, name := range []string{"run-(1)", "it's", "now!"} {
			calls = nil
			res, err := exec.Run(context.Background(), sm, name, map[string]any{})
			require.NoError(t, err)
			assert.Equal(t, "FAILED", res.Status, "%s %s", kind, name)
			assert.Equal(t, "InvalidInput", res.Error, "%s %s", kind, name)
			assert.Contains(t, res.Cause, "The execution name "+name+" has a character that SageMaker rejects in tag values")
			assert.Equal(t, []string{"NotifyFailure"}, calls, "only the failure notification")
		}
	}
}

// TestUnknownInputFieldsFailAtOnce: a training execution input with a
// field the pipeline does not read (the typo treshold) fails before the
// first job, showing the input, instead of running with the default gate.
func TestUnknownInputFieldsFailAtOnce(t *testing.T) {
	defs, _, err := definitions(withDefaults(Options{ProjectDir: project}))
	require.NoError(t, err)
	sm, err := asl.Parse(defs["training"])
	require.NoError(t, err)
	var calls []string
	exec := recordingExecutor(&calls, func(c asl.Call) error {
		if c.StateName == "Preprocess" {
			return &standin.TaskError{Name: "Stop", Cause: "stopped after the input was accepted"}
		}
		return nil
	})
	for _, tt := range []struct {
		input map[string]any
		shown string // the input as the cause shows it; empty: accepted
	}{
		{map[string]any{"treshold": 4.5}, `{"treshold":4.5}`},
		{map[string]any{"threshold": 4.5, "model": "x"}, `{"model":"x","threshold":4.5}`},
		{map[string]any{}, ""},
		{map[string]any{"threshold": 4.5}, ""},
	} {
		calls = nil
		res, err := exec.Run(context.Background(), sm, "run-1", tt.input)
		require.NoError(t, err)
		assert.Equal(t, "FAILED", res.Status, "%v", tt.input)
		if tt.shown == "" {
			assert.Equal(t, "Stop", res.Error, "%v is accepted: %s", tt.input, res.Cause)
			assert.Equal(t, []string{"Preprocess", "NotifyFailure"}, calls, "%v reaches the first job", tt.input)
			continue
		}
		assert.Equal(t, "InvalidInput", res.Error, "%v", tt.input)
		assert.Equal(t, "The execution input "+tt.shown+" has a field other than threshold, which the pipeline does not read; "+
			"valid: an object with at most the field threshold, a number such as 6.", res.Cause, "%v", tt.input)
		assert.Equal(t, []string{"NotifyFailure"}, calls, "%v: only the failure notification", tt.input)
	}
}

// TestRunWithInferenceAttributions: inferenceAttributions in cdk.json
// reaches the batch inference job, whose predictions then carry each row's
// attributions per schema column.
func TestRunWithInferenceAttributions(t *testing.T) {
	explained := cdkJSONWith(t, func(dev map[string]any) { dev["inferenceAttributions"] = true })
	sum, err := Run(context.Background(), Options{ProjectDir: project, CDKJSON: explained, RunDir: t.TempDir()})
	require.NoError(t, err)
	require.Equal(t, "SUCCEEDED", sum.Inference.Status)
	require.NotEmpty(t, sum.Predictions)
	out, err := os.ReadFile(sum.Predictions[0])
	require.NoError(t, err)
	header, _, _ := strings.Cut(string(out), "\n")
	// The bundled data's columns, the target (last) left out.
	raw, err := os.ReadFile(filepath.Join(project, "data", "abalone", "abalone.csv"))
	require.NoError(t, err)
	columns, _, _ := strings.Cut(string(raw), "\n")
	names := strings.Split(columns, ",")
	want := "prediction"
	for _, c := range names[:len(names)-1] {
		want += ",shap_" + c
	}
	assert.Equal(t, want+",shap_expected_value", header)
}

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/atomicfile"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/jobcli"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/monitor"
	"github.com/mlpipeline-go/mlpipeline/jobs/trainconfig"
)

const about = `Trains gradient-boosted trees (histogram method) on the train channel with
early stopping on the validation channel. Hyperparameters use XGBoost's names
and come from hyperparameters.json (all values strings, as SageMaker writes
them), overridden by -hp name=value. The objective defaults to the schema's
task. The hyperparameters SageMaker adds for its own use are accepted and
ignored: _tuning_objective_metric (automatic model tuning) and every name
starting with sagemaker_ (sagemaker_program, sagemaker_submit_directory,
sagemaker_container_log_level, sagemaker_job_name, sagemaker_region, ...). Prints one line per round, e.g. "[7]	train-rmse:2.1	validation-rmse:2.3",
and writes model.json (XGBoost JSON), preprocessor.json, schema.json and
metadata.json to -model-dir, with statistics.json and constraints.json (the
training data's baseline) when -preprocessor has them.`

// hpFlags collects repeated -hp name=value flags.
type hpFlags map[string]string

func (h hpFlags) String() string { return fmt.Sprint(map[string]string(h)) }

func (h hpFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q is not name=value", s)
	}
	h[name] = value
	return nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	p := sagemaker.FromEnv(getenv)
	cmd := jobcli.New("train", about, sagemaker.Training, p, stderr)
	defer cmd.Report(&err)
	channel := func(name string) string { return filepath.Join(p.Root, "input", "data", name) }
	trainPath := cmd.Flags.String("train", channel("train"), "train split `file or directory`")
	validPath := cmd.Flags.String("validation", channel("validation"), "validation split `file or directory`")
	prepDir := cmd.Flags.String("preprocessor", channel("preprocessor"), "`directory` with preprocessor.json and schema.json from preprocess (and statistics.json and constraints.json, copied into the model)")
	hpPath := cmd.Flags.String("hyperparameters", p.Hyperparameters(), "hyperparameters.json `file` (absent: defaults)")
	resourcePath := cmd.Flags.String("resource-config", p.ResourceConfig(), "resourceconfig.json `file` (absent: one host)")
	modelDir := cmd.Flags.String("model-dir", p.Model(), "model output `directory`")
	overrides := hpFlags{}
	cmd.Flags.Var(overrides, "hp", "hyperparameter `name=value`, repeatable; overrides the file")
	// SageMaker starts a training image as "<image> train" unless the job
	// names an entrypoint; accept that argument so both ways run the job.
	if len(args) > 0 && args[0] == "train" {
		args = args[1:]
	}
	if err := cmd.Parse(args); err != nil {
		return err
	}

	resources, err := sagemaker.ReadResourceConfig(*resourcePath)
	if err != nil {
		return err
	}
	if resources.HostCount() > trainconfig.MaxInstanceCount {
		return fmt.Errorf("train runs on one instance, the job has %d; valid: instance count 1 (SageMaker's built-in XGBoost trains on the same splits across instances)", resources.HostCount())
	}
	schema, err := dataset.Load(filepath.Join(*prepDir, modelio.SchemaFile))
	if err != nil {
		return err
	}
	prep, err := features.LoadPreprocessor(filepath.Join(*prepDir, modelio.PreprocessorFile), schema)
	if err != nil {
		return err
	}
	// The training rows' baseline, packaged with the model for inference's
	// drift check; data preprocessed before baselines existed has none.
	baseline, err := monitor.Load(*prepDir)
	if err != nil {
		return err
	}
	if baseline != nil {
		if _, err := monitor.New(baseline.Statistics, schema); err != nil {
			return err
		}
	}
	hp, err := sagemaker.ReadHyperparameters(*hpPath)
	if err != nil {
		return err
	}
	for k, v := range overrides {
		hp[k] = v
	}
	if _, ok := hp["objective"]; !ok {
		hp["objective"] = string(objectiveFor(schema.Task))
	}
	params, err := trainconfig.Params(hp)
	if err != nil {
		return err
	}
	if want := objectiveFor(schema.Task); params.Objective != want {
		return fmt.Errorf("hyperparameter objective = %q does not fit the schema's task %q; valid: %q", params.Objective, schema.Task, want)
	}

	train, err := features.ReadSplit(*trainPath, params.Objective == gbt.Logistic)
	if err != nil {
		return fmt.Errorf("train channel: %w", err)
	}
	valid, err := features.ReadSplit(*validPath, params.Objective == gbt.Logistic)
	if err != nil {
		return fmt.Errorf("validation channel: %w", err)
	}
	if train.Cols != prep.NumFeatures() || valid.Cols != prep.NumFeatures() {
		return fmt.Errorf("feature count: train %d, validation %d, preprocessor %d; valid: all equal (splits and preprocessor from the same preprocess run)", train.Cols, valid.Cols, prep.NumFeatures())
	}

	var last gbt.RoundLog
	model, err := gbt.Train(ctx, params,
		gbt.Matrix{Rows: train.Rows(), Cols: train.Cols, Data: train.Features}, train.Labels,
		&gbt.Matrix{Rows: valid.Rows(), Cols: valid.Cols, Data: valid.Features}, valid.Labels,
		func(l gbt.RoundLog) {
			last = l
			fmt.Fprintln(stdout, gbt.FormatRound(l))
		})
	if err != nil {
		return err
	}

	fingerprint, err := fingerprintData(*trainPath, *validPath)
	if err != nil {
		return err
	}
	fingerprint.TrainRows, fingerprint.ValidationRows = train.Rows(), valid.Rows()
	fingerprint.SchemaFingerprint = schema.Fingerprint()
	meta := modelio.Metadata{
		Objective:       string(params.Objective),
		Hyperparameters: effective(hp.WithoutReserved()),
		BestIteration:   model.BestIteration(),
		NumTrees:        model.NumTrees(),
		FeatureNames:    prep.FeatureNames,
		Data:            fingerprint,
		Metrics:         map[string]float64{"train-" + last.Metric: last.Train, "validation-" + last.Metric: last.Validation},
		Versions:        map[string]string{"go": runtime.Version(), "model_format": "xgboost-json-1.7", "preprocessor_format": strconv.Itoa(features.FormatVersion)},
	}

	outputs := map[string]func(io.Writer) error{
		modelio.ModelFile:        model.WriteJSON,
		modelio.PreprocessorFile: prep.WriteJSON,
		modelio.SchemaFile:       schema.WriteJSON,
		modelio.MetadataFile: func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(meta)
		},
	}
	if baseline != nil {
		outputs[modelio.StatisticsFile] = baseline.Statistics.WriteJSON
		outputs[modelio.ConstraintsFile] = baseline.Constraints.WriteJSON
	}
	var files atomicfile.Set
	defer files.Abort()
	for name, fill := range outputs {
		f, err := files.Create(filepath.Join(*modelDir, name))
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err := files.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "train: %d trees (best iteration %d), %d features, model in %s\n", model.NumTrees(), model.BestIteration(), train.Cols, *modelDir)
	return nil
}

func objectiveFor(task dataset.Task) gbt.Objective {
	if task == dataset.BinaryClassification {
		return gbt.Logistic
	}
	return gbt.SquaredError
}

// effective returns the hyperparameters as given, sorted into a new map.
func effective(hp sagemaker.Hyperparameters) map[string]string {
	out := make(map[string]string, len(hp))
	for k, v := range hp {
		out[k] = v
	}
	return out
}

// fingerprintData hashes the split files, so that metadata ties the model to
// the exact bytes it was trained on.
func fingerprintData(trainPath, validPath string) (modelio.DataFingerprint, error) {
	var fp modelio.DataFingerprint
	var err error
	if fp.TrainSHA256, err = hashFiles(trainPath); err != nil {
		return fp, err
	}
	fp.ValidationSHA256, err = hashFiles(validPath)
	return fp, err
}

func hashFiles(path string) (string, error) {
	files, err := features.InputFiles(path)
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

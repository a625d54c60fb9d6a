package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/atomicfile"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/explain"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/jobcli"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/metrics"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/report"
)

const about = `Scores a model (a model directory, a model.tar.gz, or a directory holding
one) on the test split (header-less CSV, target first) and writes to -output:
  evaluation.json   SageMaker model-quality layout, e.g. regression_metrics.mse.value,
                    and the model's TreeSHAP explanation per schema column under
                    explanations.tree_shap.<target> (Clarify's analysis.json names)
  report.html       self-contained report with plots, global importance and
                    dependence plots of the most important columns
From a model.tar.gz only the model's files at its top level are read, within
limits (512 MiB for the model, 1 GiB uncompressed for the whole archive, 1000
entries). A -test folder is read with its subfolders, in the byte order of
the relative paths; gzipped files (by content) are read as the CSV they hold.`

// Output file names.
const (
	evaluationFile = "evaluation.json"
	reportFile     = "report.html"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	p := sagemaker.FromEnv(getenv)
	cmd := jobcli.New("evaluate", about, sagemaker.Processing, p, stderr)
	defer cmd.Report(&err)
	modelPath := cmd.Flags.String("model", filepath.Join(p.Root, "processing", "model"), "model `directory or model.tar.gz`")
	testPath := cmd.Flags.String("test", filepath.Join(p.Root, "processing", "test"), "test split `file or directory`")
	output := cmd.Flags.String("output", filepath.Join(p.Root, "processing", "evaluation"), "output `directory`")
	threshold := cmd.Flags.Float64("threshold", 0.5, "probability at or above which a binary prediction is positive")
	explainRows := cmd.Flags.Int("explain-rows", defaultExplainRows, "explain at most this many test rows with TreeSHAP (every k-th row, k as small as fits); 0 turns explanations off")
	if err := cmd.Parse(args); err != nil {
		return err
	}
	if !(*threshold > 0 && *threshold < 1) {
		return fmt.Errorf("-threshold = %g is invalid; valid: a number in (0, 1)", *threshold)
	}
	if *explainRows < 0 {
		return fmt.Errorf("-explain-rows = %d is invalid; valid: 0 (no explanations) or more", *explainRows)
	}

	bundle, err := modelio.Load(*modelPath)
	if err != nil {
		return err
	}
	test, err := features.ReadSplit(*testPath, bundle.Model.Objective() == gbt.Logistic)
	if err != nil {
		return fmt.Errorf("test split: %w", err)
	}
	if test.Cols != bundle.Model.NumFeatures() {
		return fmt.Errorf("feature count: the test split has %d, the model takes %d; valid: a split from the preprocess run the model was trained on", test.Cols, bundle.Model.NumFeatures())
	}
	predicted := make([]float64, test.Rows())
	bundle.Model.PredictBatch(gbt.Matrix{Rows: test.Rows(), Cols: test.Cols, Data: test.Features}, predicted)

	actual := make([]float64, test.Rows())
	for i, y := range test.Labels {
		actual[i] = float64(y)
	}

	x := gbt.Matrix{Rows: test.Rows(), Cols: test.Cols, Data: test.Features}
	explained, err := explainModel(bundle, x, *explainRows)
	if err != nil {
		return err
	}

	var evaluation metrics.Evaluation
	var summary string
	var writeReport func(io.Writer) error
	header, err := reportHeader(bundle, p.ProcessingJobConfig())
	if err != nil {
		return err
	}
	switch bundle.Model.Objective() {
	case gbt.Logistic:
		m, err := metrics.ComputeBinary(actual, predicted, *threshold)
		if err != nil {
			return err
		}
		evaluation = m.Report()
		summary = fmt.Sprintf("auc %.4f, accuracy %.4f, f1 %.4f, log loss %.4f", m.AUC, m.Accuracy, m.F1, m.LogLoss)
		writeReport = func(w io.Writer) error { return report.WriteBinary(w, header, m, actual, predicted, explained) }
	default:
		m, err := metrics.ComputeRegression(actual, predicted)
		if err != nil {
			return err
		}
		evaluation = m.Report()
		summary = fmt.Sprintf("mse %.4f, rmse %.4f, mae %.4f, r2 %.4f", m.MSE, m.RMSE, m.MAE, m.R2)
		writeReport = func(w io.Writer) error { return report.WriteRegression(w, header, m, actual, predicted, explained) }
	}

	if explained != nil {
		evaluation.Explanations = explained.Global.Report(labelName(bundle))
	}

	var files atomicfile.Set
	defer files.Abort()
	f, err := files.Create(filepath.Join(*output, evaluationFile))
	if err != nil {
		return err
	}
	if err := metrics.WriteEvaluation(f, evaluation); err != nil {
		return fmt.Errorf("write %s: %w", evaluationFile, err)
	}
	if f, err = files.Create(filepath.Join(*output, reportFile)); err != nil {
		return err
	}
	if err := writeReport(f); err != nil {
		return fmt.Errorf("write %s: %w", reportFile, err)
	}
	if err := files.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "evaluate: %d test rows: %s; %s and %s in %s\n", test.Rows(), summary, evaluationFile, reportFile, *output)
	return nil
}

// defaultExplainRows bounds the TreeSHAP work of an evaluation: the global
// importance of 10,000 rows is as stable as that of all of them, and takes
// about a second.
const defaultExplainRows = 10000

// explainModel explains up to limit rows of x, every k-th, or returns nil
// when limit is 0.
func explainModel(b *modelio.Bundle, x gbt.Matrix, limit int) (*report.Explained, error) {
	if limit == 0 || x.Rows == 0 {
		return nil, nil
	}
	var names []string
	if b.Metadata != nil {
		names = b.Metadata.FeatureNames
	}
	cols, err := explain.ColumnsOf(b.Model, b.Preprocessor, names)
	if err != nil {
		return nil, err
	}
	k := (x.Rows + limit - 1) / limit
	rows := x
	if k > 1 {
		rows = gbt.Matrix{Cols: x.Cols}
		for i := 0; i < x.Rows; i += k {
			rows.Data = append(rows.Data, x.Row(i)...)
			rows.Rows++
		}
	}
	g, err := explain.Explain(b.Model, cols, rows)
	if err != nil {
		return nil, err
	}
	units := "raw score"
	if b.Model.Objective() == gbt.Logistic {
		units = "log-odds"
	}
	return &report.Explained{Global: g, Rows: rows, Units: units}, nil
}

// labelName names the model's output: the schema's target column, or
// Clarify's default label0 for a model without a schema.
func labelName(b *modelio.Bundle) string {
	if b.Schema != nil {
		if t := b.Schema.Target; t != "" {
			return t
		}
	}
	return "label0"
}

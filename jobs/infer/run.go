package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/atomicfile"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/explain"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/jobcli"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/modelio"
)

const about = `Batch inference: scores raw CSV files (the layout of the schema stored with
the model; the target column may be absent, and where present its values
are not read: empty or any text) and writes, for each input file NAME,
-output/NAME.out: a CSV with a header, the id column if the schema has
one, the prediction, and for binary classification the probability of the
positive label (prediction is 1 when it is at least -threshold), and with
-attributions the row's TreeSHAP attributions per column. Rows keep
their input order. A bad row fails the job with its file and line, unless
-on-bad-row=skip, which writes it with the reason to NAME.rejected.csv.
An input with no data rows at all (only headers) fails the job: there is
nothing to score, which is nearly always a wrong input. One instance of a
multi-instance job whose shard holds no file (fewer files than instances)
ends without output instead.
An -input folder is read with its subfolders (nested S3 keys), files in the
byte order of their relative path (2024/b.csv before a.csv), each file's
predictions under the same relative path (-output/2024/b.csv.out); names
starting with "." are skipped, symbolic links followed, and a file or folder
reached twice fails the job. A gzipped file (by content, whatever its name)
is read as the CSV it holds: a.csv.gz gives -output/a.csv.gz.out. From a
model.tar.gz only the model's files at its top level are read, within limits
(512 MiB for the model, 1 GiB uncompressed for the whole archive, 1000
entries).
When the model has the training data's baseline (statistics.json and
constraints.json), the same pass compares each feature's distribution over
the scored rows with it (population stability index, missing-rate increase,
share of unseen categories) and writes -output/drift/HOST/drift.json,
drift.html (a plot per drifted feature) and summary.json, HOST being the
instance (algo-1 alone); -drift=false turns this off, and a model without a
baseline gets no drift report.`

// Suffixes of the output files.
const (
	predictionsSuffix = ".out"
	rejectedSuffix    = ".rejected.csv"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	p := sagemaker.FromEnv(getenv)
	cmd := jobcli.New("infer", about, sagemaker.Processing, p, stderr)
	defer cmd.Report(&err)
	modelPath := cmd.Flags.String("model", filepath.Join(p.Root, "processing", "model"), "model `directory or model.tar.gz`")
	input := cmd.Flags.String("input", filepath.Join(p.Root, "processing", "input"), "raw CSV `file or directory`")
	output := cmd.Flags.String("output", filepath.Join(p.Root, "processing", "output"), "output `directory`")
	onBadRow := cmd.Flags.String("on-bad-row", "fail", "`fail` the job on a bad row, or skip it and record it in NAME"+rejectedSuffix)
	threshold := cmd.Flags.Float64("threshold", 0.5, "probability at or above which a binary prediction is 1")
	workers := cmd.Flags.Int("workers", 0, "parallel workers (0: one per core)")
	attributions := cmd.Flags.Bool("attributions", false, "add each row's exact TreeSHAP attribution per schema column (shap_<column>, one-hot features summed into their column) and the expected value (shap_expected_value), in the model's raw score units (log-odds for binary classification); a row's attributions add up to its raw score")
	driftCheck := cmd.Flags.Bool("drift", true, "compare the scored rows with the model's training baseline and write the drift report under -output/"+driftDir)
	if err := cmd.Parse(args); err != nil {
		return err
	}
	if *onBadRow != "fail" && *onBadRow != "skip" {
		return fmt.Errorf("-on-bad-row = %q is invalid; valid: fail or skip", *onBadRow)
	}
	if !(*threshold > 0 && *threshold < 1) {
		return fmt.Errorf("-threshold = %g is invalid; valid: a number in (0, 1)", *threshold)
	}
	switch {
	case *workers < 0:
		return fmt.Errorf("-workers = %d is invalid; valid: 0 (one per core) or a positive count", *workers)
	case *workers == 0:
		*workers = runtime.GOMAXPROCS(0)
	}

	bundle, err := modelio.Load(*modelPath)
	if err != nil {
		return err
	}
	if bundle.Preprocessor == nil {
		return fmt.Errorf("model %s has no %s and %s; valid: a model directory written by the train job", *modelPath, modelio.PreprocessorFile, modelio.SchemaFile)
	}
	bundle.Model.SetThreads(1) // the workers already use every core
	var dr *drift
	if *driftCheck {
		if dr, err = newDrift(bundle, *modelPath, stdout); err != nil {
			return err
		}
	}
	files, err := features.Inputs(*input)
	if errors.Is(err, features.ErrNoDataFiles) {
		// ShardedByS3Key gives an instance no file at all when the input
		// has fewer files than the job has instances; that instance has
		// nothing to do, while the others score every file. (SageMaker
		// fails the job before it starts when the prefix is empty.)
		rc, rcErr := sagemaker.ReadResourceConfig(p.ProcessingResourceConfig())
		if rcErr == nil && rc.HostCount() > 1 {
			fmt.Fprintf(stdout, "infer: %s: no input files in this instance's shard (%s of %d instances); nothing to score\n", *input, rc.CurrentHost, rc.HostCount())
			return nil
		}
	}
	if err != nil {
		return err
	}
	s := &scorer{
		bundle:    bundle,
		skip:      *onBadRow == "skip",
		threshold: *threshold,
		workers:   *workers,
		explain:   *attributions,
		drift:     dr,
	}
	if s.explain {
		if s.cols, err = explain.ColumnsOf(bundle.Model, bundle.Preprocessor, nil); err != nil {
			return err
		}
	}

	var outputs atomicfile.Set
	defer outputs.Abort()
	var total, rejected int
	for _, in := range files {
		// A file in a subfolder of the input gets its predictions in the
		// same subfolder of the output.
		name := in.Name
		base := filepath.Join(*output, filepath.FromSlash(name))
		out, err := outputs.Create(base + predictionsSuffix)
		if err != nil {
			return err
		}
		var rej io.Writer = io.Discard
		var rejFile *atomicfile.File
		if s.skip {
			if rejFile, err = outputs.Create(base + rejectedSuffix); err != nil {
				return err
			}
			rej = rejFile
		}
		f, err := dataset.Open(in.Path) // gzip is read as the CSV it holds
		if err != nil {
			return err
		}
		n, bad, err := s.scoreFile(ctx, f, name, out, rej)
		f.Close()
		if err != nil {
			return err
		}
		total += n
		rejected += bad
		fmt.Fprintf(stdout, "infer: %s: %d rows scored, %d rejected\n", name, n, bad)
	}
	if total+rejected == 0 {
		// An input without data rows is nearly always a wrong or unfinished
		// upload; header-only predictions would hide that as a success.
		return fmt.Errorf("no rows to score: input %s has %d %s and no data rows; valid: at least one data row", *input, len(files), plural(len(files), "file", "files"))
	}
	driftNote, err := dr.write(&outputs, *output, p.ProcessingResourceConfig())
	if err != nil {
		return err
	}
	if err := outputs.Commit(); err != nil {
		return err
	}
	fmt.Fprint(stdout, driftNote)
	fmt.Fprintf(stdout, "infer: %d files, %d rows scored, %d rejected; predictions in %s\n", len(files), total, rejected, *output)
	return nil
}

// plural returns one when n is 1 and many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

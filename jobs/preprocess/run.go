package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/atomicfile"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/jobcli"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/monitor"
)

const about = `Reads raw CSV files through a data schema, splits them into seeded
train/validation/test sets (stratified for binary classification), fits a
preprocessor on the training rows (median/mode imputation, standardisation,
one-hot encoding with a bucket for unseen categories, which also takes the
least frequent ones beyond a column's maxCategories, default 100, with a
warning) and writes under -output:
  train/train.csv, validation/validation.csv, test/test.csv   header-less, target first
  preprocessor/preprocessor.json, preprocessor/schema.json    for training and inference
  preprocessor/statistics.json, preprocessor/constraints.json the training rows' baseline in
                                                              SageMaker Model Monitor's layouts,
                                                              for drift checks at inference
  profile/profile.json                                        training data profile
An -input or -test-input folder is read with its subfolders (nested S3 keys),
files in the byte order of their relative path (2024/b.csv before a.csv);
names starting with "." are skipped, symbolic links followed, and a file or
folder reached twice fails the job. A gzipped file (by content, whatever its
name) is read as the CSV it holds.`

// Output file names below -output, one folder per SageMaker processing output.
var outputs = struct{ train, validation, test, preprocessor, schema, profile, statistics, constraints string }{
	train:        filepath.Join("train", "train.csv"),
	validation:   filepath.Join("validation", "validation.csv"),
	test:         filepath.Join("test", "test.csv"),
	preprocessor: filepath.Join("preprocessor", "preprocessor.json"),
	schema:       filepath.Join("preprocessor", "schema.json"),
	profile:      filepath.Join("profile", "profile.json"),
	statistics:   filepath.Join("preprocessor", monitor.StatisticsFile),
	constraints:  filepath.Join("preprocessor", monitor.ConstraintsFile),
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	p := sagemaker.FromEnv(getenv)
	cmd := jobcli.New("preprocess", about, sagemaker.Processing, p, stderr)
	defer cmd.Report(&err)
	input := cmd.Flags.String("input", filepath.Join(p.Root, "processing", "input", "data"), "raw CSV `file or directory`")
	testInput := cmd.Flags.String("test-input", "", "raw CSV `file or directory` to use as the test set instead of a share of -input")
	schemaPath := cmd.Flags.String("schema", filepath.Join(p.Root, "processing", "input", "schema", "schema.json"), "data schema `file`")
	output := cmd.Flags.String("output", filepath.Join(p.Root, "processing", "output"), "output `directory`")
	trainFrac := cmd.Flags.Float64("train-fraction", 0.7, "share of the rows for training")
	validFrac := cmd.Flags.Float64("validation-fraction", 0.15, "share of the rows for validation, > 0 (train needs a validation split); the rest is the test set")
	seed := cmd.Flags.Uint64("seed", 42, "seed of the split")
	if err := cmd.Parse(args); err != nil {
		return err
	}
	if err := checkFractions(*trainFrac, *validFrac, *testInput != ""); err != nil {
		return err
	}

	schema, err := dataset.Load(*schemaPath)
	if err != nil {
		return err
	}
	table := features.NewTable(schema)
	if err := readInto(table, *input); err != nil {
		return err
	}
	pool := table.Len()
	if pool == 0 {
		return fmt.Errorf("input %s: no data rows", *input)
	}
	classification := schema.Task == dataset.BinaryClassification
	var split features.Split
	if *testInput == "" {
		split, err = features.SplitRows(table.Labels, *trainFrac, *validFrac, *seed, classification)
	} else {
		// A given test set leaves -input to train and validation, in the
		// ratio of their fractions.
		if err = readInto(table, *testInput); err != nil {
			return err
		}
		if table.Len() == pool {
			return fmt.Errorf("test input %s: no data rows", *testInput)
		}
		split, err = features.SplitRows(table.Labels[:pool], *trainFrac/(*trainFrac+*validFrac), *validFrac/(*trainFrac+*validFrac), *seed, classification)
		for r := pool; r < table.Len(); r++ {
			split.Test = append(split.Test, r)
		}
	}
	if err != nil {
		return err
	}
	if classification {
		if err := checkBothClasses(table.Labels, split.Train, schema.PositiveLabel); err != nil {
			return err
		}
	}
	prep, err := features.Fit(table, split.Train)
	if err != nil {
		return err
	}
	for _, f := range prep.Folded() {
		fmt.Fprintf(stderr, "preprocess: warning: column %q has %d categories in the training rows, more than its limit of %d; the %d least frequent (%d rows) are encoded as unseen values (%q); raise the column's maxCategories in the schema, or declare an identifier as the schema's id\n",
			f.Column, f.Limit+f.Folded, f.Limit, f.Folded, f.Rows, f.Column+features.UnseenSuffix)
	}

	var files atomicfile.Set
	defer files.Abort()
	write := func(name string, fill func(io.Writer) error) error {
		f, err := files.Create(filepath.Join(*output, name))
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		return nil
	}
	for _, part := range []struct {
		file string
		rows []int
	}{{outputs.train, split.Train}, {outputs.validation, split.Validation}, {outputs.test, split.Test}} {
		if err := write(part.file, func(w io.Writer) error { return features.WriteSplit(w, table, part.rows, prep) }); err != nil {
			return err
		}
	}
	if err := write(outputs.preprocessor, prep.WriteJSON); err != nil {
		return err
	}
	if err := write(outputs.schema, schema.WriteJSON); err != nil {
		return err
	}
	profile := features.NewProfile(table, split.Train)
	if err := write(outputs.profile, profile.WriteJSON); err != nil {
		return err
	}
	baseline := monitor.NewBaseline(table, split.Train, *seed)
	if err := write(outputs.statistics, baseline.Statistics.WriteJSON); err != nil {
		return err
	}
	if err := write(outputs.constraints, baseline.Constraints.WriteJSON); err != nil {
		return err
	}
	if err := files.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "preprocess: %d rows -> train %d, validation %d, test %d; %d features; outputs in %s\n",
		table.Len(), len(split.Train), len(split.Validation), len(split.Test), prep.NumFeatures(), *output)
	return nil
}

// readInto appends every file at path to t.
func readInto(t *features.Table, path string) error {
	inputs, err := features.Inputs(path)
	if err != nil {
		return err
	}
	for _, in := range inputs {
		if err := t.ReadInput(in); err != nil {
			return err
		}
	}
	return nil
}

// checkBothClasses fails when the training rows hold a single class, which
// usually means the schema's positive label does not match the data.
func checkBothClasses(labels []float64, rows []int, positive string) error {
	pos := 0
	for _, r := range rows {
		if labels[r] == 1 {
			pos++
		}
	}
	if pos == 0 || pos == len(rows) {
		return fmt.Errorf("training rows: %d of %d have the positive label %q; valid: both classes present (check the schema's positiveLabel and labelTrimSuffix)", pos, len(rows), positive)
	}
	return nil
}

// checkFractions rejects split fractions that would leave a split empty
// for a later job to trip over: train needs the train and validation
// splits (it early-stops and reports on validation, as SageMaker's
// built-in XGBoost does with a validation channel), evaluate needs the
// test split unless -test-input gives it.
func checkFractions(train, valid float64, testGiven bool) error {
	switch {
	case !(train > 0 && train < 1):
		return fmt.Errorf("-train-fraction = %g is invalid; valid: a share in (0, 1)", train)
	case !(valid > 0 && valid < 1):
		return fmt.Errorf("-validation-fraction = %g is invalid; valid: a share in (0, 1): train needs a validation split", valid)
	case !testGiven && !(train+valid < 1):
		return fmt.Errorf("-train-fraction %g and -validation-fraction %g leave no test rows; valid: a sum below 1, or the test set from -test-input", train, valid)
	}
	return nil
}

package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const abaloneHeader = "Sex,Length,Diameter,Height,Whole_Weight,Shucked_Weight,Viscera_Weight,Shell_Weight,Rings\n"

// abaloneRows returns n valid abalone rows.
func abaloneRows(n int) string {
	var b strings.Builder
	for i := range n {
		sex := []string{"M", "F", "I"}[i%3]
		b.WriteString(sex + ",0.455,0.365,0.095,0.514,0.2245,0.101,0.15," + []string{"15", "7", "9", "10"}[i%4] + "\n")
	}
	return b.String()
}

// regularFiles lists the files below dir; a missing dir has none.
func regularFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if os.IsNotExist(err) {
			return nil
		}
		if err == nil && !info.IsDir() {
			files = append(files, path)
		}
		return err
	})
	require.NoError(t, err)
	return files
}

// The bad-input matrix: every job, run as SageMaker runs it (the contract's
// root moved to a temporary directory, so the failure file is the one
// SageMaker shows), over generated bad input of each family. A case is one
// table row; a new family is a new family name on its rows.

// Families of the matrix, in the order the README lists them.
var families = []string{"data", "schema", "hyperparameters", "split", "model", "flags"}

// fixtures are the valid inputs the cases start from, made once.
type fixtures struct {
	// abalone is a preprocess output of the bundled abalone sample.
	abalone string
	// abaloneModel is a small model trained on it.
	abaloneModel string
	// adult and adultModel are the same for a slice of the UCI Adult
	// training file: binary classification, no header.
	adult, adultModel string
}

// newFixtures runs preprocess and train for the fixtures.
func newFixtures(t *testing.T) *fixtures {
	t.Helper()
	f := &fixtures{}
	dir := t.TempDir()
	f.abalone = filepath.Join(dir, "abalone")
	mustRun(t, "preprocess", nil, "-input", data("abalone", "abalone.csv"), "-schema", data("abalone", "schema.json"), "-output", f.abalone)
	f.abaloneModel = filepath.Join(dir, "abalone-model")
	trainFixture(t, f.abalone, f.abaloneModel)

	raw, err := os.ReadFile(data("adult", "adult.train.csv"))
	require.NoError(t, err)
	lines := strings.SplitAfterN(string(raw), "\n", 2001)
	slice := filepath.Join(dir, "adult.csv")
	require.NoError(t, os.WriteFile(slice, []byte(strings.Join(lines[:2000], "")), 0o644))
	f.adult = filepath.Join(dir, "adult")
	mustRun(t, "preprocess", nil, "-input", slice, "-schema", data("adult", "schema.json"), "-output", f.adult)
	f.adultModel = filepath.Join(dir, "adult-model")
	trainFixture(t, f.adult, f.adultModel)
	return f
}

func trainFixture(t *testing.T, pre, model string) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none.json")
	mustRun(t, "train", nil, "-train", filepath.Join(pre, "train"), "-validation", filepath.Join(pre, "validation"),
		"-preprocessor", filepath.Join(pre, "preprocessor"), "-hyperparameters", none, "-resource-config", none,
		"-model-dir", model, "-hp", "num_round=3")
}

// badCase is one row of the matrix.
type badCase struct {
	family, name, job string
	// setup writes the case's inputs below dir (and the contract's files
	// below root) and returns the job's flags, besides its output flag.
	setup func(t *testing.T, f *fixtures, dir, root string) []string
	// want is the start of the failure reason; empty for a case that must
	// succeed.
	want string
	// stderr, when set, must appear in the job's stderr (a warning), and
	// for a failing case in its failure reason.
	stderr string
	// check, when set, checks the outputs of a case that succeeds.
	check func(t *testing.T, out string)
}

// write writes content to dir/name and returns its path.
func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// Flags of each job for a case's input, besides its output flag.
func preprocessArgs(input, schema string) []string {
	return []string{"-input", input, "-schema", schema}
}

func inferArgs(model, input string, more ...string) []string {
	return append([]string{"-model", model, "-input", input}, more...)
}

func evaluateArgs(model, test string, more ...string) []string {
	return append([]string{"-model", model, "-test", test}, more...)
}

// trainArgs trains on pre, with the hyperparameters and resource config
// at their SageMaker paths below root (absent unless a case writes them),
// and with train replaced when set.
func trainArgs(pre, train string) []string {
	if train == "" {
		train = filepath.Join(pre, "train")
	}
	return []string{"-train", train, "-validation", filepath.Join(pre, "validation"), "-preprocessor", filepath.Join(pre, "preprocessor")}
}

// csvIn writes content as dir/in.csv and returns its path.
func csvIn(t *testing.T, dir, content string) string { return write(t, dir, "in.csv", content) }

// schemaWith writes the abalone schema edited by edit as dir/schema.json.
func schemaWith(t *testing.T, dir string, edit func(string) string) string {
	t.Helper()
	raw, err := os.ReadFile(data("abalone", "schema.json"))
	require.NoError(t, err)
	return write(t, dir, "schema.json", edit(string(raw)))
}

// hyperparameters writes hyperparameters.json where SageMaker puts it.
func hyperparameters(t *testing.T, root, content string) {
	write(t, root, filepath.Join("input", "config", "hyperparameters.json"), content)
}

// gzipped returns content compressed.
func gzipped(t *testing.T, content []byte) []byte {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(content)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return gz.Bytes()
}

func badCases() []badCase {
	abalone := func(rows string) func(t *testing.T, f *fixtures, dir, root string) []string {
		return func(t *testing.T, f *fixtures, dir, root string) []string {
			return preprocessArgs(csvIn(t, dir, rows), data("abalone", "schema.json"))
		}
	}
	score := func(rows string, more ...string) func(t *testing.T, f *fixtures, dir, root string) []string {
		return func(t *testing.T, f *fixtures, dir, root string) []string {
			return inferArgs(f.abaloneModel, csvIn(t, dir, rows), more...)
		}
	}
	scoreAdult := func(rows string) func(t *testing.T, f *fixtures, dir, root string) []string {
		return func(t *testing.T, f *fixtures, dir, root string) []string {
			return inferArgs(f.adultModel, csvIn(t, dir, rows))
		}
	}
	schema := func(edit func(string) string) func(t *testing.T, f *fixtures, dir, root string) []string {
		return func(t *testing.T, f *fixtures, dir, root string) []string {
			return preprocessArgs(csvIn(t, dir, abaloneHeader+abaloneRows(40)), schemaWith(t, dir, edit))
		}
	}
	train := func(hp string) func(t *testing.T, f *fixtures, dir, root string) []string {
		return func(t *testing.T, f *fixtures, dir, root string) []string {
			if hp != "" {
				hyperparameters(t, root, hp)
			}
			return trainArgs(f.abalone, "")
		}
	}
	archive := func(content func(t *testing.T) []byte) func(t *testing.T, dir string) string {
		return func(t *testing.T, dir string) string {
			return filepath.Dir(write(t, dir, filepath.Join("model", "model.tar.gz"), string(content(t))))
		}
	}
	truncated := archive(func(t *testing.T) []byte {
		gz := gzipped(t, bytes.Repeat([]byte("model.json\x00"), 4000))
		return gz[:len(gz)/2]
	})
	notGzip := archive(func(*testing.T) []byte { return []byte("this is not gzip") })
	// modelTar packs the abalone model's files as entries named by name
	// (an empty name leaves the file out), plus a model.json entry whose
	// header claims claim bytes and that has no data, when claim > 0.
	modelTar := func(f *fixtures, name func(file string) []string, claim int64) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			var buf bytes.Buffer
			gz := gzip.NewWriter(&buf)
			tw := tar.NewWriter(gz)
			for _, file := range []string{"model.json", "preprocessor.json", "schema.json", "metadata.json"} {
				raw, err := os.ReadFile(filepath.Join(f.abaloneModel, file))
				require.NoError(t, err)
				for _, n := range name(file) {
					require.NoError(t, tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(raw)), Typeflag: tar.TypeReg}))
					_, err = tw.Write(raw)
					require.NoError(t, err)
				}
			}
			if claim > 0 {
				// The header alone: a reader must refuse it from the header.
				require.NoError(t, tw.Flush())
				var hdr bytes.Buffer
				require.NoError(t, tar.NewWriter(&hdr).WriteHeader(&tar.Header{Name: "model.json", Mode: 0o644, Size: claim, Typeflag: tar.TypeReg}))
				_, err := gz.Write(hdr.Bytes())
				require.NoError(t, err)
			} else {
				require.NoError(t, tw.Close())
			}
			require.NoError(t, gz.Close())
			return buf.Bytes()
		}
	}
	packed := func(name func(file string) []string, claim int64) func(t *testing.T, f *fixtures, dir, root string) []string {
		return func(t *testing.T, f *fixtures, dir, root string) []string {
			return inferArgs(archive(modelTar(f, name, claim))(t, dir), csvIn(t, dir, abaloneHeader+abaloneRows(3)))
		}
	}
	onlyModelJSON := func(t *testing.T, f *fixtures, dir string) string {
		raw, err := os.ReadFile(filepath.Join(f.abaloneModel, "model.json"))
		require.NoError(t, err)
		return filepath.Dir(write(t, dir, filepath.Join("model", "model.json"), string(raw)))
	}
	testRow := "9,1,0,0,0.1,0.2,0.3,0.4,0.5,0.6,0.7\n"
	// A column with a value per row, as an id not declared as one is.
	var idLike strings.Builder
	idLike.WriteString("Serial," + abaloneHeader)
	for i, row := range strings.SplitAfter(abaloneRows(150), "\n") {
		if row != "" {
			fmt.Fprintf(&idLike, "s%03d,%s", i, row)
		}
	}
	withSerial := func(s string) string {
		return strings.Replace(s, `"columns": [`, `"columns": [{"name": "Serial", "type": "categorical"},`, 1)
	}
	lines := func(n int) string { return abaloneHeader + abaloneRows(n) }

	return []badCase{
		// Bad data: the raw CSV of preprocess and infer.
		{family: "data", name: "empty file", job: "preprocess", setup: abalone(""), want: "in.csv: no header line"},
		{family: "data", name: "header only", job: "preprocess", setup: abalone(abaloneHeader), want: "input "},
		{family: "data", name: "missing column", job: "preprocess", setup: abalone(strings.Replace(abaloneHeader, "Height,", "", 1) + "M,1,2,3,4,5,6,7\n"),
			want: `in.csv:1: header: missing column "Height"`},
		{family: "data", name: "extra column", job: "preprocess", setup: abalone(strings.TrimSuffix(abaloneHeader, "\n") + ",Age\n" + "M,1,2,3,4,5,6,7,8,9\n"),
			want: `in.csv:1: header: unknown column "Age"`},
		{family: "data", name: "wrong type", job: "preprocess", setup: abalone(lines(3) + "M,long,0.3,0.1,0.5,0.2,0.1,0.15,9\n"),
			want: `in.csv:5: column "Length": "long" is not a number`},
		{family: "data", name: "NaN", job: "preprocess", setup: abalone(abaloneHeader + "M,NaN,0.3,0.1,0.5,0.2,0.1,0.15,9\n"), want: `in.csv:2: column "Length": "NaN"`},
		{family: "data", name: "Inf", job: "infer", setup: score(abaloneHeader + "M,0.4,Inf,0.1,0.5,0.2,0.1,0.15,9\n"), want: `in.csv:2: column "Diameter": "Inf"`},
		{family: "data", name: "hexadecimal float", job: "preprocess", setup: abalone(lines(3) + "M,0x1p-2,0.3,0.1,0.5,0.2,0.1,0.15,9\n"),
			want: `in.csv:5: column "Length": "0x1p-2" is not a number`},
		{family: "data", name: "digit separators", job: "infer", setup: score(lines(2) + "M,0.4,0.3,0.1,0.5,0.2,0.1,0.15,1_000\n" + "M,1_000,0.3,0.1,0.5,0.2,0.1,0.15,9\n"),
			want: `in.csv:5: column "Length": "1_000" is not a number`},
		{family: "data", name: "non-UTF-8", job: "preprocess", setup: abalone(abaloneHeader + "\xff\xfe,0.4,0.3,0.1,0.5,0.2,0.1,0.15,9\n"), want: `in.csv:2: column "Sex"`},
		{family: "data", name: "CR-only line endings", job: "preprocess", setup: abalone(strings.ReplaceAll(lines(20), "\n", "\r")),
			want: "in.csv:1: has a carriage return (CR) inside the line; CR-only line endings are not supported"},
		{family: "data", name: "10 MB line", job: "infer", setup: score(lines(2) + "M," + strings.Repeat("1", 10<<20) + "\n"), want: "in.csv:4: line longer than 1048576 bytes"},
		{family: "data", name: "10 MB line in preprocess", job: "preprocess", setup: abalone(abaloneHeader + "M," + strings.Repeat("1", 10<<20) + "\n" + abaloneRows(20)),
			want: "in.csv:2: line longer than 1048576 bytes"},
		{family: "data", name: "no line end (/dev/zero) in preprocess", job: "preprocess",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return preprocessArgs("/dev/zero", data("abalone", "schema.json"))
			},
			want: "zero:1: line longer than 1048576 bytes"},
		{family: "data", name: "no line end (/dev/zero) in infer", job: "infer",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return inferArgs(f.abaloneModel, "/dev/zero")
			},
			want: "zero:1: line longer than 1048576 bytes"},
		{family: "data", name: "wrong type in inference input", job: "infer", setup: score(lines(3) + "M,0.4,0.3,0.1,heavy,0.2,0.1,0.15,9\n"),
			want: `in.csv:5: column "Whole_Weight": "heavy" is not a number`},
		{family: "data", name: "too few fields without a header", job: "infer",
			setup: scoreAdult("39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40\n"),
			want:  `in.csv:1: got 13 fields, want 15 (or 14 without the target "income")`},
		{family: "data", name: "unseen category is scored", job: "infer", setup: score(abaloneHeader + "X,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\n")},
		{family: "data", name: "empty and garbage targets are ignored", job: "infer",
			setup: score(abaloneHeader + "M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,\n" + "F,0.53,0.42,0.135,0.677,0.2565,0.1415,0.21,unknown\n")},
		{family: "data", name: "empty targets are scored when skipping bad rows", job: "infer",
			setup: score(abaloneHeader+"M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,\n", "-on-bad-row", "skip"),
			check: func(t *testing.T, out string) {
				predictions, err := os.ReadFile(filepath.Join(out, "in.csv.out"))
				require.NoError(t, err)
				assert.Equal(t, 2, strings.Count(string(predictions), "\n"), "a header and the row's prediction: %q", predictions)
				rejected, err := os.ReadFile(filepath.Join(out, "in.csv.rejected.csv"))
				require.NoError(t, err)
				assert.Equal(t, "line,reason\n", string(rejected))
			}},

		// Bad schemas.
		{family: "schema", name: "target not a column", job: "preprocess",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return preprocessArgs(csvIn(t, dir, lines(20)), write(t, dir, "schema.json", `{"columns": [{"name": "Sex", "type": "categorical"}, {"name": "Length", "type": "numeric"}], "target": "Rings", "task": "regression", "header": true}`))
			},
			want: "schema file "},
		{family: "schema", name: "unknown field", job: "preprocess", setup: schema(func(s string) string { return strings.Replace(s, `"target"`, `"traget"`, 1) }),
			want: "schema file "},
		{family: "schema", name: "not JSON", job: "preprocess", setup: schema(func(string) string { return "columns: [Sex]" }), want: "schema file "},
		{family: "schema", name: "byte order mark is accepted", job: "preprocess", setup: schema(func(s string) string { return "\xef\xbb\xbf" + s })},
		{family: "schema", name: "negative maxCategories", job: "preprocess",
			setup: schema(func(s string) string {
				return strings.Replace(s, `{"name": "Sex", "type": "categorical"}`, `{"name": "Sex", "type": "categorical", "maxCategories": -1}`, 1)
			}),
			want: "schema file "},
		{family: "schema", name: "maxCategories on a numeric column", job: "preprocess",
			setup: schema(func(s string) string {
				return strings.Replace(s, `{"name": "Length", "type": "numeric"}`, `{"name": "Length", "type": "numeric", "maxCategories": 5}`, 1)
			}),
			want: "schema file "},
		{family: "schema", name: "a value per row is capped, with a warning", job: "preprocess",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return preprocessArgs(csvIn(t, dir, idLike.String()), schemaWith(t, dir, withSerial))
			},
			stderr: `preprocess: warning: column "Serial" has 105 categories in the training rows, more than its limit of 100; the 5 least frequent (5 rows) are encoded as unseen values`},

		// Bad hyperparameters (hyperparameters.json where SageMaker writes it)
		// and resource configs.
		{family: "hyperparameters", name: "unknown name", job: "train", setup: train(`{"num_round": "5", "max_depht": "5"}`), want: `unknown hyperparameter "max_depht"`},
		{family: "hyperparameters", name: "value out of range", job: "train", setup: train(`{"num_round": "5", "max_depth": "0"}`),
			want: `hyperparameter max_depth = "0" is invalid; valid: an integer in [1, 64]`},
		{family: "hyperparameters", name: "hexadecimal float", job: "train", setup: train(`{"num_round": "5", "eta": "0x1p-2"}`),
			want: `hyperparameter eta = "0x1p-2" is invalid`},
		{family: "hyperparameters", name: "not a string", job: "train", setup: train(`{"num_round": 5}`), want: "hyperparameters file "},
		{family: "hyperparameters", name: "not JSON", job: "train", setup: train(`num_round=5`), want: "hyperparameters file "},
		{family: "hyperparameters", name: "objective of another task", job: "train", setup: train(`{"num_round": "5", "objective": "binary:logistic"}`),
			want: `hyperparameter objective = "binary:logistic" does not fit the schema's task "regression"`},
		{family: "hyperparameters", name: "SageMaker's own are accepted", job: "train",
			setup: train(`{"num_round": "5", "_tuning_objective_metric": "validation:rmse", "sagemaker_program": "\"train.py\"", "sagemaker_submit_directory": "\"s3://bucket/src.tar.gz\"", "sagemaker_container_log_level": "20", "sagemaker_job_name": "\"job\"", "sagemaker_region": "\"eu-west-1\""}`)},
		{family: "hyperparameters", name: "two instances", job: "train",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				write(t, root, filepath.Join("input", "config", "resourceconfig.json"), `{"current_host": "algo-1", "hosts": ["algo-1", "algo-2"]}`)
				return train(`{"num_round": "5"}`)(t, f, dir, root)
			},
			want: "train runs on one instance, the job has 2"},

		// Bad splits: the channels of train and the test split of evaluate.
		{family: "split", name: "binary label not 0 or 1", job: "train",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				raw, err := os.ReadFile(filepath.Join(f.adult, "train", "train.csv"))
				require.NoError(t, err)
				rows := strings.SplitAfter(string(raw), "\n")
				rows[3] = "2" + rows[3][1:]
				return trainArgs(f.adult, write(t, dir, filepath.Join("train", "train.csv"), strings.Join(rows, "")))
			},
			want: "train channel: train.csv:4: field 1, the label: 2 is not 0 or 1"},
		{family: "split", name: "empty validation channel", job: "train",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				args := trainArgs(f.abalone, "")
				args[3] = filepath.Dir(write(t, dir, filepath.Join("validation", "validation.csv"), ""))
				return args
			},
			want: "validation channel: split "},
		{family: "split", name: "ragged test split", job: "evaluate",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return evaluateArgs(f.abaloneModel, csvIn(t, dir, testRow+"9,1,0\n"))
			},
			want: "test split: in.csv:2: 2 features, earlier rows have 10"},
		{family: "split", name: "binary label in the test split", job: "evaluate",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				raw, err := os.ReadFile(filepath.Join(f.adult, "test", "test.csv"))
				require.NoError(t, err)
				return evaluateArgs(f.adultModel, csvIn(t, dir, string(raw)+"-1"+strings.SplitAfterN(string(raw), "\n", 2)[0][1:]))
			},
			want: "test split: in.csv:"},

		// Bad model archives and directories.
		{family: "model", name: "truncated model archive", job: "infer",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return inferArgs(truncated(t, dir), csvIn(t, dir, lines(3)))
			},
			want: "model "},
		{family: "model", name: "corrupted model archive", job: "evaluate",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return evaluateArgs(notGzip(t, dir), csvIn(t, dir, testRow))
			},
			want: "model "},
		{family: "model", name: "empty model directory", job: "infer",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				model := filepath.Join(dir, "model")
				require.NoError(t, os.MkdirAll(model, 0o755))
				return inferArgs(model, csvIn(t, dir, lines(3)))
			},
			want: "model "},
		{family: "model", name: "model without its preprocessor", job: "infer",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return inferArgs(onlyModelJSON(t, f, dir), csvIn(t, dir, lines(3)))
			},
			want: "model "},
		{family: "model", name: "model of another data set", job: "infer",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return inferArgs(f.adultModel, csvIn(t, dir, lines(3)))
			},
			want: `in.csv:1: got 1 fields, want 15 (or 14 without the target "income")`},
		// The archive reader's limits (see jobs/internal/modelio).
		{family: "model", name: "archive entry over its size limit", job: "infer",
			setup: packed(func(file string) []string {
				if file == "model.json" {
					return nil
				}
				return []string{file}
			}, 600<<20),
			want: "model ", stderr: "entry model.json is 629145600 bytes; valid: at most 536870912 bytes (512 MiB)"},
		{family: "model", name: "duplicate archive entry", job: "infer",
			setup: packed(func(file string) []string {
				if file == "model.json" {
					return []string{file, "x/../model.json"}
				}
				return []string{file}
			}, 0),
			want: "model ", stderr: `entry "x/../model.json" is a second model.json`},
		{family: "model", name: "model packed inside a folder", job: "infer",
			setup: packed(func(file string) []string { return []string{"model/" + file} }, 0),
			want:  "model ", stderr: "model.json is in folder model/ of the archive; SageMaker extracts the archive into /opt/ml/model, so pack the files at the top level, for example with \"tar czf model.tar.gz -C model .\""},

		// Bad flags.
		{family: "flags", name: "negative -workers", job: "infer", setup: score(lines(3), "-workers", "-5"),
			want: "-workers = -5 is invalid; valid: 0 (one per core) or a positive count"},
		{family: "flags", name: "-on-bad-row typo", job: "infer", setup: score(lines(3), "-on-bad-row", "skpi"), want: `-on-bad-row = "skpi" is invalid`},
		{family: "flags", name: "-threshold out of range", job: "evaluate",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return evaluateArgs(f.abaloneModel, csvIn(t, dir, testRow), "-threshold", "NaN")
			},
			want: "-threshold = NaN is invalid"},
		{family: "flags", name: "-validation-fraction 0", job: "preprocess",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return append(preprocessArgs(csvIn(t, dir, lines(40)), data("abalone", "schema.json")), "-validation-fraction", "0")
			},
			want: "-validation-fraction = 0 is invalid; valid: a share in (0, 1): train needs a validation split"},
		{family: "flags", name: "fractions leave no test rows", job: "preprocess",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return append(preprocessArgs(csvIn(t, dir, lines(40)), data("abalone", "schema.json")), "-train-fraction", "0.8", "-validation-fraction", "0.2")
			},
			want: "-train-fraction 0.8 and -validation-fraction 0.2 leave no test rows"},
		{family: "flags", name: "unknown flag", job: "train",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return append(trainArgs(f.abalone, ""), "-max-depth", "5")
			},
			want: "flag provided but not defined: -max-depth"},
		{family: "flags", name: "positional argument", job: "evaluate",
			setup: func(t *testing.T, f *fixtures, dir, root string) []string {
				return append(evaluateArgs(f.abaloneModel, csvIn(t, dir, testRow)), "extra")
			},
			want: `unexpected arguments ["extra"]`},
	}
}

// outputFlag is each job's output flag.
var outputFlag = map[string]string{"preprocess": "-output", "train": "-model-dir", "evaluate": "-output", "infer": "-output"}

// failureFile is where SageMaker reads each job's failure reason below
// the contract's root (internal/sagemaker: Kind.FailurePath).
var failureFile = map[string]string{
	"preprocess": filepath.Join("output", "message"),
	"train":      filepath.Join("output", "failure"),
	"evaluate":   filepath.Join("output", "message"),
	"infer":      filepath.Join("output", "message"),
}

func TestBadInput(t *testing.T) {
	f := newFixtures(t)
	for _, tt := range badCases() {
		t.Run(tt.family+"/"+tt.name, func(t *testing.T) {
			dir, root := t.TempDir(), t.TempDir()
			out := filepath.Join(dir, "out")
			args := append([]string{outputFlag[tt.job], out}, tt.setup(t, f, dir, root)...)
			code, stderr := jobWithin(t, tt.job, []string{"MLPIPELINE_SAGEMAKER_ROOT=" + root}, args...)
			reason, ferr := os.ReadFile(filepath.Join(root, failureFile[tt.job]))
			if tt.want == "" {
				assert.Equal(t, 0, code, "exit code; stderr: %s", stderr)
				assert.True(t, os.IsNotExist(ferr), "no failure file on success: %s", reason)
				assert.NotEmpty(t, regularFiles(t, out), "outputs")
				assert.Contains(t, stderr, tt.stderr)
				if tt.check != nil {
					tt.check(t, out)
				}
				return
			}
			assert.Equal(t, 1, code, "exit code; stderr: %s", stderr)
			require.NoError(t, ferr, "failure file; stderr: %s", stderr)
			first, _, _ := strings.Cut(string(reason), "\n")
			assert.True(t, strings.HasPrefix(first, tt.want), "failure reason %q, want it to start with %q", first, tt.want)
			assert.LessOrEqual(t, len(reason), 1024, "SageMaker shows the first 1 KB")
			assert.Contains(t, stderr, first, "the reason is in the logs too")
			assert.Contains(t, first, tt.stderr, "the reason says what is wrong")
			assert.Empty(t, regularFiles(t, out), "no output file is left behind")
		})
	}
}

// hangAfter is how long a case may run before it counts as hung: far
// beyond what any case needs (they take well under a second), so that a
// job reading an endless input fails its case instead of the whole run.
const hangAfter = 2 * time.Minute

// jobWithin runs a job as job does, and fails t if it has not ended
// after hangAfter. It returns the exit code and stderr.
func jobWithin(t *testing.T, name string, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangAfter)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin[name], args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "%s %v did not end within %v: it hangs", name, args, hangAfter)
	if exitErr, ok := err.(*exec.ExitError); ok {
		return exitErr.ExitCode(), stderr.String()
	}
	require.NoError(t, err, "start %s", name)
	return 0, stderr.String()
}

// TestBadInputMatrixIsDocumented keeps the README's table of the matrix's
// families and case counts true.
func TestBadInputMatrixIsDocumented(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	require.NoError(t, err)
	count := map[string]int{}
	total := 0
	for _, c := range badCases() {
		require.Contains(t, families, c.family, "case %q", c.name)
		count[c.family]++
		total++
	}
	for _, family := range families {
		row := fmt.Sprintf("| %s | %d |", family, count[family])
		assert.True(t, strings.Contains(string(readme), row), "README.md has the row %q", row)
	}
	sum := fmt.Sprintf("%d cases in %d families", total, len(families))
	assert.True(t, strings.Contains(string(readme), sum), "README.md says %q", sum)
}

// TestInferSkipsBadRowsAndKeepsIDs runs a pipeline on abalone with an id
// column added, then scores a file with bad rows under -on-bad-row=skip.
func TestInferSkipsBadRowsAndKeepsIDs(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile(data("abalone", "abalone.csv"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var withID strings.Builder
	withID.WriteString("id," + lines[0] + "\n")
	for i, l := range lines[1:] {
		fmt.Fprintf(&withID, "r%d,%s\n", i, l)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "train.csv"), []byte(withID.String()), 0o644))
	schema, err := os.ReadFile(data("abalone", "schema.json"))
	require.NoError(t, err)
	schemaWithID := strings.Replace(string(schema), `"columns": [`, `"id": "id", "columns": [{"name": "id", "type": "categorical"},`, 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "schema.json"), []byte(schemaWithID), 0o644))

	// Rows to score: no target column, a quoted id, two bad rows.
	score := "id," + strings.Replace(strings.TrimSuffix(abaloneHeader, "\n"), ",Rings", "", 1) + "\n" +
		"a,M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15\n" +
		"b,M,0.455,broken,0.095,0.514,0.2245,0.101,0.15\n" +
		"\"c,1\",F,0.53,0.42,0.135,0.677,0.2565,0.1415,0.21\n" +
		"d,M,0.455\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "score.csv"), []byte(score), 0o644))

	run := pipeline(t, nil, filepath.Join(dir, "schema.json"), []string{"-input", filepath.Join(dir, "train.csv")},
		[]string{"-hp", "num_round=5"}, filepath.Join(dir, "train.csv"))
	out := filepath.Join(dir, "scored")
	stdout := mustRun(t, "infer", nil, "-model", filepath.Join(run, "model"), "-input", filepath.Join(dir, "score.csv"),
		"-output", out, "-on-bad-row", "skip")
	assert.Contains(t, stdout, "score.csv: 2 rows scored, 2 rejected")

	predictions, err := os.ReadFile(filepath.Join(out, "score.csv.out"))
	require.NoError(t, err)
	got := strings.Split(strings.TrimSpace(string(predictions)), "\n")
	require.Len(t, got, 3)
	assert.Equal(t, "id,prediction", got[0])
	assert.True(t, strings.HasPrefix(got[1], "a,"), "first prediction row %q keeps its id", got[1])
	assert.True(t, strings.HasPrefix(got[2], `"c,1",`), "an id with a comma is quoted: %q", got[2])

	rejected, err := os.ReadFile(filepath.Join(out, "score.csv.rejected.csv"))
	require.NoError(t, err)
	assert.Equal(t, "line,reason\n"+
		`3,"score.csv:3: column ""Diameter"": ""broken"" is not a number"`+"\n"+
		`5,"score.csv:5: got 3 fields, want 9"`+"\n", string(rejected))

	// Without skip, the first bad row fails the job and nothing is written.
	failOut := filepath.Join(dir, "failed")
	code, _, stderr := job(t, "infer", nil, "-model", filepath.Join(run, "model"), "-input", filepath.Join(dir, "score.csv"), "-output", failOut)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, `score.csv:3: column "Diameter": "broken" is not a number`)
	assert.Empty(t, regularFiles(t, failOut))
}

// Package modelio reads and writes the model directory the train job leaves
// in /opt/ml/model (which SageMaker packs into model.tar.gz): the trees in
// XGBoost's JSON or UBJSON model format, the fitted preprocessor, the data schema,
// the training data's baseline (package monitor) and a metadata file. It reads a directory, a model.tar.gz, or a directory
// holding a model.tar.gz, and checks that the parts agree.
package modelio

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/monitor"
)

// File names inside a model directory.
const (
	// ModelFile holds the trees in XGBoost's JSON model format.
	ModelFile = "model.json"
	// UBJSONModelFile holds the trees in XGBoost's UBJSON model format,
	// the name Booster.save_model("model.ubj") suggests; read when
	// ModelFile is absent.
	UBJSONModelFile = "model.ubj"
	// BuiltinModelFile is the name SageMaker's built-in XGBoost algorithm
	// gives its model, in JSON or UBJSON depending on its version; read
	// when ModelFile and UBJSONModelFile are absent.
	BuiltinModelFile = "xgboost-model"
	// PreprocessorFile holds the fitted preprocessor.
	PreprocessorFile = "preprocessor.json"
	// SchemaFile holds the data schema.
	SchemaFile = "schema.json"
	// MetadataFile holds Metadata.
	MetadataFile = "metadata.json"
	// StatisticsFile and ConstraintsFile hold the training data's
	// baseline in SageMaker Model Monitor's layouts; a model trained
	// before baselines existed, or by SageMaker's built-in XGBoost, has
	// neither.
	StatisticsFile  = monitor.StatisticsFile
	ConstraintsFile = monitor.ConstraintsFile
	// ArchiveFile is the archive SageMaker makes of a model directory.
	ArchiveFile = "model.tar.gz"
)

// Limits on what Load reads. A model archive holds a few files (the train
// job writes the six above, SageMaker's built-in XGBoost one); the limits
// leave ample room for real models and stop a damaged or hostile archive,
// such as a few megabytes of gzip that expand to gigabytes, before it
// costs memory or time. Sizes are uncompressed bytes as the tar headers
// declare them, checked before anything is read.
const (
	// MaxModelFileBytes bounds model.json, model.ubj and xgboost-model
	// (UBJSON is smaller than JSON for the same model). XGBoost's JSON
	// takes about 60 to 100 bytes per tree node; the benchmark's models
	// (50 trees of depth 5, 10M rows) are about 0.2 MB, and 512 MiB holds
	// some 5 million nodes, for example 2,500 full trees of depth 10.
	MaxModelFileBytes = 512 << 20
	// MaxPreprocessorFileBytes bounds preprocessor.json: a few bytes per
	// numeric column and per category kept by one-hot encoding.
	MaxPreprocessorFileBytes = 64 << 20
	// MaxSmallFileBytes bounds schema.json and metadata.json (which lists
	// the feature names).
	MaxSmallFileBytes = 16 << 20
	// MaxBaselineFileBytes bounds statistics.json and constraints.json:
	// a numeric column's KLL sketch keeps about 5,700 values (some 120 kB
	// of JSON), a categorical column lists up to its category limit of
	// values, so 64 MiB holds some 500 numeric columns.
	MaxBaselineFileBytes = 64 << 20
	// MaxArchiveBytes bounds the sum of all entries of a model.tar.gz,
	// the ones Load skips included, since skipping still decompresses them.
	MaxArchiveBytes = 1 << 30
	// MaxArchiveEntries bounds the number of entries (files, folders,
	// links) of a model.tar.gz.
	MaxArchiveEntries = 1000
)

// fileLimits gives each file Load reads its size limit; no other file of a
// model directory or archive is read.
var fileLimits = map[string]int64{
	ModelFile:        MaxModelFileBytes,
	UBJSONModelFile:  MaxModelFileBytes,
	BuiltinModelFile: MaxModelFileBytes,
	PreprocessorFile: MaxPreprocessorFileBytes,
	SchemaFile:       MaxSmallFileBytes,
	MetadataFile:     MaxSmallFileBytes,
	StatisticsFile:   MaxBaselineFileBytes,
	ConstraintsFile:  MaxBaselineFileBytes,
}

// fileNames lists the keys of fileLimits in a fixed order.
var fileNames = []string{ModelFile, UBJSONModelFile, BuiltinModelFile, PreprocessorFile, SchemaFile, MetadataFile, StatisticsFile, ConstraintsFile}

// modelFiles lists the names a model may have, in the order Load prefers
// them when there are several.
var modelFiles = []string{ModelFile, UBJSONModelFile, BuiltinModelFile}

// Metadata records how a model was trained.
type Metadata struct {
	// Objective is the XGBoost objective.
	Objective string `json:"objective"`
	// Hyperparameters are the effective values, defaults included.
	Hyperparameters map[string]string `json:"hyperparameters"`
	// BestIteration is the round early stopping kept (0-based).
	BestIteration int `json:"best_iteration"`
	// NumTrees is the number of trees in the model.
	NumTrees int `json:"num_trees"`
	// FeatureNames names the model's input features in order.
	FeatureNames []string `json:"feature_names"`
	// Data fingerprints the training data.
	Data DataFingerprint `json:"data"`
	// Metrics holds the last round's train and validation metric.
	Metrics map[string]float64 `json:"metrics"`
	// Versions names the software that trained the model.
	Versions map[string]string `json:"versions"`
}

// DataFingerprint identifies the data a model was trained on.
type DataFingerprint struct {
	// TrainSHA256 and ValidationSHA256 hash the split files in name order.
	TrainSHA256      string `json:"train_sha256"`
	ValidationSHA256 string `json:"validation_sha256"`
	// TrainRows and ValidationRows count their rows.
	TrainRows      int `json:"train_rows"`
	ValidationRows int `json:"validation_rows"`
	// SchemaFingerprint identifies the data schema.
	SchemaFingerprint string `json:"schema_fingerprint"`
}

// Bundle is a loaded model with what was stored beside it. Only Model is
// always set: a model trained by SageMaker's built-in XGBoost comes alone.
type Bundle struct {
	Model        *gbt.Model
	Schema       *dataset.Schema
	Preprocessor *features.Preprocessor
	Metadata     *Metadata
	// Baseline is the training data's baseline, when the model has one.
	Baseline *monitor.Baseline
}

// Load reads the model at path: a model directory, a model.tar.gz, or a
// directory holding a model.tar.gz (as a processing job's model input).
func Load(path string) (*Bundle, error) {
	files, err := readFiles(path)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	b, err := parse(files)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	return b, nil
}

// readFiles returns the contents of the model files at path by name.
func readFiles(p string) (map[string][]byte, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		archive := filepath.Join(p, ArchiveFile)
		if _, err := os.Stat(archive); err != nil {
			return readDir(p)
		}
		p = archive
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readArchive(f)
}

func readDir(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range fileNames {
		data, err := readLimited(filepath.Join(dir, name), fileLimits[name])
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		files[name] = data
	}
	return files, nil
}

// readLimited reads the file at p, failing when it is larger than limit.
func readLimited(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", filepath.Base(p))
	}
	if info.Size() > limit {
		return nil, tooLarge(filepath.Base(p), info.Size(), limit)
	}
	// The file may grow while it is read; never read past the limit.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(filepath.Base(p), int64(len(data)), limit)
	}
	return data, nil
}

func tooLarge(name string, size, limit int64) error {
	return fmt.Errorf("%s is %d bytes; valid: at most %d bytes (%s)", name, size, limit, mib(limit))
}

// mib formats a limit in MiB or GiB.
func mib(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// readArchive reads the model files at the top level of a gzipped tar
// archive, as SageMaker would extract them into /opt/ml/model. Other
// entries are skipped without being kept. It fails on an archive beyond
// the limits above, on a second entry for a model file (after path
// cleaning, "./model.json" and "x/../model.json" are model.json too), on a
// model file that is a link or other non-regular entry, and, when there is
// no model at the top level but one in a folder, with how to pack it.
func readArchive(r io.Reader) (map[string][]byte, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%s is not a gzip archive: %w", ArchiveFile, err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	seen := map[string]string{} // model file name -> the entry that held it
	var nested string           // the first model file found in a folder
	var total int64
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s is truncated or corrupted: %w", ArchiveFile, err)
		}
		if entries == MaxArchiveEntries {
			return nil, fmt.Errorf("%s has more than %d entries (at entry %q); valid: at most %d, a model archive holds a few files", ArchiveFile, MaxArchiveEntries, hdr.Name, MaxArchiveEntries)
		}
		name := path.Clean("/" + hdr.Name)[1:] // "./a", "/a" and "x/../a" are all "a"
		limit, needed := fileLimits[name]
		if needed {
			if first, dup := seen[name]; dup {
				return nil, fmt.Errorf("%s: entry %q is a second %s (the first is entry %q); valid: one entry per file", ArchiveFile, hdr.Name, name, first)
			}
			seen[name] = hdr.Name
			if !isRegular(hdr) {
				return nil, fmt.Errorf("%s: entry %q is %s, not a regular file; valid: %s itself", ArchiveFile, hdr.Name, typeName(hdr.Typeflag), name)
			}
			if hdr.Size > limit {
				return nil, fmt.Errorf("%s: entry %w", ArchiveFile, tooLarge(name, hdr.Size, limit))
			}
		}
		total += hdr.Size
		if total > MaxArchiveBytes {
			return nil, fmt.Errorf("%s: entry %q (%d bytes) brings the archive past %d bytes uncompressed; valid: at most %d bytes (%s) in all", ArchiveFile, hdr.Name, hdr.Size, int64(MaxArchiveBytes), int64(MaxArchiveBytes), mib(MaxArchiveBytes))
		}
		if !needed {
			if base := path.Base(name); nested == "" && fileLimits[base] > 0 && isRegular(hdr) {
				nested = name
			}
			continue // tr.Next skips the rest of the entry
		}
		// Memory grows with the bytes that arrive, not with the size the
		// header claims, which a truncated archive never delivers.
		buf := bytes.NewBuffer(make([]byte, 0, min(hdr.Size, 1<<20)))
		if _, err := buf.ReadFrom(tr); err != nil {
			return nil, fmt.Errorf("%s is truncated or corrupted: %s: %w", ArchiveFile, name, err)
		}
		files[name] = buf.Bytes()
	}
	if !hasModel(files) && nested != "" {
		dir := path.Dir(nested)
		return nil, fmt.Errorf("%s is in folder %s/ of the archive; SageMaker extracts the archive into /opt/ml/model, so pack the files at the top level, for example with %q", path.Base(nested), dir, "tar czf "+ArchiveFile+" -C "+dir+" .")
	}
	return files, nil
}

// isRegular reports whether an archive entry holds a file's bytes.
func isRegular(hdr *tar.Header) bool {
	return hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeGNUSparse
}

// typeName names a tar entry type in messages.
func typeName(flag byte) string {
	switch flag {
	case tar.TypeSymlink:
		return "a symbolic link"
	case tar.TypeLink:
		return "a hard link"
	case tar.TypeDir:
		return "a folder"
	default:
		return fmt.Sprintf("an entry of tar type %q", flag)
	}
}

// hasModel reports whether files holds a model under one of its names.
func hasModel(files map[string][]byte) bool {
	for _, name := range modelFiles {
		if _, ok := files[name]; ok {
			return true
		}
	}
	return false
}

func parse(files map[string][]byte) (*Bundle, error) {
	var name string
	for _, n := range modelFiles {
		if _, ok := files[n]; ok {
			name = n
			break
		}
	}
	if name == "" {
		return nil, fmt.Errorf("no %s (nor %s or %s) found", ModelFile, UBJSONModelFile, BuiltinModelFile)
	}
	// The format is told by content, not by name: xgboost-model is JSON
	// or UBJSON depending on the XGBoost version that wrote it, and a
	// renamed file still reads.
	model, err := gbt.ReadModel(bytes.NewReader(files[name]))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b := &Bundle{Model: model}
	if data, ok := files[SchemaFile]; ok {
		if b.Schema, err = dataset.Parse(data); err != nil {
			return nil, fmt.Errorf("%s: %w", SchemaFile, err)
		}
	}
	if data, ok := files[PreprocessorFile]; ok {
		if b.Schema == nil {
			return nil, fmt.Errorf("%s without %s: the preprocessor cannot be checked", PreprocessorFile, SchemaFile)
		}
		if b.Preprocessor, err = features.ParsePreprocessor(data, b.Schema); err != nil {
			return nil, err
		}
		if got, want := b.Preprocessor.NumFeatures(), model.NumFeatures(); got != want {
			return nil, fmt.Errorf("the preprocessor makes %d features, the model takes %d; valid: the preprocessor the model was trained with", got, want)
		}
	}
	if b.Baseline, err = parseBaseline(files, b.Schema); err != nil {
		return nil, err
	}
	if data, ok := files[MetadataFile]; ok {
		b.Metadata = &Metadata{}
		if err := json.Unmarshal(data, b.Metadata); err != nil {
			return nil, fmt.Errorf("%s: %w", MetadataFile, err)
		}
	}
	return b, nil
}

// parseBaseline reads the baseline files, both or neither, and checks
// that the statistics cover the schema's features.
func parseBaseline(files map[string][]byte, s *dataset.Schema) (*monitor.Baseline, error) {
	stats, hasStats := files[StatisticsFile]
	cons, hasCons := files[ConstraintsFile]
	if !hasStats && !hasCons {
		return nil, nil
	}
	if !hasStats || !hasCons {
		return nil, fmt.Errorf("%s and %s come together, only one is there; valid: both (as the train job writes them) or neither", StatisticsFile, ConstraintsFile)
	}
	if s == nil {
		return nil, fmt.Errorf("%s without %s: the baseline cannot be checked", StatisticsFile, SchemaFile)
	}
	b, err := monitor.Parse(stats, cons)
	if err != nil {
		return nil, err
	}
	if _, err := monitor.New(b.Statistics, s); err != nil {
		return nil, err
	}
	return b, nil
}

// WriteArchive writes the model files of dir as a model.tar.gz to w, the way
// SageMaker packs /opt/ml/model, with fixed timestamps and modes so that the
// same files give the same bytes.
func WriteArchive(w io.Writer, dir string) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.Name(), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	return errors.Join(tw.Close(), gz.Close())
}

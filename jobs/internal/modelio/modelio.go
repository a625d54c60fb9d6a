// Package modelio reads and writes the model directory the train job leaves
// in /opt/ml/model (which SageMaker packs into model.tar.gz): the trees in
// XGBoost's JSON model format, the fitted preprocessor, the data schema and
// a metadata file. It reads a directory, a model.tar.gz, or a directory
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
	"strings"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/gbt"
)

// File names inside a model directory.
const (
	// ModelFile holds the trees in XGBoost's JSON model format.
	ModelFile = "model.json"
	// BuiltinModelFile is the name SageMaker's built-in XGBoost algorithm
	// gives its model; read when ModelFile is absent.
	BuiltinModelFile = "xgboost-model"
	// PreprocessorFile holds the fitted preprocessor.
	PreprocessorFile = "preprocessor.json"
	// SchemaFile holds the data schema.
	SchemaFile = "schema.json"
	// MetadataFile holds Metadata.
	MetadataFile = "metadata.json"
	// ArchiveFile is the archive SageMaker makes of a model directory.
	ArchiveFile = "model.tar.gz"
)

// maxArchiveFileBytes bounds each file read from an archive, so that a
// corrupted or hostile archive cannot exhaust memory.
const maxArchiveFileBytes = 1 << 30

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
	for _, name := range []string{ModelFile, BuiltinModelFile, PreprocessorFile, SchemaFile, MetadataFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
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

// readArchive reads the regular files at the top of a gzipped tar archive.
func readArchive(r io.Reader) (map[string][]byte, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%s is not a gzip archive: %w", ArchiveFile, err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s is truncated or corrupted: %w", ArchiveFile, err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		if hdr.Typeflag != tar.TypeReg || strings.Contains(name, "/") {
			continue // only top-level files matter; never follow links or paths
		}
		if hdr.Size > maxArchiveFileBytes {
			return nil, fmt.Errorf("%s: %s is %d bytes; valid: at most %d", ArchiveFile, name, hdr.Size, maxArchiveFileBytes)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s is truncated or corrupted: %s: %w", ArchiveFile, name, err)
		}
		files[name] = data
	}
}

func parse(files map[string][]byte) (*Bundle, error) {
	data, ok := files[ModelFile]
	if !ok {
		if data, ok = files[BuiltinModelFile]; !ok {
			return nil, fmt.Errorf("no %s (nor %s) found", ModelFile, BuiltinModelFile)
		}
	}
	model, err := gbt.ReadJSON(bytes.NewReader(data))
	if err != nil {
		return nil, err
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
	if data, ok := files[MetadataFile]; ok {
		b.Metadata = &Metadata{}
		if err := json.Unmarshal(data, b.Metadata); err != nil {
			return nil, fmt.Errorf("%s: %w", MetadataFile, err)
		}
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

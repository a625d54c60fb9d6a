package sagemaker

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// DefaultRoot is the directory under which SageMaker mounts everything a job
// container reads and writes.
const DefaultRoot = "/opt/ml"

// Paths locates the files and directories of the SageMaker container
// contract below Root. Root is a field, not a constant, so tests and local
// runs can use a temporary directory; the zero value uses [DefaultRoot], so
// Paths{} is as good as [Default].
type Paths struct {
	// Root replaces /opt/ml. Empty means DefaultRoot.
	Root string
}

// Default returns the Paths a job sees inside a SageMaker container.
func Default() Paths {
	return Paths{Root: DefaultRoot}
}

// RootEnv names the environment variable that moves the contract's root
// away from /opt/ml. The local run sets it so that a job started as a local
// process finds its inputs and leaves its outputs where SageMaker would,
// below a run directory, with every default path following along.
const RootEnv = "MLPIPELINE_SAGEMAKER_ROOT"

// FromEnv returns the Paths below the root RootEnv names, or Default when
// it is unset.
func FromEnv(getenv func(string) string) Paths {
	if root := getenv(RootEnv); root != "" {
		return Paths{Root: root}
	}
	return Default()
}

// root returns Root, falling back to DefaultRoot so the zero value is usable.
func (p Paths) root() string {
	if p.Root == "" {
		return DefaultRoot
	}
	return p.Root
}

// join builds a path below the root.
func (p Paths) join(elem ...string) string {
	return filepath.Join(append([]string{p.root()}, elem...)...)
}

// ValidName reports whether name can be used as a single directory name
// below a SageMaker directory, such as a training channel or a processing
// input or output. It rejects empty names, "." and names containing a path
// separator or "..", because any of those would make the resulting path
// point somewhere other than a direct child of the intended directory.
func ValidName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case name == ".":
		return fmt.Errorf("name %q refers to the parent directory itself", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("name %q contains a path separator", name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("name %q contains %q", name, "..")
	}
	return nil
}

// Processing returns <root>/processing/<name>, the conventional local path of
// a processing job's input or output called name (for example "input",
// "output", "model" or "code"). It returns an error if name fails
// [ValidName], so a bad name cannot escape the processing directory.
func (p Paths) Processing(name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", fmt.Errorf("processing directory: %w", err)
	}
	return p.join("processing", name), nil
}

// ProcessingJobConfig returns <root>/config/processingjobconfig.json, where
// SageMaker describes the running processing job.
func (p Paths) ProcessingJobConfig() string {
	return p.join("config", "processingjobconfig.json")
}

// ProcessingResourceConfig returns <root>/config/resourceconfig.json, the
// cluster layout of a processing job. Training jobs use [Paths.ResourceConfig]
// instead.
func (p Paths) ProcessingResourceConfig() string {
	return p.join("config", "resourceconfig.json")
}

// Channel returns <root>/input/data/<name>, where SageMaker mounts the
// training channel called name. It returns an error if name fails
// [ValidName], so a bad name cannot escape the data directory.
func (p Paths) Channel(name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", fmt.Errorf("training channel: %w", err)
	}
	return p.join("input", "data", name), nil
}

// Hyperparameters returns <root>/input/config/hyperparameters.json, which
// holds a training job's hyperparameters; read it with
// [ReadHyperparameters].
func (p Paths) Hyperparameters() string {
	return p.join("input", "config", "hyperparameters.json")
}

// ResourceConfig returns <root>/input/config/resourceconfig.json, the cluster
// layout of a training job; read it with [ReadResourceConfig].
func (p Paths) ResourceConfig() string {
	return p.join("input", "config", "resourceconfig.json")
}

// InputDataConfig returns <root>/input/config/inputdataconfig.json, which
// describes each training channel (content type, input mode and so on).
func (p Paths) InputDataConfig() string {
	return p.join("input", "config", "inputdataconfig.json")
}

// Model returns <root>/model, the directory a training job writes its model
// to; SageMaker uploads its contents as model.tar.gz when the job succeeds.
func (p Paths) Model() string {
	return p.join("model")
}

// OutputData returns <root>/output/data, the directory for training
// artifacts other than the model; SageMaker uploads it as output.tar.gz.
func (p Paths) OutputData() string {
	return p.join("output", "data")
}

// Kind is the type of SageMaker job a binary runs as. It matters because
// training and processing jobs look for the failure reason in different
// files.
type Kind int

const (
	// Training is a SageMaker training job. It is the zero Kind.
	Training Kind = iota
	// Processing is a SageMaker processing job.
	Processing
)

// String returns "training" or "processing", for log messages.
func (k Kind) String() string {
	switch k {
	case Training:
		return "training"
	case Processing:
		return "processing"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// FailurePath returns the file whose contents SageMaker reports as the
// failure reason of a job of kind k: <root>/output/failure for training jobs
// and <root>/output/message for processing jobs. Any Kind other than
// Processing is treated as Training, so a failure is always written
// somewhere.
func (k Kind) FailurePath(p Paths) string {
	if k == Processing {
		return p.join("output", "message")
	}
	return p.join("output", "failure")
}

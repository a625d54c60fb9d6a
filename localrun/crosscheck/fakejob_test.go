package crosscheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/mlpipeline-go/mlpipeline/localrun/standin"
)

// The cross-check is about the state machines, not the jobs, so the test
// binary plays every job container (see TestMain): the local stand-ins run
// it under the job's name, with /opt/ml laid out as SageMaker lays it out,
// and return what they return for a real job.
const (
	// fakeJobEnv, set for the job processes, makes the test binary play a
	// job named by its base name (preprocess, train, evaluate, infer).
	fakeJobEnv = "CROSSCHECK_FAKE_JOB"
	// fakeFailEnv names the job that fails, as a job that crashes would.
	fakeFailEnv = "CROSSCHECK_FAIL"
	// fakeEvaluationEnv is the evaluation.json the evaluate job writes;
	// empty, it writes none.
	fakeEvaluationEnv = "CROSSCHECK_EVALUATION"
)

// fakeJobs are the jobs the test binary can play.
var fakeJobs = []string{"preprocess", "train", "evaluate", "infer"}

// fakeJobBinaries links the test binary under every job's name into dir,
// for standin.Config.Binaries.
func fakeJobBinaries(dir string) (map[string]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	bins := map[string]string{}
	for _, job := range fakeJobs {
		link := filepath.Join(dir, job)
		if err := os.Symlink(self, link); err != nil {
			return nil, err
		}
		bins[job] = link
	}
	return bins, nil
}

// fakeJob plays job and returns the exit status: it fails when
// $CROSSCHECK_FAIL names it, writing its failure reason where SageMaker
// reads it; else a processing job writes a file into every output
// directory (the evaluate job its evaluation.json) and the training job a
// model and a metric line.
func fakeJob(job string) int {
	root := os.Getenv(standin.RootEnv)
	if root == "" {
		fmt.Fprintf(os.Stderr, "fake %s: %s is not set\n", job, standin.RootEnv)
		return 2
	}
	if os.Getenv(fakeFailEnv) == job {
		reason := "AlgorithmError: the " + job + " job failed on purpose"
		// Processing jobs explain a failure in output/message, training
		// jobs in output/failure.
		for _, f := range []string{"output/message", "output/failure"} {
			if err := write(root, f, reason); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
		}
		fmt.Fprintln(os.Stderr, reason)
		return 1
	}
	var err error
	if job == "train" {
		fmt.Println("[0] train-rmse:2.25 validation-rmse:2.5")
		err = write(root, "model/model.json", `{"learner": {}}`)
	} else {
		err = processingOutputs(job, root)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "fake %s: %v\n", job, err)
		return 2
	}
	return 0
}

// processingOutputs writes a file into every output directory of the
// processing job's request (config/processingjobconfig.json).
func processingOutputs(job, root string) error {
	data, err := os.ReadFile(filepath.Join(root, "config", "processingjobconfig.json"))
	if err != nil {
		return err
	}
	var req struct {
		ProcessingOutputConfig struct {
			Outputs []struct {
				OutputName string
				S3Output   struct{ LocalPath string }
			}
		}
	}
	if err := json.Unmarshal(data, &req); err != nil {
		return err
	}
	for _, out := range req.ProcessingOutputConfig.Outputs {
		rel, ok := strings.CutPrefix(path.Clean(out.S3Output.LocalPath), "/opt/ml/")
		if !ok {
			return fmt.Errorf("output %s: local path %q is not below /opt/ml", out.OutputName, out.S3Output.LocalPath)
		}
		if err := write(root, rel+"/"+job+".out", job+"\n"); err != nil {
			return err
		}
		if job == "evaluate" && out.OutputName == "evaluation" {
			if eval := os.Getenv(fakeEvaluationEnv); eval != "" {
				if err := write(root, rel+"/evaluation.json", eval); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// write writes text to the slash path rel below root.
func write(root, rel, text string) error {
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(text), 0o644)
}

package standin

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trainingParams builds a CreateTrainingJob request.
func trainingParams(name string, entrypoint []any, args []any) map[string]any {
	spec := map[string]any{
		"TrainingImage":     "123456789012.dkr.ecr.us-east-1.amazonaws.com/job:latest",
		"TrainingInputMode": "File",
		"MetricDefinitions": []any{
			map[string]any{"Name": "train:rmse", "Regex": "train-rmse:([0-9.eE+-]+)"},
			map[string]any{"Name": "validation:rmse", "Regex": "validation-rmse:([0-9.eE+-]+)"},
			map[string]any{"Name": "train:logloss", "Regex": "train-logloss:([0-9.eE+-]+)"},
		},
	}
	if entrypoint != nil {
		spec["ContainerEntrypoint"] = entrypoint
	}
	if args != nil {
		spec["ContainerArguments"] = args
	}
	channel := func(name, uri string) map[string]any {
		return map[string]any{"ChannelName": name, "ContentType": "text/csv", "DataSource": map[string]any{"S3DataSource": map[string]any{
			"S3Uri": uri, "S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated",
		}}}
	}
	return map[string]any{
		"TrainingJobName":        name,
		"AlgorithmSpecification": spec,
		"HyperParameters":        map[string]any{"epochs": "10", "eta": 0.3, "early_stop": true},
		"InputDataConfig":        []any{channel("train", "s3://data/train"), channel("validation", "s3://data/validation/")},
		"OutputDataConfig":       map[string]any{"S3OutputPath": "s3://models/runs/", "KmsKeyId": "k"},
		"ResourceConfig":         map[string]any{"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30},
		"StoppingCondition":      map[string]any{"MaxRuntimeInSeconds": 3600},
		"RoleArn":                "arn:aws:iam::123456789012:role/r",
	}
}

// untar returns the files of a model.tar.gz by name, failing on anything
// but regular files with mode 0644.
func untar(t *testing.T, b []byte) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	files := map[string]string{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.Equal(t, byte(tar.TypeReg), hdr.Typeflag, hdr.Name)
		assert.Equal(t, int64(0o644), hdr.Mode, hdr.Name)
		content, err := io.ReadAll(tr)
		require.NoError(t, err)
		files[hdr.Name] = string(content)
	}
	return files
}

func TestTrainingJob(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://data/train/part-0.csv", "1,2")
	e.put("s3://data/validation/part-0.csv", "3,4")

	res, err := e.call(ResourceTrainingJob, trainingParams("mlp-dev-train-1", []any{"/usr/local/bin/train"}, []any{"train"}), false)
	require.NoError(t, err)

	root := filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-train-1", "algo-1")
	var hyper map[string]any
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(root, "input", "config", "hyperparameters.json"))), &hyper))
	assert.Equal(t, map[string]any{"epochs": "10", "eta": "0.3", "early_stop": "true"}, hyper, "hyperparameters are strings")
	assert.Equal(t, "1,2", readFile(t, filepath.Join(root, "input", "data", "train", "part-0.csv")))
	assert.Equal(t, "3,4", readFile(t, filepath.Join(root, "input", "data", "validation", "part-0.csv")))

	const modelURI = "s3://models/runs/mlp-dev-train-1/output/model.tar.gz"
	m := res.(map[string]any)
	assert.Equal(t, "mlp-dev-train-1", m["TrainingJobName"])
	assert.Equal(t, "arn:aws:sagemaker:local:000000000000:training-job/mlp-dev-train-1", m["TrainingJobArn"])
	assert.Equal(t, "Completed", m["TrainingJobStatus"])
	assert.Equal(t, map[string]any{"S3ModelArtifacts": modelURI}, m["ModelArtifacts"])
	assert.Equal(t, []any{
		map[string]any{"MetricName": "train:rmse", "Value": 0.25},
		map[string]any{"MetricName": "validation:rmse", "Value": 0.3},
	}, m["FinalMetricDataList"], "last match per metric, from stdout and stderr; unmatched metrics left out")

	archive, err := e.cfg.Store.Get(modelURI)
	require.NoError(t, err)
	files := untar(t, archive)
	assert.Equal(t, map[string]string{
		"hyperparameters.json":  readFile(t, filepath.Join(root, "input", "config", "hyperparameters.json")),
		"train/part-0.csv":      "1,2",
		"validation/part-0.csv": "3,4",
	}, files)

	// The same model files from another job give the same bytes.
	_, err = e.call(ResourceTrainingJob, trainingParams("mlp-dev-train-2", []any{"/usr/local/bin/train"}, []any{"train"}), false)
	require.NoError(t, err)
	again, err := e.cfg.Store.Get("s3://models/runs/mlp-dev-train-2/output/model.tar.gz")
	require.NoError(t, err)
	assert.Equal(t, archive, again)
}

// TestTrainingAcceptsVpcConfig runs a request with the network fields a
// VPC-bound definition adds; they have no local meaning and are accepted.
func TestTrainingAcceptsVpcConfig(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://data/train/part-0.csv", "1,2")
	e.put("s3://data/validation/part-0.csv", "3,4")
	params := trainingParams("mlp-dev-train-vpc", []any{"/usr/local/bin/train"}, []any{"train"})
	params["VpcConfig"] = map[string]any{"SecurityGroupIds": []any{"sg-1"}, "Subnets": []any{"subnet-1"}}
	params["EnableNetworkIsolation"] = true
	params["EnableInterContainerTrafficEncryption"] = true
	res, err := e.call(ResourceTrainingJob, params, true)
	require.NoError(t, err)
	assert.Equal(t, "Completed", res.(map[string]any)["TrainingJobStatus"])
}

func TestTrainingDefaultCommand(t *testing.T) {
	e := newTestEnv(t)
	e.cfg.Binaries = map[string]string{"train": fakeJob}
	e.handlers = Handlers(e.cfg)
	e.put("s3://data/train/a.csv", "1")
	e.put("s3://data/validation/a.csv", "2")
	_, err := e.call(ResourceTrainingJob, trainingParams("mlp-dev-train-3", nil, nil), true)
	require.NoError(t, err)
	assert.Equal(t, "train", readFile(t, filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-train-3", "algo-1", "args.txt")))
}

func TestTrainingFailure(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://data/train/a.csv", "1")
	e.put("s3://data/validation/a.csv", "2")
	_, err := e.call(ResourceTrainingJob, trainingParams("mlp-dev-train-4", []any{"/usr/local/bin/train"}, []any{"fail", "epochs: must be positive"}), true)
	te := taskError(t, err, "States.TaskFailed")
	var cause map[string]string
	require.NoError(t, json.Unmarshal([]byte(te.Cause), &cause))
	assert.Equal(t, "epochs: must be positive", cause["FailureReason"])
	assert.Equal(t, "mlp-dev-train-4", cause["TrainingJobName"])
	assert.Equal(t, "Failed", cause["TrainingJobStatus"])
	keys, err := e.cfg.Store.List("s3://models/runs/")
	require.NoError(t, err)
	assert.Empty(t, keys)
}

func TestPackTarGzIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	dir := t.TempDir()
	e := newTestEnv(t)
	e.put("s3://x/m/z.txt", "z")
	e.put("s3://x/m/a.txt", "a")
	require.NoError(t, e.cfg.Store.Download("s3://x/m", dir))
	require.NoError(t, PackTarGz(dir, &a))
	// Same content, different modification times and modes.
	for i, name := range []string{"a.txt", "z.txt"} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.Chtimes(p, time.Unix(int64(1e9+i), 0), time.Unix(int64(1e9+i), 0)))
		require.NoError(t, os.Chmod(p, 0o600))
	}
	require.NoError(t, PackTarGz(dir, &b))
	assert.Equal(t, a.Bytes(), b.Bytes())
	assert.Equal(t, map[string]string{"a.txt": "a", "z.txt": "z"}, untar(t, a.Bytes()))
}

func TestTrainingEntrypointArgumentsComeFirst(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://data/train/a.csv", "1")
	e.put("s3://data/validation/a.csv", "2")
	_, err := e.call(ResourceTrainingJob, trainingParams("mlp-dev-ep-2", []any{"/usr/local/bin/train", "sleep"}, []any{"0"}), true)
	require.NoError(t, err)
	assert.Equal(t, "sleep 0", readFile(t, filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-ep-2", "algo-1", "args.txt")))
}

// twoInstances makes a training request run on two instances, with the
// train channel sharded between them.
func twoInstances(p map[string]any) map[string]any {
	p["ResourceConfig"].(map[string]any)["InstanceCount"] = 2
	p["InputDataConfig"].([]any)[0].(map[string]any)["DataSource"].(map[string]any)["S3DataSource"].(map[string]any)["S3DataDistributionType"] = "ShardedByS3Key"
	return p
}

func TestTrainingModelHoldsEveryInstancesFiles(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://data/train/part-0.csv", "1,2")
	e.put("s3://data/train/part-1.csv", "5,6")
	e.put("s3://data/validation/part-0.csv", "3,4")
	params := twoInstances(trainingParams("mlp-dev-train-agg", []any{"/usr/local/bin/train"}, []any{"copy", "/opt/ml/input/data/train", "/opt/ml/model"}))
	_, err := e.call(ResourceTrainingJob, params, true)
	require.NoError(t, err)
	archive, err := e.cfg.Store.Get("s3://models/runs/mlp-dev-train-agg/output/model.tar.gz")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"host-algo-1.txt": "algo-1", "part-0.csv": "1,2",
		"host-algo-2.txt": "algo-2", "part-1.csv": "5,6",
	}, untar(t, archive))
}

func TestTrainingModelNameClashFails(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://data/train/part-0.csv", "1,2")
	e.put("s3://data/train/part-1.csv", "5,6")
	e.put("s3://data/validation/part-0.csv", "3,4")
	// "train" writes model/hyperparameters.json on both instances.
	params := twoInstances(trainingParams("mlp-dev-train-clash", []any{"/usr/local/bin/train"}, []any{"train"}))
	_, err := e.call(ResourceTrainingJob, params, true)
	te := taskError(t, err, "States.TaskFailed")
	var cause map[string]string
	require.NoError(t, json.Unmarshal([]byte(te.Cause), &cause))
	assert.Equal(t, "ClientError: /opt/ml/model/hyperparameters.json was written by more than one instance (algo-1 and algo-2); "+
		"SageMaker aggregates every instance's /opt/ml/model into one model.tar.gz, so their names must not clash", cause["FailureReason"])
	keys, err := e.cfg.Store.List("s3://models/runs/")
	require.NoError(t, err)
	assert.Empty(t, keys, "no model of a failed job")
}

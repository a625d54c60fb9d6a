package standin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostView is what one host of a job finds in its /opt/ml: the fake job's
// layout listing, and its resourceconfig.json.
type hostView struct {
	layout         []string
	resourceConfig string
}

// TestJobsSeeTheOptMlLayoutOfSageMaker runs the fake job's "layout" command
// as processing and training jobs and compares what each host saw with the
// layout SageMaker documents (layout.go): which directories exist, which
// files are read-only, and the resource config.
func TestJobsSeeTheOptMlLayoutOfSageMaker(t *testing.T) {
	const arnPrefix = "arn:aws:sagemaker:local:000000000000:training-job/"
	processing := processingParams("mlp-dev-layout-p", 1, []string{"layout"},
		[]any{
			input("data", "s3://data/raw", "/opt/ml/processing/input/data", "FullyReplicated"),
			input("schema", "s3://data/schema.json", "/opt/ml/processing/input/schema", "FullyReplicated"),
		},
		[]any{
			output("train", "s3://out/train", "/opt/ml/processing/output/train"),
			output("report", "s3://out/report", "/opt/ml/processing/output/report"),
		})
	processingLayout := []string{
		"drwxr-xr-x config",
		"-r--r--r-- config/processingjobconfig.json",
		"-r--r--r-- config/resourceconfig.json",
		"drwxr-xr-x processing",
		"drwxr-xr-x processing/input",
		"drwxr-xr-x processing/input/data",
		"-r--r--r-- processing/input/data/a.csv",
		"drwxr-xr-x processing/input/data/sub",
		"-r--r--r-- processing/input/data/sub/b.csv",
		"drwxr-xr-x processing/input/schema",
		"-r--r--r-- processing/input/schema/schema.json",
		"drwxr-xr-x processing/output",
		"drwxr-xr-x processing/output/report",
		"drwxr-xr-x processing/output/train",
	}

	training := func(name string, instances int) map[string]any {
		p := trainingParams(name, []any{"/usr/local/bin/train"}, []any{"layout"})
		p["ResourceConfig"].(map[string]any)["InstanceCount"] = instances
		// One sharded channel, so that the hosts of a two-instance job see
		// different files.
		p["InputDataConfig"].([]any)[0].(map[string]any)["DataSource"].(map[string]any)["S3DataSource"].(map[string]any)["S3DataDistributionType"] = "ShardedByS3Key"
		return p
	}
	trainingLayout := func(name string, trainFiles ...string) []string {
		l := []string{
			"drwxr-xr-x input",
			"drwxr-xr-x input/config",
			"-r--r--r-- input/config/hyperparameters.json",
			"-r--r--r-- input/config/inputdataconfig.json",
			"-r--r--r-- input/config/resourceconfig.json",
			"drwxr-xr-x input/data",
			"drwxr-xr-x input/data/train",
		}
		for _, f := range trainFiles {
			l = append(l, "-r--r--r-- input/data/train/"+f)
		}
		return append(l,
			"drwxr-xr-x input/data/validation",
			"-r--r--r-- input/data/validation/part-0.csv",
			"drwxr-xr-x model",
			"drwxr-xr-x output",
			"drwxr-xr-x output/data",
			"env TRAINING_JOB_NAME="+name,
			"env TRAINING_JOB_ARN="+arnPrefix+name,
		)
	}
	withCheckpoints := training("mlp-dev-layout-c", 1)
	withCheckpoints["CheckpointConfig"] = map[string]any{"S3Uri": "s3://models/checkpoints/"}
	checkpointLayout := append([]string{"drwxr-xr-x checkpoints"}, trainingLayout("mlp-dev-layout-c", "part-0.csv", "part-1.csv")...)

	tests := []struct {
		name     string
		resource string
		params   map[string]any
		hosts    map[string]hostView
	}{
		{"processing", ResourceProcessingJob, processing, map[string]hostView{
			"algo-1": {processingLayout, `{"current_host": "algo-1", "hosts": ["algo-1"]}`},
		}},
		{"training on one instance", ResourceTrainingJob, training("mlp-dev-layout-1", 1), map[string]hostView{
			"algo-1": {trainingLayout("mlp-dev-layout-1", "part-0.csv", "part-1.csv"), `{
				"current_host": "algo-1", "current_instance_type": "ml.m5.xlarge", "current_group_name": "homogeneousCluster",
				"hosts": ["algo-1"],
				"instance_groups": [{"instance_group_name": "homogeneousCluster", "instance_type": "ml.m5.xlarge", "hosts": ["algo-1"]}],
				"network_interface_name": "eth0"}`},
		}},
		{"training on two instances", ResourceTrainingJob, training("mlp-dev-layout-2", 2), map[string]hostView{
			"algo-1": {trainingLayout("mlp-dev-layout-2", "part-0.csv"), `{
				"current_host": "algo-1", "current_instance_type": "ml.m5.xlarge", "current_group_name": "homogeneousCluster",
				"hosts": ["algo-1", "algo-2"],
				"instance_groups": [{"instance_group_name": "homogeneousCluster", "instance_type": "ml.m5.xlarge", "hosts": ["algo-1", "algo-2"]}],
				"network_interface_name": "eth0"}`},
			"algo-2": {trainingLayout("mlp-dev-layout-2", "part-1.csv"), `{
				"current_host": "algo-2", "current_instance_type": "ml.m5.xlarge", "current_group_name": "homogeneousCluster",
				"hosts": ["algo-1", "algo-2"],
				"instance_groups": [{"instance_group_name": "homogeneousCluster", "instance_type": "ml.m5.xlarge", "hosts": ["algo-1", "algo-2"]}],
				"network_interface_name": "eth0"}`},
		}},
		{"training with checkpoints", ResourceTrainingJob, withCheckpoints, map[string]hostView{
			"algo-1": {checkpointLayout, `{
				"current_host": "algo-1", "current_instance_type": "ml.m5.xlarge", "current_group_name": "homogeneousCluster",
				"hosts": ["algo-1"],
				"instance_groups": [{"instance_group_name": "homogeneousCluster", "instance_type": "ml.m5.xlarge", "hosts": ["algo-1"]}],
				"network_interface_name": "eth0"}`},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.put("s3://data/raw/a.csv", "a")
			e.put("s3://data/raw/sub/b.csv", "b")
			e.put("s3://data/schema.json", "{}")
			e.put("s3://data/train/part-0.csv", "1,2")
			e.put("s3://data/train/part-1.csv", "5,6")
			e.put("s3://data/validation/part-0.csv", "3,4")
			_, err := e.call(tc.resource, tc.params, true)
			require.NoError(t, err)

			name, _ := tc.params["ProcessingJobName"].(string)
			if name == "" {
				name = tc.params["TrainingJobName"].(string)
			}
			entries, err := os.ReadDir(filepath.Join(e.cfg.RunDir, "jobs", name))
			require.NoError(t, err)
			var hosts []string
			for _, d := range entries {
				if d.IsDir() {
					hosts = append(hosts, d.Name())
				}
			}
			assert.Len(t, hosts, len(tc.hosts), "hosts %v", hosts)
			for host, want := range tc.hosts {
				root := filepath.Join(e.cfg.RunDir, "jobs", name, host)
				got := strings.Split(strings.TrimSuffix(readFile(t, filepath.Join(root, "layout.txt")), "\n"), "\n")
				assert.Equal(t, want.layout, got, "the /opt/ml of %s", host)
				rc := "config/resourceconfig.json"
				if tc.resource == ResourceTrainingJob {
					rc = "input/config/resourceconfig.json"
				}
				assert.JSONEq(t, want.resourceConfig, readFile(t, filepath.Join(root, rc)), "resourceconfig.json of %s", host)
			}
		})
	}
}

func TestProcessingJobConfigIsTheDocumentedOne(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://data/raw/a.csv", "a")
	params := processingParams("mlp-dev-pjc-1", 1, nil,
		[]any{map[string]any{"InputName": "data", "S3Input": map[string]any{
			"S3Uri": "s3://data/raw", "LocalPath": "/opt/ml/processing/input", "S3DataType": "S3Prefix", "S3InputMode": "File",
		}}},
		[]any{output("out", "s3://out/o", "/opt/ml/processing/output")})
	params["AppSpecification"] = map[string]any{"ImageUri": "img", "ContainerEntrypoint": []any{"/usr/local/bin/preprocess", "sleep", "0"}}
	delete(params, "StoppingCondition")
	params["ProcessingOutputConfig"] = map[string]any{"Outputs": params["ProcessingOutputConfig"].(map[string]any)["Outputs"]}
	res, err := e.call(ResourceProcessingJob, params, true)
	require.NoError(t, err)

	got := readFile(t, filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-pjc-1", "algo-1", "config", "processingjobconfig.json"))
	assert.JSONEq(t, `{
		"ProcessingJobArn": "arn:aws:sagemaker:local:000000000000:processing-job/mlp-dev-pjc-1",
		"ProcessingJobName": "mlp-dev-pjc-1",
		"AppSpecification": {"ImageUri": "img", "ContainerEntrypoint": ["/usr/local/bin/preprocess", "sleep", "0"], "ContainerArguments": null},
		"Environment": {"FAKE_VAR": "job"},
		"ProcessingInputs": [{"InputName": "data", "S3Input": {
			"S3Uri": "s3://data/raw", "LocalPath": "/opt/ml/processing/input", "S3DataType": "S3Prefix", "S3InputMode": "File",
			"S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None", "S3DownloadMode": "StartOfJob"}}],
		"ProcessingOutputConfig": {"Outputs": [{"OutputName": "out", "S3Output": {
			"S3Uri": "s3://out/o", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}], "KmsKeyId": null},
		"ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30, "VolumeKmsKeyId": null}},
		"RoleArn": "arn:aws:iam::123456789012:role/r",
		"StoppingCondition": {"MaxRuntimeInSeconds": 86400}
	}`, got)

	// The defaults are the config file's, not the job's description.
	b, err := json.Marshal(res)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "S3CompressionType")
	assert.NotContains(t, string(b), "StoppingCondition")
}

// TestJobsMayNotWriteTheirInputs runs jobs that change a file the local run
// keeps read-only. Run as root, the write itself succeeds; the job fails
// all the same and names the path.
func TestJobsMayNotWriteTheirInputs(t *testing.T) {
	processing := func(path string) map[string]any {
		return processingParams("mlp-dev-scribble", 1, []string{"scribble", path},
			[]any{input("data", "s3://data/train", "/opt/ml/processing/input/data", "")},
			[]any{output("out", "s3://out/o", "/opt/ml/processing/output")})
	}
	training := func(path string) map[string]any {
		return trainingParams("mlp-dev-scribble", []any{"/usr/local/bin/train"}, []any{"scribble", path})
	}
	tests := []struct {
		name     string
		resource string
		params   map[string]any
		want     string // "" if the job succeeds
	}{
		{"processing input", ResourceProcessingJob, processing("/opt/ml/processing/input/data/part-0.csv"), "/opt/ml/processing/input/data/part-0.csv (changed)"},
		{"new file in a processing input", ResourceProcessingJob, processing("/opt/ml/processing/input/data/new.csv"), "/opt/ml/processing/input/data/new.csv (added)"},
		{"processing config", ResourceProcessingJob, processing("/opt/ml/config/resourceconfig.json"), "/opt/ml/config/resourceconfig.json (changed)"},
		{"processing output", ResourceProcessingJob, processing("/opt/ml/processing/output/x.csv"), ""},
		{"training channel", ResourceTrainingJob, training("/opt/ml/input/data/train/part-0.csv"), "/opt/ml/input/data/train/part-0.csv (changed)"},
		{"training config", ResourceTrainingJob, training("/opt/ml/input/config/hyperparameters.json"), "/opt/ml/input/config/hyperparameters.json (changed)"},
		{"training model", ResourceTrainingJob, training("/opt/ml/model/x"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.put("s3://data/train/part-0.csv", "1,2")
			e.put("s3://data/validation/part-0.csv", "3,4")
			_, err := e.call(tc.resource, tc.params, true)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			te := taskError(t, err, "States.TaskFailed")
			var cause map[string]string
			require.NoError(t, json.Unmarshal([]byte(te.Cause), &cause))
			assert.Contains(t, cause["FailureReason"], "ClientError: the job wrote to its read-only inputs or configuration: "+tc.want)
		})
	}
}

func TestHostNamesAreSortedLexicographically(t *testing.T) {
	assert.Equal(t, []string{"algo-1"}, hostNames(1))
	assert.Equal(t, []string{"algo-1", "algo-10", "algo-11", "algo-2", "algo-3", "algo-4", "algo-5", "algo-6", "algo-7", "algo-8", "algo-9"}, hostNames(11))
}

func TestTrainingRejectsWhatTheLocalRunCannotLayOut(t *testing.T) {
	e := newTestEnv(t)
	pipe := trainingParams("mlp-dev-pipe", nil, nil)
	pipe["AlgorithmSpecification"].(map[string]any)["TrainingInputMode"] = "Pipe"
	_, err := e.call(ResourceTrainingJob, pipe, true)
	te := taskError(t, err, "SageMaker.ValidationException")
	assert.Contains(t, te.Cause, "Pipe")

	groups := trainingParams("mlp-dev-groups", nil, nil)
	groups["ResourceConfig"] = map[string]any{"InstanceGroups": []any{map[string]any{"InstanceGroupName": "g", "InstanceType": "ml.m5.xlarge", "InstanceCount": 1}}}
	_, err = e.call(ResourceTrainingJob, groups, true)
	te = taskError(t, err, "SageMaker.ValidationException")
	assert.Contains(t, te.Cause, "InstanceGroups")

	inInput := trainingParams("mlp-dev-ckpt", nil, nil)
	inInput["CheckpointConfig"] = map[string]any{"S3Uri": "s3://m/c", "LocalPath": "/opt/ml/input/checkpoints"}
	_, err = e.call(ResourceTrainingJob, inInput, true)
	te = taskError(t, err, "SageMaker.ValidationException")
	assert.Contains(t, te.Cause, "CheckpointConfig.LocalPath")
}

func TestTrainingFastFileChannelReadsAsFile(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://data/train/part-0.csv", "1,2")
	e.put("s3://data/validation/part-0.csv", "3,4")
	params := trainingParams("mlp-dev-fastfile", []any{"/usr/local/bin/train"}, []any{"layout"})
	// FastFile for the job, and for one channel on its own.
	params["AlgorithmSpecification"].(map[string]any)["TrainingInputMode"] = "FastFile"
	params["InputDataConfig"].([]any)[0].(map[string]any)["InputMode"] = "FastFile"
	_, err := e.call(ResourceTrainingJob, params, true)
	require.NoError(t, err)
	got := readFile(t, filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-fastfile", "algo-1", "input", "config", "inputdataconfig.json"))
	assert.JSONEq(t, `{
		"train": {"ContentType": "text/csv", "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"},
		"validation": {"ContentType": "text/csv", "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}
	}`, got)
}

func TestTrainingUploadsCheckpoints(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://data/train/part-0.csv", "1,2")
	e.put("s3://data/validation/part-0.csv", "3,4")
	params := trainingParams("mlp-dev-ckpt-up", []any{"/usr/local/bin/train"}, []any{"scribble", "/opt/ml/ckpt/epoch-1"})
	params["CheckpointConfig"] = map[string]any{"S3Uri": "s3://models/ckpt/", "LocalPath": "/opt/ml/ckpt"}
	_, err := e.call(ResourceTrainingJob, params, true)
	require.NoError(t, err)
	b, err := e.cfg.Store.Get("s3://models/ckpt/epoch-1")
	require.NoError(t, err)
	assert.Equal(t, "scribbled", string(b))
}

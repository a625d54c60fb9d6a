package standin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// processingParams builds a CreateProcessingJob request.
func processingParams(name string, instances int, args []string, inputs, outputs []any) map[string]any {
	return map[string]any{
		"ProcessingJobName": name,
		"AppSpecification": map[string]any{
			"ImageUri":            "123456789012.dkr.ecr.us-east-1.amazonaws.com/job:latest",
			"ContainerEntrypoint": []any{"/usr/local/bin/preprocess"},
			"ContainerArguments":  args,
		},
		"ProcessingInputs":       inputs,
		"ProcessingOutputConfig": map[string]any{"Outputs": outputs, "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"},
		"ProcessingResources": map[string]any{"ClusterConfig": map[string]any{
			"InstanceCount": instances, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30,
		}},
		"StoppingCondition": map[string]any{"MaxRuntimeInSeconds": 3600},
		"Environment":       map[string]any{"FAKE_VAR": "job"},
		"RoleArn":           "arn:aws:iam::123456789012:role/r",
		"Tags":              []any{map[string]any{"Key": "k", "Value": "v"}},
	}
}

func input(name, uri, localPath, distribution string) map[string]any {
	return map[string]any{"InputName": name, "S3Input": map[string]any{
		"S3Uri": uri, "LocalPath": localPath, "S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": distribution,
	}}
}

func output(name, uri, localPath string) map[string]any {
	return map[string]any{"OutputName": name, "S3Output": map[string]any{"S3Uri": uri, "LocalPath": localPath, "S3UploadMode": "EndOfJob"}}
}

func TestProcessingDownloadsRunsAndUploads(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://data/raw/a.csv", "a")
	e.put("s3://data/raw/sub/b.csv", "b")
	e.put("s3://data/raw2/not-this.csv", "x")
	e.put("s3://data/schema.json", "{}")
	params := processingParams("mlp-dev-preprocess-1", 1,
		[]string{"copy", "/opt/ml/processing/input", "/opt/ml/processing/output/train"},
		[]any{
			input("data", "s3://data/raw", "/opt/ml/processing/input/data", "FullyReplicated"),
			input("schema", "s3://data/schema.json", "/opt/ml/processing/input/schema", "FullyReplicated"),
		},
		[]any{output("train", "s3://out/train/", "/opt/ml/processing/output/train")})

	res, err := e.call(ResourceProcessingJob, params, true)
	require.NoError(t, err)

	root := filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-preprocess-1", "algo-1")
	assert.Equal(t, "a", readFile(t, filepath.Join(root, "processing", "input", "data", "a.csv")))
	assert.Equal(t, "b", readFile(t, filepath.Join(root, "processing", "input", "data", "sub", "b.csv")))
	assert.Equal(t, "{}", readFile(t, filepath.Join(root, "processing", "input", "schema", "schema.json")))
	assert.JSONEq(t, `{"current_host":"algo-1","hosts":["algo-1"]}`,
		readFile(t, filepath.Join(root, "config", "resourceconfig.json")))
	assert.Equal(t, "job", readFile(t, filepath.Join(root, "env.txt")), "the job's Environment overrides Config.Env")

	keys, err := e.cfg.Store.List("s3://out/train")
	require.NoError(t, err)
	assert.Equal(t, []string{"train/data/a.csv", "train/data/sub/b.csv", "train/host-algo-1.txt", "train/schema/schema.json"}, keys)

	m := res.(map[string]any)
	assert.Equal(t, "mlp-dev-preprocess-1", m["ProcessingJobName"])
	assert.Equal(t, "arn:aws:sagemaker:local:000000000000:processing-job/mlp-dev-preprocess-1", m["ProcessingJobArn"])
	assert.Equal(t, "Completed", m["ProcessingJobStatus"])
	assert.Contains(t, m, "ProcessingInputs")
	assert.Contains(t, m, "ProcessingOutputConfig")
	assert.NotContains(t, m, "Tags")

	assert.Contains(t, e.log.String(), "mlp-dev-preprocess-1/algo-1: copied on algo-1")
	assert.Contains(t, readFile(t, filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-preprocess-1", "algo-1.log")), "copied on algo-1")
}

func TestProcessingShardedByS3Key(t *testing.T) {
	e := newTestEnv(t)
	for _, k := range []string{"o0.csv", "o1.csv", "o2.csv"} {
		e.put("s3://data/in/"+k, k)
	}
	params := processingParams("mlp-dev-infer-1", 2,
		[]string{"copy", "/opt/ml/processing/input", "/opt/ml/processing/output"},
		[]any{input("data", "s3://data/in/", "/opt/ml/processing/input", "ShardedByS3Key")},
		[]any{output("predictions", "s3://out/pred", "/opt/ml/processing/output")})
	_, err := e.call(ResourceProcessingJob, params, false)
	require.NoError(t, err)

	files := func(host string) []string {
		entries, err := os.ReadDir(filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-infer-1", host, "processing", "input"))
		require.NoError(t, err)
		var names []string
		for _, d := range entries {
			names = append(names, d.Name())
		}
		return names
	}
	assert.Equal(t, []string{"o0.csv", "o2.csv"}, files("algo-1"))
	assert.Equal(t, []string{"o1.csv"}, files("algo-2"))
	rc := readFile(t, filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-infer-1", "algo-2", "config", "resourceconfig.json"))
	assert.JSONEq(t, `{"current_host":"algo-2","hosts":["algo-1","algo-2"]}`, rc)

	keys, err := e.cfg.Store.List("s3://out/pred")
	require.NoError(t, err)
	assert.Equal(t, []string{"pred/host-algo-1.txt", "pred/host-algo-2.txt", "pred/o0.csv", "pred/o1.csv", "pred/o2.csv"}, keys,
		"every instance's outputs are uploaded")
	assert.Contains(t, e.log.String(), "mlp-dev-infer-1/algo-2: copied on algo-2")
}

func TestProcessingFailureReportsMessageAndUploadsNothing(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://data/in/a.csv", "a")
	params := processingParams("mlp-dev-evaluate-1", 1,
		[]string{"fail", "no rows in test data", "/opt/ml/processing/output"},
		[]any{input("data", "s3://data/in", "/opt/ml/processing/input", "")},
		[]any{output("evaluation", "s3://out/eval", "/opt/ml/processing/output")})
	_, err := e.call(ResourceProcessingJob, params, true)
	te := taskError(t, err, "States.TaskFailed")
	var cause map[string]string
	require.NoError(t, json.Unmarshal([]byte(te.Cause), &cause), te.Cause)
	assert.Equal(t, "no rows in test data", cause["FailureReason"])
	assert.Equal(t, "mlp-dev-evaluate-1", cause["ProcessingJobName"])
	assert.Equal(t, "Failed", cause["ProcessingJobStatus"])

	keys, err := e.cfg.Store.List("s3://out/eval")
	require.NoError(t, err)
	assert.Empty(t, keys, "a failed job uploads nothing")
	assert.FileExists(t, filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-evaluate-1", "algo-1", "processing", "output", "partial.txt"))
}

func TestProcessingFailureWithoutMessageUsesStderr(t *testing.T) {
	e := newTestEnv(t)
	params := processingParams("mlp-dev-evaluate-2", 1, []string{"stderr"}, nil, nil)
	_, err := e.call(ResourceProcessingJob, params, true)
	te := taskError(t, err, "States.TaskFailed")
	var cause map[string]string
	require.NoError(t, json.Unmarshal([]byte(te.Cause), &cause))
	assert.Equal(t, "stderr line 1\nstderr line 2\nstderr line 3", cause["FailureReason"])
}

func TestProcessingMaxRuntime(t *testing.T) {
	e := newTestEnv(t)
	params := processingParams("mlp-dev-slow-1", 2, []string{"sleep", "60"}, nil, nil)
	params["StoppingCondition"] = map[string]any{"MaxRuntimeInSeconds": 1}
	start := time.Now()
	_, err := e.call(ResourceProcessingJob, params, true)
	te := taskError(t, err, "States.TaskFailed")
	assert.Less(t, time.Since(start), 20*time.Second, "the job was killed")
	assert.Contains(t, te.Cause, "maximum runtime of 1 seconds")
}

func TestProcessingMaxRuntimeScale(t *testing.T) {
	e := newTestEnv(t)
	e.cfg.MaxRuntimeScale = 1.0 / 3600
	e.handlers = Handlers(e.cfg)
	params := processingParams("mlp-dev-slow-2", 1, []string{"sleep", "600"}, nil, nil)
	_, err := e.call(ResourceProcessingJob, params, true)
	te := taskError(t, err, "States.TaskFailed")
	assert.Contains(t, te.Cause, "maximum runtime of 3600 seconds", "the reason names the requested limit, not the scaled one")
}

func TestProcessingCrashKeepsThePanicLine(t *testing.T) {
	e := newTestEnv(t)
	params := processingParams("mlp-dev-crash-1", 1, []string{"panic"}, nil, nil)
	_, err := e.call(ResourceProcessingJob, params, true)
	te := taskError(t, err, "States.TaskFailed")
	var cause map[string]string
	require.NoError(t, json.Unmarshal([]byte(te.Cause), &cause))
	reason := cause["FailureReason"]
	assert.True(t, strings.HasPrefix(reason, "panic: fake job crashed\n...\n"), "the crash line leads the reason: %q", reason)
	assert.Contains(t, reason, "main.main()", "followed by the end of the stack trace")
}

// TestProcessingAcceptsNetworkSettings runs a request with the network
// fields a VPC-bound definition adds; they have no local meaning and are
// accepted.
func TestProcessingAcceptsNetworkSettings(t *testing.T) {
	e := newTestEnv(t)
	params := processingParams("mlp-dev-vpc-1", 1, []string{"sleep", "0"}, nil, nil)
	params["NetworkConfig"] = map[string]any{
		"EnableInterContainerTrafficEncryption": true,
		"EnableNetworkIsolation":                false,
		"VpcConfig":                             map[string]any{"SecurityGroupIds": []any{"sg-1"}, "Subnets": []any{"subnet-1", "subnet-2"}},
	}
	res, err := e.call(ResourceProcessingJob, params, true)
	require.NoError(t, err)
	assert.Equal(t, "Completed", res.(map[string]any)["ProcessingJobStatus"])
}

func TestProcessingUnknownEntrypoint(t *testing.T) {
	e := newTestEnv(t)
	params := processingParams("mlp-dev-x-1", 1, nil, nil, nil)
	params["AppSpecification"].(map[string]any)["ContainerEntrypoint"] = []any{"/usr/local/bin/nosuchjob"}
	_, err := e.call(ResourceProcessingJob, params, true)
	te := taskError(t, err, "States.TaskFailed")
	assert.Contains(t, te.Cause, "nosuchjob")
}

func TestProcessingDuplicateName(t *testing.T) {
	e := newTestEnv(t)
	params := processingParams("mlp-dev-dup-1", 1, []string{"sleep", "0"}, nil, nil)
	_, err := e.call(ResourceProcessingJob, params, true)
	require.NoError(t, err)
	_, err = e.call(ResourceProcessingJob, params, true)
	te := taskError(t, err, "SageMaker.ResourceInUse")
	assert.Contains(t, te.Cause, "mlp-dev-dup-1")
}

func TestProcessingRejectsInvalidRequests(t *testing.T) {
	e := newTestEnv(t)
	outside := processingParams("mlp-dev-bad-1", 1, nil,
		[]any{input("data", "s3://data/in", "/tmp/input", "")}, nil)
	_, err := e.call(ResourceProcessingJob, outside, true)
	te := taskError(t, err, "SageMaker.ValidationException")
	assert.Contains(t, te.Cause, "/tmp/input")

	escape := processingParams("mlp-dev-bad-2", 1, nil, nil,
		[]any{output("o", "s3://out/o", "/opt/ml/../../etc")})
	_, err = e.call(ResourceProcessingJob, escape, true)
	taskError(t, err, "SageMaker.ValidationException")

	// SageMaker requires local paths below /opt/ml/processing/.
	notProcessing := processingParams("mlp-dev-bad-3", 1, nil,
		[]any{input("data", "s3://data/in", "/opt/ml/input/data", "")}, nil)
	_, err = e.call(ResourceProcessingJob, notProcessing, true)
	te = taskError(t, err, "SageMaker.ValidationException")
	assert.Contains(t, te.Cause, "/opt/ml/processing/")

	badName := processingParams("../escape", 1, nil, nil, nil)
	_, err = e.call(ResourceProcessingJob, badName, true)
	taskError(t, err, "SageMaker.ValidationException")

	_, statErr := os.Stat(filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-bad-1"))
	assert.True(t, os.IsNotExist(statErr), "a rejected request does not claim the job name")
}

func TestProcessingEmptyInputFails(t *testing.T) {
	e := newTestEnv(t)
	params := processingParams("mlp-dev-empty-1", 1, []string{"sleep", "0"},
		[]any{input("data", "s3://data/nothing", "/opt/ml/processing/input", "")}, nil)
	_, err := e.call(ResourceProcessingJob, params, true)
	te := taskError(t, err, "States.TaskFailed")
	assert.True(t, strings.Contains(te.Cause, "No S3 objects found"), te.Cause)
}

func TestProcessingEntrypointArgumentsComeFirst(t *testing.T) {
	e := newTestEnv(t)
	params := processingParams("mlp-dev-ep-1", 1, []string{"0"}, nil, nil)
	params["AppSpecification"].(map[string]any)["ContainerEntrypoint"] = []any{"/usr/local/bin/preprocess", "sleep"}
	_, err := e.call(ResourceProcessingJob, params, true)
	require.NoError(t, err)
	assert.Equal(t, "sleep 0", readFile(t, filepath.Join(e.cfg.RunDir, "jobs", "mlp-dev-ep-1", "algo-1", "args.txt")))
}

func TestProcessingExitMessage(t *testing.T) {
	e := newTestEnv(t)
	res, err := e.call(ResourceProcessingJob, processingParams("mlp-dev-msg-1", 2, []string{"message", "done;"}, nil, nil), true)
	require.NoError(t, err)
	assert.Equal(t, "done;done;", res.(map[string]any)["ExitMessage"], "every instance's message, concatenated")

	_, err = e.call(ResourceProcessingJob, processingParams("mlp-dev-msg-2", 1, []string{"message", "done", "ff"}, nil, nil), true)
	te := taskError(t, err, "States.TaskFailed")
	assert.Contains(t, te.Cause, "ClientError: /opt/ml/output/message is not UTF-8 encoded text")

	_, err = e.call(ResourceProcessingJob, processingParams("mlp-dev-msg-3", 1, []string{"message", "bad", "ff", "3"}, nil, nil), true)
	te = taskError(t, err, "States.TaskFailed")
	assert.Contains(t, te.Cause, "ClientError: /opt/ml/output/message is not UTF-8 encoded text")
}

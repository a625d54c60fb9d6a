package standin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetObject(t *testing.T) {
	e := newTestEnv(t)
	e.put("s3://artifacts/evaluation/e1/evaluation.json", `{"mse":1.5}`)
	res, err := e.call(ResourceGetObject, map[string]any{"Bucket": "artifacts", "Key": "evaluation/e1/evaluation.json"}, false)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"Body": `{"mse":1.5}`, "ContentLength": float64(11), "ContentType": "application/octet-stream"}, res)

	_, err = e.call(ResourceGetObject, map[string]any{"Bucket": "artifacts", "Key": "evaluation/e2/evaluation.json"}, false)
	te := taskError(t, err, "S3.NoSuchKeyException")
	assert.Equal(t, "The specified key does not exist. (s3://artifacts/evaluation/e2/evaluation.json)", te.Cause)

	_, err = e.call(ResourceGetObject, map[string]any{"Bucket": "artifacts", "Key": "../../etc/passwd"}, false)
	taskError(t, err, "S3.ValidationException")
}

func TestPublish(t *testing.T) {
	e := newTestEnv(t)
	res, err := e.call(ResourcePublish, map[string]any{"TopicArn": "ref-topic", "Subject": "ML pipeline: done", "Message": "all good"}, false)
	require.NoError(t, err)
	res2, err := e.call(ResourcePublish, map[string]any{"TopicArn": "ref-topic", "Message": map[string]any{"a": 1}}, false)
	require.NoError(t, err)
	assert.Equal(t, "notify: ML pipeline: done: all good\nnotify: {\"a\":1}\n", e.notify.String())
	assert.Equal(t, map[string]any{"MessageId": "00000000-0000-0000-0000-000000000001"}, res)
	assert.Equal(t, map[string]any{"MessageId": "00000000-0000-0000-0000-000000000002"}, res2)
}

func TestPublishReportsToOnPublish(t *testing.T) {
	e := newTestEnv(t)
	var got []Notification
	e.cfg.OnPublish = func(n Notification) { got = append(got, n) }
	e.handlers = Handlers(e.cfg)
	_, err := e.call(ResourcePublish, map[string]any{"TopicArn": "ref-topic", "Subject": "ML pipeline: done", "Message": "all good"}, false)
	require.NoError(t, err)
	_, err = e.call(ResourcePublish, map[string]any{"TopicArn": "ref-topic", "Message": map[string]any{"a": 1}}, false)
	require.NoError(t, err)
	_, err = e.call(ResourcePublish, map[string]any{"Message": "no topic"}, false)
	taskError(t, err, "SNS.ValidationException")
	assert.Equal(t, []Notification{
		{Execution: "exec-1", State: "S", TopicArn: "ref-topic", Subject: "ML pipeline: done", Message: "all good"},
		{Execution: "exec-1", State: "S", TopicArn: "ref-topic", Message: `{"a":1}`},
	}, got, "accepted messages only, in order")
}

func TestTaskErrorMessage(t *testing.T) {
	assert.Equal(t, "States.TaskFailed: boom", (&TaskError{Name: "States.TaskFailed", Cause: "boom"}).Error())
	assert.Equal(t, "X", (&TaskError{Name: "X"}).Error())
}

// registerModel creates a model package version and returns its ARN.
func registerModel(t *testing.T, e *testEnv, group, status, modelURL string) string {
	t.Helper()
	res, err := e.call(ResourceCreateModelPackage, map[string]any{
		"ModelPackageGroupName":   group,
		"ModelApprovalStatus":     status,
		"ModelPackageDescription": "trained",
		"InferenceSpecification": map[string]any{
			"Containers":            []any{map[string]any{"Image": "img", "ModelDataUrl": modelURL}},
			"SupportedContentTypes": []any{"text/csv"},
		},
		"ModelMetrics": map[string]any{"ModelQuality": map[string]any{"Statistics": map[string]any{"ContentType": "application/json", "S3Uri": "s3://a/e.json"}}},
	}, true)
	require.NoError(t, err)
	return res.(map[string]any)["ModelPackageArn"].(string)
}

// versions returns the versions of a listModelPackages result.
func versions(t *testing.T, res any) []float64 {
	t.Helper()
	var out []float64
	for _, s := range res.(map[string]any)["ModelPackageSummaryList"].([]any) {
		out = append(out, s.(map[string]any)["ModelPackageVersion"].(float64))
	}
	return out
}

func TestModelRegistry(t *testing.T) {
	e := newTestEnv(t)
	arn1 := registerModel(t, e, "Mlp-Models", "Approved", "s3://m/1/model.tar.gz")
	registerModel(t, e, "Mlp-Models", "Rejected", "s3://m/2/model.tar.gz")
	arn3 := registerModel(t, e, "Mlp-Models", "Approved", "s3://m/3/model.tar.gz")
	other := registerModel(t, e, "other", "Approved", "s3://o/model.tar.gz")
	assert.Equal(t, "arn:aws:sagemaker:local:000000000000:model-package/mlp-models/1", arn1)
	assert.Equal(t, "arn:aws:sagemaker:local:000000000000:model-package/mlp-models/3", arn3)
	assert.Equal(t, "arn:aws:sagemaker:local:000000000000:model-package/other/1", other)

	list := func(params map[string]any) any {
		t.Helper()
		params["ModelPackageGroupName"] = "Mlp-Models"
		res, err := e.call(ResourceListModelPackages, params, true)
		require.NoError(t, err)
		return res
	}
	latest := list(map[string]any{"ModelApprovalStatus": "Approved", "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 1})
	assert.Equal(t, []float64{3}, versions(t, latest))
	summary := latest.(map[string]any)["ModelPackageSummaryList"].([]any)[0].(map[string]any)
	assert.Equal(t, arn3, summary["ModelPackageArn"])
	assert.Equal(t, "Mlp-Models", summary["ModelPackageGroupName"])
	assert.Equal(t, "Approved", summary["ModelApprovalStatus"])
	assert.NotEmpty(t, summary["CreationTime"])
	token := latest.(map[string]any)["NextToken"]
	require.NotNil(t, token, "more approved versions remain")
	assert.Equal(t, []float64{1}, versions(t, list(map[string]any{"ModelApprovalStatus": "Approved", "SortOrder": "Descending", "MaxResults": 1, "NextToken": token})))

	assert.Equal(t, []float64{1, 3}, versions(t, list(map[string]any{"ModelApprovalStatus": "Approved", "SortOrder": "Ascending"})))
	assert.Equal(t, []float64{3, 2, 1}, versions(t, list(map[string]any{"SortOrder": "Descending"})))
	assert.Equal(t, []float64{2}, versions(t, list(map[string]any{"ModelApprovalStatus": "Rejected"})))
	none, err := e.call(ResourceListModelPackages, map[string]any{"ModelPackageGroupName": "empty"}, true)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"ModelPackageSummaryList": []any{}}, none)

	desc, err := e.call(ResourceDescribeModelPackage, map[string]any{"ModelPackageName": arn3}, true)
	require.NoError(t, err)
	d := desc.(map[string]any)
	assert.Equal(t, arn3, d["ModelPackageArn"])
	assert.Equal(t, "Mlp-Models", d["ModelPackageGroupName"])
	assert.Equal(t, float64(3), d["ModelPackageVersion"])
	assert.Equal(t, "Approved", d["ModelApprovalStatus"])
	assert.Equal(t, "s3://m/3/model.tar.gz",
		d["InferenceSpecification"].(map[string]any)["Containers"].([]any)[0].(map[string]any)["ModelDataUrl"])
	assert.Contains(t, d, "ModelMetrics")

	_, err = e.call(ResourceDescribeModelPackage, map[string]any{"ModelPackageName": "arn:aws:sagemaker:local:000000000000:model-package/mlp-models/9"}, true)
	taskError(t, err, "SageMaker.ValidationException")

	// A second set of handlers on the same file sees and extends the registry.
	e2 := newTestEnv(t)
	e2.cfg.RegistryFile = e.cfg.RegistryFile
	e2.handlers = Handlers(e2.cfg)
	arn4 := registerModel(t, e2, "Mlp-Models", "Approved", "s3://m/4/model.tar.gz")
	assert.Equal(t, "arn:aws:sagemaker:local:000000000000:model-package/mlp-models/4", arn4)
	res, err := e.call(ResourceListModelPackages, map[string]any{"ModelPackageGroupName": "Mlp-Models", "SortOrder": "Descending", "MaxResults": 2}, true)
	require.NoError(t, err)
	assert.Equal(t, []float64{4, 3}, versions(t, res))
}

func TestModelRegistryRejectsBadStatus(t *testing.T) {
	e := newTestEnv(t)
	_, err := e.call(ResourceCreateModelPackage, map[string]any{"ModelPackageGroupName": "g", "ModelApprovalStatus": "Maybe"}, true)
	taskError(t, err, "SageMaker.ValidationException")
	_, err = e.call(ResourceListModelPackages, map[string]any{"MaxResults": 0.5}, false)
	taskError(t, err, "SageMaker.ValidationException")
}

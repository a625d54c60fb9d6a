package asl

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testdata = "../../test/testdata"

func TestParseExampleDefinitions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testdata, "*.asl.json"))
	require.NoError(t, err)
	require.Len(t, files, 6)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			def, err := os.ReadFile(f)
			require.NoError(t, err)
			sm, err := Parse(def)
			require.NoError(t, err)
			assert.NotEmpty(t, sm.Resources())
		})
	}
}

// trainingHandlers fakes every integration of the training definition;
// published collects the SNS messages.
func trainingHandlers(evaluation string, published *[]map[string]any) map[string]Handler {
	job := func(kind string) Handler {
		return func(_ context.Context, c Call) (any, error) {
			p := c.Parameters.(map[string]any)
			name, _ := p[kind+"JobName"].(string)
			out := map[string]any{kind + "JobArn": "arn:aws:sagemaker:local:000000000000:job/" + name, kind + "JobName": name}
			if kind == "Training" {
				out["ModelArtifacts"] = map[string]any{"S3ModelArtifacts": p["OutputDataConfig"].(map[string]any)["S3OutputPath"].(string) + "model.tar.gz"}
			}
			return out, nil
		}
	}
	return map[string]Handler{
		"arn:aws:states:::sagemaker:createProcessingJob.sync": job("Processing"),
		"arn:aws:states:::sagemaker:createTrainingJob.sync":   job("Training"),
		"arn:aws:states:::aws-sdk:s3:getObject": func(_ context.Context, c Call) (any, error) {
			return map[string]any{"Body": evaluation}, nil
		},
		"arn:aws:states:::aws-sdk:sagemaker:createModelPackage": func(context.Context, Call) (any, error) {
			return map[string]any{"ModelPackageArn": "arn:aws:sagemaker:local:000000000000:model-package/mlp-dev-models/1"}, nil
		},
		"arn:aws:states:::sns:publish": func(_ context.Context, c Call) (any, error) {
			*published = append(*published, c.Parameters.(map[string]any))
			return map[string]any{"MessageId": "m"}, nil
		},
	}
}

func TestDevTrainingEndToEnd(t *testing.T) {
	def, err := os.ReadFile(filepath.Join(testdata, "MlPipeline-dev.training.asl.json"))
	require.NoError(t, err)
	sm, err := Parse(def)
	require.NoError(t, err)
	prefix := []string{"Defaults", "Configure", "ValidateInput", "Preprocess", "Train", "Evaluate", "ReadEvaluation", "QualityGate"}

	t.Run("mse within the threshold registers the model", func(t *testing.T) {
		var published []map[string]any
		rec := newRecorder(trainingHandlers(`{"regression_metrics":{"mse":{"value":4.2}}}`, &published))
		res := rec.runJSON(t, sm, `{}`)
		require.Equal(t, StatusSucceeded, res.Status, "%s: %s", res.Error, res.Cause)
		assert.Equal(t, append(prefix, "RegisterModel", "NotifyRegistered", "Succeeded"), res.States)
		out := res.Output.(map[string]any)
		assert.Equal(t, "evaluation/exec-1/evaluation.json", out["evaluationKey"])
		assert.Equal(t, "s3://ref-storageartifactbucket48d12cdb/models/exec-1/model.tar.gz", out["jobs"].(map[string]any)["Train"].(map[string]any)["ModelArtifacts"])
		assert.Equal(t, "mlp-dev-train-6b8aaf76123a3e791129d36225f446e0",
			out["jobs"].(map[string]any)["Train"].(map[string]any)["TrainingJobName"], "md5 of exec-1/0/0: execution, redrive count, retry count")
		require.Len(t, published, 1)
		assert.Equal(t, "Execution exec-1: model version arn:aws:sagemaker:local:000000000000:model-package/mlp-dev-models/1 registered (Approved), mse = 4.2.", published[0]["Message"])
		assert.Empty(t, rec.waits)
	})

	t.Run("mse above the threshold rejects the model", func(t *testing.T) {
		var published []map[string]any
		rec := newRecorder(trainingHandlers(`{"regression_metrics":{"mse":{"value":9}}}`, &published))
		res := rec.runJSON(t, sm, `{}`)
		assert.Equal(t, StatusFailed, res.Status)
		assert.Equal(t, append(prefix, "NotifyRejected", "ModelRejected"), res.States)
		assert.Equal(t, "ModelRejected", res.Error)
		assert.Equal(t, "mse = 9 is above the threshold 6", res.Cause)
		require.Len(t, published, 1)
		assert.Equal(t, "Execution exec-1: the model was rejected: mse = 9 is above the threshold 6.", published[0]["Message"])
	})

	t.Run("the execution input overrides the threshold", func(t *testing.T) {
		var published []map[string]any
		rec := newRecorder(trainingHandlers(`{"regression_metrics":{"mse":{"value":9}}}`, &published))
		res := rec.runJSON(t, sm, `{"threshold": 10}`)
		assert.Equal(t, StatusSucceeded, res.Status)
	})

	t.Run("a failing job is retried then caught and reported", func(t *testing.T) {
		var published []map[string]any
		handlers := trainingHandlers(`{}`, &published)
		calls := 0
		handlers["arn:aws:states:::sagemaker:createTrainingJob.sync"] = func(_ context.Context, c Call) (any, error) {
			calls++
			return nil, &TaskError{Name: "SageMaker.AmazonSageMakerException", Cause: fmt.Sprintf("attempt %d", c.RetryCount)}
		}
		rec := newRecorder(handlers)
		res := rec.runJSON(t, sm, `{}`)
		assert.Equal(t, StatusFailed, res.Status)
		assert.Equal(t, "SageMaker.AmazonSageMakerException", res.Error)
		assert.Equal(t, "attempt 5", res.Cause)
		assert.Equal(t, 6, calls, "MaxAttempts 5 means six calls")
		assert.Equal(t, []string{"Defaults", "Configure", "ValidateInput", "Preprocess", "Train", "NotifyFailure", "Failed"}, res.States)
		// Rand is 1 in the recorder, so the FULL jitter waits are the caps.
		assert.Len(t, rec.waits, 5)
		assert.Equal(t, "Execution exec-1 of mlp-dev training failed: SageMaker.AmazonSageMakerException: attempt 5", published[0]["Message"])
	})
}

func TestDevInferenceWithoutModel(t *testing.T) {
	def, err := os.ReadFile(filepath.Join(testdata, "MlPipeline-dev.inference.asl.json"))
	require.NoError(t, err)
	sm, err := Parse(def)
	require.NoError(t, err)
	var published []map[string]any
	rec := newRecorder(map[string]Handler{
		"arn:aws:states:::aws-sdk:sagemaker:listModelPackages": func(context.Context, Call) (any, error) {
			return map[string]any{"ModelPackageSummaryList": []any{}}, nil
		},
		"arn:aws:states:::sns:publish": func(_ context.Context, c Call) (any, error) {
			published = append(published, c.Parameters.(map[string]any))
			return map[string]any{}, nil
		},
		"arn:aws:states:::aws-sdk:sagemaker:describeModelPackage": echo,
		"arn:aws:states:::sagemaker:createProcessingJob.sync":     echo,
	})
	res := rec.runJSON(t, sm, `{}`)
	assert.Equal(t, StatusFailed, res.Status)
	assert.Equal(t, []string{"Configure", "ValidateInput", "FindModel", "HasApprovedModel", "NotifyNoModel", "NoApprovedModel"}, res.States)
	assert.Equal(t, "NoApprovedModel", res.Error)
	assert.Len(t, published, 1)
}

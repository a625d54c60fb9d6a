package runner

import (
	"bytes"
	"context"
	"html"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/localrun/asl"
)

const pendingArn = "arn:aws:sagemaker:local:000000000000:model-package/mlp-dev-models/1"

// TestRunWithManualApproval runs an environment that registers versions
// as PendingManualApproval, as prod does: left pending, inference finds no
// approved model and the run says how to approve; approved, inference
// scores with the version.
func TestRunWithManualApproval(t *testing.T) {
	cdk := cdkJSONWith(t, func(dev map[string]any) { dev["manualApproval"] = true })

	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{ProjectDir: project, CDKJSON: cdk, RunDir: t.TempDir(), Out: &out})
	require.NoError(t, err)
	require.Equal(t, "SUCCEEDED", sum.Training.Status, out.String())
	require.NotNil(t, sum.ModelVersion, out.String())
	assert.Equal(t, ModelVersion{Arn: pendingArn, Group: "mlp-dev-models", Version: 1, ApprovalStatus: "PendingManualApproval"}, *sum.ModelVersion)
	assert.Equal(t, "FAILED", sum.Inference.Status)
	assert.Equal(t, "NoApprovedModel", sum.Inference.Error)
	assert.Contains(t, out.String(), "  approval  model version "+pendingArn+" is PendingManualApproval")
	cli := "aws sagemaker update-model-package --model-package-arn arn:aws:sagemaker:<region>:<account>:model-package/mlp-dev-models/1 --model-approval-status Approved"
	assert.Contains(t, out.String(), "\n                "+cli+"\n", "the summary shows the AWS call")
	failure := sum.Failure()
	require.Error(t, failure)
	assert.True(t, strings.HasPrefix(failure.Error(), "the inference state machine failed: NoApprovedModel: model package group mlp-dev-models has no approved model version; "), failure.Error())
	assert.Contains(t, failure.Error(), cli)
	assert.Contains(t, out.String(), "     | mlp-dev-train-", "the jobs' lines are streamed")

	page, _ := runPageLinks(t, sum)
	assert.Contains(t, page, "<code>"+html.EscapeString(cli)+"</code>", "the run page says how to approve")
	assert.Contains(t, page, "<tr><td>NoApprovedModel</td><td>Fail</td>", "the state that failed the execution")
	assert.Contains(t, page, `<td class="FAILED">FAILED</td>`)

	sum = approvedRun(t)
	assert.Equal(t, "Approved", sum.ModelVersion.ApprovalStatus)
	assert.NotEmpty(t, sum.Predictions)
	assert.NoError(t, sum.Failure())
}

var (
	approvedOnce    sync.Once
	approvedSummary *Summary
	// approvedDir holds the approved run, for the tests of this binary.
	approvedDir string
)

// approvedRun runs, once per test binary, an environment that registers
// versions as PendingManualApproval with Options.Approve approving them,
// and checks that inference then scores with the approved version.
func approvedRun(t *testing.T) *Summary {
	t.Helper()
	approvedOnce.Do(func() {
		cdk := cdkJSONWith(t, func(dev map[string]any) { dev["manualApproval"] = true })
		var out bytes.Buffer
		var asked []ModelVersion
		dir, err := os.MkdirTemp("", "localrun-approved-")
		require.NoError(t, err)
		approvedDir = dir // TestMain removes it
		sum, err := Run(context.Background(), Options{ProjectDir: project, CDKJSON: cdk, RunDir: filepath.Join(dir, "run"), Out: &out,
			Approve: func(v ModelVersion) (bool, error) { asked = append(asked, v); return true, nil }})
		require.NoError(t, err)
		require.Len(t, asked, 1)
		assert.Equal(t, pendingArn, asked[0].Arn)
		require.Equal(t, "SUCCEEDED", sum.Inference.Status, "inference: %s %s\n%s", sum.Inference.Error, sum.Inference.Cause, out.String())
		assert.Contains(t, out.String(), "  approval  approved "+pendingArn+" (UpdateModelPackage, ModelApprovalStatus=Approved)\n")
		approvedSummary = sum
	})
	require.NotNil(t, approvedSummary, "the approved run failed in an earlier test")
	return approvedSummary
}

func TestFailureNamesTheStateMachine(t *testing.T) {
	ok := asl.Result{Status: "SUCCEEDED"}
	for _, tt := range []struct {
		sum  Summary
		want string
	}{
		{Summary{Training: asl.Result{Status: "FAILED", Error: "ModelRejected", Cause: "mse = 7 is above the threshold 6"}},
			"the training state machine failed: ModelRejected: mse = 7 is above the threshold 6"},
		{Summary{Training: ok, Inference: asl.Result{Status: "TIMED_OUT", Error: "States.Timeout"}},
			"the inference state machine timed out: States.Timeout"},
		{Summary{Training: ok}, "the inference state machine did not run (no error or cause given)"},
		{Summary{Training: ok, Inference: asl.Result{Status: "FAILED", Error: "NoApprovedModel", Cause: "none"},
			ModelVersion: &ModelVersion{Arn: "a", Group: "G", Version: 2, ApprovalStatus: "PendingManualApproval"}},
			"the inference state machine failed: NoApprovedModel: none; model version a is PendingManualApproval: approve it with -approve, or on AWS with: " +
				"aws sagemaker update-model-package --model-package-arn arn:aws:sagemaker:<region>:<account>:model-package/g/2 --model-approval-status Approved"},
	} {
		err := tt.sum.Failure()
		require.Error(t, err)
		assert.Equal(t, tt.want, err.Error())
	}
	assert.NoError(t, (&Summary{Training: ok, Inference: ok}).Failure())
}

func TestPromptApproval(t *testing.T) {
	v := ModelVersion{Group: "mlp-prod-models", Version: 3}
	for answer, want := range map[string]bool{"y\n": true, "YES\n": true, " y \n": true, "n\n": false, "\n": false, "": false, "maybe\n": false} {
		var out bytes.Buffer
		got, err := PromptApproval(strings.NewReader(answer), &out)(v)
		require.NoError(t, err)
		assert.Equal(t, want, got, "answer %q", answer)
		assert.Equal(t, "Approve model version 3 of mlp-prod-models for inference? [y/N] ", out.String())
	}
}

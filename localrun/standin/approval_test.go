package standin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpdateModelPackageApprovesAPendingVersion(t *testing.T) {
	e := newTestEnv(t)
	arn := registerModel(t, e, "Mlp-Models", "PendingManualApproval", "s3://m/1/model.tar.gz")
	approved := func() []float64 {
		t.Helper()
		res, err := e.call(ResourceListModelPackages, map[string]any{"ModelPackageGroupName": "Mlp-Models", "ModelApprovalStatus": "Approved"}, true)
		require.NoError(t, err)
		return versions(t, res)
	}
	assert.Empty(t, approved(), "a pending version is not approved")

	res, err := e.call(ResourceUpdateModelPackage, map[string]any{"ModelPackageArn": arn, "ModelApprovalStatus": "Approved", "ApprovalDescription": "looked good"}, true)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"ModelPackageArn": arn}, res)
	assert.Equal(t, []float64{1}, approved(), "the approved version is what inference finds")

	desc, err := e.call(ResourceDescribeModelPackage, map[string]any{"ModelPackageName": arn}, true)
	require.NoError(t, err)
	d := desc.(map[string]any)
	assert.Equal(t, "Approved", d["ModelApprovalStatus"])
	assert.Equal(t, "looked good", d["ApprovalDescription"])
	assert.NotEmpty(t, d["LastModifiedTime"])
}

func TestUpdateModelPackageRejectsBadRequests(t *testing.T) {
	e := newTestEnv(t)
	arn := registerModel(t, e, "g", "PendingManualApproval", "s3://m/1/model.tar.gz")
	for name, params := range map[string]map[string]any{
		"no arn":         {"ModelApprovalStatus": "Approved"},
		"no status":      {"ModelPackageArn": arn},
		"unknown status": {"ModelPackageArn": arn, "ModelApprovalStatus": "Maybe"},
		"unknown arn":    {"ModelPackageArn": arn + "0", "ModelApprovalStatus": "Approved"},
	} {
		_, err := e.call(ResourceUpdateModelPackage, params, true)
		te := taskError(t, err, "SageMaker.ValidationException")
		assert.NotEmpty(t, te.Cause, name)
	}
}

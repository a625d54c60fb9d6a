package standin

import (
	"context"
	"slices"
	"strings"
	"time"
)

// ResourceUpdateModelPackage changes a model version's approval status.
const ResourceUpdateModelPackage = "arn:aws:states:::aws-sdk:sagemaker:updateModelPackage"

// updateModelPackage sets the approval status of a version, as SageMaker's
// UpdateModelPackage does: ModelPackageArn names the version,
// ModelApprovalStatus is one of Approved, Rejected or
// PendingManualApproval, and ApprovalDescription, when given, says why.
// It is how a person approves a version that the pipeline registered as
// PendingManualApproval, after which the inference state machine finds it.
func (s *service) updateModelPackage(_ context.Context, call Call) (any, error) {
	var req struct {
		ModelPackageArn     string
		ModelApprovalStatus string
		ApprovalDescription string
	}
	if err := decodeParams("SageMaker", call.Parameters, &req); err != nil {
		return nil, err
	}
	if req.ModelPackageArn == "" {
		return nil, validation("SageMaker", "ModelPackageArn is required")
	}
	if req.ModelApprovalStatus == "" {
		// The API allows an update without a status (of other fields); the
		// local registry keeps nothing else that could change.
		return nil, validation("SageMaker", "ModelApprovalStatus is required by the local registry, which keeps no other field an update could change")
	}
	if !slices.Contains(approvalStatuses, req.ModelApprovalStatus) {
		return nil, validation("SageMaker", "ModelApprovalStatus %q is not one of %v", req.ModelApprovalStatus, approvalStatuses)
	}
	s.record(call, "", "sagemaker:UpdateModelPackage", inAccount(strings.ToLower(req.ModelPackageArn)),
		map[string]any{"sagemaker:ModelApprovalStatus": req.ModelApprovalStatus})

	registryMu.Lock()
	defer registryMu.Unlock()
	r, err := s.loadRegistry()
	if err != nil {
		return nil, err
	}
	for i := range r.Packages {
		p := &r.Packages[i]
		if !strings.EqualFold(p.Arn, req.ModelPackageArn) {
			continue
		}
		p.ApprovalStatus = req.ModelApprovalStatus
		p.ApprovalDescription = req.ApprovalDescription
		p.LastModifiedTime = time.Now().UTC().Format(time.RFC3339Nano)
		if err := s.saveRegistry(r); err != nil {
			return nil, err
		}
		return map[string]any{"ModelPackageArn": p.Arn}, nil
	}
	return nil, validation("SageMaker", "ModelPackage %s does not exist.", req.ModelPackageArn)
}

package standin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// registryMu serializes the read-modify-write cycles on registry files of
// every Handlers instance in the process. Separate processes sharing one
// file are not coordinated; a local run is one process.
var registryMu sync.Mutex

// registry is the content of Config.RegistryFile.
type registry struct {
	// Packages are the model package versions of every group, in creation
	// order.
	Packages []modelPackage `json:"packages"`
}

// modelPackage is one registered model version.
type modelPackage struct {
	Arn            string `json:"arn"`
	Group          string `json:"group"`
	Version        int    `json:"version"`
	ApprovalStatus string `json:"approvalStatus"`
	Description    string `json:"description,omitempty"`
	CreationTime   string `json:"creationTime"`
	// ApprovalDescription and LastModifiedTime are set by
	// UpdateModelPackage.
	ApprovalDescription    string          `json:"approvalDescription,omitempty"`
	LastModifiedTime       string          `json:"lastModifiedTime,omitempty"`
	InferenceSpecification json.RawMessage `json:"inferenceSpecification,omitempty"`
	ModelMetrics           json.RawMessage `json:"modelMetrics,omitempty"`
}

// approvalStatuses are the ModelApprovalStatus values SageMaker accepts.
var approvalStatuses = []string{"Approved", "Rejected", "PendingManualApproval"}

// loadRegistry reads the registry file; a missing file is an empty registry.
func (s *service) loadRegistry() (*registry, error) {
	if s.cfg.RegistryFile == "" {
		return nil, errors.New("local: Config.RegistryFile is empty")
	}
	b, err := os.ReadFile(s.cfg.RegistryFile)
	if errors.Is(err, fs.ErrNotExist) {
		return &registry{}, nil
	}
	if err != nil {
		return nil, err
	}
	var r registry
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("model registry %s: %w", s.cfg.RegistryFile, err)
	}
	return &r, nil
}

// saveRegistry writes the registry file aside and renames it into place, so
// an interrupted run never leaves a truncated registry behind.
func (s *service) saveRegistry(r *registry) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.cfg.RegistryFile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".registry-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.cfg.RegistryFile)
}

// rawJSON re-encodes a decoded-JSON parameter for storage; nil stays nil.
func rawJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// decodeRaw turns stored JSON back into decoded JSON for a result.
func decodeRaw(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil
	}
	return v
}

// createModelPackage appends a version to a model package group. The group
// need not exist beforehand: on AWS the stack creates it, locally it is
// implied by its first version.
func (s *service) createModelPackage(_ context.Context, call Call) (any, error) {
	var req struct {
		ModelPackageGroupName   string
		ModelApprovalStatus     string
		ModelPackageDescription string
	}
	if err := decodeParams("SageMaker", call.Parameters, &req); err != nil {
		return nil, err
	}
	if req.ModelPackageGroupName == "" {
		return nil, validation("SageMaker", "ModelPackageGroupName is required: the local registry holds versioned model packages only")
	}
	if req.ModelApprovalStatus == "" {
		req.ModelApprovalStatus = "PendingManualApproval"
	}
	if !slices.Contains(approvalStatuses, req.ModelApprovalStatus) {
		return nil, validation("SageMaker", "ModelApprovalStatus %q is not one of %v", req.ModelApprovalStatus, approvalStatuses)
	}
	params := paramsMap(call.Parameters)
	spec, err := rawJSON(params["InferenceSpecification"])
	if err != nil {
		return nil, validation("SageMaker", "InferenceSpecification: %v", err)
	}
	metrics, err := rawJSON(params["ModelMetrics"])
	if err != nil {
		return nil, validation("SageMaker", "ModelMetrics: %v", err)
	}

	registryMu.Lock()
	defer registryMu.Unlock()
	r, err := s.loadRegistry()
	if err != nil {
		return nil, err
	}
	version := 1
	for _, p := range r.Packages {
		if p.Group == req.ModelPackageGroupName {
			version = max(version, p.Version+1)
		}
	}
	p := modelPackage{
		Arn:                    fmt.Sprintf("arn:aws:sagemaker:local:000000000000:model-package/%s/%d", strings.ToLower(req.ModelPackageGroupName), version),
		Group:                  req.ModelPackageGroupName,
		Version:                version,
		ApprovalStatus:         req.ModelApprovalStatus,
		Description:            req.ModelPackageDescription,
		CreationTime:           time.Now().UTC().Format(time.RFC3339Nano),
		InferenceSpecification: spec,
		ModelMetrics:           metrics,
	}
	arn := inAccount(p.Arn)
	s.record(call, "", "sagemaker:CreateModelPackage", arn, map[string]any{"sagemaker:ModelApprovalStatus": p.ApprovalStatus})
	if tags := tagContext(params); tags != nil {
		s.record(call, "", "sagemaker:AddTags", arn, tags)
	}
	r.Packages = append(r.Packages, p)
	if err := s.saveRegistry(r); err != nil {
		return nil, err
	}
	return map[string]any{"ModelPackageArn": p.Arn}, nil
}

// summary is a package's entry in listModelPackages.
func (p modelPackage) summary() map[string]any {
	return map[string]any{
		"ModelPackageArn":       p.Arn,
		"ModelPackageName":      p.Group,
		"ModelPackageGroupName": p.Group,
		"ModelPackageVersion":   float64(p.Version),
		"ModelPackageStatus":    "Completed",
		"ModelApprovalStatus":   p.ApprovalStatus,
		"CreationTime":          p.CreationTime,
	}
}

// listModelPackages lists versions, optionally of one group and with one
// approval status, in creation order (SortBy CreationTime, the default) or
// by group name then version (SortBy Name), Ascending unless SortOrder says
// Descending. MaxResults (1..100, default 100) pages the list; NextToken is
// the position of the next page.
func (s *service) listModelPackages(_ context.Context, call Call) (any, error) {
	var req struct {
		ModelPackageGroupName string
		ModelApprovalStatus   string
		SortBy                string
		SortOrder             string
		MaxResults            int
		NextToken             string
	}
	if err := decodeParams("SageMaker", call.Parameters, &req); err != nil {
		return nil, err
	}
	// A list call has no resource to authorize against (Service
	// Authorization Reference: ListModelPackages has no resource types).
	s.record(call, "", "sagemaker:ListModelPackages", "*", nil)
	if req.ModelApprovalStatus != "" && !slices.Contains(approvalStatuses, req.ModelApprovalStatus) {
		return nil, validation("SageMaker", "ModelApprovalStatus %q is not one of %v", req.ModelApprovalStatus, approvalStatuses)
	}
	if req.SortBy != "" && req.SortBy != "CreationTime" && req.SortBy != "Name" {
		return nil, validation("SageMaker", "SortBy %q is not CreationTime or Name", req.SortBy)
	}
	if req.SortOrder != "" && req.SortOrder != "Ascending" && req.SortOrder != "Descending" {
		return nil, validation("SageMaker", "SortOrder %q is not Ascending or Descending", req.SortOrder)
	}
	if req.MaxResults == 0 {
		req.MaxResults = 100
	}
	if req.MaxResults < 1 || req.MaxResults > 100 {
		return nil, validation("SageMaker", "MaxResults must be between 1 and 100, not %d", req.MaxResults)
	}
	start := 0
	if req.NextToken != "" {
		n, err := strconv.Atoi(req.NextToken)
		if err != nil || n < 0 {
			return nil, validation("SageMaker", "invalid NextToken %q", req.NextToken)
		}
		start = n
	}

	registryMu.Lock()
	r, err := s.loadRegistry()
	registryMu.Unlock()
	if err != nil {
		return nil, err
	}
	var found []modelPackage
	for _, p := range r.Packages {
		if (req.ModelPackageGroupName == "" || p.Group == req.ModelPackageGroupName) &&
			(req.ModelApprovalStatus == "" || p.ApprovalStatus == req.ModelApprovalStatus) {
			found = append(found, p)
		}
	}
	// The file keeps creation order; a stable sort keeps it within a group.
	if req.SortBy == "Name" {
		slices.SortStableFunc(found, func(a, b modelPackage) int {
			if c := strings.Compare(a.Group, b.Group); c != 0 {
				return c
			}
			return a.Version - b.Version
		})
	}
	if req.SortOrder == "Descending" {
		slices.Reverse(found)
	}
	list := []any{}
	end := min(start+req.MaxResults, len(found))
	for i := start; i < end; i++ {
		list = append(list, found[i].summary())
	}
	result := map[string]any{"ModelPackageSummaryList": list}
	if end < len(found) {
		result["NextToken"] = strconv.Itoa(end)
	}
	return result, nil
}

// describeModelPackage returns a version by its ARN. Like SageMaker, it
// reports an unknown package as a ValidationException.
func (s *service) describeModelPackage(_ context.Context, call Call) (any, error) {
	var req struct{ ModelPackageName string }
	if err := decodeParams("SageMaker", call.Parameters, &req); err != nil {
		return nil, err
	}
	if req.ModelPackageName == "" {
		return nil, validation("SageMaker", "ModelPackageName is required")
	}
	s.record(call, "", "sagemaker:DescribeModelPackage", inAccount(strings.ToLower(req.ModelPackageName)), nil)
	registryMu.Lock()
	r, err := s.loadRegistry()
	registryMu.Unlock()
	if err != nil {
		return nil, err
	}
	for _, p := range r.Packages {
		if !strings.EqualFold(p.Arn, req.ModelPackageName) {
			continue
		}
		out := p.summary()
		if p.Description != "" {
			out["ModelPackageDescription"] = p.Description
		}
		if p.ApprovalDescription != "" {
			out["ApprovalDescription"] = p.ApprovalDescription
		}
		if p.LastModifiedTime != "" {
			out["LastModifiedTime"] = p.LastModifiedTime
		}
		if v := decodeRaw(p.InferenceSpecification); v != nil {
			out["InferenceSpecification"] = v
		}
		if v := decodeRaw(p.ModelMetrics); v != nil {
			out["ModelMetrics"] = v
		}
		return out, nil
	}
	return nil, validation("SageMaker", "ModelPackage %s does not exist.", req.ModelPackageName)
}

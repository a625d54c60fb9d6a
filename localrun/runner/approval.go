package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mlpipeline-go/mlpipeline/localrun/asl"
	"github.com/mlpipeline-go/mlpipeline/localrun/standin"
)

// pendingStatus is the approval status of a version that waits for a person.
const pendingStatus = "PendingManualApproval"

// ModelVersion is a version in the local model registry.
type ModelVersion struct {
	// Arn is the version's ARN in the local registry.
	Arn string
	// Group is its model package group, Version its number in the group.
	Group   string
	Version int
	// ApprovalStatus is Approved, Rejected or PendingManualApproval.
	ApprovalStatus string
}

// AWSApprovalCommand is the AWS CLI call with which a person approves the
// version on AWS (SageMaker's UpdateModelPackage), for the ARN the version
// has in a deployment: region and account are left for the reader to fill.
func (v ModelVersion) AWSApprovalCommand() string {
	return fmt.Sprintf("aws sagemaker update-model-package --model-package-arn arn:aws:sagemaker:<region>:<account>:model-package/%s/%d --model-approval-status Approved",
		strings.ToLower(v.Group), v.Version)
}

// latestVersion returns the version registered last, if any. The registry
// is read with stand-ins that record no IAM request: reading it here is the
// local run looking, not a call the pipeline makes.
func latestVersion(ctx context.Context, registry map[string]standin.Handler) (ModelVersion, bool, error) {
	res, err := registry[standin.ResourceListModelPackages](ctx, asl.Call{
		Resource:   standin.ResourceListModelPackages,
		Parameters: map[string]any{"SortOrder": "Descending", "MaxResults": float64(1)},
		StateName:  "local run",
	})
	if err != nil {
		return ModelVersion{}, false, fmt.Errorf("read the model registry: %w", err)
	}
	list, _ := res.(map[string]any)["ModelPackageSummaryList"].([]any)
	if len(list) == 0 {
		return ModelVersion{}, false, nil
	}
	s, _ := list[0].(map[string]any)
	v := ModelVersion{}
	v.Arn, _ = s["ModelPackageArn"].(string)
	v.Group, _ = s["ModelPackageGroupName"].(string)
	version, _ := s["ModelPackageVersion"].(float64)
	v.Version = int(version)
	v.ApprovalStatus, _ = s["ModelApprovalStatus"].(string)
	return v, true, nil
}

// approve sets v to Approved as a person's UpdateModelPackage call does.
func approve(ctx context.Context, registry map[string]standin.Handler, v ModelVersion) error {
	_, err := registry[standin.ResourceUpdateModelPackage](ctx, asl.Call{
		Resource: standin.ResourceUpdateModelPackage,
		Parameters: map[string]any{
			"ModelPackageArn":     v.Arn,
			"ModelApprovalStatus": "Approved",
			"ApprovalDescription": "approved in the local run",
		},
		StateName: "local run",
	})
	if err != nil {
		return fmt.Errorf("approve model version %s: %w", v.Arn, err)
	}
	return nil
}

// reviewApproval says when training left its version pending and, if
// Options.Approve agrees, approves it. It returns the version as it is
// afterwards.
func reviewApproval(ctx context.Context, registry map[string]standin.Handler, opt Options) (*ModelVersion, error) {
	v, ok, err := latestVersion(ctx, registry)
	if err != nil || !ok {
		return nil, err
	}
	if v.ApprovalStatus != pendingStatus {
		return &v, nil
	}
	fmt.Fprintf(opt.Out, "  approval  model version %s is %s: environment %s registers versions for a person to approve, and inference scores only with an approved one\n",
		v.Arn, pendingStatus, opt.Env)
	if opt.Approve == nil {
		return &v, nil
	}
	yes, err := opt.Approve(v)
	if err != nil {
		return nil, fmt.Errorf("approval of %s: %w", v.Arn, err)
	}
	if !yes {
		fmt.Fprintf(opt.Out, "  approval  left pending\n")
		return &v, nil
	}
	if err := approve(ctx, registry, v); err != nil {
		return nil, err
	}
	v.ApprovalStatus = "Approved"
	fmt.Fprintf(opt.Out, "  approval  approved %s (UpdateModelPackage, ModelApprovalStatus=Approved)\n", v.Arn)
	return &v, nil
}

// PromptApproval returns an Options.Approve that asks on out and reads the
// answer from in: y or yes approves, anything else (or end of input) does
// not.
func PromptApproval(in io.Reader, out io.Writer) func(ModelVersion) (bool, error) {
	return func(v ModelVersion) (bool, error) {
		fmt.Fprintf(out, "Approve model version %d of %s for inference? [y/N] ", v.Version, v.Group)
		answer, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		answer = strings.ToLower(strings.TrimSpace(answer))
		return answer == "y" || answer == "yes", nil
	}
}

// Failure returns nil when both executions succeeded, and otherwise an
// error that names the state machine that failed, its error and cause,
// and, when inference found no approved model because training left its
// version pending, how to approve it.
func (s *Summary) Failure() error {
	var b strings.Builder
	switch {
	case s.Training.Status != "SUCCEEDED":
		fmt.Fprintf(&b, "the training state machine %s", failedText(s.Training))
	case s.Inference.Status != "SUCCEEDED":
		fmt.Fprintf(&b, "the inference state machine %s", failedText(s.Inference))
	default:
		return nil
	}
	if v := s.ModelVersion; v != nil && v.ApprovalStatus == pendingStatus {
		fmt.Fprintf(&b, "; model version %s is %s: approve it with -approve, or on AWS with: %s", v.Arn, pendingStatus, v.AWSApprovalCommand())
	}
	return errors.New(b.String())
}

// failedText says how an execution ended: its status, error and cause.
func failedText(r asl.Result) string {
	status := strings.ReplaceAll(strings.ToLower(r.Status), "_", " ")
	if status == "" {
		status = "did not run"
	}
	switch {
	case r.Error != "" && r.Cause != "":
		return fmt.Sprintf("%s: %s: %s", status, r.Error, r.Cause)
	case r.Error != "":
		return fmt.Sprintf("%s: %s", status, r.Error)
	}
	return status + " (no error or cause given)"
}

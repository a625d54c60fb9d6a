package runner

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/internal/iamsim"
)

// call is the part of a replayed request a test names: the caller (a role
// by the end of its name, or a service principal), the action and the end
// of the resource ARN.
type call struct{ principal, action, resource string }

func (c call) matches(r iamsim.Request) bool {
	return strings.HasSuffix(r.Principal, c.principal) && r.Action == c.action && strings.HasSuffix(r.Resource, c.resource)
}

// assertReplayed asserts that every wanted call is among the replayed
// requests.
func assertReplayed(t *testing.T, reqs []iamsim.Request, want ...call) {
	t.Helper()
	for _, c := range want {
		if !slices.ContainsFunc(reqs, c.matches) {
			t.Errorf("no replayed request %s %s on ...%s", c.principal, c.action, c.resource)
		}
	}
}

// dropStatements removes the statements that match from every policy.
func dropStatements(match func(policy string, st map[string]any) bool) func(*iamsim.Policies) {
	return func(p *iamsim.Policies) {
		for name, doc := range p.Documents {
			doc, _ := doc.(map[string]any)
			sts, _ := doc["Statement"].([]any)
			doc["Statement"] = slices.DeleteFunc(slices.Clone(sts), func(st any) bool {
				m, _ := st.(map[string]any)
				return match(name, m)
			})
		}
	}
}

// grants tells whether a statement names action.
func grants(st map[string]any, action string) bool {
	switch a := st["Action"].(type) {
	case string:
		return a == action
	case []any:
		return slices.Contains(a, any(action))
	}
	return false
}

// assertRunReplayed asserts that a run's own AWS requests, as each
// principal makes them, were decided by the IAM evaluator, and that the
// summary says how many (TestRunTrainsRegistersAndScores calls it on its
// run).
func assertRunReplayed(t *testing.T, sum *Summary, out string) {
	t.Helper()
	assertReplayed(t, sum.IAMRequests,
		// Step Functions and its integrations, as the state machines' roles.
		call{"states.amazonaws.com", "sts:AssumeRole", "role/ref-trainingrole4c1607bc"},
		call{"role/ref-trainingrole4c1607bc", "sagemaker:CreateProcessingJob", ""},
		call{"role/ref-trainingrole4c1607bc", "sagemaker:AddTags", ""},
		call{"role/ref-trainingrole4c1607bc", "iam:PassRole", "role/ref-jobrole156d9fcb"},
		call{"role/ref-trainingrole4c1607bc", "events:PutRule", "rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule"},
		call{"role/ref-trainingrole4c1607bc", "sagemaker:CreateTrainingJob", ""},
		call{"role/ref-trainingrole4c1607bc", "s3:GetObject", "/evaluation.json"},
		call{"role/ref-trainingrole4c1607bc", "kms:Decrypt", ""},
		call{"role/ref-trainingrole4c1607bc", "sagemaker:CreateModelPackage", "model-package/mlp-dev-models/1"},
		call{"role/ref-trainingrole4c1607bc", "sns:Publish", ""},
		call{"role/ref-trainingrole4c1607bc", "kms:GenerateDataKey", ""},
		call{"role/ref-inferencerole9c862296", "sagemaker:ListModelPackages", "*"},
		call{"role/ref-inferencerole9c862296", "sagemaker:DescribeModelPackage", "model-package/mlp-dev-models/1"},
		// SageMaker assuming the job role, and the jobs' own requests.
		call{"sagemaker.amazonaws.com", "sts:AssumeRole", "role/ref-jobrole156d9fcb"},
		call{"role/ref-jobrole156d9fcb", "ecr:BatchGetImage", ""},
		call{"role/ref-jobrole156d9fcb", "s3:ListBucket", ""},
		call{"role/ref-jobrole156d9fcb", "s3:GetObject", "/raw/data/abalone.csv"},
		call{"role/ref-jobrole156d9fcb", "s3:PutObject", "/output/model.tar.gz"},
		call{"role/ref-jobrole156d9fcb", "s3:PutObject", "/predictions/local-inference/abalone.csv.out"},
		call{"role/ref-jobrole156d9fcb", "kms:GenerateDataKey", ""},
		call{"role/ref-jobrole156d9fcb", "logs:PutLogEvents", ""},
		call{"role/ref-jobrole156d9fcb", "cloudwatch:PutMetricData", "*"},
		// CloudWatch Logs with the state machines' log groups' key.
		call{"logs.us-east-1.amazonaws.com", "kms:GenerateDataKey", ""},
	)
	assert.Contains(t, out, "AWS requests checked against the synthesized policies, none denied")
}

// TestRunFailsOnADeniedRequest: with a permission the pipeline needs taken
// out of the synthesized policies, the run fails and names the principal,
// the action, the resource and why it was denied; so does a list call
// scoped back to the model package group, which AWS authorizes only on
// "*".
func TestRunFailsOnADeniedRequest(t *testing.T) {
	tests := []struct {
		name string
		edit func(*iamsim.Policies)
		want []string
	}{
		{
			name: "no sns:Publish for the training role",
			edit: dropStatements(func(policy string, st map[string]any) bool {
				return strings.HasPrefix(policy, "TrainingRole") && grants(st, "sns:Publish")
			}),
			want: []string{"role/ref-trainingrole4c1607bc sns:Publish on arn:aws:sns:us-east-1:123456789012:ref-notifications87298708: ImplicitlyDenied", "no identity policy statement allows it"},
		},
		{
			name: "ListModelPackages scoped to the group",
			edit: func(p *iamsim.Policies) {
				for name, doc := range p.Documents {
					if !strings.HasPrefix(name, "InferenceRole") {
						continue
					}
					sts, _ := doc.(map[string]any)["Statement"].([]any)
					for _, st := range sts {
						st := st.(map[string]any)
						if grants(st, "sagemaker:ListModelPackages") {
							st["Resource"] = "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/mlp-dev-models"
						}
					}
				}
			},
			want: []string{"FindModel (local-inference): arn:aws:iam::123456789012:role/ref-inferencerole9c862296 sagemaker:ListModelPackages on *"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := Run(context.Background(), Options{ProjectDir: project, RunDir: filepath.Join(t.TempDir(), "run"), Out: &out, EditPolicies: tt.edit})
			require.Error(t, err, "the run must fail on the denied request")
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// TestDrillAlarmPathIsReplayed: a failed execution sets off its alarm,
// and CloudWatch's publishing to the encrypted topic is replayed too:
// without the topic policy's statement for CloudWatch the run fails.
func TestDrillAlarmPathIsReplayed(t *testing.T) {
	crash := Options{
		Binaries: map[string]string{"train": testBinary(t)},
		JobEnv:   []string{drillJobEnv + "=panic"},
	}
	d := drill(t, crash)
	require.Equal(t, "FAILED", d.Training.Status, d.out)
	assertReplayed(t, d.IAMRequests,
		call{"cloudwatch.amazonaws.com", "sns:Publish", "ref-notifications87298708"},
		call{"cloudwatch.amazonaws.com", "kms:GenerateDataKey", ""},
		call{"cloudwatch.amazonaws.com", "kms:Decrypt", ""},
	)

	crash.ProjectDir, crash.RunDir = project, filepath.Join(t.TempDir(), "run")
	crash.EditPolicies = dropStatements(func(_ string, st map[string]any) bool { return st["Sid"] == "AllowCloudWatchAlarmsToPublish" })
	_, err := Run(context.Background(), crash)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "alarm arn:aws:cloudwatch:us-east-1:123456789012:alarm:")
	assert.Contains(t, err.Error(), "cloudwatch.amazonaws.com sns:Publish on arn:aws:sns:us-east-1:123456789012:ref-notifications87298708: ImplicitlyDenied")
}

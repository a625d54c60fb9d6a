package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/infra"
	"github.com/mlpipeline-go/mlpipeline/internal/apimodel"
	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
)

// devDefinitions synthesizes the dev definitions and lets edit change the
// training one's states.
func devDefinitions(t *testing.T, edit func(states map[string]any)) map[string][]byte {
	t.Helper()
	paths, err := infra.Synth(filepath.Join(project, "cdk.json"), "dev", t.TempDir())
	require.NoError(t, err)
	template, err := os.ReadFile(paths[0])
	require.NoError(t, err)
	defs, err := cfn.Definitions(template)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(defs["training"], &doc))
	edit(doc["States"].(map[string]any))
	defs["training"], err = json.Marshal(doc)
	require.NoError(t, err)
	return defs
}

// TestRunFailsOnARequestTheAPIRejects renames a member of the Preprocess
// request and breaks a tag value: the run must stop at Preprocess with
// both named, though the state's Catch handles States.ALL.
func TestRunFailsOnARequestTheAPIRejects(t *testing.T) {
	apimodel.OpenOrSkip(t)
	defs := devDefinitions(t, func(states map[string]any) {
		params := states["Preprocess"].(map[string]any)["Parameters"].(map[string]any)
		cluster := params["ProcessingResources"].(map[string]any)["ClusterConfig"].(map[string]any)
		cluster["InstanceCnt"] = cluster["InstanceCount"]
		delete(cluster, "InstanceCount")
		params["Tags"] = append(params["Tags"].([]any), map[string]any{"Key": "team", "Value": "ml!"})
	})
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{ProjectDir: project, RunDir: t.TempDir(), Definitions: defs, Out: &out})
	require.NoError(t, err)
	assert.Equal(t, "FAILED", sum.Training.Status, out.String())
	assert.Equal(t, "States.Runtime", sum.Training.Error)
	for _, want := range []string{
		`state "Preprocess": the sagemaker CreateProcessingJob request breaks the AWS API model (botocore `,
		`ProcessingResources.ClusterConfig.InstanceCnt: unknown member: ProcessingClusterConfig has no member "InstanceCnt"; did you mean "InstanceCount"?`,
		`ProcessingResources.ClusterConfig.InstanceCount: required: ProcessingClusterConfig requires member InstanceCount`,
		`Tags[1].Value: pattern: "ml!" does not match the pattern of TagValue`,
	} {
		assert.Contains(t, sum.Training.Cause, want)
	}
	assert.Equal(t, []string{"Defaults", "Configure", "ValidateInput", "Preprocess"}, sum.Training.States, "no Catch, no job")
	assert.Empty(t, sum.Notifications)
	assert.Empty(t, sum.Inference.Status)
}

// TestRunChecksStagingAndProdRequests runs the staging and prod
// definitions, so that the requests they produce at run time (job names,
// tags, the secure profile's VPC, KMS and encryption settings, several
// inference instances, manual approval) are validated as dev's are by the
// other tests of this package. Prod registers versions pending manual
// approval; the test approves it before inference, as a person would, so
// that prod's inference requests run too.
func TestRunChecksStagingAndProdRequests(t *testing.T) {
	apimodel.OpenOrSkip(t)
	if testing.Short() {
		t.Skip("two more pipeline runs; run without -short")
	}
	for _, env := range []string{"staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			var out bytes.Buffer
			sum, err := Run(context.Background(), Options{ProjectDir: project, Env: env, RunDir: t.TempDir(), Out: &out, BeforeInference: approveAll})
			require.NoError(t, err)
			require.Equal(t, "SUCCEEDED", sum.Training.Status, "training: %s %s\n%s", sum.Training.Error, sum.Training.Cause, out.String())
			require.Equal(t, "SUCCEEDED", sum.Inference.Status, "inference: %s %s\n%s", sum.Inference.Error, sum.Inference.Cause, out.String())
			assert.Contains(t, sum.Inference.States, "Infer")
		})
	}
}

// approveAll approves every model version in the local registry.
func approveAll(st Stage) error {
	data, err := os.ReadFile(st.RegistryFile)
	if err != nil {
		return err
	}
	var reg map[string]any
	if err := json.Unmarshal(data, &reg); err != nil {
		return err
	}
	for _, p := range reg["packages"].([]any) {
		p.(map[string]any)["approvalStatus"] = "Approved"
	}
	if data, err = json.Marshal(reg); err != nil {
		return err
	}
	return os.WriteFile(st.RegistryFile, data, 0o644)
}

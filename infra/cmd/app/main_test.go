package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets tests run main in a child process, as the CDK CLI runs the app.
func TestMain(m *testing.M) {
	if os.Getenv("MLPIPELINE_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runApp runs main in dir with the CLI's context variable set to cliContext,
// the way `cdk synth -c key=value` passes it, and returns its exit code and
// standard error.
func runApp(t *testing.T, dir string, cliContext map[string]any, outdir string) (int, string) {
	t.Helper()
	ctxJSON, err := json.Marshal(cliContext)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"MLPIPELINE_TEST_RUN_MAIN=1",
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20",
		"CDK_CONTEXT_JSON="+string(ctxJSON),
		"CDK_OUTDIR="+outdir,
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if exitErr, ok := err.(*exec.ExitError); ok {
		return exitErr.ExitCode(), stderr.String()
	}
	require.NoError(t, err)
	return 0, stderr.String()
}

// projectDir copies the project's cdk.json into a temporary directory after
// edit changes its context.
func projectDir(t *testing.T, edit func(ctx map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile("../../../cdk.json")
	require.NoError(t, err)
	var cdkJSON map[string]any
	require.NoError(t, json.Unmarshal(data, &cdkJSON))
	edit(cdkJSON["context"].(map[string]any))
	data, err = json.Marshal(cdkJSON)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cdk.json"), data, 0o644))
	return dir
}

func TestSynthSelectsOneEnvironment(t *testing.T) {
	dir := projectDir(t, func(map[string]any) {})
	out := filepath.Join(dir, "cdk.out")
	code, stderr := runApp(t, dir, map[string]any{"env": "dev"}, out)
	require.Equal(t, 0, code, "app -c env=dev exit code; stderr:\n%s", stderr)
	templates, err := filepath.Glob(filepath.Join(out, "*.template.json"))
	require.NoError(t, err)
	require.Len(t, templates, 1, "templates of -c env=dev: %v", templates)
	assert.Equal(t, "MlPipeline-dev.template.json", filepath.Base(templates[0]))
}

func TestSynthStopsOnBadValue(t *testing.T) {
	dir := projectDir(t, func(ctx map[string]any) {
		jobs := ctx["environments"].(map[string]any)["staging"].(map[string]any)["jobs"].(map[string]any)
		jobs["infer"].(map[string]any)["instanceCount"] = 0
	})
	out := filepath.Join(dir, "cdk.out")
	code, stderr := runApp(t, dir, map[string]any{}, out)
	assert.NotEqual(t, 0, code, "exit code of a synth with a broken environment")
	assert.Equal(t, "mlpipeline: environment \"staging\": jobs.infer.instanceCount = 0 is invalid; valid: an integer from 1 to 100\n", stderr)
	_, err := os.Stat(filepath.Join(out, "manifest.json"))
	assert.True(t, os.IsNotExist(err), "a failed synth writes no cloud assembly")
}

func TestSynthStopsOnUnknownEnvironment(t *testing.T) {
	dir := projectDir(t, func(map[string]any) {})
	code, stderr := runApp(t, dir, map[string]any{"env": "qa"}, filepath.Join(dir, "cdk.out"))
	assert.NotEqual(t, 0, code)
	assert.Equal(t, "mlpipeline: unknown environment \"qa\"; valid: dev, prod, staging\n", stderr)
}

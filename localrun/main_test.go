package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mainEnv, set in the environment, makes the test binary run main with
// its arguments, so that a test sees the command's whole output.
const mainEnv = "LOCALRUN_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) != "" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func TestRunSynthesizesAndSaysWhere(t *testing.T) {
	out := filepath.Join(t.TempDir(), "assembly")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-synth-only", "-cdk-json", "../cdk.json", "-env", "dev", "-out", out}, nil, &stdout, &stderr)
	require.NoError(t, err, "stderr: %s", stderr.String())
	template := filepath.Join(out, "MlPipeline-dev.template.json")
	assert.Contains(t, stdout.String(), "Synthesized 1 stack(s) offline into "+out)
	assert.Contains(t, stdout.String(), "MlPipeline-dev.template.json")
	info, err := os.Stat(template)
	require.NoError(t, err, "the template it names exists")
	assert.NotZero(t, info.Size())
}

func TestRunHelpAndBadArguments(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, flag.ErrHelp, run(context.Background(), []string{"-h"}, nil, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "-env")
	assert.Contains(t, stderr.String(), ".mlpipeline-run", "the help says which run directories are emptied")

	stderr.Reset()
	assert.EqualError(t, run(context.Background(), []string{"extra"}, nil, &stdout, &stderr), `unexpected arguments ["extra"]`)
	assert.Error(t, run(context.Background(), []string{"-synth-only", "-cdk-json", filepath.Join(t.TempDir(), "missing.json")}, nil, &stdout, &stderr))
	for in, want := range map[string]string{
		"[1]":         `-input [1]: want a JSON object, got an array; valid: a JSON object such as {"threshold": 4.5}`,
		"4.5":         `-input 4.5: want a JSON object, got a number; valid: a JSON object such as {"threshold": 4.5}`,
		"{threshold}": `-input {threshold}: invalid character 't' looking for beginning of object key string; valid: a JSON object such as {"threshold": 4.5}`,
		`"4.5"`:       `-input "4.5": want a JSON object, got a string; valid: a JSON object such as {"threshold": 4.5}`,
		"true":        `-input true: want a JSON object, got a boolean; valid: a JSON object such as {"threshold": 4.5}`,
		"null":        `-input null: want a JSON object, got null; valid: a JSON object such as {"threshold": 4.5}`,
	} {
		assert.EqualError(t, run(context.Background(), []string{"-input", in}, nil, &stdout, &stderr), want, "-input %s", in)
	}
}

func TestRunGateMetricNeedsAThreshold(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-gate-metric", "auc", "-run-dir", t.TempDir()}, nil, &stdout, &stderr)
	assert.EqualError(t, err, "-gate-metric auc needs -threshold")
}

func TestRunRejectsANonFiniteThreshold(t *testing.T) {
	for v, shown := range map[string]string{"NaN": "NaN", "Inf": "+Inf", "-Inf": "-Inf", "+inf": "+Inf"} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"-threshold", v, "-run-dir", t.TempDir()}, nil, &stdout, &stderr)
		assert.ErrorContains(t, err, "-threshold "+shown+" is invalid; valid: a finite number", "-threshold %s", v)
	}
}

// TestRunShowsNoNodeBanner runs the command as a user does, without
// JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: on Node 20 the output
// has one short note instead of jsii's end-of-life banner, and on the
// versions CDK supports nothing at all.
func TestRunShowsNoNodeBanner(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-synth-only", "-cdk-json", "../cdk.json", "-env", "dev", "-out", filepath.Join(t.TempDir(), "assembly"))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, mainEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "Synthesized 1 stack(s)")
	for _, banner := range []string{"end-of-life on", "This software is currently running on node", "!!!!", "This warning can be silenced"} {
		assert.NotContains(t, string(out), banner, "no Node banner")
	}
	version, err := exec.Command("node", "--version").Output()
	require.NoError(t, err)
	note := "localrun: note: Node " + strings.TrimSpace(string(version)) + " is past its end of life"
	if strings.HasPrefix(string(version), "v20.") {
		assert.Equal(t, 1, strings.Count(string(out), note), "one note on Node 20:\n%s", out)
	} else {
		assert.NotContains(t, string(out), "localrun: note: Node", "nothing on a supported Node")
	}
}

package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func TestRunSynthesizesAndSaysWhere(t *testing.T) {
	out := filepath.Join(t.TempDir(), "assembly")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-synth-only", "-cdk-json", "../../../cdk.json", "-env", "dev", "-out", out}, &stdout, &stderr)
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
	assert.Equal(t, flag.ErrHelp, run(context.Background(), []string{"-h"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "-env")
	assert.Contains(t, stderr.String(), ".mlpipeline-run", "the help says which run directories are emptied")

	stderr.Reset()
	assert.EqualError(t, run(context.Background(), []string{"extra"}, &stdout, &stderr), `unexpected arguments ["extra"]`)
	assert.Error(t, run(context.Background(), []string{"-synth-only", "-cdk-json", filepath.Join(t.TempDir(), "missing.json")}, &stdout, &stderr))
	for in, want := range map[string]string{
		"[1]":         `-input [1]: want a JSON object, got an array; valid: a JSON object such as {"threshold": 4.5}`,
		"4.5":         `-input 4.5: want a JSON object, got a number; valid: a JSON object such as {"threshold": 4.5}`,
		"{threshold}": `-input {threshold}: invalid character 't' looking for beginning of object key string; valid: a JSON object such as {"threshold": 4.5}`,
		`"4.5"`:       `-input "4.5": want a JSON object, got a string; valid: a JSON object such as {"threshold": 4.5}`,
		"true":        `-input true: want a JSON object, got a boolean; valid: a JSON object such as {"threshold": 4.5}`,
		"null":        `-input null: want a JSON object, got null; valid: a JSON object such as {"threshold": 4.5}`,
	} {
		assert.EqualError(t, run(context.Background(), []string{"-input", in}, &stdout, &stderr), want, "-input %s", in)
	}
}

func TestRunGateMetricNeedsAThreshold(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-gate-metric", "auc", "-run-dir", t.TempDir()}, &stdout, &stderr)
	assert.EqualError(t, err, "-gate-metric auc needs -threshold")
}

func TestRunRejectsANonFiniteThreshold(t *testing.T) {
	for v, shown := range map[string]string{"NaN": "NaN", "Inf": "+Inf", "-Inf": "-Inf", "+inf": "+Inf"} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"-threshold", v, "-run-dir", t.TempDir()}, &stdout, &stderr)
		assert.ErrorContains(t, err, "-threshold "+shown+" is invalid; valid: a finite number", "-threshold %s", v)
	}
}

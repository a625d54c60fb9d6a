package jobcli

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
)

func TestHelpListsFlags(t *testing.T) {
	var stderr bytes.Buffer
	c := New("train", "Trains trees.", sagemaker.Training, sagemaker.Default(), &stderr)
	c.Flags.String("model-dir", "/opt/ml/model", "where the model goes")
	err := c.Parse([]string{"-h"})
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Equal(t, 0, ExitCode(err))
	assert.Contains(t, stderr.String(), "Usage: train [flags]\n\nTrains trees.\n")
	assert.Contains(t, stderr.String(), "-model-dir")
	assert.Contains(t, stderr.String(), "-failure-file")
}

func TestParseRejectsPositionalArguments(t *testing.T) {
	c := New("infer", "x", sagemaker.Processing, sagemaker.Default(), &bytes.Buffer{})
	assert.EqualError(t, c.Parse([]string{"data.csv"}), `unexpected arguments ["data.csv"]; every input and output is a flag (see -h)`)
}

func TestReportWritesFailureFile(t *testing.T) {
	var stderr bytes.Buffer
	failure := filepath.Join(t.TempDir(), "output", "message")
	c := New("evaluate", "x", sagemaker.Processing, sagemaker.Default(), &stderr)
	require.NoError(t, c.Parse([]string{"-failure-file", failure}))
	err := errors.New("test split: no rows")
	c.Report(&err)
	assert.Equal(t, "evaluate: test split: no rows\n", stderr.String())
	got, rerr := os.ReadFile(failure)
	require.NoError(t, rerr)
	assert.Equal(t, "test split: no rows", string(got))
	assert.Equal(t, 1, ExitCode(err))
}

func TestReportIgnoresSuccessAndHelp(t *testing.T) {
	var stderr bytes.Buffer
	failure := filepath.Join(t.TempDir(), "message")
	c := New("evaluate", "x", sagemaker.Processing, sagemaker.Default(), &stderr)
	require.NoError(t, c.Parse([]string{"-failure-file", failure}))
	for _, err := range []error{nil, flag.ErrHelp} {
		c.Report(&err)
	}
	assert.Empty(t, stderr.String())
	_, err := os.Stat(failure)
	assert.True(t, os.IsNotExist(err), "no failure file for success or -h")
}

func TestFailureFileFollowsTheRoot(t *testing.T) {
	root := t.TempDir()
	var stderr bytes.Buffer
	c := New("infer", "x", sagemaker.Processing, sagemaker.Paths{Root: root}, &stderr)
	require.NoError(t, c.Parse(nil))
	err := errors.New("boom")
	c.Report(&err)
	got, rerr := os.ReadFile(filepath.Join(root, "output", "message"))
	require.NoError(t, rerr, "the failure file defaults to below an existing root")
	assert.Equal(t, "boom", string(got))

	missing := sagemaker.Paths{Root: filepath.Join(root, "absent")}
	c = New("infer", "x", sagemaker.Processing, missing, &stderr)
	require.NoError(t, c.Parse(nil))
	c.Report(&err)
	_, serr := os.Stat(filepath.Join(root, "absent"))
	assert.True(t, os.IsNotExist(serr), "no failure file is written below a root that does not exist")
}

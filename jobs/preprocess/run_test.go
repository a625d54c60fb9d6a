package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adult is the bundled binary classification sample.
var adult = filepath.Join("..", "..", "data", "adult")

// runFails runs the job with args under a fresh SageMaker root and
// returns its error, checking that the failure file SageMaker shows holds
// the same reason and that no output was written.
func runFails(t *testing.T, args ...string) string {
	t.Helper()
	root := t.TempDir()
	out := filepath.Join(t.TempDir(), "out")
	getenv := func(k string) string {
		if k == sagemaker.RootEnv {
			return root
		}
		return ""
	}
	err := run(context.Background(), append(args, "-output", out), getenv, strings.NewReader(""), io.Discard, io.Discard)
	require.Error(t, err, "run(%q)", args)
	message, rerr := os.ReadFile(sagemaker.Processing.FailurePath(sagemaker.Paths{Root: root}))
	require.NoError(t, rerr, "the failure file")
	assert.Equal(t, err.Error(), string(message), "the failure file holds the error")
	_, serr := os.Stat(out)
	assert.True(t, os.IsNotExist(serr), "no output directory is written")
	return err.Error()
}

// firstRows writes the first n rows of the adult training data whose
// label is keep.
func firstRows(t *testing.T, n int, keep string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(adult, "adult.train.csv"))
	require.NoError(t, err)
	defer f.Close()
	var b strings.Builder
	s := bufio.NewScanner(f)
	for rows := 0; rows < n && s.Scan(); {
		if strings.HasSuffix(s.Text(), ", "+keep) {
			b.WriteString(s.Text() + "\n")
			rows++
		}
	}
	require.NoError(t, s.Err())
	path := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

func TestTrainingRowsOfOneClassFail(t *testing.T) {
	got := runFails(t, "-schema", filepath.Join(adult, "schema.json"), "-input", firstRows(t, 40, "<=50K"))
	assert.Contains(t, got, `have the positive label ">50K"; valid: both classes present`)
}

func TestEmptyTestInputFails(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "test.csv")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	got := runFails(t, "-schema", filepath.Join(adult, "schema.json"), "-input", firstRows(t, 40, "<=50K"), "-test-input", empty)
	assert.Equal(t, "test input "+empty+": no data rows", got)
}

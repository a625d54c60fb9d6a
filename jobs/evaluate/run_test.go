package main

import (
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

func TestInvalidOptionsFailBeforeReadingInputs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-threshold", "1"}, "-threshold = 1 is invalid; valid: a number in (0, 1)"},
		{[]string{"-threshold", "0"}, "-threshold = 0 is invalid; valid: a number in (0, 1)"},
		{[]string{"-threshold", "NaN"}, "-threshold = NaN is invalid; valid: a number in (0, 1)"},
		{[]string{"-explain-rows", "-1"}, "-explain-rows = -1 is invalid; valid: 0 (no explanations) or more"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			root := t.TempDir()
			getenv := func(k string) string {
				if k == sagemaker.RootEnv {
					return root
				}
				return ""
			}
			// The model and test paths do not exist: the options are
			// checked first.
			args := append(tc.args, "-model", filepath.Join(root, "none"), "-test", filepath.Join(root, "none"))
			err := run(context.Background(), args, getenv, strings.NewReader(""), io.Discard, io.Discard)
			require.Error(t, err, "run(%q)", args)
			assert.Equal(t, tc.want, err.Error())
			message, rerr := os.ReadFile(sagemaker.Processing.FailurePath(sagemaker.Paths{Root: root}))
			require.NoError(t, rerr, "the failure file")
			assert.Equal(t, tc.want, string(message), "the failure file holds the reason")
		})
	}
}

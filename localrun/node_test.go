package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNodeMajor(t *testing.T) {
	for in, want := range map[string]int{"v20.20.2": 20, "v22.1.0": 22, "24.0.0": 24} {
		got, ok := nodeMajor(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, "nodeMajor(%q)", in)
	}
	for _, in := range []string{"", "vx.1", "node"} {
		_, ok := nodeMajor(in)
		assert.False(t, ok, "nodeMajor(%q)", in)
	}
}

// fakeNode writes an executable that prints version as `node --version`
// does and points JSII_NODE at it.
func fakeNode(t *testing.T, version string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "node")
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\necho "+version+"\n"), 0o755))
	t.Setenv("JSII_NODE", path)
}

// TestQuietNodeBannerLeavesSupportedNodesAlone: the program goes on as it
// is, printing nothing, whenever there is no end-of-life banner to avoid.
func TestQuietNodeBannerLeavesSupportedNodesAlone(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake node is a shell script")
	}
	t.Setenv(nodeSilenceEnv, "")
	os.Unsetenv(nodeSilenceEnv)
	for name, setup := range map[string]func(t *testing.T){
		"supported version":   func(t *testing.T) { fakeNode(t, "v24.1.0") },
		"unparsable version":  func(t *testing.T) { fakeNode(t, "nodejs") },
		"node cannot be run":  func(t *testing.T) { t.Setenv("JSII_NODE", filepath.Join(t.TempDir(), "missing")) },
		"silenced by the env": func(t *testing.T) { fakeNode(t, "v20.1.0"); t.Setenv(nodeSilenceEnv, "20") },
	} {
		t.Run(name, func(t *testing.T) {
			setup(t)
			called := false
			saved := reexec
			reexec = func(string, []string, []string) error { called = true; return nil }
			defer func() { reexec = saved }()
			var out bytes.Buffer
			require.NoError(t, QuietNodeBanner(&out, "localrun: note: "))
			assert.Empty(t, out.String())
			assert.False(t, called, "the program must not run itself again")
		})
	}
}

// TestQuietNodeBannerRunsItselfAgainOnAnEndOfLifeNode: on Node 20 the
// program notes it once and runs again with the banner silenced; a failure
// to do so is an error naming the variable.
func TestQuietNodeBannerRunsItselfAgainOnAnEndOfLifeNode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake node is a shell script")
	}
	t.Setenv(nodeSilenceEnv, "")
	os.Unsetenv(nodeSilenceEnv)
	fakeNode(t, "v20.1.0")
	var gotEnv []string
	saved := reexec
	reexec = func(_ string, _, env []string) error { gotEnv = env; return errors.New("exec refused") }
	defer func() { reexec = saved }()
	var out bytes.Buffer
	err := QuietNodeBanner(&out, "localrun: note: ")
	require.Error(t, err)
	assert.Contains(t, err.Error(), nodeSilenceEnv+"=20")
	assert.Contains(t, err.Error(), "exec refused")
	assert.Contains(t, gotEnv, nodeSilenceEnv+"=20")
	assert.Contains(t, out.String(), "localrun: note: Node v20.1.0 is past its end of life")
}

package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
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

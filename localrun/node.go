package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/aws/jsii-runtime-go"
)

// nodeSilenceEnv is the variable with which jsii's check of the Node
// version stays silent about one major version past its end of life.
const nodeSilenceEnv = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"

// endOfLifeNode are the Node major versions past their end of life that
// CDK still runs on, with the date support ended (nodejs.org release
// schedule). jsii prints a twelve-line banner for them at every start.
var endOfLifeNode = map[int]string{20: "2026-04-30"}

// QuietNodeBanner keeps the Node process that jsii starts for the CDK app
// from printing its end-of-life banner. When that Node ($JSII_NODE, else
// node on PATH) is a version past its end of life that CDK still runs on
// (20), and JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION is not set, it
// prints note, one short line saying so, to w, and runs the program again
// in its place with the variable set: jsii reads the environment for its
// Node process while the CDK packages initialize, before main runs, so
// setting it in the running process would come too late. Call it first
// in main, before any CDK call. It returns, having changed nothing, on
// the Node versions CDK supports, when the variable is set, when Node
// cannot be asked, and where a program cannot replace itself (Windows);
// an error only when the program could not be run again.
func QuietNodeBanner(w io.Writer, prefix string) error {
	if os.Getenv(nodeSilenceEnv) != "" {
		return nil
	}
	node := os.Getenv("JSII_NODE")
	if node == "" {
		node = "node"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil
	}
	version := strings.TrimSpace(string(out))
	major, ok := nodeMajor(version)
	if !ok {
		return nil
	}
	eol, ok := endOfLifeNode[major]
	if !ok || reexec == nil {
		return nil
	}
	fmt.Fprintf(w, "%sNode %s is past its end of life (%s); CDK supports Node 22 and later: upgrade when you can.\n", prefix, version, eol)
	// The kernel process jsii prepared at initialization is not started
	// yet; closing it removes the runtime it unpacked.
	jsii.Close()
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("run again with %s=%d: %w", nodeSilenceEnv, major, err)
	}
	env := append(os.Environ(), nodeSilenceEnv+"="+strconv.Itoa(major))
	if err := reexec(exe, os.Args, env); err != nil {
		return fmt.Errorf("run %s again with %s=%d: %w", exe, nodeSilenceEnv, major, err)
	}
	return nil
}

// nodeMajor returns the major version of a `node --version` answer such
// as "v20.20.2".
func nodeMajor(version string) (int, bool) {
	major, _, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	n, err := strconv.Atoi(major)
	return n, err == nil
}

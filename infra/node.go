package infra

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// nodeSilenceEnv is the variable with which jsii's check of the Node
// version stays silent about one major version past its end of life.
const nodeSilenceEnv = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"

// endOfLifeNode are the Node major versions past their end of life that
// CDK still runs on, with the date support ended (nodejs.org release
// schedule). jsii prints a twelve-line banner for them at every start.
var endOfLifeNode = map[int]string{20: "2026-04-30"}

// QuietNodeBanner keeps the Node process that jsii starts for the CDK app
// from printing its end-of-life banner: when that Node ($JSII_NODE, else
// node on PATH) is a version past its end of life that CDK still runs on
// (20), it sets JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION for the
// process, and returns one short line to show instead. For the versions
// CDK supports, or when the variable is already set, or Node cannot be
// asked, it changes nothing and returns "". Call it before the first CDK
// call: jsii starts Node once per process.
func QuietNodeBanner() string {
	if os.Getenv(nodeSilenceEnv) != "" {
		return ""
	}
	node := os.Getenv("JSII_NODE")
	if node == "" {
		node = "node"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return ""
	}
	version := strings.TrimSpace(string(out))
	major, ok := nodeMajor(version)
	if !ok {
		return ""
	}
	eol, ok := endOfLifeNode[major]
	if !ok {
		return ""
	}
	os.Setenv(nodeSilenceEnv, strconv.Itoa(major))
	return fmt.Sprintf("Node %s is past its end of life (%s); CDK supports Node 22 and later: upgrade when you can.", version, eol)
}

// nodeMajor returns the major version of a `node --version` answer such
// as "v20.20.2".
func nodeMajor(version string) (int, bool) {
	major, _, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	n, err := strconv.Atoi(major)
	return n, err == nil
}

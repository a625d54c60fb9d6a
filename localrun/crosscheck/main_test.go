package crosscheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/mlpipeline-go/mlpipeline/infra"
	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
)

// project is the project root, relative to this package.
const project = "../.."

// synthesized is one environment as a synth produces it.
type synthesized struct {
	env infra.Environment
	// defs are the resolved definitions by kind ("training", "inference").
	defs map[string][]byte
	// dataBucket and artifactBucket are the buckets' names in the
	// definitions.
	dataBucket, artifactBucket string
}

// environments are every environment of cdk.json, synthesized once in one
// app because each CDK app costs seconds; tests only read them.
var environments []synthesized

func TestMain(m *testing.M) {
	if os.Getenv(fakeJobEnv) != "" {
		// Started by a local stand-in as a job container, not to run tests.
		os.Exit(fakeJob(filepath.Base(os.Args[0])))
	}
	err := synthesize()
	code := 1
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, err)
	}
	jsii.Close()
	os.Exit(code)
}

// synthesize fills environments from a synth of every environment.
func synthesize() error {
	cdkJSON := filepath.Join(project, "cdk.json")
	context, err := infra.ReadContext(cdkJSON)
	if err != nil {
		return err
	}
	envs, err := infra.LoadEnvironments(context[infra.EnvironmentsContextKey], "")
	if err != nil {
		return err
	}
	outdir, err := os.MkdirTemp("", "crosscheck-synth-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(outdir)
	paths, err := infra.Synth(cdkJSON, "", outdir)
	if err != nil {
		return err
	}
	if len(paths) != len(envs) {
		return fmt.Errorf("synth wrote %d templates for %d environments", len(paths), len(envs))
	}
	for i, path := range paths {
		template, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		defs, err := cfn.Definitions(template)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		s := synthesized{env: envs[i], defs: defs}
		if s.dataBucket, s.artifactBucket, err = bucketNames(template); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		environments = append(environments, s)
	}
	return nil
}

// bucketNames finds the names the definitions give the data and artifact
// buckets of a synthesized template.
func bucketNames(template []byte) (data, artifacts string, err error) {
	var doc struct {
		Resources map[string]struct{ Type string }
	}
	if err := json.Unmarshal(template, &doc); err != nil {
		return "", "", err
	}
	for id, r := range doc.Resources {
		switch {
		case r.Type != "AWS::S3::Bucket":
		case strings.HasPrefix(id, "StorageDataBucket"):
			data = cfn.Placeholder(id)
		case strings.HasPrefix(id, "StorageArtifactBucket"):
			artifacts = cfn.Placeholder(id)
		}
	}
	if data == "" || artifacts == "" {
		return "", "", fmt.Errorf("the template has no data and artifact buckets")
	}
	return data, artifacts, nil
}

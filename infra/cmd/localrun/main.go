// Command localrun runs the ML pipeline on this machine, offline.
//
// For now it synthesizes the CloudFormation templates of the chosen
// environments from cdk.json, without the CDK CLI and without AWS
// credentials, and prints where they are. Run it from the project root:
//
//	go run ./infra/cmd/localrun [-env dev] [-out cdk.out]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/jsii-runtime-go"

	"github.com/mlpipeline-go/mlpipeline/infra"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	jsii.Close()
	if err == flag.ErrHelp {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "localrun:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("localrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./infra/cmd/localrun [flags]")
		fmt.Fprintln(stderr, "\nSynthesizes the pipeline's stacks offline and prints where the templates are.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	cdkJSON := fs.String("cdk-json", "cdk.json", "the project's `file` of CDK context (environments, feature flags)")
	env := fs.String("env", "", "the environment to synthesize, such as dev (default: every environment in cdk.json)")
	out := fs.String("out", "cdk.out", "the `directory` to write the cloud assembly to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	templates, err := infra.Synth(*cdkJSON, *env, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Synthesized %d stack(s) offline into %s:\n", len(templates), *out)
	for _, t := range templates {
		if rel, err := filepath.Rel(".", t); err == nil {
			t = rel
		}
		fmt.Fprintf(stdout, "  %s\n", t)
	}
	fmt.Fprintln(stdout, "Deploy one with: npx -y aws-cdk@2 deploy -c env=<name> (see README.md).")
	return nil
}

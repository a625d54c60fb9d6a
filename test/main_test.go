// Package test holds the synth tests of the whole app: golden snapshots of
// every environment's template and the cdk-nag checks. It builds the real
// stacks through package infra from the project's cdk.json.
package test

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/mlpipeline-go/mlpipeline/infra"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata/ from the current stacks")

// stacks are every environment's stack, built once in one app because each
// jsii app costs seconds; tests only read them.
var stacks []awscdk.Stack

// nagCanary is a stack with a known violation in the same app, proving that
// the cdk-nag checks really run over it.
var nagCanary awscdk.Stack

func TestMain(m *testing.M) {
	flag.Parse()
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	jsii.Close()
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	context, err := infra.ReadContext("../cdk.json")
	if err != nil {
		return 0, err
	}
	outdir, err := os.MkdirTemp("", "mlpipeline-synth-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(outdir)
	// With this flag on, cdk.json makes synthesis throw at the first error
	// annotation; off, the findings stay annotations that the nag test
	// lists one by one with their construct paths.
	context["@aws-cdk/core:annotationsInValidationReport"] = false
	app := infra.NewApp(context, outdir)
	// The checks only add annotations, never template content, so the
	// snapshots below see the same templates a plain synth writes.
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	stacks, err = infra.AddStacks(app)
	if err != nil {
		return 0, err
	}
	// Production also answers to NIST 800-53 rev 5.
	for _, stack := range stacks {
		if *stack.StackName() == infra.StackName("prod") {
			awscdk.Aspects_Of(stack).Add(cdknag.NewNIST80053R5Checks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		}
	}
	buildExtension(app)
	if err := buildByoVpc(app, context); err != nil {
		return 0, err
	}
	nagCanary = awscdk.NewStack(app, jsii.String("NagCanary"), nil)
	awscdk.Aspects_Of(nagCanary).Add(cdknag.NewNIST80053R5Checks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awss3.NewBucket(nagCanary, jsii.String("PlainBucket"), nil)
	return m.Run(), nil
}

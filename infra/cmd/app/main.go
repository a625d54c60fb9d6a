// Command app is the CDK app of the ML pipeline, run by the CDK CLI as
// configured in cdk.json: `cdk synth`, `cdk deploy -c env=dev`.
//
// It defines one stack, MlPipeline-<env>, per environment of the
// "environments" context in cdk.json, or only the one named by -c env=<name>.
// Invalid configuration stops it with a message naming the environment, the
// field, the bad value and what is valid.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/aws/jsii-runtime-go"

	"github.com/mlpipeline-go/mlpipeline/infra"
)

func main() {
	if err := run(); err != nil {
		// One line per problem, each prefixed, so CI logs read well.
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(os.Stderr, "mlpipeline:", line)
		}
		jsii.Close()
		os.Exit(1)
	}
	jsii.Close()
}

func run() error {
	// The CLI runs the app next to cdk.json; reading it here too lets the app
	// run without the CLI (go run ./infra/cmd/app) with the same context.
	context, err := infra.ReadContext("cdk.json")
	if err != nil {
		return err
	}
	app := infra.NewApp(context, "")
	if _, err := infra.AddStacks(app); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

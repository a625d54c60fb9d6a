package e2e

import (
	"os"
	"strings"

	"github.com/mlpipeline-go/mlpipeline/internal/coverbuild"
)

// coverJobs prepares the job binaries for the test command's coverage
// measure (see coverbuild): it returns the go build flags that instrument
// them, and points GOCOVERDIR, which every job process inherits, at the
// measure's directory. Without the measure it returns nil and changes
// nothing.
func coverJobs() []string {
	for _, kv := range coverbuild.Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	return coverbuild.BuildFlags()
}

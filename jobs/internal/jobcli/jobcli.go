// Package jobcli holds what every job binary's command line shares: a flag
// set whose -h explains the job, and failure reporting where SageMaker shows
// it (stderr for the logs, the failure file for the job's failure reason).
package jobcli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mlpipeline-go/mlpipeline/internal/sagemaker"
)

// Command is the command line of one job binary.
type Command struct {
	// Flags is the job's flag set; add the job's own flags before Parse.
	Flags *flag.FlagSet

	name        string
	failureFile string
	stderr      io.Writer
}

// New returns the command line of the job called name. about is the -h
// text's description. The -failure-file flag defaults to SageMaker's path
// for the job's kind below p's root when that root exists (in a SageMaker
// container, or a local run's job directory) and to none elsewhere, so a
// job run by hand never writes outside its directories.
func New(name, about string, kind sagemaker.Kind, p sagemaker.Paths, stderr io.Writer) *Command {
	c := &Command{Flags: flag.NewFlagSet(name, flag.ContinueOnError), name: name, stderr: stderr}
	c.Flags.SetOutput(stderr)
	c.Flags.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s [flags]\n\n%s\n\nFlags:\n", name, strings.TrimSpace(about))
		c.Flags.PrintDefaults()
	}
	def := ""
	root := p.Root
	if root == "" {
		root = sagemaker.DefaultRoot
	}
	if info, err := os.Stat(root); err == nil && info.IsDir() {
		def = kind.FailurePath(p)
	}
	c.Flags.StringVar(&c.failureFile, "failure-file", def, "`file` to write the failure reason to, where SageMaker shows it (default: none outside a SageMaker container)")
	return c
}

// Parse parses args. It returns flag.ErrHelp after printing the usage for
// -h, and an error for positional arguments, which no job takes.
func (c *Command) Parse(args []string) error {
	if err := c.Flags.Parse(args); err != nil {
		return err
	}
	if c.Flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; every input and output is a flag (see -h)", c.Flags.Args())
	}
	return nil
}

// Report reports *errp, if it is a failure: it prints it to stderr and
// writes it to the failure file. Jobs defer it at the top of run.
func (c *Command) Report(errp *error) {
	err := *errp
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	fmt.Fprintf(c.stderr, "%s: %v\n", c.name, err)
	if c.failureFile == "" {
		return
	}
	if werr := sagemaker.WriteFailure(c.failureFile, err.Error()); werr != nil {
		fmt.Fprintf(c.stderr, "%s: could not record the failure reason: %v\n", c.name, werr)
	}
}

// ExitCode returns the exit status for the error a job's run returned:
// 0 for success and for -h, 1 for a failure.
func ExitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

package apimodel

import (
	"errors"
	"os"
	"sync"
	"testing"
)

var (
	sharedOnce sync.Once
	shared     *Models
	sharedErr  error
)

// OpenOrSkip returns the models of Root() for a test and logs the botocore
// release they come from. When they are not installed the test is skipped
// with a message saying how to install them, except under CI (CI=true),
// where their absence fails it.
func OpenOrSkip(tb testing.TB) *Models {
	tb.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Open(Root()) })
	if sharedErr != nil {
		if errors.Is(sharedErr, ErrNoModels) && os.Getenv("CI") == "" {
			tb.Skip(sharedErr.Error())
		}
		tb.Fatal(sharedErr)
	}
	tb.Logf("AWS API models: botocore %s (%s)", shared.Version(), shared.Root())
	return shared
}

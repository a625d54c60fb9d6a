package iamsim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// StampFile is the file in node_modules that holds the SHA-256 of the
// package-lock.json it was installed from; scripts/test.sh writes it too.
const StampFile = ".package-lock.sha256"

// EnsureTools installs the Node tools package-lock.json pins (npm ci) into
// dir/node_modules when they are missing or were installed from another
// package-lock.json, as scripts/test.sh does, so that a fresh checkout's
// local run needs no setup step. Concurrent callers (test packages run in
// parallel) take turns through a lock on package-lock.json.
func EnsureTools(ctx context.Context, dir string) error {
	lockFile := filepath.Join(dir, "package-lock.json")
	data, err := os.ReadFile(lockFile)
	if err != nil {
		return fmt.Errorf("iamsim: %w (the IAM evaluator's version is pinned there)", err)
	}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	stamp := filepath.Join(dir, "node_modules", StampFile)
	if current(stamp, want) {
		return nil
	}
	f, err := os.Open(lockFile)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("iamsim: lock %s: %w", lockFile, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	if current(stamp, want) {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("iamsim: %s is missing or stale and npm is not installed: install Node.js 20 or later (npm comes with it), then run npm ci in %s", filepath.Join(dir, "node_modules"), dir)
	}
	fmt.Fprintf(os.Stderr, "iamsim: installing the Node test tools (npm ci in %s)\n", dir)
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("iamsim: npm ci in %s: %v\n%s", dir, err, out)
	}
	return os.WriteFile(stamp, []byte(want+"\n"), 0o644)
}

func current(stamp, want string) bool {
	got, err := os.ReadFile(stamp)
	return err == nil && strings.TrimSpace(string(got)) == want
}

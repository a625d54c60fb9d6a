package sagemaker

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// MaxFailureBytes is the number of bytes of a failure file SageMaker shows as
// the failure reason. [WriteFailure] writes no more than this so that what we
// write is exactly what is shown.
const MaxFailureBytes = 1024

// WriteFailure writes msg to the failure file at path (see
// [Kind.FailurePath]), creating its parent directories, which do not exist
// when a job fails before producing output. A message longer than
// [MaxFailureBytes] is cut to at most that many bytes, keeping the start
// because that is the part SageMaker shows, and never in the middle of a
// UTF-8 encoded character, so the reason stays valid text.
func WriteFailure(path, msg string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing failure file: %w", err)
	}
	if err := os.WriteFile(path, []byte(truncateUTF8(msg, MaxFailureBytes)), 0o644); err != nil {
		return fmt.Errorf("writing failure file: %w", err)
	}
	return nil
}

// truncateUTF8 returns the longest prefix of s of at most n bytes that does
// not end inside a UTF-8 encoded character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	// s[cut] is the first byte dropped; if it continues a character, back up
	// to that character's first byte. A valid character has at most
	// UTFMax-1 continuation bytes, so stop there on invalid input.
	for i := 0; i < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(s[cut]); i++ {
		cut--
	}
	return s[:cut]
}

// Fail reports err as the reason a job of kind k failed: it prints the full
// message to stderr, which ends up in the job's CloudWatch logs, and writes
// it, truncated, to the failure file below p, which SageMaker shows as the
// failure reason. If the failure file cannot be written, the original
// message is still printed, followed by the write error, so the cause of the
// failure is never lost. A nil err is reported as "unknown error" rather than
// leaving the failure reason empty. Fail does not exit, so the caller
// chooses the exit status.
func Fail(stderr io.Writer, k Kind, p Paths, err error) {
	msg := "unknown error"
	if err != nil {
		msg = err.Error()
	}
	fmt.Fprintf(stderr, "%s job failed: %s\n", k, msg)
	if werr := WriteFailure(k.FailurePath(p), msg); werr != nil {
		fmt.Fprintf(stderr, "could not record failure reason: %v\n", werr)
	}
}

package sagemaker

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFailure(t *testing.T) {
	long := strings.Repeat("a", 1500)
	// "é" is two bytes, so 1023 bytes of 'a' followed by it puts byte 1024
	// in the middle of the character.
	midRune2 := strings.Repeat("a", 1023) + "é" + "tail"
	// "€" is three bytes; starting at 1022 it spans bytes 1022-1024.
	midRune3 := strings.Repeat("a", 1022) + "€" + "tail"
	// "😀" is four bytes; starting at 1021 it spans bytes 1021-1024.
	midRune4 := strings.Repeat("a", 1021) + "😀" + "tail"
	// A rune ending exactly at the limit must be kept.
	endsAtLimit := strings.Repeat("a", 1022) + "é" + "tail"
	allMultiByte := strings.Repeat("€", 500)

	tests := []struct {
		name string
		msg  string
		want string
	}{
		{"empty", "", ""},
		{"short", "train: epochs must be positive", "train: epochs must be positive"},
		{"multi-line", "line one\nline two\n", "line one\nline two\n"},
		{"exactly 1024", strings.Repeat("x", 1024), strings.Repeat("x", 1024)},
		{"1025 bytes", strings.Repeat("x", 1025), strings.Repeat("x", 1024)},
		{"long ASCII keeps start", "START" + long, ("START" + long)[:1024]},
		{"cut inside 2-byte rune", midRune2, strings.Repeat("a", 1023)},
		{"cut inside 3-byte rune", midRune3, strings.Repeat("a", 1022)},
		{"cut inside 4-byte rune", midRune4, strings.Repeat("a", 1021)},
		{"rune ends at limit", endsAtLimit, strings.Repeat("a", 1022) + "é"},
		{"all 3-byte runes", allMultiByte, strings.Repeat("€", 341)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "output", "failure")
			require.NoErrorf(t, WriteFailure(path, tc.msg), "WriteFailure(%q, <%d bytes>)", path, len(tc.msg))
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			got := string(data)
			assert.LessOrEqualf(t, len(got), MaxFailureBytes, "WriteFailure(<%d bytes>) wrote %d bytes, want at most %d", len(tc.msg), len(got), MaxFailureBytes)
			assert.Truef(t, utf8.ValidString(got), "WriteFailure(<%d bytes>) wrote invalid UTF-8 %q", len(tc.msg), got)
			assert.Truef(t, strings.HasPrefix(tc.msg, got), "WriteFailure(<%d bytes>) wrote %q, want a prefix of the message", len(tc.msg), got)
			assert.Equalf(t, tc.want, got, "WriteFailure(<%d bytes>) wrote %q, want %q", len(tc.msg), got, tc.want)
		})
	}
}

func TestWriteFailureCreatesParentDirs(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "a", "b", "c", "failure")
	require.NoErrorf(t, WriteFailure(path, "boom"), "WriteFailure(%q, %q)", path, "boom")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equalf(t, "boom", string(data), "WriteFailure(%q, %q) wrote %q, want %q", path, "boom", data, "boom")
}

func TestWriteFailureReplacesExisting(t *testing.T) {
	path := writeFile(t, "failure", "an older, longer message")
	require.NoError(t, WriteFailure(path, "new"))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equalf(t, "new", string(data), "WriteFailure(%q, %q) left %q, want %q", path, "new", data, "new")
}

func TestWriteFailureError(t *testing.T) {
	// A regular file where a directory is needed makes MkdirAll fail
	// regardless of the user's permissions.
	blocker := writeFile(t, "blocker", "")
	path := filepath.Join(blocker, "output", "failure")
	err := WriteFailure(path, "boom")
	assert.Errorf(t, err, "WriteFailure(%q, %q) = nil, want error", path, "boom")
}

func TestTruncateUTF8InvalidInput(t *testing.T) {
	// Continuation bytes with no start byte: the cut must not walk back
	// further than one character's worth of bytes.
	s := strings.Repeat("a", 10) + strings.Repeat("\x80", 10)
	got := truncateUTF8(s, 15)
	want := s[:12]
	assert.Equalf(t, want, got, "truncateUTF8(%q, 15) = %q, want %q", s, got, want)
}

func TestFail(t *testing.T) {
	tests := []struct {
		kind     Kind
		err      error
		wantFile string
		wantMsg  string
		wantOut  string
	}{
		{Training, errors.New("epochs: must be positive"), "output/failure", "epochs: must be positive", "training job failed: epochs: must be positive\n"},
		{Processing, errors.New("no input files"), "output/message", "no input files", "processing job failed: no input files\n"},
		{Training, nil, "output/failure", "unknown error", "training job failed: unknown error\n"},
	}
	for _, tc := range tests {
		root := t.TempDir()
		var stderr bytes.Buffer
		Fail(&stderr, tc.kind, Paths{Root: root}, tc.err)

		assert.Equalf(t, tc.wantOut, stderr.String(), "Fail(%v, %v) stderr = %q, want %q", tc.kind, tc.err, stderr.String(), tc.wantOut)
		path := filepath.Join(root, tc.wantFile)
		data, err := os.ReadFile(path)
		if assert.NoErrorf(t, err, "Fail(%v, %v) did not write %s", tc.kind, tc.err, path) {
			assert.Equalf(t, tc.wantMsg, string(data), "Fail(%v, %v) wrote %q, want %q", tc.kind, tc.err, data, tc.wantMsg)
		}
	}
}

func TestFailLongMessage(t *testing.T) {
	// stderr keeps the whole message for the logs; only the file is cut.
	msg := strings.Repeat("é", 1000)
	root := t.TempDir()
	var stderr bytes.Buffer
	Fail(&stderr, Training, Paths{Root: root}, errors.New(msg))

	assert.Containsf(t, stderr.String(), msg, "Fail(<%d bytes>) stderr = <%d bytes>, want the full message", len(msg), stderr.Len())
	data, err := os.ReadFile(Training.FailurePath(Paths{Root: root}))
	require.NoError(t, err)
	want := strings.Repeat("é", 512)
	assert.Equalf(t, want, string(data), "Fail(<%d bytes>) wrote <%d bytes>, want <%d bytes>", len(msg), len(data), len(want))
}

func TestFailWriteErrorKeepsMessage(t *testing.T) {
	root := writeFile(t, "not-a-dir", "")
	var stderr bytes.Buffer
	Fail(&stderr, Processing, Paths{Root: root}, errors.New("the real cause"))

	out := stderr.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Lenf(t, lines, 2, "Fail with unwritable root: stderr = %q, want 2 lines", out)
	assert.Equalf(t, "processing job failed: the real cause", lines[0], "Fail with unwritable root: first line = %q, want the original message", lines[0])
	assert.Containsf(t, lines[1], "could not record failure reason", "Fail with unwritable root: second line = %q, want the write error", lines[1])
	assert.Containsf(t, lines[1], root, "Fail with unwritable root: second line = %q, want it to name the path", lines[1])
}

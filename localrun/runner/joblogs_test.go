package runner

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDrillFailedJobShowsItsLog: the preprocess job writes lines and
// fails. With -quiet its lines are not streamed, but the failure still
// shows the last ten lines of its log and the log's path, in the progress
// and in the summary.
func TestDrillFailedJobShowsItsLog(t *testing.T) {
	d := drill(t, Options{
		Binaries: map[string]string{"preprocess": testBinary(t)},
		JobEnv:   []string{drillJobEnv + "=noisy-failure"},
		Quiet:    true,
	})
	require.Equal(t, "FAILED", d.Training.Status, d.out)
	require.Len(t, d.FailedJobs, 1, d.out)
	l := d.FailedJobs[0]
	assert.True(t, strings.HasPrefix(l.Job, "mlp-dev-preprocess-"), l.Job)
	assert.Equal(t, "algo-1", l.Host)
	assert.Equal(t, filepath.Join(d.runDir, "jobs", l.Job, "algo-1.log"), l.Path)
	nonEmpty(t, l.Path)
	want := []string{}
	for i := 4; i <= 12; i++ {
		want = append(want, fmt.Sprintf("drill: step %d", i))
	}
	want = append(want, "drill: giving up")
	assert.Equal(t, want, l.Tail, "the log's last ten lines")

	var shown strings.Builder
	fmt.Fprintf(&shown, "     job %s failed; the last 10 lines of algo-1's log %s:\n", l.Job, l.Path)
	for _, line := range want {
		fmt.Fprintf(&shown, "     ! %s\n", line)
	}
	assert.Contains(t, d.out, shown.String(), "the progress shows the tail and the path")
	assert.Contains(t, d.out, "  failed job:   "+l.Job+" algo-1, log "+l.Path+"\n", "the summary names the log")
	assert.NotContains(t, d.out, "     | ", "-quiet streams no job lines")
	assert.NotContains(t, d.out, "drill: step 3\n", "only the last ten lines")
}

package runner

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// logTail is how many of the last log lines a failed job shows.
const logTail = 10

// JobLog is the log of one host of a failed job.
type JobLog struct {
	// Job is the job's name, Host the instance (algo-1, ...).
	Job, Host string
	// Path is the log file, RunDir/jobs/<job>/<host>.log.
	Path string
	// Tail is the log's last lines, at most ten.
	Tail []string
}

// jobLogs returns the logs of every host of the job, in host order; a job
// that never started has none.
func jobLogs(runDir, job string) []JobLog {
	paths, _ := filepath.Glob(filepath.Join(runDir, "jobs", job, "*.log"))
	sort.Strings(paths)
	var logs []JobLog
	for _, p := range paths {
		tail, err := lastLines(p, logTail)
		if err != nil {
			continue
		}
		logs = append(logs, JobLog{Job: job, Host: strings.TrimSuffix(filepath.Base(p), ".log"), Path: p, Tail: tail})
	}
	return logs
}

// lastLines returns the last n lines of the file at p.
func lastLines(p string, n int) ([]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines, sc.Err()
}

// jobOutput is where the jobs' own lines go: under their state in the
// progress, each prefixed with its log stream, unless Options.Quiet.
func jobOutput(opt Options) io.Writer {
	if opt.Quiet {
		return io.Discard
	}
	return prefixWriter{w: opt.Out, prefix: "     | "}
}

// printJobLogs shows the last lines of a failed job's logs and where the
// whole logs are.
func printJobLogs(out io.Writer, logs []JobLog) {
	for _, l := range logs {
		var b strings.Builder
		fmt.Fprintf(&b, "     job %s failed; the last %d lines of %s's log %s:\n", l.Job, len(l.Tail), l.Host, l.Path)
		for _, line := range l.Tail {
			fmt.Fprintf(&b, "     ! %s\n", line)
		}
		io.WriteString(out, b.String())
	}
}

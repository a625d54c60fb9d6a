package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// Sample is one measured process run.
type Sample struct {
	// Wall is the elapsed wall time from start to exit.
	Wall time.Duration
	// MaxRSSKB is the peak resident set size of the process in KiB, as
	// getrusage reports it on Linux.
	MaxRSSKB int64
}

// Measure runs name with args, with env added to this process's
// environment, sends its output to logPath and returns the wall time and
// peak RSS of the process. A non-zero exit is an error that quotes the end
// of the log.
func Measure(logPath string, env []string, name string, args ...string) (Sample, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return Sample{}, err
	}
	defer log.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		tail, _ := os.ReadFile(logPath)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return Sample{}, fmt.Errorf("%s %v: %w\n%s", name, args, err, bytes.TrimSpace(tail))
	}
	s := Sample{Wall: wall}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.MaxRSSKB = int64(ru.Maxrss)
	}
	return s, nil
}

// Median is the per-field median of samples: wall times and peak RSS are
// taken separately.
func Median(samples []Sample) Sample {
	if len(samples) == 0 {
		return Sample{}
	}
	walls := make([]time.Duration, len(samples))
	rss := make([]int64, len(samples))
	for i, s := range samples {
		walls[i], rss[i] = s.Wall, s.MaxRSSKB
	}
	slices.Sort(walls)
	slices.Sort(rss)
	n := len(samples)
	if n%2 == 1 {
		return Sample{Wall: walls[n/2], MaxRSSKB: rss[n/2]}
	}
	return Sample{Wall: (walls[n/2-1] + walls[n/2]) / 2, MaxRSSKB: (rss[n/2-1] + rss[n/2]) / 2}
}

//go:build !unix

package main

// reexec is nil where a program cannot replace itself: the banner stays.
var reexec func(exe string, args, env []string) error

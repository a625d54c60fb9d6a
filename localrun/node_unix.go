//go:build unix

package main

import "syscall"

// reexec replaces the running program with exe, as exec(3) does.
var reexec = syscall.Exec

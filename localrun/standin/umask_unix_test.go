//go:build unix

package standin

import "syscall"

// setUmask sets the process's file mode creation mask, which the job
// processes inherit.
func setUmask(mask int) { syscall.Umask(mask) }

//go:build !unix

package standin

// setUmask does nothing where there is no umask.
func setUmask(int) {}

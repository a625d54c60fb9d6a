//go:build !unix

package local

// setUmask does nothing where there is no umask.
func setUmask(int) {}

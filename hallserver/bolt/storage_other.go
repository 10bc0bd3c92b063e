//go:build !linux

package bolt

// freeBytes is unknown (-1) outside Linux: /healthz then checks the last commit only.
func freeBytes(dir string) int64 { return -1 }

//go:build !linux

package bolt

// dropCache is a no-op where posix_fadvise is not available: the cold figure is then warm.
func dropCache(string) error { return nil }

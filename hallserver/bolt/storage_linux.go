package bolt

import "golang.org/x/sys/unix"

// freeBytes is the space on the file system of dir that an unprivileged process may still use
// (statfs f_bavail × f_bsize); -1 when statfs fails.
func freeBytes(dir string) int64 {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

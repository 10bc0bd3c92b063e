package bolt

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCache asks the kernel to drop the file's pages from the page cache, so that the next
// open reads from the disk (benchmarks of cold start-up).
func dropCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

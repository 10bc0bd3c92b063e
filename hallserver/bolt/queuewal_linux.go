package bolt

import (
	"os"
	"syscall"
)

// fdatasync flushes the file's data (and the size, when it grew) to the disk, not its
// timestamps: what a WAL append needs, as bbolt does on Linux.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }

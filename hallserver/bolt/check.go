package bolt

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/enginehost"
)

// The data-file checks. bbolt maps the file into memory and trusts it: a page past the end of a
// truncated file is a SIGBUS, a damaged page a panic, both a crash with a Go dump, and bbolt
// quietly turns a 0-byte file into a new empty database. So before a file is opened for writing
// (Open, RestoreFile) it is checked read-only, without writing a byte of it:
//
//   - a 0-byte file is refused unless Options.Init (a missing file is created as before);
//   - the file must open as a bbolt file (magic, version and checksum of a meta page);
//   - the file must be at least as long as its meta page says: bbolt's tx.Size() is the meta
//     page's high-water mark (pgid) times the page size, the bytes every page of the data lives
//     in (the file may be longer: bbolt grows it ahead);
//   - with Options.Check (hallserver -check) and always for a restore: every key and value of
//     every bucket is read once, with faults turned into errors (debug.SetPanicOnFault), and
//     bbolt's own consistency check tx.Check runs (page types, references, freelist).
//
// Each failure is one line naming the file and the cause.

// Options are the checks Open runs on an existing file before it opens it for writing.
type Options struct {
	// Init lets Open start a new database in an existing empty (0-byte) file. Without it an
	// empty file is refused: where a data file is expected, an empty one means its data was lost.
	Init bool
	// Check reads the whole file and runs bbolt's consistency check (tx.Check) before opening.
	Check bool
	// Failpoint, when set, is called at the named points of the group committers
	// (enginehost.PointEnqueue, enginehost.PointCommit): fault injection for tests, like bbolt's
	// gofail failpoints. Production leaves it nil.
	Failpoint enginehost.Failpoint
}

// ErrDamaged is wrapped by the errors of a data file that is empty, truncated or damaged.
var ErrDamaged = errors.New("damaged data file")

// CheckFile checks the bbolt file at path without writing to it: it must not be empty, must be a
// bbolt file and at least as long as its meta page says; with full, every key and value is read
// and tx.Check must find nothing. A missing file is an error wrapping fs.ErrNotExist; a file
// held by a running server fails after LockTimeout.
func CheckFile(path string, full bool) error {
	if err := checkFile(path, path, full); err != nil {
		return fmt.Errorf("bolt: %w", err)
	}
	return nil
}

// checkFile is CheckFile naming the file name in its messages.
func checkFile(path, name string, full bool) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("check %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", name)
	}
	if info.Size() == 0 {
		return fmt.Errorf("%s is empty (0 bytes): %w", name, ErrDamaged)
	}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: LockTimeout, ReadOnly: true})
	if errors.Is(err, bbolt.ErrTimeout) {
		return fmt.Errorf("%s is locked by another process (is a hallserver already running on it?): %w", name, err)
	} else if err != nil {
		return fmt.Errorf("%s is not a OneDoor data file (%s): %w", name, oneLine(err), ErrDamaged)
	}
	defer b.Close()
	return b.View(func(tx *bbolt.Tx) error {
		if want := tx.Size(); info.Size() < want {
			return fmt.Errorf("%s is truncated: its meta page says the data runs to %d bytes, the file has %d: %w", name, want, info.Size(), ErrDamaged)
		}
		if !full {
			return nil
		}
		if err := readAll(tx); err != nil {
			return fmt.Errorf("%s is damaged: %s: %w", name, oneLine(err), ErrDamaged)
		}
		var first error
		n := 0
		for err := range tx.Check() { // drain: Check's goroutine sends every error it finds
			if first == nil {
				first = err
			}
			n++
		}
		if first != nil {
			return fmt.Errorf("%s is damaged: consistency check found %d problem(s), the first: %s: %w", name, n, oneLine(first), ErrDamaged)
		}
		return nil
	})
}

// readAll reads every key and value of every bucket once, in a goroutine where a fault on the
// mapped file (a page out of the file) is a panic, and every panic (bbolt panics on a page of the
// wrong type) an error.
func readAll(tx *bbolt.Tx) error {
	errc := make(chan error, 1)
	go func() {
		debug.SetPanicOnFault(true)
		defer func() {
			if r := recover(); r != nil {
				errc <- fmt.Errorf("reading the file failed: %v", r)
			}
		}()
		var walk func(c *bbolt.Cursor, depth int) error
		walk = func(c *bbolt.Cursor, depth int) error {
			if depth > 16 {
				return errors.New("buckets nested too deep")
			}
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if v != nil {
					crc32.ChecksumIEEE(v) // touch every byte of the value
					continue
				}
				if b := c.Bucket().Bucket(k); b != nil {
					if err := walk(b.Cursor(), depth+1); err != nil {
						return err
					}
				}
			}
			return nil
		}
		errc <- walk(tx.Cursor(), 0)
	}()
	return <-errc
}

// oneLine keeps an error message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// checkBeforeOpen applies Options to the file at path before Open opens it for writing. A
// missing file is fine (bbolt creates it); an empty one only with Init.
func checkBeforeOpen(path string, o Options) error {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("bolt: %w", err)
	}
	if info.Mode().IsRegular() && info.Size() == 0 {
		if o.Init {
			return nil
		}
		return fmt.Errorf("bolt: %s is empty (0 bytes): %w; restore a backup (hallctl restore), or start hallserver with -init to begin a new database in it", path, ErrDamaged)
	}
	if err := checkFile(path, path, o.Check); err != nil {
		if errors.Is(err, ErrDamaged) {
			return fmt.Errorf("bolt: %w; restore a backup (hallctl restore)", err)
		}
		return fmt.Errorf("bolt: %w", err)
	}
	return nil
}

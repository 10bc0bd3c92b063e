package bolt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/enginehost"
)

// LockTimeout is how long Open waits for the file lock held by another process.
const LockTimeout = 2 * time.Second

// DB is an open bbolt file.
type DB struct {
	bolt *bbolt.DB
	path string
	// health is the outcome of the last commit (storage.go).
	health storageHealth
	// failpoint is Options.Failpoint (nil in production).
	failpoint enginehost.Failpoint
	// qlog is the write-ahead log of the halls' queues (queuewal.go).
	qlog *queueLog
}

// Open opens (creating it and its parent directory when needed) the bbolt file at path, after
// the checks of OpenWith with no options: an empty, truncated or foreign file is refused
// (check.go). When another process (a running hallserver) holds the file, Open fails after
// LockTimeout with an error that says so.
func Open(path string) (*DB, error) { return OpenWith(path, Options{}) }

// OpenWith is Open with the options of the checks made before the file is opened for writing:
// Init lets an empty file become a new database, Check reads and checks the whole file first.
// A refused file is left exactly as it was; the error is one line and wraps ErrDamaged.
func OpenWith(path string, o Options) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("bolt: create data directory: %w", err)
		}
	}
	if err := checkBeforeOpen(path, o); err != nil {
		return nil, err
	}
	b, err := openBolt(path)
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("bolt: %s is locked by another process (is a hallserver already running on it?): %w", path, err)
	} else if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path, failpoint: o.Failpoint}
	db.health.probeEvery = storageProbeEvery
	removeStaleSnapshots(path)
	if err := db.ensureBuckets(bucketTickets, bucketTokens, bucketMeta, bucketIdem, bucketStaff, bucketDevices, bucketSessions); err != nil {
		b.Close()
		return nil, fmt.Errorf("bolt: init %s: %w", path, err)
	}
	if db.qlog, err = openQueueLog(db); err != nil {
		b.Close()
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	return db, nil
}

// openBolt opens the file for writing. bbolt panics on some damaged pages it reads while opening
// (the freelist): that becomes an error wrapping ErrDamaged instead of a crash.
func openBolt(path string) (b *bbolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("the file is damaged (%v): %w; hallserver -check tells more; restore a backup", r, ErrDamaged)
		}
	}()
	return bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:      LockTimeout,
		FreelistType: bbolt.FreelistMapType,
		// Map generously up front so that growth seldom remaps (a remap waits for all readers).
		InitialMmapSize: 64 << 20,
	})
}

// ensureBuckets creates the top-level buckets that do not exist yet; when all exist it only reads
// (a write transaction would cost a commit with two fsyncs at every start).
func (db *DB) ensureBuckets(names ...[]byte) error {
	missing := false
	db.bolt.View(func(tx *bbolt.Tx) error {
		for _, name := range names {
			if tx.Bucket(name) == nil {
				missing = true
			}
		}
		return nil
	})
	if !missing {
		return nil
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, name := range names {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
}

// Path returns the file path.
func (db *DB) Path() string { return db.path }

// Close writes what the queue's write-ahead log holds to the file and closes it. Close the Queue
// first.
func (db *DB) Close() error {
	qerr := db.qlog.close()
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("bolt: close: %w", err)
	}
	if qerr != nil {
		return fmt.Errorf("bolt: close: %w", qerr)
	}
	return nil
}

// Backup writes a consistent copy of the whole file to w while the server keeps serving. It
// takes a Snapshot first, so that the read transaction lasts only as long as a local copy,
// however slowly w takes the bytes. It returns the number of bytes written.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	snap, err := db.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	defer snap.Close()
	n, err := io.Copy(ctxWriter{ctx, w}, snap)
	if err != nil {
		return n, fmt.Errorf("bolt: backup: %w", err)
	}
	return n, nil
}

// A Snapshot is a consistent copy of the data file in a temporary file next to it (same file
// system, same permissions), ready to be streamed. Close removes it. Stale snapshot files (a
// process killed while streaming) are removed by the next Open.
type Snapshot struct {
	f    *os.File
	size int64
}

// snapshotPattern names the temporary snapshot files of the data file at path.
func snapshotPattern(path string) string { return "." + filepath.Base(path) + ".backup-*" }

// Snapshot copies the file to a temporary file next to it in one read transaction. A read
// transaction keeps bbolt from remapping the file, so every commit that needs the file to grow
// past its map waits for it: here it lasts only as long as the local copy, never as long as a
// download. ctx is checked before and after the copy.
func (db *DB) Snapshot(ctx context.Context) (*Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: snapshot: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(db.path), snapshotPattern(db.path))
	if err != nil {
		return nil, fmt.Errorf("bolt: snapshot: %w", err)
	}
	fail := func(err error) (*Snapshot, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("bolt: snapshot: %w", err)
	}
	// Every acknowledged queue change goes into the copy: write the WAL to the file first.
	if err := db.qlog.flush(); err != nil {
		return fail(err)
	}
	var n int64
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(f)
		return err
	})
	if err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	return &Snapshot{f: f, size: n}, nil
}

// Size is the length of the copy in bytes.
func (s *Snapshot) Size() int64 { return s.size }

// Read reads the copy from its beginning on.
func (s *Snapshot) Read(p []byte) (int, error) { return s.f.Read(p) }

// Close closes and removes the temporary file.
func (s *Snapshot) Close() error {
	cerr := s.f.Close()
	if err := os.Remove(s.f.Name()); err != nil {
		return fmt.Errorf("bolt: snapshot: %w", err)
	}
	if cerr != nil {
		return fmt.Errorf("bolt: snapshot: %w", cerr)
	}
	return nil
}

// removeStaleSnapshots removes the snapshot files a killed process left next to path. Open calls
// it once it holds the file's lock, so no other process is streaming one.
func removeStaleSnapshots(path string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), snapshotPattern(path)))
	for _, name := range stale {
		os.Remove(name)
	}
}

// ctxWriter stops a long copy when its context ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// RestoreFile replaces the bbolt file at path with the backup read from src. The server must be
// stopped: RestoreFile refuses when another process holds the file. It writes a temporary file
// next to path, syncs it, checks it through (CheckFile with full: length, every page read,
// tx.Check) and that it has OneDoor's buckets, and renames
// it over path (atomic on POSIX file systems), so path is either the old or the new file.
func RestoreFile(src io.Reader, path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bolt: restore: %w", err)
	}
	if _, err := os.Stat(path); err == nil {
		// Refuse while a server has it open (bbolt holds an exclusive flock).
		cur, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 200 * time.Millisecond, ReadOnly: true})
		if errors.Is(err, bbolt.ErrTimeout) {
			return fmt.Errorf("bolt: restore: %s is in use by another process; stop the server first", path)
		} else if err == nil {
			cur.Close()
		}
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".restore-*")
	if err != nil {
		return fmt.Errorf("bolt: restore: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op after the rename
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return fmt.Errorf("bolt: restore: copy: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("bolt: restore: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("bolt: restore: %w", err)
	}
	if err := checkFile(tmpName, "the backup", true); err != nil {
		return fmt.Errorf("bolt: restore: %w; %s is unchanged", err, path)
	}
	if err := verifyFile(tmpName); err != nil {
		return fmt.Errorf("bolt: restore: the backup is not a usable OneDoor file: %w; %s is unchanged", err, path)
	}
	if err := os.Chmod(tmpName, 0o600); err != nil {
		return fmt.Errorf("bolt: restore: %w", err)
	}
	// The queue's write-ahead log belongs to the file being replaced: replayed onto the
	// backup it would bring back what the restore takes away.
	if err := removeWAL(path); err != nil {
		return fmt.Errorf("bolt: restore: remove the old queue log: %w", err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("bolt: restore: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// verifyFile opens a bbolt file read-only and checks that it has the OneDoor buckets.
func verifyFile(path string) error {
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		return err
	}
	defer b.Close()
	return b.View(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketTickets, bucketMeta} {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("bucket %s missing", name)
			}
		}
		return nil
	})
}

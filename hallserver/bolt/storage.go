package bolt

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/enginehost"
)

// StorageState is the health of the data file's storage, for /healthz and the metrics.
type StorageState struct {
	// FreeBytes is the space left for the server on the data file's file system; -1 where the
	// system cannot say (freeBytes in storage_*.go).
	FreeBytes int64
	// CommitError is the error of the last commit when it failed (nil when it succeeded, or
	// before the first); CommitErrorAt is when it failed.
	CommitError   error
	CommitErrorAt time.Time
}

// CommitReason is CommitError said briefly, without file paths (it goes to unauthenticated
// /healthz): the system error ("no space left on device") when there is one.
func (s StorageState) CommitReason() string {
	if s.CommitError == nil {
		return ""
	}
	var errno syscall.Errno
	if errors.As(s.CommitError, &errno) {
		return errno.Error()
	}
	if errors.Is(s.CommitError, enginehost.ErrInjected) {
		return enginehost.ErrInjected.Error()
	}
	return "storage error"
}

// storageProbeEvery is how often Storage tries a small write while the last commit failed: a
// quiet server (kiosks wait for /healthz before they issue again) would otherwise never commit
// again to find out that the storage is back.
const storageProbeEvery = 5 * time.Second

// storageHealth records the outcome of the last commit (the group committers of Queue and Cases,
// and Storage's probe).
type storageHealth struct {
	mu         sync.Mutex
	err        error
	at         time.Time
	lastProbe  time.Time
	probeEvery time.Duration
}

// noteCommit records the outcome of a commit of the group committers.
func (db *DB) noteCommit(err error) {
	h := &db.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.err = nil
		return
	}
	h.err, h.at = err, time.Now()
}

// Storage reports the free space of the data file's file system and the last commit's error.
// While the last commit failed it first tries one small write (5 s after the failure, then at
// most every 5 s), so the state clears once the storage works again, without waiting for the
// next ticket.
func (db *DB) Storage() StorageState {
	h := &db.health
	h.mu.Lock()
	last := h.lastProbe
	if h.at.After(last) {
		last = h.at
	}
	probe := h.err != nil && time.Since(last) >= h.probeEvery
	if probe {
		h.lastProbe = time.Now()
	}
	h.mu.Unlock()
	if probe {
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bucketHealth)
			if err != nil {
				return err
			}
			return b.Put([]byte("probe"), []byte(time.Now().UTC().Format(time.RFC3339Nano)))
		})
		if err != nil {
			err = fmt.Errorf("bolt: storage probe: %w", err)
		}
		db.noteCommit(err)
	}
	st := StorageState{FreeBytes: freeBytes(filepath.Dir(db.path))}
	h.mu.Lock()
	st.CommitError, st.CommitErrorAt = h.err, h.at
	h.mu.Unlock()
	return st
}

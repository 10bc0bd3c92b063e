package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/enginehost"
)

// The queue log's write-ahead log (layout: doc.go, "The queue write-ahead log").
//
// A bbolt commit costs two fdatasyncs (the pages, then the meta page) and a page per random key
// (follow tokens). The halls' queue changes are acknowledged one at a time to kiosks, so that
// cost is on the path of every ticket. Here a batch of queue changes is durable when one record
// holding all of them is appended to the WAL and fdatasync'd: the least any durable server does.
// The changes are then kept in memory (the overlay, which the reads of committed tickets, tokens,
// events and idempotency keys look at before the file) and written to the bbolt file in bulk by
// a checkpoint every walCheckpointEvery (or walCheckpointChanges changes): one bbolt transaction,
// with its two fdatasyncs, for hundreds of changes. A checkpoint stores the LSN of the last record
// it wrote (bucket "wal"); Open replays the records after it, so a crash loses nothing that was
// acknowledged.
//
// Segments are recycled: a segment that a checkpoint has written to the file is kept as a spare
// (up to walSpares), and the next segment is made from it, records written over the old ones
// from the start. Writing over blocks the file already has makes the fdatasync write the data
// and flush the disk only, without the inode's size and block map that an appending write must
// also make durable (measured on this project's ext4: p50 0.33–0.39 ms against 0.6–1.3 ms). Until
// a spare exists (the first two segments after start) records are appended to a growing file.

// Tuning of the queue WAL.
const (
	// walSegmentBytes is the size past which a growing segment is followed by a new one (a
	// recycled segment holds as much as its file).
	walSegmentBytes = 8 << 20
	// walSpares is how many checkpointed segments are kept for reuse.
	walSpares = 2
	// walCheckpointEvery is how long a committed queue change waits at most before it is written
	// to the bbolt file.
	walCheckpointEvery = 100 * time.Millisecond
	// walCheckpointChanges checkpoints at once when this many changes wait.
	walCheckpointChanges = 4096
	// walMaxPending bounds the changes held in memory while checkpoints fail (the bbolt file
	// cannot be written): past it queue commits fail too.
	walMaxPending = 100_000
	// walRetry is the pause before a failed checkpoint is tried again.
	walRetry = time.Second
)

// walMagic starts every segment file; the first LSN of the segment follows (8 bytes).
var walMagic = [8]byte{'O', 'D', 'Q', 'W', 'A', 'L', '1', '\n'}

const walHeaderSize = 16

var walCRC = crc32.MakeTable(crc32.Castagnoli)

// Bucket and key of the LSN of the last WAL record written to the file by a checkpoint.
var (
	bucketWAL  = []byte("wal")
	walApplied = []byte("applied")
)

// errWALClosed is the error of a commit after Close.
var errWALClosed = errors.New("bolt: the queue log is closed")

// ticketWrite is a ticket of a queue change as the WAL and the checkpoint write it.
type ticketWrite struct {
	id    string
	val   []byte // JSON of hall.Ticket
	token string // the follow token, set when the change issues the ticket (written once)
	open  bool   // belongs in the open index
}

// eventWrite is an event of a queue change.
type eventWrite struct {
	seq uint64
	val []byte // JSON of hall.Event
}

// walSegment is a WAL segment file that is full (no longer appended to).
type walSegment struct {
	name        string
	first, last uint64
	size        int64 // the file's length: every block of it written
}

// walBatch is one WAL record: the changes of one group commit.
type walBatch struct {
	lsn uint64
	ws  []*queueWrite
}

// ovEntry is a value the overlay holds until a checkpoint has written it to the file.
type ovEntry struct {
	val []byte
	lsn uint64
}

// ovRef is a follow token's ticket ID in the overlay.
type ovRef struct {
	id  string
	lsn uint64
}

// ovEvent is an event in the overlay.
type ovEvent struct {
	seq uint64
	val []byte
	lsn uint64
}

// queueLog is the WAL of the halls' queues with its overlay and checkpointer. Its append is
// called by the queue's group committer only (one goroutine).
type queueLog struct {
	db   *DB
	path string // the data file; segments are path + "-wal-" + 16 hex digits of their first LSN

	appendMu sync.Mutex // held by append and close
	f        *os.File   // the segment appended to; nil until the first append
	size     int64      // the end of its records
	first    uint64     // its first LSN
	capacity int64      // for a recycled segment its file's length (written over, not grown); 0 when it grows
	next     uint64     // LSN of the next record
	buf      []byte

	// readMu keeps the overlay and the file consistent for a reader: readers hold it (read)
	// from their look into the overlay to the end of their bbolt transaction; a checkpoint
	// holds it (write) to forget what it wrote.
	readMu sync.RWMutex

	mu       sync.Mutex // the fields below
	pending  []walBatch // committed records not yet in the file, oldest first
	pendingN int        // changes in them
	tickets  map[string]ovEntry
	tokens   map[string]ovRef
	idem     map[string]ovEntry
	events   map[string][]ovEvent // per hall, seq order
	sealed   []walSegment
	applied  uint64       // LSN of the last record in the file
	ckptErr  error        // the last checkpoint's error (nil when it succeeded)
	spares   []walSegment // checkpointed segments ready for reuse (renamed to spareName)
	spareSeq int          // numbers the spare files
	broken   error        // a failed append could not be undone: no more commits
	closed   bool

	ckptMu sync.Mutex // serialises checkpoints
	kick   chan struct{}
	urgent chan struct{}
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// walPattern is the glob of the WAL segments of the data file at path.
func walPattern(path string) string { return path + "-wal-*" }

func walName(path string, first uint64) string { return fmt.Sprintf("%s-wal-%016x", path, first) }

// spareName is a checkpointed segment kept for reuse.
func spareName(path string, n int) string { return fmt.Sprintf("%s-wal-spare%d", path, n) }

// removeWAL deletes the WAL segments of the data file at path (a restore replaces the file).
func removeWAL(path string) error {
	names, _ := filepath.Glob(walPattern(path))
	for _, n := range names {
		if err := os.Remove(n); err != nil {
			return err
		}
	}
	return nil
}

// openQueueLog replays the records of the WAL segments next to the file that a checkpoint had not
// yet written (a crash), deletes the segments and starts the checkpointer.
func openQueueLog(db *DB) (*queueLog, error) {
	q := &queueLog{db: db, path: db.path,
		tickets: map[string]ovEntry{}, tokens: map[string]ovRef{}, idem: map[string]ovEntry{}, events: map[string][]ovEvent{},
		kick: make(chan struct{}, 1), urgent: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	var applied uint64
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bucketWAL); b != nil {
			if v := b.Get(walApplied); len(v) == 8 {
				applied = binary.BigEndian.Uint64(v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	names, _ := filepath.Glob(walPattern(db.path))
	batches, last, err := readWAL(names, applied)
	if err != nil {
		return nil, err
	}
	if len(batches) > 0 {
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			if err := writeQueue(tx, records(batches)...); err != nil {
				return err
			}
			return putApplied(tx, last)
		})
		if err != nil {
			return nil, fmt.Errorf("replay the queue log: %w", err)
		}
	}
	for _, n := range names {
		if err := os.Remove(n); err != nil {
			return nil, fmt.Errorf("remove the replayed queue log: %w", err)
		}
	}
	q.applied = max(applied, last)
	q.next = q.applied + 1
	go q.run()
	return q, nil
}

// readWAL reads the segments' records after applied, in LSN order. It stops at the first record
// that is torn or not the next LSN in its segment (the end of what was written); a gap between
// applied records and the next segment is damage.
func readWAL(names []string, applied uint64) (batches []walBatch, last uint64, err error) {
	type seg struct {
		name  string
		first uint64
	}
	var segs []seg
	for _, n := range names {
		i := strings.LastIndex(n, "-wal-")
		first, perr := strconv.ParseUint(n[i+len("-wal-"):], 16, 64)
		if perr != nil {
			continue // not ours
		}
		segs = append(segs, seg{n, first})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].first < segs[j].first })
	expect := applied + 1
	last = applied
	for _, s := range segs {
		b, err := os.ReadFile(s.name)
		if err != nil {
			return nil, 0, fmt.Errorf("read the queue log: %w", err)
		}
		if len(b) < walHeaderSize || [8]byte(b[:8]) != walMagic || binary.BigEndian.Uint64(b[8:16]) != s.first {
			continue // created but its header never made it to disk: nothing after it either
		}
		want := s.first
		for off := walHeaderSize; off+8 <= len(b); {
			n := int(binary.BigEndian.Uint32(b[off:]))
			sum := binary.BigEndian.Uint32(b[off+4:])
			if n < 8 || off+8+n > len(b) {
				break
			}
			payload := b[off+8 : off+8+n]
			if crc32.Checksum(payload, walCRC) != sum {
				break
			}
			lsn := binary.BigEndian.Uint64(payload)
			if lsn != want {
				break
			}
			want++
			off += 8 + n
			if lsn < expect {
				continue
			}
			if lsn > expect {
				return nil, 0, fmt.Errorf("the queue log misses records %d to %d (%s): %w", expect, lsn-1, filepath.Base(s.name), ErrDamaged)
			}
			ws, err := decodeBatch(payload[8:])
			if err != nil {
				return nil, 0, fmt.Errorf("the queue log's record %d: %v: %w", lsn, err, ErrDamaged)
			}
			batches = append(batches, walBatch{lsn: lsn, ws: ws})
			last, expect = lsn, lsn+1
		}
	}
	return batches, last, nil
}

func putApplied(tx *bbolt.Tx, lsn uint64) error {
	b, err := tx.CreateBucketIfNotExists(bucketWAL)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketWAL, err)
	}
	return b.Put(walApplied, binary.BigEndian.AppendUint64(nil, lsn))
}

// records are the changes of each WAL record, for writeQueue.
func records(batches []walBatch) [][]*queueWrite {
	out := make([][]*queueWrite, len(batches))
	for i, b := range batches {
		out[i] = b.ws
	}
	return out
}

// append makes a batch of prepared queue changes durable: one WAL record, written and
// fdatasync'd, then held in the overlay until a checkpoint writes it to the file. It calls the
// failpoint PointCommit first (an error fails the batch: nothing written).
func (q *queueLog) append(ws []*queueWrite) error {
	q.appendMu.Lock()
	defer q.appendMu.Unlock()
	err := q.db.failpoint.Hit(enginehost.PointCommit)
	if err == nil {
		q.mu.Lock()
		switch {
		case q.closed:
			err = errWALClosed
		case q.broken != nil:
			err = q.broken
		case q.ckptErr != nil && q.pendingN >= walMaxPending:
			err = fmt.Errorf("bolt: %d queue changes wait for the data file, which cannot be written: %w", q.pendingN, q.ckptErr)
		}
		q.mu.Unlock()
	}
	if err == nil {
		err = q.write(ws)
	}
	if err != nil {
		q.db.noteCommit(err)
		return err
	}
	lsn := q.next - 1
	q.mu.Lock()
	for _, w := range ws {
		w.lsn = lsn
		for i := range w.tickets {
			t := &w.tickets[i]
			q.tickets[t.id] = ovEntry{t.val, lsn}
			if t.token != "" {
				q.tokens[t.token] = ovRef{t.id, lsn}
			}
		}
		if w.idemKey != "" {
			q.idem[w.idemKey] = ovEntry{w.idemVal, lsn}
		}
		if len(w.events) > 0 {
			evs := q.events[w.hall]
			for _, e := range w.events {
				evs = append(evs, ovEvent{e.seq, e.val, lsn})
			}
			q.events[w.hall] = evs
		}
	}
	q.pending = append(q.pending, walBatch{lsn: lsn, ws: ws})
	q.pendingN += len(ws)
	urgent := q.pendingN >= walCheckpointChanges
	ckptErr := q.ckptErr
	q.mu.Unlock()
	q.db.noteCommit(ckptErr)
	select {
	case q.kick <- struct{}{}:
	default:
	}
	if urgent {
		select {
		case q.urgent <- struct{}{}:
		default:
		}
	}
	return nil
}

// write appends one record holding ws to the segment and fdatasyncs it. A failed write is cut
// off again, so that a change reported as failed is never replayed.
func (q *queueLog) write(ws []*queueWrite) error {
	// The hall's latest meta is written once per batch: encode it for the last change of each
	// hall only.
	var halls []string
	for i := len(ws) - 1; i >= 0; i-- {
		w := ws[i]
		if w.metaSrc == nil || slices.Contains(halls, w.hall) {
			continue
		}
		halls = append(halls, w.hall)
		m, err := encodeMeta(w.metaSrc)
		if err != nil {
			return err
		}
		w.meta = m
	}
	buf := append(q.buf[:0], make([]byte, 16)...)
	binary.BigEndian.PutUint64(buf[8:], q.next)
	buf = binary.AppendUvarint(buf, uint64(len(ws)))
	for _, w := range ws {
		buf = w.appendTo(buf)
	}
	binary.BigEndian.PutUint32(buf[0:], uint32(len(buf)-8))
	binary.BigEndian.PutUint32(buf[4:], crc32.Checksum(buf[8:], walCRC))
	if err := q.segment(len(buf)); err != nil {
		q.buf = buf[:0]
		return err
	}
	_, err := q.f.WriteAt(buf, q.size)
	if err == nil {
		err = fdatasync(q.f)
	}
	if cap(buf) <= 1<<20 {
		q.buf = buf[:0]
	} else {
		q.buf = nil
	}
	if err != nil {
		err = fmt.Errorf("bolt: append to the queue log: %w", err)
		if q.capacity > 0 {
			// Zeros over the record (the blocks are the file's already): nothing of it can be
			// read back.
			if _, werr := q.f.WriteAt(make([]byte, len(buf)), q.size); werr != nil {
				q.setBroken(fmt.Errorf("%w; wiping it failed too (%v): restart the server", err, werr))
			} else if serr := fdatasync(q.f); serr != nil {
				q.setBroken(fmt.Errorf("%w; wiping it failed too (%v): restart the server", err, serr))
			}
		} else if terr := q.f.Truncate(q.size); terr != nil {
			q.setBroken(fmt.Errorf("%w; cutting it off failed too (%v): restart the server", err, terr))
		} else if serr := fdatasync(q.f); serr != nil {
			q.setBroken(fmt.Errorf("%w; cutting it off failed too (%v): restart the server", err, serr))
		}
		return err
	}
	q.size += int64(len(buf))
	q.next++
	return nil
}

func (q *queueLog) setBroken(err error) {
	q.mu.Lock()
	q.broken = err
	q.mu.Unlock()
}

// segment makes sure there is a segment with room for a record of n bytes, starting a new one
// when the current one is full, or when it grows and a spare is there to write over. A new
// segment's header and directory entry are synced before records go into it.
func (q *queueLog) segment(n int) error {
	need := int64(n)
	q.mu.Lock()
	var spare walSegment
	if k := len(q.spares); k > 0 && q.spares[k-1].size >= walHeaderSize+need {
		spare = q.spares[k-1]
	}
	q.mu.Unlock()
	if q.f != nil {
		if q.capacity > 0 && q.size+need <= q.capacity {
			return nil
		}
		if q.capacity == 0 && q.size < walSegmentBytes && spare.name == "" {
			return nil
		}
	}
	name := walName(q.path, q.next)
	var (
		f        *os.File
		capacity int64
		err      error
	)
	if spare.name != "" {
		q.mu.Lock()
		q.spares = q.spares[:len(q.spares)-1]
		q.mu.Unlock()
		if err = os.Rename(spare.name, name); err == nil {
			f, err = os.OpenFile(name, os.O_RDWR, 0o600)
		}
		if err == nil {
			capacity = spare.size
		} else {
			os.Remove(name)
		}
	}
	if f == nil {
		if f, err = os.OpenFile(name, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600); err != nil {
			return fmt.Errorf("bolt: start a queue log segment: %w", err)
		}
	}
	// The header names the segment's first LSN: records left from the segment's earlier use
	// have lower LSNs and end the replay (readWAL).
	var h [walHeaderSize]byte
	copy(h[:], walMagic[:])
	binary.BigEndian.PutUint64(h[8:], q.next)
	if _, err := f.WriteAt(h[:], 0); err != nil {
		f.Close()
		os.Remove(name)
		return fmt.Errorf("bolt: start a queue log segment: %w", err)
	}
	if err := fdatasync(f); err != nil {
		f.Close()
		os.Remove(name)
		return fmt.Errorf("bolt: start a queue log segment: %w", err)
	}
	syncDir(filepath.Dir(name))
	if q.f != nil {
		q.f.Close()
		size := q.size
		if q.capacity > size {
			size = q.capacity
		}
		q.mu.Lock()
		q.sealed = append(q.sealed, walSegment{name: walName(q.path, q.first), first: q.first, last: q.next - 1, size: size})
		q.mu.Unlock()
	}
	q.f, q.size, q.first, q.capacity = f, walHeaderSize, q.next, capacity
	return nil
}

// recycle keeps a checkpointed segment as a spare (up to walSpares of them, the larger first) and
// deletes the others.
func (q *queueLog) recycle(s walSegment) {
	q.mu.Lock()
	take := len(q.spares) < walSpares && s.size >= walSegmentBytes/2 && !q.closed
	var name string
	if take {
		q.spareSeq++
		name = spareName(q.path, q.spareSeq)
	}
	q.mu.Unlock()
	if !take || os.Rename(s.name, name) != nil {
		os.Remove(s.name)
		return
	}
	q.mu.Lock()
	q.spares = append(q.spares, walSegment{name: name, size: s.size})
	q.mu.Unlock()
}

// syncDir fsyncs a directory so that a file created in it survives a crash.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// run is the checkpointer: once changes wait it checkpoints after walCheckpointEvery (at once
// when walCheckpointChanges wait), until nothing waits.
func (q *queueLog) run() {
	defer close(q.done)
	for {
		select {
		case <-q.stop:
			return
		case <-q.kick:
		}
		wait := walCheckpointEvery
		for {
			t := time.NewTimer(wait)
			select {
			case <-q.stop:
				t.Stop()
				return
			case <-t.C:
			case <-q.urgent:
				t.Stop()
			}
			err := q.checkpoint()
			q.mu.Lock()
			more := len(q.pending) > 0
			q.mu.Unlock()
			if !more {
				break
			}
			wait = walCheckpointEvery
			if err != nil {
				wait = walRetry
			}
		}
	}
}

// flush writes every committed queue change to the file now (before a read of the whole file:
// a backup, a hall's reload).
func (q *queueLog) flush() error { return q.checkpoint() }

// checkpoint writes the committed records not yet in the file in one bbolt transaction, then
// forgets them from the overlay and deletes the segments that hold nothing else.
func (q *queueLog) checkpoint() error {
	q.ckptMu.Lock()
	defer q.ckptMu.Unlock()
	q.mu.Lock()
	batches := q.pending[:len(q.pending):len(q.pending)]
	q.mu.Unlock()
	if len(batches) == 0 {
		return nil
	}
	last := batches[len(batches)-1].lsn
	err := q.db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := writeQueue(tx, records(batches)...); err != nil {
			return err
		}
		return putApplied(tx, last)
	})
	if err != nil {
		err = fmt.Errorf("bolt: write the queue log to the data file: %w", err)
		q.mu.Lock()
		q.ckptErr = err
		q.mu.Unlock()
		q.db.noteCommit(err)
		return err
	}
	q.readMu.Lock()
	q.mu.Lock()
	for _, b := range batches {
		for _, w := range b.ws {
			for i := range w.tickets {
				t := &w.tickets[i]
				if e, ok := q.tickets[t.id]; ok && e.lsn <= last {
					delete(q.tickets, t.id)
				}
				if t.token != "" {
					if e, ok := q.tokens[t.token]; ok && e.lsn <= last {
						delete(q.tokens, t.token)
					}
				}
			}
			if w.idemKey != "" {
				if e, ok := q.idem[w.idemKey]; ok && e.lsn <= last {
					delete(q.idem, w.idemKey)
				}
			}
			if evs, ok := q.events[w.hall]; ok {
				k := 0
				for k < len(evs) && evs[k].lsn <= last {
					k++
				}
				if k == len(evs) {
					delete(q.events, w.hall)
				} else if k > 0 {
					q.events[w.hall] = append([]ovEvent(nil), evs[k:]...)
				}
			}
			q.pendingN--
		}
	}
	q.pending = append([]walBatch(nil), q.pending[len(batches):]...)
	q.applied = last
	q.ckptErr = nil
	var gone []walSegment
	q.sealed = slices.DeleteFunc(q.sealed, func(s walSegment) bool {
		if s.last <= last {
			gone = append(gone, s)
			return true
		}
		return false
	})
	q.mu.Unlock()
	q.readMu.Unlock()
	for _, s := range gone {
		q.recycle(s)
	}
	return nil
}

// close stops the checkpointer, writes everything to the file and deletes the segments (kept
// when the last checkpoint failed: the next Open replays them).
func (q *queueLog) close() error {
	var err error
	q.once.Do(func() {
		q.appendMu.Lock()
		defer q.appendMu.Unlock()
		q.mu.Lock()
		q.closed = true
		q.mu.Unlock()
		close(q.stop)
		<-q.done
		err = q.checkpoint()
		if q.f != nil {
			q.f.Close()
			q.f = nil
		}
		if err == nil {
			err = removeWAL(q.path)
		}
	})
	return err
}

// view runs fn in a read transaction during which the overlay and the file stay consistent:
// what fn does not find in the overlay is in the transaction.
func (q *queueLog) view(fn func(tx *bbolt.Tx) error) error {
	q.readMu.RLock()
	defer q.readMu.RUnlock()
	return q.db.bolt.View(fn)
}

// update is view with a write transaction.
func (q *queueLog) update(fn func(tx *bbolt.Tx) error) error {
	q.readMu.RLock()
	defer q.readMu.RUnlock()
	return q.db.bolt.Update(fn)
}

// ticket returns a ticket's JSON from the overlay. Callers are inside view.
func (q *queueLog) ticket(id string) ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, ok := q.tickets[id]
	return e.val, ok
}

// tokenID returns the ticket ID of a follow token from the overlay. Callers are inside view.
func (q *queueLog) tokenID(token string) (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	r, ok := q.tokens[token]
	return r.id, ok
}

// idemRecord returns an idempotency record's JSON from the overlay. Callers are inside view.
func (q *queueLog) idemRecord(key string) ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, ok := q.idem[key]
	return e.val, ok
}

// overlayEvents returns the hall's events in the overlay with after < seq <= last, and the seq
// of the first event the overlay holds for the hall (0 when none): the file holds those before
// it. Callers are inside view.
func (q *queueLog) overlayEvents(code string, after, last uint64) (evs []ovEvent, first uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	all := q.events[code]
	if len(all) == 0 {
		return nil, 0
	}
	i := sort.Search(len(all), func(i int) bool { return all[i].seq > after })
	j := sort.Search(len(all), func(i int) bool { return all[i].seq > last })
	if i < j {
		evs = append(evs, all[i:j]...)
	}
	return evs, all[0].seq
}

// appendTo appends the WAL encoding of the change to b: strings and byte strings are a uvarint
// length and the bytes; counts and seqs uvarints.
//
//	hall, flags (1 = day reset, 2 = the campus record in meta), n tickets × (id, ticket JSON, token, open 0/1),
//	n events × (seq, event JSON), idempotency key, its record JSON, meta JSON ("" = unchanged)
func (w *queueWrite) appendTo(b []byte) []byte {
	b = appendBytes(b, w.hall)
	var flags byte
	if w.reset {
		flags |= 1
	}
	if w.campus {
		flags |= 2
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(w.tickets)))
	for i := range w.tickets {
		t := &w.tickets[i]
		b = appendBytes(b, t.id)
		b = appendBytes(b, t.val)
		b = appendBytes(b, t.token)
		if t.open {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(w.events)))
	for _, e := range w.events {
		b = binary.AppendUvarint(b, e.seq)
		b = appendBytes(b, e.val)
	}
	b = appendBytes(b, w.idemKey)
	b = appendBytes(b, w.idemVal)
	return appendBytes(b, w.meta)
}

func appendBytes[S string | []byte](b []byte, s S) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// walReader decodes a record; the first error sticks.
type walReader struct {
	b   []byte
	err error
}

func (r *walReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *walReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errors.New("short record")
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *walReader) byte1() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errors.New("short record")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// decodeBatch decodes the changes of a record (appendTo's encoding).
func decodeBatch(b []byte) ([]*queueWrite, error) {
	r := &walReader{b: b}
	n := r.uvarint()
	if n > uint64(len(b)) {
		return nil, errors.New("bad change count")
	}
	ws := make([]*queueWrite, 0, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		w := &queueWrite{hall: string(r.bytes())}
		flags := r.byte1()
		w.reset, w.campus = flags&1 != 0, flags&2 != 0
		nt := r.uvarint()
		if nt > uint64(len(r.b)) {
			return nil, errors.New("bad ticket count")
		}
		for j := uint64(0); j < nt && r.err == nil; j++ {
			t := ticketWrite{id: string(r.bytes()), val: r.bytes(), token: string(r.bytes())}
			t.open = r.byte1() == 1
			w.tickets = append(w.tickets, t)
		}
		ne := r.uvarint()
		if ne > uint64(len(r.b)) {
			return nil, errors.New("bad event count")
		}
		for j := uint64(0); j < ne && r.err == nil; j++ {
			w.events = append(w.events, eventWrite{seq: r.uvarint(), val: r.bytes()})
		}
		w.idemKey = string(r.bytes())
		w.idemVal = r.bytes()
		if m := r.bytes(); len(m) > 0 {
			w.meta = m
		}
		ws = append(ws, w)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, errors.New("trailing bytes")
	}
	return ws, nil
}

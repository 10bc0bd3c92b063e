package bolt

import (
	"context"
	"log/slog"
	"time"

	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
)

// The queue and case services run in package enginehost on top of the stores of this package
// (queuestore.go, casestore.go); these names keep them where their callers know them.

// MaxReplay is how far behind the last committed event Since still replays.
const MaxReplay = enginehost.MaxReplay

// TickInterval is how often each hall's engine runs its time-based rules.
const TickInterval = enginehost.TickInterval

// IdempotencyTTL is how long an idempotency key keeps returning its ticket.
const IdempotencyTTL = enginehost.IdempotencyTTL

// CommitStats describes a group committer's work (batches, changes, batch sizes).
type CommitStats = enginehost.CommitStats

// Queue runs every hall's queue engine (enginehost.Queue) on the bbolt file.
type Queue = enginehost.Queue

// QueueOption configures a Queue.
type QueueOption = enginehost.QueueOption

// WithLogger makes the queue log what it must tell the operator (the clock set back) to l;
// without it nothing is logged.
func WithLogger(l *slog.Logger) QueueOption { return enginehost.WithLogger(l) }

// WithCampusVersion gives the version of the stored campus the queue starts with (StoredCampus,
// SeedCampus): ApplyCampus changes it only from that version.
func WithCampusVersion(v uint64) QueueOption { return enginehost.WithCampusVersion(v) }

// NewQueue loads every hall of the campus from the file (its meta and open tickets, never the
// history) and starts the group committer and the tick loop. now is the clock (time.Now when
// nil).
func NewQueue(ctx context.Context, db *DB, campus hall.Campus, now func() time.Time, opts ...QueueOption) (*Queue, error) {
	if now == nil {
		now = time.Now
	}
	store, err := newQueueStore(db, campus, now)
	if err != nil {
		return nil, err
	}
	// the bookings of the same file feed the wait estimates (enginehost.WithBookings)
	appts, err := NewAppointments(db, now)
	if err != nil {
		return nil, err
	}
	opts = append([]QueueOption{enginehost.WithFailpoint(db.failpoint), enginehost.WithBookings(appts)}, opts...)
	return enginehost.NewQueue(ctx, store, campus, now, opts...)
}

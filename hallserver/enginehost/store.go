package enginehost

import (
	"context"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

// The stores under Queue and Cases. Package bolt implements both on its bbolt file (the
// embedded default; its layout is in bolt's doc.go); another storage plugs in by implementing
// them, without touching the engines, the services here, or http. Prepared changes are opaque to
// the host (W = any): a store's Commit receives what its Prepare returned.

// IdemRecord is what an idempotency key answers: the ID it created, when, and (tickets) the seq
// of the ticket's ticket.issued event (0 when unknown).
type IdemRecord struct {
	ID  string
	At  time.Time
	Seq uint64
}

// BatchLimiter is implemented by a store whose Commit can write only so much in one atomic
// transaction (etcd bounds a Txn's operations and size). The committer then closes each batch
// before it would exceed that: every batch it hands to Commit fits in one transaction, all or
// nothing, and a change (or group of changes) that does not fit even alone is refused before
// anything is written.
type BatchLimiter[W any] interface {
	// Fits reports whether Commit writes batch in one atomic transaction.
	Fits(batch []W) bool
}

// QueueStore is the storage of the halls' queue logs. The log name is the hall code. Commit
// writes, per change: its tickets (and the follow token of an issued one), the index of open
// tickets (open states and no-shows; a day reset starts it again from the change's tickets), its
// events, an idempotency record for an issue with a key (ID = the ticket ID, Seq = the change's
// last event) and the hall's latest queue.Meta.
type QueueStore interface {
	Store[queue.Change, hall.Event, any]
	// LoadHall reads a hall's meta (hasMeta false when it has none yet) and its open tickets.
	LoadHall(code string) (meta queue.Meta, hasMeta bool, open []hall.Ticket, err error)
	// Idem returns the record of an idempotency key of the hall (ID "" when none).
	Idem(code, key string) (IdemRecord, error)
	// PruneIdem deletes idempotency records older than ttl (errors are retried next time).
	PruneIdem(ttl time.Duration, now time.Time)
	// TicketByID reads a committed ticket (ENOTFOUND when none).
	TicketByID(ctx context.Context, id string) (*hall.Ticket, error)
	// TicketByToken reads the committed ticket with a follow token (ENOTFOUND when none).
	TicketByToken(ctx context.Context, token string) (*hall.Ticket, error)
}

// CaseStore is the storage of the case log (one log). Commit writes, per change: its cases
// (number, token and receipt time once, when opened; the open index; final cases by department
// once), its events, the router examples it learned, an idempotency record for an Open with a key
// (ID = the case ID) and the latest cases.Meta.
type CaseStore interface {
	Store[cases.Change, hall.CaseEvent, any]
	// LoadCases reads the meta, the open cases and the router examples learned from re-routings
	// (without those ForgetRoutes undid).
	LoadCases() (meta cases.Meta, open []hall.Case, learned []hall.RouteExample, err error)
	// ForgetRoutes durably records that the re-routes learned from the staff member by in the
	// changes up to seq (the log's last assigned seq) are undone; at is when, for the record.
	ForgetRoutes(by string, seq uint64, at time.Time) error
	// Idem returns the record of an idempotency key (source + 0x00 + key; ID "" when none).
	Idem(key string) (IdemRecord, error)
	// PruneIdem deletes idempotency records older than ttl.
	PruneIdem(ttl time.Duration, now time.Time)
	// ReadCase reads a committed case by ID, by number or (byToken) by follow token; nil when
	// none.
	ReadCase(ctx context.Context, ref string, byToken bool) (*hall.Case, error)
	// ClosedCases reads final cases matching the filter (cases.Match at now) from the
	// department's part of the closed index, newest first, at most f.Limit (when positive).
	ClosedCases(ctx context.Context, f hall.CaseFilter, now time.Time) ([]hall.Case, error)
	// SearchCases looks a query up in the case search index, kept in step with the committed
	// cases: the cases whose number or phone is the query and those holding any of its tokens,
	// counted (cases.SearchHit); with dept, only the cases involving that department. In no
	// order.
	SearchCases(ctx context.Context, q cases.Query, dept string) ([]cases.SearchHit, error)
	// Received reads the committed cases received in [from, to), oldest first. Its errors are
	// the raw ones of the read (ctx's error when ctx ended).
	Received(ctx context.Context, from, to time.Time) ([]hall.Case, error)
	// FinalCases reads the committed final cases received in [from, to), oldest first (by
	// receipt time, then ID), in their report form: the timeline holds only the returns to
	// triage (CaseEvReturned) and Route is left out. A final case never changes again, so a
	// store may keep them at hand in that form and share them: read them only. Its errors are
	// the raw ones of the read.
	FinalCases(ctx context.Context, from, to time.Time) ([]*hall.Case, error)
}

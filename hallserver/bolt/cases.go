package bolt

import (
	"context"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
)

// CaseTickInterval is how often the case engine runs its time rules.
const CaseTickInterval = enginehost.CaseTickInterval

// CaseIdempotencyTTL is how long an idempotency key of Open keeps returning its case.
const CaseIdempotencyTTL = enginehost.CaseIdempotencyTTL

// DailyLookback is how far before the day the daily report looks for cases.
const DailyLookback = enginehost.DailyLookback

// MaxSeriesPeriods is the most periods a series may have.
const MaxSeriesPeriods = enginehost.MaxSeriesPeriods

// Cases runs the case workflow engine (enginehost.Cases) on the bbolt file.
type Cases = enginehost.Cases

// NewCases loads the case system from the file (its meta, open cases and learned router
// examples, never the history) and starts the group committer and the tick loop; see
// enginehost.NewCases for cfg and now.
func NewCases(ctx context.Context, db *DB, campus hall.Campus, cfg cases.Config, now func() time.Time) (*Cases, error) {
	if now == nil {
		now = time.Now
	}
	store, err := newCaseStore(db, now)
	if err != nil {
		return nil, err
	}
	return enginehost.NewCases(ctx, store, campus, cfg, now, enginehost.WithCaseFailpoint(db.failpoint))
}

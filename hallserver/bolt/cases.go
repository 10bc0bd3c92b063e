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
// enginehost.NewCases for cfg and now. WarmDelay later it reads the final cases of the last
// WarmReports into the report cache in the background (ctx ends it).
func NewCases(ctx context.Context, db *DB, campus hall.Campus, cfg cases.Config, now func() time.Time) (*Cases, error) {
	if now == nil {
		now = time.Now
	}
	store, err := newCaseStore(db, now)
	if err != nil {
		return nil, err
	}
	cs, err := enginehost.NewCases(ctx, store, campus, cfg, now, enginehost.WithCaseFailpoint(db.failpoint))
	if err != nil {
		return nil, err
	}
	// The reports' first request would otherwise decode every final case of its windows. The
	// reading waits WarmDelay, so as not to take the CPU from the rest of the start-up (on two
	// cores it made the start-up a third slower).
	go func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(WarmDelay):
		}
		t := now()
		_, _ = store.FinalCases(ctx, t.Add(-WarmReports), t.Add(time.Hour))
	}()
	return cs, nil
}

// WarmDelay is how long after NewCases the report cache starts filling in the background.
const WarmDelay = 2 * time.Second

// WarmReports is how far back NewCases reads the final cases into the report cache in the
// background after start-up (the daily report's DailyLookback, the default weekly and monthly
// series of the supervision page).
const WarmReports = 200 * 24 * time.Hour

package bolt

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"onedoor/hallserver/campus"
	"onedoor/hallserver/hall"
)

// BenchmarkAuditPage: one page of the audit trail over a month of history (30,000 tickets and
// their events, 3,000 cases): the newest 100 entries, and a filter no entry matches (the
// request then reads its bound of records and answers with a cursor).
func BenchmarkAuditPage(b *testing.B) {
	ctx := context.Background()
	db, err := Open(filepath.Join(b.TempDir(), "h.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	end := time.Now()
	if _, err := LoadHistory(ctx, db, campus.Demo(), HistoryConfig{Tickets: 30000, Cases: 3000, Days: 30, End: end, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	a := NewAudit(db, 0, func() time.Time { return end }, nil)
	for _, c := range []struct {
		name string
		q    hall.AuditQuery
	}{
		{"newest100", hall.AuditQuery{Limit: 100}},
		{"nomatch", hall.AuditQuery{Actor: "nobody", Limit: 100}},
		{"until-midway", hall.AuditQuery{Until: end.Add(-15 * 24 * time.Hour), Limit: 100}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				p, err := a.Audit(ctx, c.q)
				if err != nil {
					b.Fatal(err)
				}
				if c.name != "nomatch" && len(p.Entries) == 0 {
					b.Fatal("no entries")
				}
			}
		})
	}
}

package bolt

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// TestQuotaExactUnderConcurrentKiosksAndRestart: 8 kiosks ask 25 times each for B, whose quota
// is 60: exactly 60 tickets are issued (B001…B060), the others get quota_reached; a restart
// mid-day keeps the count (the 61st is still refused after reopening the file); after local
// midnight the quota starts again at B001.
func TestQuotaExactUnderConcurrentKiosksAndRestart(t *testing.T) {
	e := &env{t: t, path: t.TempDir() + "/onedoor.db", clk: newClock(), campus: testCampus()}
	e.campus.Halls[0].Services[1].Quota = 60
	e.open()
	t.Cleanup(e.close)
	var (
		ok, full atomic.Int64
		mu       sync.Mutex
		numbers  = map[string]bool{}
		wg       sync.WaitGroup
	)
	for k := 0; k < 8; k++ {
		wg.Go(func() {
			for i := 0; i < 25; i++ {
				iss, err := e.q.Issue(context.Background(), hall.IssueRequest{Hall: "h1", Service: "B", Channel: "kiosk"})
				switch hall.ErrorCode(err) {
				case "":
					ok.Add(1)
					mu.Lock()
					numbers[iss.Ticket.Number] = true
					mu.Unlock()
				case hall.EQUOTAREACHED:
					full.Add(1)
				default:
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() != 60 || full.Load() != 140 || len(numbers) != 60 || !numbers["B060"] || numbers["B061"] {
		t.Fatalf("issued %d (%d numbers), refused %d; want 60 issued B001…B060 and 140 refused", ok.Load(), len(numbers), full.Load())
	}
	e.clk.Add(time.Hour)
	e.reopen()
	_, err := e.q.Issue(context.Background(), hall.IssueRequest{Hall: "h1", Service: "B"})
	if hall.ErrorCode(err) != hall.EQUOTAREACHED {
		t.Fatalf("after a restart mid-day: %v, want quota_reached", err)
	}
	snap, err := e.q.Snapshot(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	if st := snap.Services[1]; st.Closed != hall.EQUOTAREACHED || st.Remaining == nil || *st.Remaining != 0 {
		t.Errorf("snapshot after restart: %+v", st)
	}
	e.issue("h1", "A")        // A has no quota
	e.clk.Add(15 * time.Hour) // 2026-03-03 01:00 local
	if iss := e.issue("h1", "B"); iss.Ticket.Number != "B001" {
		t.Errorf("first B of the next day: %s", iss.Ticket.Number)
	}
}

package kiosk

import (
	"context"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// TestHeartbeatCarriesPrinterAndOutbox: a running kiosk tells the server its printer state and
// its outbox (requests not yet delivered, the oldest's age) without anyone asking; two requests
// stuck for 10 minutes show as an outbox alert in the hall's device health, paper out as a
// printer alert.
func TestHeartbeatCarriesPrinterAndOutbox(t *testing.T) {
	env := newHallEnv(t)
	env.cases.setAbsent(true) // the case system is away: the requests stay in the outbox
	k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}})
	old := k.clock.Now().Add(-10 * time.Minute)
	for _, key := range []string{"k-1", "k-2"} {
		if err := k.outbox.Put(CaseRequest{Kind: "complaint", Topic: "dorm-repair", Hall: "students", IdempotencyKey: key, ConfirmedAt: old}); err != nil {
			t.Fatal(err)
		}
	}
	k.flow.SetPrinter(PrinterStatus{State: hall.DevicePaperOut, Message: "缺纸"})
	if hb := k.flow.Heartbeat(); hb.Printer != hall.DevicePaperOut || hb.Outbox == nil || hb.Outbox.Pending != 2 || hb.Outbox.OldestSeconds != 600 {
		t.Fatalf("heartbeat %+v %+v", hb, hb.Outbox)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		devs, err := env.q.DeviceHealth(context.Background(), "students")
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bool{}
		if len(devs) == 1 {
			for _, a := range devs[0].Alerts {
				kinds[a.Kind] = true
			}
		}
		if kinds[hall.AlertPrinter] && kinds[hall.AlertOutbox] && devs[0].Outbox.Pending == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("device health %+v", devs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

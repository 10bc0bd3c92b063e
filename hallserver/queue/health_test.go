package queue

import (
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

var (
	kiosk1   = hall.DeviceRef{ID: "kiosk-1", Role: hall.RoleKiosk, Name: "1号自助机"}
	display1 = hall.DeviceRef{ID: "display-1", Role: hall.RoleDisplay, Name: "大屏"}
)

// alertEvents returns the device.alert events of a change as "device kind state detail".
func alertEvents(ch Change) []string {
	var out []string
	for _, ev := range ch.Events {
		if ev.Type == hall.EventDeviceAlert {
			a := ev.Alert
			out = append(out, a.Device+" "+a.Kind+" "+a.State+" "+a.Detail)
		}
	}
	return out
}

func (f *fix) heartbeat(dev hall.DeviceRef, hb hall.DeviceHeartbeat) Change {
	f.t.Helper()
	_, ch, err := f.e.Heartbeat(f.clk.now(), dev, hb)
	if err != nil {
		f.t.Fatalf("heartbeat %s: %v", dev.ID, err)
	}
	f.check(ch)
	return ch
}

func (f *fix) tick() Change {
	f.t.Helper()
	ch := f.e.Tick(f.clk.now())
	f.check(ch)
	return ch
}

func wantAlerts(t *testing.T, what string, ch Change, want ...string) {
	t.Helper()
	got := alertEvents(ch)
	if len(got) != len(want) {
		t.Fatalf("%s: alert events %q, want %q", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: alert events %q, want %q", what, got, want)
		}
	}
}

func TestSilentAfterAMinuteAndRecovery(t *testing.T) {
	f := newFix(t)
	wantAlerts(t, "first heartbeats", f.heartbeat(kiosk1, hall.DeviceHeartbeat{Version: "1.4.0", Printer: hall.DeviceOK}))
	f.heartbeat(display1, hall.DeviceHeartbeat{Version: "1.4.0"})
	// The kiosk keeps beating every 15 s; the display stops.
	for range 3 {
		f.clk.add(15 * time.Second)
		f.heartbeat(kiosk1, hall.DeviceHeartbeat{Version: "1.4.0", Printer: hall.DeviceOK})
		wantAlerts(t, "under a minute", f.tick())
	}
	f.clk.add(14 * time.Second) // 59 s since the display's heartbeat
	wantAlerts(t, "59 s", f.tick())
	f.clk.add(time.Second)
	wantAlerts(t, "60 s", f.tick(), "display-1 silent raised ")
	wantAlerts(t, "still silent", f.tick())
	if hs := f.e.DeviceHealth(f.clk.now()); len(hs) != 2 || hs[0].Device != "kiosk-1" || hs[0].State != hall.HealthOK ||
		hs[1].State != hall.HealthAlert || hs[1].Alerts[0].Kind != hall.AlertSilent || hs[1].Version != "1.4.0" {
		t.Fatalf("health %+v", hs)
	}
	// It comes back: the alert is cleared by its first heartbeat.
	f.clk.add(40 * time.Second)
	wantAlerts(t, "back", f.heartbeat(display1, hall.DeviceHeartbeat{Version: "1.4.1"}), "display-1 silent cleared ")
	if snap := f.e.Snapshot(f.clk.now()); len(snap.Alerts) != 0 {
		t.Fatalf("alerts after recovery: %+v", snap.Alerts)
	}
}

func TestPrinterOutAlertThenOK(t *testing.T) {
	f := newFix(t)
	f.heartbeat(kiosk1, hall.DeviceHeartbeat{Version: "1.4.0", Printer: hall.DeviceOK})
	f.clk.add(5 * time.Second)
	ch := f.heartbeat(kiosk1, hall.DeviceHeartbeat{Version: "1.4.0", Printer: hall.DevicePaperOut, PrinterMessage: "缺纸"})
	wantAlerts(t, "paper out", ch, "kiosk-1 printer raised paper_out")
	if ch.Events[0].Type != hall.EventDevice || ch.Events[0].Device.State != hall.DevicePaperOut {
		t.Fatalf("the public printer state did not change first: %+v", ch.Events[0])
	}
	a := f.e.Snapshot(f.clk.now()).Alerts
	if len(a) != 1 || a[0].Name != "1号自助机" || a[0].Role != hall.RoleKiosk {
		t.Fatalf("snapshot alerts %+v", a)
	}
	// Repeating the state is not news; a cover opened on top changes the detail.
	f.clk.add(15 * time.Second)
	wantAlerts(t, "repeat", f.heartbeat(kiosk1, hall.DeviceHeartbeat{Version: "1.4.0", Printer: hall.DevicePaperOut, PrinterMessage: "缺纸"}))
	wantAlerts(t, "cover", f.heartbeat(kiosk1, hall.DeviceHeartbeat{Version: "1.4.0", Printer: hall.DeviceCoverOpen}), "kiosk-1 printer raised cover_open")
	// Paper in, cover shut: cleared.
	f.clk.add(15 * time.Second)
	wantAlerts(t, "ok", f.heartbeat(kiosk1, hall.DeviceHeartbeat{Version: "1.4.0", Printer: hall.DeviceOK}), "kiosk-1 printer cleared cover_open")
	if hs := f.e.DeviceHealth(f.clk.now()); hs[0].State != hall.HealthOK || len(hs[0].Alerts) != 0 || hs[0].Printer != hall.DeviceOK {
		t.Fatalf("health %+v", hs)
	}
	// The device report of older kiosks raises it too.
	_, ch, err := f.e.ReportDevice(f.clk.now(), "kiosk-1", hall.DeviceReport{Kind: hall.DevicePrinter, State: hall.DeviceOffline})
	if err != nil {
		t.Fatal(err)
	}
	wantAlerts(t, "report", ch, "kiosk-1 printer raised offline")
}

func TestOutboxStuckAlert(t *testing.T) {
	f := newFix(t)
	beat := func(pending, oldest int) Change {
		return f.heartbeat(kiosk1, hall.DeviceHeartbeat{Version: "1", Printer: hall.DeviceOK, Outbox: &hall.OutboxHealth{Pending: pending, OldestSeconds: oldest}})
	}
	beat(0, 0)
	// Requests pile up while the server's case system is away: 2, 3, 3…
	f.clk.add(15 * time.Second)
	beat(2, 10)
	for i := range 19 { // 4:45 without shrinking (the oldest request is younger: it was resent)
		f.clk.add(15 * time.Second)
		wantAlerts(t, "filling", beat(3, 10+15*i))
		wantAlerts(t, "filling tick", f.tick())
	}
	f.clk.add(15 * time.Second) // 5 minutes without shrinking
	wantAlerts(t, "stuck", beat(3, 295), "kiosk-1 outbox raised ")
	if a := f.e.Snapshot(f.clk.now()).Alerts; len(a) != 1 || a[0].Pending != 3 {
		t.Fatalf("alerts %+v", a)
	}
	// It drains: cleared as soon as it shrinks with young requests.
	f.clk.add(15 * time.Second)
	wantAlerts(t, "draining", beat(1, 20), "kiosk-1 outbox cleared ")
	f.clk.add(15 * time.Second)
	wantAlerts(t, "empty", beat(0, 0))

	// A kiosk that goes silent with an old request: the tick raises both.
	beat(1, 290)
	f.clk.add(time.Minute)
	wantAlerts(t, "silent with an old request", f.tick(), "kiosk-1 silent raised ", "kiosk-1 outbox raised ")
}

func TestHealthAcrossRestart(t *testing.T) {
	f := newFix(t)
	f.heartbeat(kiosk1, hall.DeviceHeartbeat{Version: "1", Printer: hall.DevicePaperOut})
	f.heartbeat(display1, hall.DeviceHeartbeat{Version: "1"})
	// Restart: the roster and the printer alert are kept; every device is unknown.
	r, err := Restore(testHall(), nil, f.e.Meta(), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.e = r
	hs := f.e.DeviceHealth(f.clk.now())
	if len(hs) != 2 || hs[0].State != hall.HealthAlert || hs[0].LastSeen != nil || hs[1].State != hall.HealthUnknown {
		t.Fatalf("health after restart %+v", hs)
	}
	wantAlerts(t, "first tick", f.tick())
	// The kiosk comes back with paper; the display does not: silent a minute after the first tick.
	f.clk.add(30 * time.Second)
	wantAlerts(t, "kiosk back", f.heartbeat(kiosk1, hall.DeviceHeartbeat{Version: "1", Printer: hall.DeviceOK}), "kiosk-1 printer cleared paper_out")
	f.clk.add(20 * time.Second)
	f.heartbeat(kiosk1, hall.DeviceHeartbeat{Version: "1", Printer: hall.DeviceOK})
	f.clk.add(10 * time.Second)
	wantAlerts(t, "display silent", f.tick(), "display-1 silent raised ")
	// Revoked: forgotten, its alert cleared, no longer listed.
	ch := f.e.ForgetDevice(f.clk.now(), "display-1")
	f.check(ch)
	wantAlerts(t, "forgotten", ch, "display-1 silent cleared ")
	if hs := f.e.DeviceHealth(f.clk.now()); len(hs) != 1 || hs[0].Device != "kiosk-1" {
		t.Fatalf("health after forget %+v", hs)
	}
}

func TestBadHeartbeats(t *testing.T) {
	f := newFix(t)
	for field, hb := range map[string]hall.DeviceHeartbeat{
		"printer":        {Printer: "on_fire"},
		"printerMessage": {PrinterMessage: "no state"},
		"outbox.pending": {Outbox: &hall.OutboxHealth{Pending: -1}},
		"version":        {Version: string(make([]byte, MaxVersion+1))},
	} {
		if _, _, err := f.e.Heartbeat(f.clk.now(), kiosk1, hb); hall.ErrorField(err) != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	if _, _, err := f.e.Heartbeat(f.clk.now(), hall.DeviceRef{ID: "x", Role: hall.RoleCounter}, hall.DeviceHeartbeat{}); hall.ErrorCode(err) != hall.EFORBIDDEN {
		t.Errorf("staff heartbeat: %v", err)
	}
	if hs := f.e.DeviceHealth(f.clk.now()); len(hs) != 0 {
		t.Fatalf("rejected heartbeats made devices: %+v", hs)
	}
}

// BenchmarkTickWithDevices is the tick's cost for a hall with 10 kiosks and displays that are
// all well (the tick loop runs it every 2 s per hall).
func BenchmarkTickWithDevices(b *testing.B) {
	e := New(testHall(), nil)
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	for i := range 10 {
		dev := hall.DeviceRef{ID: "dev-" + string(rune('a'+i)), Role: hall.RoleKiosk}
		if _, _, err := e.Heartbeat(now, dev, hall.DeviceHeartbeat{Version: "1", Printer: hall.DeviceOK, Outbox: &hall.OutboxHealth{}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if ch := e.Tick(now); !ch.Empty() {
			b.Fatal("a tick of a quiet hall changed something")
		}
	}
}

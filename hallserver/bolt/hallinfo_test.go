package bolt

import (
	"context"
	"testing"

	"onedoor/hallserver/hall"
)

func TestDeviceStatusAndNoticesAreDurableAndEvented(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sub, cancel := e.q.Subscribe("h1", 16)
	defer cancel()
	if _, err := e.q.ReportDevice(ctx, "h1", "kiosk-a", hall.DeviceReport{Kind: "printer", State: hall.DevicePaperOut}); err != nil {
		t.Fatal(err)
	}
	n, err := e.q.PublishNotice(ctx, "h1", hall.Text{Zh: "今日下午窗口5暂停服务", En: "Counter 5 closed this afternoon"}, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if len(n.ID) < 10 {
		t.Fatalf("notice ID %q", n.ID)
	}
	for _, want := range []hall.EventType{hall.EventDevice, hall.EventDeviceAlert, hall.EventNotice} {
		if ev := <-sub; ev.Type != want {
			t.Fatalf("event %s, want %s", ev.Type, want)
		}
	}
	if _, err := e.q.ReportDevice(ctx, "nowhere", "kiosk-a", hall.DeviceReport{Kind: "printer", State: hall.DeviceOK}); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Errorf("unknown hall: %v", err)
	}
	e.reopen()
	snap, err := e.q.Snapshot(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Devices) != 1 || snap.Devices[0].State != hall.DevicePaperOut || len(snap.Notices) != 1 || snap.Notices[0].ID != n.ID {
		t.Fatalf("after restart: devices %+v notices %+v", snap.Devices, snap.Notices)
	}
	// The printer alert survives the restart (its clear comes when the kiosk reports ok).
	if len(snap.Alerts) != 1 || snap.Alerts[0].Kind != hall.AlertPrinter || snap.Alerts[0].Device != "kiosk-a" {
		t.Fatalf("after restart: alerts %+v", snap.Alerts)
	}
	if err := e.q.WithdrawNotice(ctx, "h1", n.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	evs, ok, err := e.q.Since(ctx, "h1", 0)
	if err != nil || !ok || len(evs) != 4 || evs[3].Type != hall.EventNoticeGone {
		t.Fatalf("log after withdraw: ok %v err %v %d events", ok, err, len(evs))
	}
	if snap, _ := e.q.Snapshot(ctx, "h1"); len(snap.Notices) != 0 {
		t.Fatalf("withdrawn notice still shown: %+v", snap.Notices)
	}
}

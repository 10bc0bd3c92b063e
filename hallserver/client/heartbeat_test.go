package client_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
)

// TestHeartbeatsOnChange: the loop sends a heartbeat at once and again as soon as the printer
// changes (long before the 15 s interval), not when only the outbox's age grew; staff then see
// the kiosk's printer and version in the hall's device list.
func TestHeartbeatsOnChange(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.auth.CreateStaff(ctx, hall.Staff{Username: "admin", Role: hall.RoleAdmin}, "demo"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	cur := hall.DeviceHeartbeat{Version: "1.4.0", Printer: hall.DeviceOK, Outbox: &hall.OutboxHealth{}}
	set := func(f func(*hall.DeviceHeartbeat)) { mu.Lock(); f(&cur); mu.Unlock() }
	build := func() hall.DeviceHeartbeat {
		mu.Lock()
		defer mu.Unlock()
		hb := cur
		o := *cur.Outbox
		hb.Outbox = &o
		return hb
	}
	sent := make(chan hall.DeviceHeartbeat, 16)
	kiosk := client.New(e.ts.URL, "kiosk")
	go kiosk.Heartbeats(ctx, "students", build, &client.HeartbeatOptions{Every: time.Hour, Poll: 5 * time.Millisecond,
		Sent: func(hb hall.DeviceHeartbeat, err error) {
			if err != nil {
				t.Errorf("heartbeat: %v", err)
			}
			sent <- hb
		}})
	next := func() hall.DeviceHeartbeat {
		select {
		case hb := <-sent:
			return hb
		case <-time.After(10 * time.Second):
			t.Fatal("no heartbeat")
			return hall.DeviceHeartbeat{}
		}
	}
	if hb := next(); hb.Printer != hall.DeviceOK {
		t.Fatalf("first heartbeat %+v", hb)
	}
	set(func(hb *hall.DeviceHeartbeat) { hb.Outbox.OldestSeconds = 30 }) // age only: not news
	set(func(hb *hall.DeviceHeartbeat) { hb.Printer = hall.DevicePaperOut })
	if hb := next(); hb.Printer != hall.DevicePaperOut {
		t.Fatalf("after the change %+v", hb)
	}
	admin := client.New(e.ts.URL, "")
	if _, err := admin.Login(ctx, "admin", "demo"); err != nil {
		t.Fatal(err)
	}
	devs, err := admin.DeviceHealth(ctx, "students")
	if err != nil || len(devs) != 1 || devs[0].Printer != hall.DevicePaperOut || devs[0].Version != "1.4.0" || len(devs[0].Alerts) != 1 {
		t.Fatalf("device list %+v %v", devs, err)
	}
	select {
	case hb := <-sent:
		t.Fatalf("a heartbeat without a change: %+v", hb)
	default:
	}
	if v := client.Version(); v == "" {
		t.Fatal("no version")
	}
}

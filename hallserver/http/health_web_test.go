package http

import (
	"context"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// TestCounterConsoleShowsDeviceAlerts: the counter console of the hall lists its device alerts,
// Chinese first and English second, and drops each when it clears: a kiosk's printer out of
// paper (its heartbeat), a display silent for 60 s (the queue's clock, moved by the test), a
// kiosk whose administrator named it with markup (shown as text).
func TestCounterConsoleShowsDeviceAlerts(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)}
	e := newEnv(t, withQueueClock(clk.now))
	evil := `<img src=x onerror="window.pwned=1">3号`
	if _, err := e.auth.CreateDevice(context.Background(), hall.Device{Role: hall.RoleKiosk, Hall: "students", Name: evil}, "evil-kiosk"); err != nil {
		t.Fatal(err)
	}
	beat := func(token string, body map[string]any) {
		t.Helper()
		if r := e.do("POST", "/api/v1/halls/students/devices/heartbeat", token, body); r.status != 200 {
			t.Fatalf("heartbeat: %d %s", r.status, r.body)
		}
	}
	beat(kioskStudents, map[string]any{"version": "1", "printer": "ok"})
	beat(displayStudents, map[string]any{"version": "1"})
	ctx := browser(t, 1280, 900)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	must(t, ctx, "no alerts", `document.getElementById("alerts").hidden`, 2*time.Second)

	beat(kioskStudents, map[string]any{"version": "1", "printer": "paper_out"})
	must(t, ctx, "printer alert shown", `document.getElementById("alert-list").textContent.indexOf("1号自助机 打印机缺纸 Kiosk: printer out of paper") >= 0 && !document.getElementById("alerts").hidden`, 5*time.Second)
	shot(t, ctx, "counter-device-alert")

	beat("evil-kiosk", map[string]any{"version": "1", "printer": "cover_open"})
	must(t, ctx, "markup name shown", `document.getElementById("alert-list").textContent.indexOf(`+jsString(evil+" 打印机盖未合上")+`) >= 0`, 5*time.Second)
	if got := evalString(t, ctx, `String(document.querySelectorAll("#alert-list img").length) + " " + String(window.pwned)`); got != "0 undefined" {
		t.Errorf("a device name became markup: %s", got)
	}

	// The display says nothing for a minute (the kiosks keep beating).
	for range 4 {
		clk.add(15 * time.Second)
		beat(kioskStudents, map[string]any{"version": "1", "printer": "paper_out"})
		beat("evil-kiosk", map[string]any{"version": "1", "printer": "ok"})
	}
	if err := e.q.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	must(t, ctx, "silent display shown", `document.getElementById("alert-list").textContent.indexOf("大厅大屏 无响应（超过 60 秒） Display: not responding (over 60 s)") >= 0`, 5*time.Second)
	must(t, ctx, "cover closed: its alert gone", `document.querySelectorAll('#alert-list li[data-kind="printer"]').length === 1`, 5*time.Second)

	// A reload shows the active alerts from the stream's snapshot.
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	must(t, ctx, "alerts after reload", `document.querySelectorAll("#alert-list li").length === 2`, 5*time.Second)

	// Paper in, display back: the list empties and hides.
	beat(kioskStudents, map[string]any{"version": "1", "printer": "ok"})
	beat(displayStudents, map[string]any{"version": "1"})
	must(t, ctx, "alerts cleared", `document.querySelectorAll("#alert-list li").length === 0 && document.getElementById("alerts").hidden`, 5*time.Second)
}

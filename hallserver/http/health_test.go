package http

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/hall"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// dialAs opens the hall's stream with a bearer token.
func (e *env) dialAs(hallCode, token string) *websocket.Conn {
	e.t.Helper()
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/api/v1/halls/" + hallCode + "/stream"
	c, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		e.t.Fatalf("dial %s: %v", u, err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// readUntilType reads stream messages until one of type typ (within 5 s each).
func readUntilType(t *testing.T, ws *websocket.Conn, typ string) message {
	t.Helper()
	for {
		if m := read(t, ws, 5*time.Second); m.Type == typ {
			return m
		}
	}
}

// TestDeviceAlertsReachStaffOnly: a kiosk's printer runs out of paper (heartbeat) → the hall's
// staff stream gets device.alert with the kiosk's name and the fault, the public stream the bare
// event; the device list and the metric show it; paper back → cleared everywhere. A display that
// goes silent for 60 s (the queue's clock, moved by the test) is an alert too, cleared by its
// next heartbeat.
func TestDeviceAlertsReachStaffOnly(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)}
	e := newEnv(t, withQueueClock(clk.now))
	spec := loadSpec(t)
	counter := e.login("counter1")
	staff, public := e.dialAs("students", counter), e.dial("students", 0)
	for _, ws := range []*websocket.Conn{staff, public} {
		if m := read(t, ws, 5*time.Second); m.Type != "snapshot" {
			t.Fatalf("first message %s", m.Type)
		}
	}
	beat := func(token string, body any) response {
		t.Helper()
		r := e.do("POST", "/api/v1/halls/students/devices/heartbeat", token, body)
		if r.status != 200 {
			t.Fatalf("heartbeat: %d %s", r.status, r.body)
		}
		return r
	}
	r := beat(kioskStudents, map[string]any{"version": "1.4.0", "printer": "ok", "outbox": map[string]int{"pending": 0, "oldestSeconds": 0}})
	beat(displayStudents, map[string]any{"version": "1.4.0"})
	var samples []schemaSample
	samples = append(samples, schemaSample{"heartbeat answer", r.body, "DeviceHealth"})

	beat(kioskStudents, map[string]any{"version": "1.4.0", "printer": "paper_out", "printerMessage": "纸卷用完"})
	m := readUntilType(t, staff, string(hall.EventDeviceAlert))
	var ev struct{ Alert *hall.DeviceAlert }
	json.Unmarshal(m.raw, &ev)
	if a := ev.Alert; a == nil || a.Kind != hall.AlertPrinter || a.State != hall.AlertRaised || a.Detail != hall.DevicePaperOut || a.Name != "1号自助机" {
		t.Fatalf("staff stream: %s", m.raw)
	}
	samples = append(samples, schemaSample{"staff device.alert", m.raw, "StreamEvent"})
	pm := readUntilType(t, public, string(hall.EventDeviceAlert))
	if pm.Seq != m.Seq || bytes.Contains(pm.raw, []byte(`"alert":`)) || bytes.Contains(pm.raw, []byte("1号自助机")) || bytes.Contains(pm.raw, []byte("kiosk")) {
		t.Fatalf("public stream carries the alert's details: %s", pm.raw)
	}
	samples = append(samples, schemaSample{"public device.alert", pm.raw, "StreamEvent"})

	// A reconnecting staff client gets the active alert in its snapshot; the public one does not.
	sm := read(t, e.dialAs("students", counter), 5*time.Second)
	if sm.Snapshot == nil || len(sm.Snapshot.Alerts) != 1 || sm.Snapshot.Alerts[0].Device == "" {
		t.Fatalf("staff snapshot: %s", sm.raw)
	}
	samples = append(samples, schemaSample{"staff snapshot", sm.raw, "StreamSnapshot"})
	if pm := read(t, e.dial("students", 0), 5*time.Second); bytes.Contains(pm.raw, []byte("alerts")) {
		t.Fatalf("public snapshot carries alerts: %s", pm.raw)
	}
	var snap map[string]any
	e.do("GET", "/api/v1/halls/students/snapshot", "", nil).decode(t, &snap)
	if _, ok := snap["alerts"]; ok {
		t.Fatal("GET snapshot carries alerts")
	}

	// The device list and the metric.
	r = e.do("GET", "/api/v1/halls/students/devices", counter, nil)
	var list struct{ Devices []hall.DeviceHealth }
	r.decode(t, &list)
	if len(list.Devices) != 2 || list.Devices[0].Name != "1号自助机" || list.Devices[0].State != hall.HealthAlert ||
		list.Devices[0].Printer != hall.DevicePaperOut || list.Devices[0].Version != "1.4.0" || list.Devices[1].Role != hall.RoleDisplay ||
		list.Devices[1].State != hall.HealthOK || list.Devices[1].LastSeen == nil {
		t.Fatalf("device list: %s", r.body)
	}
	samples = append(samples, schemaSample{"device list", r.body, "HallDevices"})
	if got := e.metricLine(t, `onedoor_device_alerts{hall="students",kind="printer"}`); got != "1" {
		t.Fatalf("metric printer alerts %q", got)
	}

	// Paper back: cleared.
	beat(kioskStudents, map[string]any{"version": "1.4.0", "printer": "ok"})
	m = readUntilType(t, staff, string(hall.EventDeviceAlert))
	if !bytes.Contains(m.raw, []byte(`"state":"cleared"`)) {
		t.Fatalf("clear: %s", m.raw)
	}
	if got := e.metricLine(t, `onedoor_device_alerts{hall="students",kind="printer"}`); got != "0" {
		t.Fatalf("metric after clear %q", got)
	}

	// The display goes silent: 60 s on the queue's clock (the kiosk keeps beating).
	for range 4 {
		clk.add(15 * time.Second)
		beat(kioskStudents, map[string]any{"version": "1.4.0", "printer": "ok"})
	}
	if err := e.q.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	m = readUntilType(t, staff, string(hall.EventDeviceAlert))
	if !bytes.Contains(m.raw, []byte(`"kind":"silent"`)) || !bytes.Contains(m.raw, []byte(`"raised"`)) || !bytes.Contains(m.raw, []byte("大厅大屏")) {
		t.Fatalf("silent: %s", m.raw)
	}
	beat(displayStudents, map[string]any{"version": "1.4.0"})
	m = readUntilType(t, staff, string(hall.EventDeviceAlert))
	if !bytes.Contains(m.raw, []byte(`"kind":"silent"`)) || !bytes.Contains(m.raw, []byte(`"cleared"`)) {
		t.Fatalf("back: %s", m.raw)
	}
	spec.checkSamples(t, samples)
}

// TestHeartbeatRules: who may send heartbeats and see the device list; bad fields are named.
func TestHeartbeatRules(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		token  string
		body   any
		status int
		field  string
	}{
		{"", map[string]any{"version": "1"}, 401, ""},
		{kioskTeachers, map[string]any{"version": "1"}, 403, ""},
		{e.login("counter1"), map[string]any{"version": "1"}, 403, ""},
		{kioskStudents, map[string]any{"printer": "melting"}, 400, "printer"},
		{kioskStudents, map[string]any{"outbox": map[string]int{"pending": -2}}, 400, "outbox.pending"},
		{kioskStudents, map[string]any{"version": strings.Repeat("9", 65)}, 400, "version"},
		{kioskStudents, map[string]any{"colour": "red"}, 400, "colour"},
		{displayStudents, map[string]any{"printer": "ok"}, 400, "printer"},
		{displayStudents, map[string]any{"version": "1"}, 200, ""},
	} {
		r := e.do("POST", "/api/v1/halls/students/devices/heartbeat", c.token, c.body)
		if r.status != c.status || (c.field != "" && r.apiError(t).Field != c.field) {
			t.Errorf("%+v: %d %s", c, r.status, r.body)
		}
	}
	for tok, want := range map[string]int{"": 401, kioskStudents: 403, displayStudents: 403, e.login("counter1"): 200, e.login("admin"): 200} {
		if r := e.do("GET", "/api/v1/halls/students/devices", tok, nil); r.status != want {
			t.Errorf("device list with %q: %d, want %d", tok, r.status, want)
		}
	}
	if r := e.do("GET", "/api/v1/halls/teachers/devices", e.login("counter1"), nil); r.status != 403 {
		t.Errorf("other hall's device list: %d", r.status)
	}
}

// metricLine returns the value of one series in a scrape of /metrics ("" when absent).
func (e *env) metricLine(t *testing.T, series string) string {
	t.Helper()
	r := e.do("GET", "/metrics", metricsToken, nil)
	for _, l := range strings.Split(string(r.body), "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			return v
		}
	}
	return ""
}

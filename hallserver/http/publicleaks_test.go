package http

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// TestMetricsNeedAToken: outside demo mode /metrics answers only the scraper's bearer token
// (Config.MetricsToken) or an administrator; anyone else gets a JSON 401/403. In demo mode
// (Config.MetricsOpen) it is open.
func TestMetricsNeedAToken(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		who, token string
		status     int
	}{
		{"anonymous", "", 401},
		{"wrong token", "not-the-metrics-token", 401},
		{"display", displayStudents, 403},
		{"kiosk", kioskStudents, 403},
		{"counter staff", e.login("counter1"), 403},
	} {
		r := e.do("GET", "/metrics", c.token, nil)
		if r.status != c.status || bytes.Contains(r.body, []byte("onedoor_http_requests_total")) {
			t.Errorf("%s: %d %.200s", c.who, r.status, r.body)
			continue
		}
		r.apiError(t)
	}
	for who, token := range map[string]string{"scraper": metricsToken, "admin": e.login("admin")} {
		if r := e.do("GET", "/metrics", token, nil); r.status != 200 || !bytes.Contains(r.body, []byte("onedoor_http_requests_total")) {
			t.Errorf("%s: %d %.200s", who, r.status, r.body)
		}
	}

	demo := newEnv(t, withConfig(func(c *Config) { c.MetricsToken, c.MetricsOpen = "", true }))
	if r := demo.do("GET", "/metrics", "", nil); r.status != 200 || !bytes.Contains(r.body, []byte("go_goroutines")) {
		t.Errorf("demo mode: %d %.200s", r.status, r.body)
	}
	none := newEnv(t, withConfig(func(c *Config) { c.MetricsToken = "" }))
	if r := none.do("GET", "/metrics", "", nil); r.status != 401 {
		t.Errorf("no token configured, anonymous: %d %.200s", r.status, r.body)
	}
}

// TestOnlyKiosksReportPrinters: a display's token may not post printer alerts (a stolen display
// token from a TV would raise false alarms on every staff screen); the hall's kiosk may.
func TestOnlyKiosksReportPrinters(t *testing.T) {
	e := newEnv(t)
	body := map[string]string{"kind": "printer", "state": "paper_out"}
	if r := e.do("POST", "/api/v1/halls/students/devices/status", displayStudents, body); r.status != 403 || r.apiError(t).Code != hall.EFORBIDDEN {
		t.Fatalf("display: %d %s", r.status, r.body)
	}
	var snap hall.Snapshot
	e.do("GET", "/api/v1/halls/students/snapshot", "", nil).decode(t, &snap)
	if len(snap.Devices) != 0 {
		t.Fatalf("a display's report changed the snapshot: %+v", snap.Devices)
	}
	if r := e.do("POST", "/api/v1/halls/students/devices/status", kioskStudents, body); r.status != 200 {
		t.Fatalf("kiosk: %d %s", r.status, r.body)
	}
}

// TestPublicViewsCarryNoDeviceID: the public snapshot and stream show a kiosk's printer state
// without the device ID (which names the device and carries a hash of its token).
func TestPublicViewsCarryNoDeviceID(t *testing.T) {
	e := newEnv(t)
	ws := e.dial("students", 0)
	read(t, ws, 2*time.Second) // snapshot
	r := e.do("POST", "/api/v1/halls/students/devices/status", kioskStudents, map[string]string{"kind": "printer", "state": "paper_out"})
	var st hall.DeviceStatus
	r.decode(t, &st)
	if st.Device == "" {
		t.Fatalf("the kiosk's own answer has no device: %s", r.body)
	}
	ev := read(t, ws, 2*time.Second)
	snap := e.do("GET", "/api/v1/halls/students/snapshot", "", nil)
	ws2 := e.dial("students", 0)
	first := read(t, ws2, 2*time.Second)
	for what, b := range map[string][]byte{"event": ev.raw, "snapshot": snap.body, "stream snapshot": first.raw} {
		if !bytes.Contains(b, []byte("paper_out")) {
			t.Errorf("%s lost the printer state: %s", what, b)
		}
		if bytes.Contains(b, []byte(st.Device)) || strings.Contains(string(b), "kiosk-students") {
			t.Errorf("%s carries the device ID %q: %s", what, st.Device, b)
		}
	}
}

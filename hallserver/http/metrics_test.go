package http

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"onedoor/internal/testtool"
)

// TestMetricsPassPromtool runs Prometheus's own linter over a real scrape (promtool check
// metrics once said "onedoor_counter_actions_total: metric name should not include type
// 'counter'") and checks the gauges an operator graphs are there with the hall's state: waiting per
// service, counters by state, stream clients, device state, open and overdue cases per department.
func TestMetricsPassPromtool(t *testing.T) {
	promtool := testtool.Path(t, "promtool")
	e := newCaseEnv(t)
	e.issue("A")
	e.issue("A")
	staff := e.login("counter1")
	e.act(staff, 1, "open", nil, 200)
	if r := e.do("POST", "/api/v1/halls/students/devices/status", kioskStudents, map[string]string{"kind": "printer", "state": "paper_out"}); r.status >= 300 {
		t.Fatalf("device status: %d %s", r.status, r.body)
	}
	e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼占座严重"}, "")
	r := e.do("GET", "/metrics", metricsToken, nil)
	if r.status != 200 {
		t.Fatalf("metrics: %d %s", r.status, r.body)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(r.body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	body := string(r.body)
	for _, want := range []string{
		`onedoor_desk_actions_total{action="open",hall="students"} 1`,
		`onedoor_queue_waiting_tickets{hall="students",service="A"} 2`,
		`onedoor_queue_waiting_tickets{hall="students",service="B"} 0`,
		`onedoor_counters{hall="students",state="open"} 1`,
		`onedoor_counters{hall="students",state="closed"} `,
		`onedoor_stream_subscribers`,
		`onedoor_device_state{device="`,
		`kind="printer",state="paper_out"} 1`,
		`onedoor_device_alerts{hall="students",kind="printer"} 1`,
		`onedoor_device_alerts{hall="students",kind="silent"} 0`,
		`onedoor_cases_open{department="library"} 1`,
		`onedoor_cases_overdue{department="library"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "onedoor_counter_actions_total") {
		t.Errorf("metrics still carry onedoor_counter_actions_total")
	}
}

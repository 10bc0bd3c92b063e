package http

import (
	"bytes"
	"context"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

func TestKioskReportsItsPrinterAndStaffSeeIt(t *testing.T) {
	e := newEnv(t)
	ws := e.dial("students", 0)
	if m := read(t, ws, 2*time.Second); m.Type != "snapshot" {
		t.Fatalf("first message %s", m.Type)
	}
	r := e.do("POST", "/api/v1/halls/students/devices/status", kioskStudents, map[string]string{"kind": "printer", "state": "paper_out", "message": "纸卷用完"})
	if r.status != 200 {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	m := read(t, ws, 2*time.Second)
	if m.Type != string(hall.EventDevice) || !bytes.Contains(m.raw, []byte("paper_out")) {
		t.Fatalf("stream after report: %s", m.raw)
	}
	var snap hall.Snapshot
	e.do("GET", "/api/v1/halls/students/snapshot", "", nil).decode(t, &snap)
	if len(snap.Devices) != 1 || snap.Devices[0].State != hall.DevicePaperOut || snap.Devices[0].Kind != "printer" {
		t.Fatalf("snapshot devices %+v", snap.Devices)
	}
	// Only devices of the hall report; bad states are refused with the field named.
	for _, c := range []struct {
		token  string
		hall   string
		body   any
		status int
		field  string
	}{
		{"", "students", map[string]string{"kind": "printer", "state": "ok"}, 401, ""},
		{kioskTeachers, "students", map[string]string{"kind": "printer", "state": "ok"}, 403, ""},
		{e.login("counter1"), "students", map[string]string{"kind": "printer", "state": "ok"}, 403, ""},
		{kioskStudents, "students", map[string]string{"kind": "printer", "state": "melting"}, 400, "state"},
		{kioskStudents, "students", map[string]string{"kind": "printer", "state": "ok", "colour": "red"}, 400, "colour"},
	} {
		r := e.do("POST", "/api/v1/halls/"+c.hall+"/devices/status", c.token, c.body)
		if r.status != c.status || (c.field != "" && r.apiError(t).Field != c.field) {
			t.Errorf("%+v: %d %s", c, r.status, r.body)
		}
	}
	e.do("GET", "/api/v1/halls/students/snapshot", "", nil).decode(t, &snap)
	if len(snap.Devices) != 1 || snap.Devices[0].State != hall.DevicePaperOut {
		t.Fatalf("rejected reports changed the snapshot: %+v", snap.Devices)
	}
}

func TestNoticeLine(t *testing.T) {
	e := newEnv(t)
	if err := e.auth.CreateStaff(context.Background(), hall.Staff{Username: "supervisor", Role: hall.RoleSupervisor}, "demo"); err != nil {
		t.Fatal(err)
	}
	sup := e.login("supervisor")
	body := map[string]any{"text": map[string]string{"zh": "<b>图书馆</b>座位预约新规", "en": "Library seat booking rules"}}
	if r := e.do("POST", "/api/v1/halls/students/notices", e.login("counter1"), body); r.status != 403 {
		t.Fatalf("counter staff published a notice: %d", r.status)
	}
	r := e.do("POST", "/api/v1/halls/students/notices", sup, body)
	if r.status != 201 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	var n hall.Notice
	r.decode(t, &n)
	var snap hall.Snapshot
	e.do("GET", "/api/v1/halls/students/snapshot", "", nil).decode(t, &snap)
	if len(snap.Notices) != 1 || snap.Notices[0].Text.Zh != "<b>图书馆</b>座位预约新规" {
		t.Fatalf("snapshot notices %+v (stored as typed; pages escape)", snap.Notices)
	}
	if r := e.do("POST", "/api/v1/halls/students/notices", sup, map[string]any{"text": map[string]string{}}); r.status != 400 {
		t.Fatalf("empty notice: %d", r.status)
	}
	if r := e.do("DELETE", "/api/v1/halls/students/notices/"+n.ID, sup, nil); r.status != 204 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/v1/halls/students/notices/"+n.ID, sup, nil); r.status != 404 {
		t.Fatalf("withdraw twice: %d", r.status)
	}
	e.do("GET", "/api/v1/halls/students/snapshot", "", nil).decode(t, &snap)
	if len(snap.Notices) != 0 {
		t.Fatalf("withdrawn notice still shown")
	}
}

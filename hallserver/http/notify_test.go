package http

import (
	"context"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/notify"
	"onedoor/hallserver/wire"
)

// fakeNotifier is the notifier's admin side with dead letters in memory.
type fakeNotifier struct {
	mu   sync.Mutex
	dead []hall.Notification
}

func (f *fakeNotifier) Status() notify.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return notify.Status{Cursor: 9, LastSeq: 9, Dead: len(f.dead), Delivered: 4, Failures: 24}
}

func (f *fakeNotifier) DeadLetters(context.Context) ([]hall.Notification, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]hall.Notification{}, f.dead...), nil
}

func (f *fakeNotifier) Retry(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, d := range f.dead {
		if d.Key == key {
			f.dead = append(f.dead[:i], f.dead[i+1:]...)
			return nil
		}
	}
	return notify.ErrNotFound
}

// TestNotificationsAdmin: an administrator sees the dead letters (matching openapi.json) and
// retries one by key; a counter may not; a missing or unknown key is a 4xx naming the field and
// changes nothing.
func TestNotificationsAdmin(t *testing.T) {
	at := time.Date(2026, 12, 4, 22, 0, 0, 0, time.UTC)
	fn := &fakeNotifier{dead: []hall.Notification{{Key: "7/wecom/h-library", Seq: 7, Event: string(hall.CaseEvDispatched), Case: "JS20261205-0001",
		Channel: hall.NoticeWecom, Recipient: "h-library", To: "zhang", Department: "library", Title: "新案件 JS20261205-0001",
		Body: "…", URL: "http://hall/cases?case=JS20261205-0001", CreatedAt: at, NextAt: at, Attempts: 12,
		LastError: "wecom gettoken: EOF", Dead: true}}}
	e := newEnv(t, withConfig(func(c *Config) { c.Notify = fn }))
	admin, counter := e.login("admin"), e.login("counter1")
	if r := e.do("GET", "/api/v1/admin/notifications", counter, nil); r.status != 403 {
		t.Fatalf("counter: %d", r.status)
	}
	r := e.do("GET", "/api/v1/admin/notifications", admin, nil)
	var got wire.Notifications
	r.decode(t, &got)
	if r.status != 200 || got.Dead != 1 || got.DeadLetters[0].Key != "7/wecom/h-library" || got.DeadLetters[0].Attempts != 12 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	loadSpec(t).checkSamples(t, []schemaSample{{"notifications", r.body, "Notifications"}})
	for _, tc := range []struct {
		body   any
		status int
		field  string
	}{{map[string]string{}, 400, "key"}, {map[string]string{"key": "1/robot/nothing"}, 404, "key"}, {map[string]any{"key": 7}, 400, "key"}} {
		r := e.do("POST", "/api/v1/admin/notifications/retry", admin, tc.body)
		if r.status != tc.status || r.apiError(t).Field != tc.field {
			t.Fatalf("%v: %d %s", tc.body, r.status, r.body)
		}
	}
	if fn.Status().Dead != 1 {
		t.Fatal("a refused retry changed the dead letters")
	}
	if r := e.do("POST", "/api/v1/admin/notifications/retry", counter, map[string]string{"key": "7/wecom/h-library"}); r.status != 403 {
		t.Fatalf("counter retry: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/admin/notifications/retry", admin, map[string]string{"key": "7/wecom/h-library"}); r.status != 200 {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	if fn.Status().Dead != 0 {
		t.Fatal("retry did not reach the notifier")
	}
}

// TestStaffContacts: the WeChat Work user ID and e-mail of a staff member are set, shown and
// cleared through the admin API; bad ones are 400 naming the field, nothing stored.
func TestStaffContacts(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	r := e.do("POST", "/api/v1/admin/staff", admin, map[string]any{"username": "h-lib", "password": "longenough1", "role": "handler",
		"departments": []string{"library"}, "wecomUser": "ZhangSan", "email": "zhang@example.edu"})
	if r.status != 201 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	loadSpec(t).checkSamples(t, []schemaSample{{"staff member", r.body, "StaffMember"}})
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"wecomUser": "张 三"}, "wecomUser"},
		{map[string]any{"email": "Zhang <zhang@example.edu>"}, "email"},
		{map[string]any{"email": "not-an-address"}, "email"},
	} {
		r := e.do("PATCH", "/api/v1/admin/staff/h-lib", admin, tc.body)
		if r.status != 400 || r.apiError(t).Field != tc.field {
			t.Fatalf("%v: %d %s", tc.body, r.status, r.body)
		}
	}
	m := e.staffList(admin)["h-lib"]
	if m.WecomUser != "ZhangSan" || m.Email != "zhang@example.edu" {
		t.Fatalf("after refused patches: %+v", m)
	}
	if r := e.do("PATCH", "/api/v1/admin/staff/h-lib", admin, map[string]any{"wecomUser": "", "email": "li@example.edu"}); r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	m = e.staffList(admin)["h-lib"]
	if m.WecomUser != "" || m.Email != "li@example.edu" {
		t.Fatalf("after patch: %+v", m)
	}
}

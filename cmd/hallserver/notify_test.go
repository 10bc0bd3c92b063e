package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/wecom/wecomfake"
)

// TestNotifyWecomAcrossOutageAndKill9 runs the real server with -wecom-api pointing at the local
// fake of WeChat Work: a complaint logged at a kiosk reaches the department's handler (demo:
// user ID = username) as a textcard naming the case number. Then the API goes down, cases keep
// coming, the server is killed (-9) and restarted in the middle of the outage, and the API comes
// back: every notice arrives, each exactly once. A printer out of paper reaches the hall's
// counter staff.
func TestNotifyWecomAcrossOutageAndKill9(t *testing.T) {
	f := wecomfake.New(wecomfake.Config{})
	defer f.Close()
	fc := f.Config()
	args := []string{"-wecom-api", f.URL, "-wecom-corp", fc.CorpID, "-wecom-secret", fc.Secret, "-wecom-agent", fmt.Sprint(fc.AgentID)}
	p := startProc(t, filepath.Join(t.TempDir(), "onedoor.db"), args...)
	open := func() string {
		t.Helper()
		code, b, err := p.do("POST", "/api/v1/cases", "demo-kiosk-students", map[string]any{"kind": "complaint", "category": "library-seats", "text": "图书馆有人占座"})
		if err != nil || code != 201 {
			t.Fatalf("open case: %d %v %s", code, err, b)
		}
		var c struct {
			Number     string `json:"number"`
			Department string `json:"department"`
		}
		json.Unmarshal(b, &c)
		return c.Number
	}
	// received returns, per case number, the users it reached and how often.
	received := func() map[string]map[string]int {
		out := map[string]map[string]int{}
		for _, m := range f.Messages() {
			if strings.HasPrefix(m.Title, "设备告警") {
				continue
			}
			fs := strings.Fields(m.Title) // "新案件 JS20261204-0001"
			w := fs[len(fs)-1]
			if out[w] == nil {
				out[w] = map[string]int{}
			}
			out[w][m.User]++
		}
		return out
	}
	waitUntil := func(what string, d time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; messages %+v; log:\n%s", what, f.Messages(), p.logs())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	first := open()
	waitUntil("the first notice", 10*time.Second, func() bool { return len(received()[first]) > 0 })
	m := f.Messages()[0]
	if m.MsgType != "textcard" || !strings.HasPrefix(m.User, "h-") || !strings.Contains(m.Desc, first) ||
		!strings.HasSuffix(m.URL, "/cases?case="+first) || m.AgentID != fc.AgentID {
		t.Fatalf("notice %+v", m)
	}

	// A kiosk's printer runs out of paper: the hall's counter staff are told (demo: counter1… of
	// the students hall).
	if code, b, err := p.do("POST", "/api/v1/halls/students/devices/status", "demo-kiosk-students",
		map[string]string{"kind": "printer", "state": "paper_out"}); err != nil || code >= 300 {
		t.Fatalf("device status: %d %v %s", code, err, b)
	}
	waitUntil("the device alert", 10*time.Second, func() bool {
		for _, m := range f.Messages() {
			if strings.HasPrefix(m.Title, "设备告警") && strings.Contains(m.Desc, "打印机缺纸") && strings.HasPrefix(m.User, "counter") {
				return true
			}
		}
		return false
	})

	f.Down(true)
	var during []string
	for i := 0; i < 4; i++ {
		during = append(during, open())
	}
	waitUntil("failed attempts", 10*time.Second, func() bool { return f.Calls("/cgi-bin/message/send")+f.Calls("/cgi-bin/gettoken") > 1 })
	p.kill()
	p.start(args...)
	during = append(during, open())
	time.Sleep(500 * time.Millisecond) // more failed attempts with the API still down
	f.Down(false)
	all := append([]string{first}, during...)
	waitUntil("every notice after the outage", 60*time.Second, func() bool {
		r := received()
		for _, n := range all {
			if len(r[n]) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(300 * time.Millisecond) // a duplicate would come now
	// Each device alert once to each member (more alerts may come, e.g. a kiosk silent since the
	// restart, and the first alert's cards to several members arrive one by one: count repeats).
	seen := map[string]int{}
	for _, m := range f.Messages() {
		if strings.HasPrefix(m.Title, "设备告警") {
			seen[m.User+"\x00"+m.Title+"\x00"+m.Desc]++
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("device alert card %q reached its member %d times", k, n)
		}
	}
	r := received()
	if len(r) != len(all) {
		t.Errorf("notices of %d cases, want %d: %v", len(r), len(all), r)
	}
	for n, users := range r {
		for u, k := range users {
			if k != 1 {
				t.Errorf("case %s reached %s %d times", n, u, k)
			}
		}
	}
}

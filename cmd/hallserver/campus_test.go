package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/campus"
)

// campusAnswer is GET /api/v1/admin/campus with the campus kept as raw JSON.
type campusAnswer struct {
	Version string          `json:"version"`
	Campus  json.RawMessage `json:"campus"`
}

// putCampus sends PUT /api/v1/admin/campus with If-Match.
func (p *proc) putCampus(token, version string, c json.RawMessage) (int, []byte, error) {
	body, _ := json.Marshal(map[string]json.RawMessage{"campus": c})
	req, err := http.NewRequest("PUT", "http://"+p.addr+"/api/v1/admin/campus", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", `"`+version+`"`)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (p *proc) adminToken(t *testing.T) string {
	t.Helper()
	code, b, err := p.do("POST", "/api/v1/session", "", map[string]string{"username": "admin", "password": "demo"})
	if err != nil || code != 200 {
		t.Fatalf("login admin: %d %v %s", code, err, b)
	}
	var s struct {
		Token string `json:"token"`
	}
	json.Unmarshal(b, &s)
	return s.Token
}

func (p *proc) campus(t *testing.T, token string) campusAnswer {
	t.Helper()
	code, b, err := p.do("GET", "/api/v1/admin/campus", token, nil)
	if err != nil || code != 200 {
		t.Fatalf("GET campus: %d %v %s", code, err, b)
	}
	var a campusAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// campusChangedEvents counts the campus.changed events in the hall's log (the stream's replay
// from seq 1 up to the snapshot's seq).
func (p *proc) campusChangedEvents(t *testing.T, hallCode string) int {
	t.Helper()
	code, b, err := p.do("GET", "/api/v1/halls/"+hallCode+"/snapshot", "", nil)
	if err != nil || code != 200 {
		t.Fatalf("snapshot: %d %v", code, err)
	}
	var snap struct {
		Seq uint64 `json:"seq"`
	}
	json.Unmarshal(b, &snap)
	if snap.Seq <= 1 {
		return 0
	}
	c, _, err := websocket.DefaultDialer.Dial("ws://"+p.addr+"/api/v1/halls/"+hallCode+"/stream?since=1", nil)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	defer c.Close()
	n := 0
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, m, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("stream read: %v", err)
		}
		var ev struct {
			Type string `json:"type"`
			Seq  uint64 `json:"seq"`
		}
		json.Unmarshal(m, &ev)
		if ev.Type == "campus.changed" {
			n++
		}
		if ev.Seq >= snap.Seq {
			return n
		}
	}
}

// TestKill9DuringCampusApply changes the campus over and over (two campuses in turn: the demo,
// and the demo with a new service K at a new counter of the students hall) while the server is
// killed with SIGKILL. After every restart the stored campus is one of the two, whole, and the
// halls' logs agree with it: every applied version left exactly one campus.changed event in
// each hall (the campus record and all halls' changes are one commit), and the students hall
// issues K exactly when the stored campus has it.
func TestKill9DuringCampusApply(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary through kill -9 rounds")
	}
	data := filepath.Join(t.TempDir(), "onedoor.db")
	p := startProc(t, data)
	tok := p.adminToken(t)
	base := p.campus(t, tok)
	var demo map[string]any
	json.Unmarshal(base.Campus, &demo)
	halls := demo["halls"].([]any)
	students := halls[0].(map[string]any)
	students["services"] = append(students["services"].([]any), map[string]any{
		"code": "K", "name": map[string]any{"zh": "毕业离校", "en": "Leaving procedures"}, "avgMinutes": 4, "materials": []any{}})
	students["counters"] = append(students["counters"].([]any), map[string]any{"number": 99, "services": []any{"K"}})
	withK, _ := json.Marshal(demo)
	var plain, kcampus any
	json.Unmarshal(base.Campus, &plain)
	json.Unmarshal(withK, &kcampus)
	// Seq 1 of each hall is a ticket (or, in a hall that issues only within its hours and is
	// closed now, a notice), so that the replay from 1 holds every campus change.
	for _, h := range halls {
		hm := h.(map[string]any)
		hc := hm["code"].(string)
		svc := hm["services"].([]any)[0].(map[string]any)["code"].(string)
		code, b, err := p.do("POST", "/api/v1/halls/"+hc+"/tickets", "demo-kiosk-"+hc, map[string]string{"service": svc})
		if err == nil && code == 409 && strings.Contains(string(b), `"service_closed"`) {
			code, b, err = p.do("POST", "/api/v1/halls/"+hc+"/notices", tok, map[string]any{"text": map[string]string{"zh": "测试", "en": "test"}})
		}
		if err != nil || code != 201 {
			t.Fatalf("first event in %s: %d %v %s", hc, code, err, b)
		}
	}
	applied := 0
	for round := 0; round < 5; round++ {
		tok = p.adminToken(t)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			stop = make(chan struct{})
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				code, b, err := p.do("GET", "/api/v1/admin/campus", tok, nil)
				if err != nil || code != 200 {
					continue
				}
				var cur campusAnswer
				json.Unmarshal(b, &cur)
				next := json.RawMessage(withK)
				if strings.Contains(string(cur.Campus), `"code":"K"`) {
					next = base.Campus
				}
				if code, _, err := p.putCampus(tok, cur.Version, next); err == nil && code == 200 {
					mu.Lock()
					applied++
					mu.Unlock()
				}
			}
		}()
		time.Sleep(time.Duration(150+100*round) * time.Millisecond)
		p.kill()
		close(stop)
		wg.Wait()
		p.start()
		tok = p.adminToken(t)
		cur := p.campus(t, tok)
		var got any
		json.Unmarshal(cur.Campus, &got)
		hasK := fmt.Sprint(got) == fmt.Sprint(kcampus)
		if !hasK && fmt.Sprint(got) != fmt.Sprint(plain) {
			t.Fatalf("round %d: the stored campus is neither the old nor the new one:\n%s", round, cur.Campus)
		}
		v, _ := strconv.Atoi(cur.Version)
		for _, h := range []string{"students", "colleges", "teachers"} {
			if n := p.campusChangedEvents(t, h); n != v-1 {
				t.Fatalf("round %d: campus version %d but hall %s logged %d campus changes: a mix", round, v, h, n)
			}
		}
		code, b, _ := p.do("POST", "/api/v1/halls/students/tickets", "demo-kiosk-students", map[string]string{"service": "K"})
		if (code == 201) != hasK {
			t.Fatalf("round %d: campus has K %v, issuing K answered %d %s", round, hasK, code, b)
		}
		if code == 201 { // cancel it, or K could not be removed again (its ticket would have no counter)
			var tk issued
			json.Unmarshal(b, &tk)
			if code, b, _ := p.do("POST", "/api/v1/follow/"+tk.Token+"/cancel", "", nil); code != 200 {
				t.Fatalf("cancel K: %d %s", code, b)
			}
		}
	}
	if applied == 0 {
		t.Fatalf("no campus change was applied; log:\n%s", p.logs())
	}
	t.Logf("%d campus changes applied over 5 kill -9 rounds", applied)
}

// After a live change the stored campus wins at restart (the log says the given YAML differs);
// -campus -campus-apply applies a file at start through the same checks, and refuses an invalid
// one without starting.
func TestStoredCampusWinsAtRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "onedoor.db")
	p := startProc(t, data)
	tok := p.adminToken(t)
	base := p.campus(t, tok)
	edited := strings.Replace(string(base.Campus), "学籍与成绩", "学籍与成绩证明", 1)
	if code, b, err := p.putCampus(tok, base.Version, json.RawMessage(edited)); err != nil || code != 200 {
		t.Fatalf("PUT: %d %v %s", code, err, b)
	}
	p.kill()
	before := len(p.logs())
	p.start()
	tok = p.adminToken(t)
	if got := p.campus(t, tok); !strings.Contains(string(got.Campus), "学籍与成绩证明") || got.Version != "2" {
		t.Fatalf("after restart the campus is version %s, edited %v", got.Version, strings.Contains(string(got.Campus), "学籍与成绩证明"))
	}
	if !strings.Contains(p.logs()[before:], "differs from the embedded demo campus") {
		t.Errorf("the log does not say the stored campus differs:\n%s", p.logs()[before:])
	}
	p.kill()

	// -campus-apply with the demo YAML (what hallctl campus demo prints) puts the demo back.
	out, err := exec.Command(hallserverBin, "-h").CombinedOutput()
	if !strings.Contains(string(out), "-campus-apply") {
		t.Fatalf("hallserver -h does not list -campus-apply: %v", err)
	}
	file := filepath.Join(dir, "campus.yaml")
	yamlOut := campus.DemoYAML()
	os.WriteFile(file, yamlOut, 0o600)
	p.start("-campus", file, "-campus-apply")
	tok = p.adminToken(t)
	if got := p.campus(t, tok); strings.Contains(string(got.Campus), "学籍与成绩证明") || got.Version != "3" {
		t.Fatalf("-campus-apply: version %s, still edited %v", got.Version, strings.Contains(string(got.Campus), "学籍与成绩证明"))
	}
	p.kill()
	bad := strings.Replace(string(yamlOut), "avgMinutes: 5", "avgMinutes: 0", 1)
	os.WriteFile(file, []byte(bad), 0o600)
	cmd := exec.Command(hallserverBin, "-demo", "-addr", freeAddr(t), "-data", data, "-campus", file, "-campus-apply")
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "avgMinutes") {
		t.Fatalf("an invalid -campus-apply started or did not name the field: %v\n%s", err, out)
	}
}

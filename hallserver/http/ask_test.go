package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
	"onedoor/internal/testtool"
)

// newAskEnv is newCaseEnv with the portal's configuration changed by cfg (nil: the defaults),
// the hotline operator "hotline", and the loopback trusted as a proxy, so that a test names the
// client address in X-Forwarded-For.
func newAskEnv(t testing.TB, cfg func(*Config)) *caseEnv {
	t.Helper()
	e := newCaseEnv(t)
	if err := e.auth.CreateStaff(context.Background(), hall.Staff{Username: "hotline", Role: hall.RoleHotline}, "demo"); err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.ts.Close()
	e.ts = httptest.NewUnstartedServer(nil)
	c := Config{Queue: e.q, Events: e.q, Auth: e.auth, Campus: e.campus, PublicURL: "http://" + e.ts.Listener.Addr().String(),
		Cases: e.cs, Reports: e.cs, Topics: e.topics, LongList: e.list, MetricsToken: metricsToken,
		Admin: e.auth, Audit: bolt.NewAudit(e.db, 0, nil, nil),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}}
	if cfg != nil {
		cfg(&c)
	}
	e.srv = NewServer(c)
	e.ts.Config.Handler = e.srv
	e.ts.Start()
	return e
}

// testCampusDepts gives the test campus the departments the router knows.
func testCampusDepts(c *Config) {
	for _, d := range []hall.Department{
		{Code: "library", Name: hall.Text{Zh: "图书馆", En: "Library"}},
		{Code: "it", Name: hall.Text{Zh: "信息化建设与管理处", En: "IT Services Office"}},
		{Code: "logistics", Name: hall.Text{Zh: "后勤保障处", En: "Logistics Office"}},
		{Code: "academic", Name: hall.Text{Zh: "教务处", En: "Academic Affairs Office"}},
		{Code: "student", Name: hall.Text{Zh: "学生工作处", En: "Student Affairs Office"}},
		{Code: "finance", Name: hall.Text{Zh: "财务处", En: "Finance Office"}},
		{Code: "security", Name: hall.Text{Zh: "保卫处", En: "Campus Security Office"}},
		{Code: "health", Name: hall.Text{Zh: "校医院", En: "University Hospital"}},
		{Code: hall.OfficeDepartment, Name: hall.Text{Zh: "党委办公室·校长办公室", En: "President's Office"}},
	} {
		c.Campus.Departments = append(c.Campus.Departments, d)
	}
}

// ask posts a request to the portal from the client address addr.
func (e *caseEnv) ask(addr string, body any) response {
	e.t.Helper()
	return e.do("POST", "/api/v1/ask", "", body, "X-Forwarded-For", addr)
}

// caseCount is how many cases the store holds.
func (e *caseEnv) caseCount() int {
	e.t.Helper()
	l, err := e.cs.List(context.Background(), hall.CaseFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(l)
}

// metric returns the value of one sample line of /metrics (-1 when it is not there).
func (e *caseEnv) metric(line string) float64 {
	e.t.Helper()
	r := e.do("GET", "/metrics", metricsToken, nil)
	for _, l := range strings.Split(string(r.body), "\n") {
		if v, ok := strings.CutPrefix(l, line+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// TestAskOpensRoutedWebCase: a stranger's request becomes a web case routed by the router, with
// the contact kept for the department and masked on the follow page; the answer's follow link
// opens the case page and its QR code reads as the link. A picked department skips the router.
func TestAskOpensRoutedWebCase(t *testing.T) {
	e := newAskEnv(t, testCampusDepts)
	s := loadSpec(t)
	r := e.ask("10.1.0.1", map[string]any{"kind": "complaint", "text": "图书馆三楼自习室总有人用书占座",
		"contact": map[string]string{"name": "张三", "phone": "138 0013 8000", "number": "2023001"}})
	if r.status != 201 {
		t.Fatalf("ask: %d %s", r.status, r.body)
	}
	var ac wire.AskCase
	r.decode(t, &ac)
	s.checkSamples(t, []schemaSample{{"ask", r.body, "AskCase"}})
	if ac.Number == "" || ac.Channel != hall.ChannelWeb || ac.Department != "library" || ac.FollowURL != e.srv.cfg.PublicURL+"/c/"+ac.Token {
		t.Fatalf("answer: %+v", ac)
	}
	c, err := e.cs.Get(context.Background(), ac.Number)
	if err != nil {
		t.Fatal(err)
	}
	if c.Channel != hall.ChannelWeb || c.Requester.Phone != "13800138000" || c.Requester.Name != "张三" || c.Requester.PersonID != "2023001" || c.Route == nil {
		t.Fatalf("stored case: channel %s requester %+v route %v", c.Channel, c.Requester, c.Route)
	}
	page := e.do("GET", "/c/"+ac.Token, "", nil)
	if page.status != 200 || !bytes.Contains(page.body, []byte(ac.Number)) || bytes.Contains(page.body, []byte("13800138000")) {
		t.Fatalf("follow page: %d, number shown %v, phone hidden %v", page.status, bytes.Contains(page.body, []byte(ac.Number)), !bytes.Contains(page.body, []byte("13800138000")))
	}
	qr := e.do("GET", ac.QRURL, "", nil)
	if qr.status != 200 || qr.header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr: %d %s", qr.status, qr.header.Get("Content-Type"))
	}
	if got := zbar(t, qr.body); got != ac.FollowURL {
		t.Fatalf("QR reads %q, want %q", got, ac.FollowURL)
	}
	if r := e.do("GET", "/api/v1/case-follow/NOSUCHTOKEN/qr", "", nil); r.status != 404 {
		t.Fatalf("qr of nothing: %d", r.status)
	}

	// A picked department: the router is skipped.
	r = e.ask("10.1.0.2", map[string]any{"kind": "suggestion", "text": "图书馆三楼自习室的灯太暗了", "department": "logistics", "anonymous": true})
	r.decode(t, &ac)
	if r.status != 201 || ac.Department != "logistics" {
		t.Fatalf("picked department: %d %s", r.status, r.body)
	}
	if c, _ := e.cs.Get(context.Background(), ac.Number); c == nil || c.Route != nil || !c.Requester.Anonymous {
		t.Fatalf("picked: %+v", c)
	}
	if got := e.metric(`onedoor_ask_total{outcome="accepted"}`); got != 2 {
		t.Fatalf("accepted counted %v", got)
	}
}

// zbar decodes a PNG QR code with zbarimg.
func zbar(t *testing.T, pngBytes []byte) string {
	t.Helper()
	zb := testtool.Path(t, "zbarimg")
	f := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(f, pngBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zb, "-q", "--raw", f).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// testPNG is a small real PNG.
func testPNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// askMultipart posts the request with files as multipart/form-data.
func (e *caseEnv) askMultipart(addr string, req any, files map[string][]byte) response {
	e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if req != nil {
		j, _ := json.Marshal(req)
		w.WriteField("request", string(j))
	}
	for name, data := range files {
		fw, _ := w.CreateFormFile("files", name)
		fw.Write(data)
	}
	w.Close()
	return e.do("POST", "/api/v1/ask", "", b.Bytes(), "X-Forwarded-For", addr, "Content-Type", w.FormDataContentType())
}

// TestAskWithFiles: the multipart variant stores the photo on the case, where the follow page
// shows it; a file that is not a photo or PDF is refused naming it, and nothing is stored.
func TestAskWithFiles(t *testing.T) {
	e := newAskEnv(t, testCampusDepts)
	r := e.askMultipart("10.2.0.1", map[string]any{"kind": "complaint", "text": "宿舍楼道的灯坏了一周"}, map[string][]byte{"lamp.png": testPNG(t)})
	if r.status != 201 {
		t.Fatalf("ask with a file: %d %s", r.status, r.body)
	}
	var ac wire.AskCase
	r.decode(t, &ac)
	if ac.Files != 1 {
		t.Fatalf("files %d", ac.Files)
	}
	f := e.do("GET", "/api/v1/case-follow/"+ac.Token, "", nil)
	var cf wire.CaseFollow
	f.decode(t, &cf)
	n := 0
	for _, en := range cf.Timeline {
		n += len(en.Attachments)
	}
	if n != 1 {
		t.Fatalf("the follow view lists %d files: %s", n, f.body)
	}
	before := e.caseCount()
	for i, tc := range []struct {
		name   string
		req    any
		files  map[string][]byte
		status int
		field  string
	}{
		{"a script", map[string]any{"kind": "complaint", "text": "这里有一个脚本文件"}, map[string][]byte{"x.sh": []byte("#!/bin/sh\nrm -rf /\n")}, 415, "files"},
		{"no request part", nil, map[string][]byte{"lamp.png": testPNG(t)}, 400, "request"},
		{"bad JSON", "not json", map[string][]byte{"lamp.png": testPNG(t)}, 400, "request"},
		{"bad kind", map[string]any{"kind": "rant", "text": "宿舍楼道的灯坏了两周"}, map[string][]byte{"lamp.png": testPNG(t)}, 400, "kind"},
	} {
		r := e.askMultipart(fmt.Sprintf("10.2.1.%d", i), tc.req, tc.files)
		if r.status != tc.status || r.apiError(t).Field != tc.field {
			t.Errorf("%s: %d %s, want %d naming %s", tc.name, r.status, r.body, tc.status, tc.field)
		}
	}
	if got := e.caseCount(); got != before {
		t.Fatalf("refused uploads stored cases: %d → %d", before, got)
	}
}

// TestAskBadInput: every bad field is refused with 400 naming it, and nothing is stored.
func TestAskBadInput(t *testing.T) {
	e := newAskEnv(t, func(c *Config) { testCampusDepts(c); c.Ask.AddrBurst = 100; c.Ask.AddrPerMinute = 6000 })
	ok := "图书馆自习室总有人占座"
	long := strings.Repeat("占", 1001)
	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"no kind", map[string]any{"text": ok}, "kind"},
		{"bad kind", map[string]any{"kind": "rant", "text": ok}, "kind"},
		{"no text", map[string]any{"kind": "complaint"}, "text"},
		{"short text", map[string]any{"kind": "complaint", "text": "占座"}, "text"},
		{"long text", map[string]any{"kind": "complaint", "text": long}, "text"},
		{"control character", map[string]any{"kind": "complaint", "text": "图书馆\x07占座严重"}, "text"},
		{"zero-width character", map[string]any{"kind": "complaint", "text": "图书馆\u200b占座严重"}, "text"},
		{"private use", map[string]any{"kind": "complaint", "text": "图书馆\ue000占座严重"}, "text"},
		{"no words", map[string]any{"kind": "complaint", "text": "!!!!!!!!!!"}, "text"},
		{"links", map[string]any{"kind": "complaint", "text": "see http://a.example http://b.example www.c.example"}, "text"},
		{"unknown department", map[string]any{"kind": "complaint", "text": ok, "department": "nowhere"}, "department"},
		{"long name", map[string]any{"kind": "complaint", "text": ok, "contact": map[string]string{"name": strings.Repeat("张", 51)}}, "contact.name"},
		{"bad phone", map[string]any{"kind": "complaint", "text": ok, "contact": map[string]string{"phone": "call me"}}, "contact.phone"},
		{"short phone", map[string]any{"kind": "complaint", "text": ok, "contact": map[string]string{"phone": "123"}}, "contact.phone"},
		{"bad number", map[string]any{"kind": "complaint", "text": ok, "contact": map[string]string{"number": "2023 001;"}}, "contact.number"},
		{"bad lang", map[string]any{"kind": "complaint", "text": ok, "lang": "fr"}, "lang"},
		{"unknown field", map[string]any{"kind": "complaint", "text": ok, "category": "x"}, "category"},
		{"wrong type", map[string]any{"kind": "complaint", "text": ok, "anonymous": "yes"}, "anonymous"},
	} {
		r := e.ask("10.3.0.1", tc.body)
		if r.status != 400 || r.apiError(t).Field != tc.field {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.name, r.status, r.body, tc.field)
		}
	}
	if r := e.ask("10.3.0.1", "{"); r.status != 400 {
		t.Errorf("malformed JSON: %d", r.status)
	}
	if n := e.caseCount(); n != 0 {
		t.Fatalf("bad input stored %d cases", n)
	}
}

// TestAskHoneypot: a request that fills the hidden field is refused naming it, counted, and
// stores nothing.
func TestAskHoneypot(t *testing.T) {
	e := newAskEnv(t, testCampusDepts)
	r := e.ask("10.4.0.1", map[string]any{"kind": "complaint", "text": "图书馆自习室总有人占座", "website": "http://spam.example"})
	if r.status != 400 || r.apiError(t).Field != "website" {
		t.Fatalf("honeypot: %d %s", r.status, r.body)
	}
	if e.caseCount() != 0 || e.metric(`onedoor_ask_total{outcome="honeypot"}`) != 1 {
		t.Fatalf("honeypot: %d cases, counted %v", e.caseCount(), e.metric(`onedoor_ask_total{outcome="honeypot"}`))
	}
}

// TestAskRateLimits: one address gets its burst, then 429 with Retry-After, while another
// address still gets through; the overall limit refuses every address once spent. Both are
// counted.
func TestAskRateLimits(t *testing.T) {
	e := newAskEnv(t, func(c *Config) {
		testCampusDepts(c)
		c.Ask.AddrBurst, c.Ask.AddrPerMinute = 2, 1
		c.Ask.GlobalBurst, c.Ask.GlobalPerSecond = 5, 0.01
	})
	text := func(i int) string { return fmt.Sprintf("图书馆第%d层自习室总有人占座", i) }
	for i := range 2 {
		if r := e.ask("10.5.0.1", map[string]any{"kind": "complaint", "text": text(i)}); r.status != 201 {
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
	}
	r := e.ask("10.5.0.1", map[string]any{"kind": "complaint", "text": text(9)})
	ra, _ := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != 429 || ra < 1 || ra > 60 {
		t.Fatalf("over the address's limit: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	// The same /64 is the same subscriber.
	e.ask("2001:db8::1", map[string]any{"kind": "complaint", "text": text(20)})
	e.ask("2001:db8::2", map[string]any{"kind": "complaint", "text": text(21)})
	if r := e.ask("2001:db8::3", map[string]any{"kind": "complaint", "text": text(22)}); r.status != 429 {
		t.Fatalf("third from one /64: %d %s", r.status, r.body)
	}
	// Another address: the overall budget (5) has one left, then every address waits.
	if r := e.ask("10.5.0.2", map[string]any{"kind": "complaint", "text": text(30)}); r.status != 201 {
		t.Fatalf("another address: %d %s", r.status, r.body)
	}
	r = e.ask("10.5.0.3", map[string]any{"kind": "complaint", "text": text(31)})
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("over the overall limit: %d %s", r.status, r.body)
	}
	if e.metric(`onedoor_ask_total{outcome="rate_addr"}`) != 2 || e.metric(`onedoor_ask_total{outcome="rate_global"}`) != 1 {
		t.Fatalf("refusals counted: addr %v global %v", e.metric(`onedoor_ask_total{outcome="rate_addr"}`), e.metric(`onedoor_ask_total{outcome="rate_global"}`))
	}
	if n := e.caseCount(); n != 5 {
		t.Fatalf("%d cases stored, want 5", n)
	}
}

// TestAskDuplicates: the same text again from one address within the window is 409 naming
// text, also with other spacing and punctuation; from other addresses it is accepted up to the
// overall count, then refused too.
func TestAskDuplicates(t *testing.T) {
	e := newAskEnv(t, func(c *Config) { testCampusDepts(c); c.Ask.DupGlobal = 2 })
	text := "图书馆三楼自习室总有人用书占座"
	if r := e.ask("10.6.0.1", map[string]any{"kind": "complaint", "text": text}); r.status != 201 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	r := e.ask("10.6.0.1", map[string]any{"kind": "complaint", "text": "图书馆 三楼自习室，总有人用书占座！"})
	if r.status != 409 || r.apiError(t).Field != "text" {
		t.Fatalf("again from the same address: %d %s", r.status, r.body)
	}
	if r := e.ask("10.6.0.2", map[string]any{"kind": "complaint", "text": text}); r.status != 201 {
		t.Fatalf("from a second address: %d %s", r.status, r.body)
	}
	if r := e.ask("10.6.0.3", map[string]any{"kind": "complaint", "text": text}); r.status != 409 {
		t.Fatalf("from a third address (over the overall count): %d %s", r.status, r.body)
	}
	if n := e.caseCount(); n != 2 || e.metric(`onedoor_ask_total{outcome="duplicate"}`) != 2 {
		t.Fatalf("%d cases, duplicates counted %v", n, e.metric(`onedoor_ask_total{outcome="duplicate"}`))
	}
}

// TestAskRequireIdentity: with an identity required and none given the portal answers 401
// naming identity and stores nothing; with the identity seam (a fake) the case carries the
// identity's data, the contact typed in filling only what it leaves out.
func TestAskRequireIdentity(t *testing.T) {
	e := newAskEnv(t, func(c *Config) {
		testCampusDepts(c)
		c.Ask.RequireIdentity = true
		c.Requester = func(r *http.Request) (*hall.Requester, bool) {
			if r.Header.Get("X-Test-Identity") == "" {
				return nil, false
			}
			return &hall.Requester{Name: "李四", PersonID: r.Header.Get("X-Test-Identity")}, true
		}
	})
	body := map[string]any{"kind": "consultation", "text": "研究生奖学金什么时候评定", "contact": map[string]string{"name": "冒名", "phone": "13900139000"}}
	r := e.ask("10.7.0.1", body)
	if r.status != 401 || r.apiError(t).Field != "identity" || !strings.Contains(r.apiError(t).Message, "sign in") {
		t.Fatalf("no identity: %d %s", r.status, r.body)
	}
	if e.caseCount() != 0 {
		t.Fatal("stored without an identity")
	}
	r = e.do("POST", "/api/v1/ask", "", body, "X-Forwarded-For", "10.7.0.1", "X-Test-Identity", "2024007")
	var ac wire.AskCase
	r.decode(t, &ac)
	if r.status != 201 {
		t.Fatalf("with an identity: %d %s", r.status, r.body)
	}
	c, _ := e.cs.Get(context.Background(), ac.Number)
	if c.Requester.PersonID != "2024007" || c.Requester.Name != "李四" || c.Requester.Phone != "13900139000" {
		t.Fatalf("requester %+v", c.Requester)
	}
	// Without RequireIdentity a request without one is fine.
	e2 := newAskEnv(t, testCampusDepts)
	if r := e2.ask("10.7.0.2", body); r.status != 201 {
		t.Fatalf("identity not required: %d %s", r.status, r.body)
	}
}

// TestAskSuggest: the router's department and alternatives for a text, refusals for no text or
// too much, and the per-address limit.
func TestAskSuggest(t *testing.T) {
	e := newAskEnv(t, func(c *Config) { testCampusDepts(c); c.Ask.SuggestPerMinute = 1 })
	s := loadSpec(t)
	r := e.do("GET", "/api/v1/ask/suggest?text="+url.QueryEscape("图书馆自习室总有人用书占座"), "", nil, "X-Forwarded-For", "10.8.0.1")
	var sg wire.AskSuggestion
	r.decode(t, &sg)
	if r.status != 200 || sg.Department != "library" || sg.DepartmentName.Zh == "" {
		t.Fatalf("suggest: %d %s", r.status, r.body)
	}
	s.checkSamples(t, []schemaSample{{"suggest", r.body, "AskSuggestion"}})
	for _, q := range []string{"", "?text=", "?text=" + strings.Repeat("a", 501)} {
		if r := e.do("GET", "/api/v1/ask/suggest"+q, "", nil, "X-Forwarded-For", "10.8.0.2"); r.status != 400 || r.apiError(t).Field != "text" {
			t.Errorf("suggest %q: %d %s", q, r.status, r.body)
		}
	}
	// The burst is 20: the 21st in a row from one address is refused.
	var last response
	for range 21 {
		last = e.do("GET", "/api/v1/ask/suggest?text=abc", "", nil, "X-Forwarded-For", "10.8.0.3")
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" {
		t.Fatalf("suggest flood: %d %s", last.status, last.body)
	}
}

// TestAskStateIsBounded: a stranger cycling through addresses and texts cannot grow the
// portal's state past its bounds: the rate limit tracks at most MaxAddrs addresses (the rest
// share one budget, which is then spent), the duplicate guard at most DupMax texts.
func TestAskStateIsBounded(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	l := newAddrLimiter(6, 3, 100)
	refused := 0
	for i := range 10000 {
		if l.allow(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), now) > 0 {
			refused++
		}
	}
	if l.tracked() != 100 || refused < 9000 {
		t.Fatalf("tracked %d, refused %d of 10000", l.tracked(), refused)
	}
	// Idle addresses are forgotten for new ones once their bucket has refilled (30 s here).
	if l.allow("192.0.2.1", now.Add(time.Minute)) != 0 || l.tracked() != 1 {
		t.Fatalf("after a quiet minute: tracked %d", l.tracked())
	}
	g := newDupGuard(time.Hour, 3, 50)
	for i := range 1000 {
		g.record("10.0.0.1", fmt.Sprintf("text %d", i), now)
	}
	if g.remembered() != 50 || len(g.byAddr) != 50 || len(g.byText) != 50 {
		t.Fatalf("remembered %d (%d, %d)", g.remembered(), len(g.byAddr), len(g.byText))
	}
	if g.check("10.0.0.1", "text 999", now) != "addr" || g.check("10.0.0.1", "text 1", now) != "" {
		t.Fatal("the newest texts must be the ones remembered")
	}
	if g.check("10.0.0.1", "text 999", now.Add(time.Hour)) != "" || g.remembered() != 0 {
		t.Fatal("texts older than the window must be forgotten")
	}
}

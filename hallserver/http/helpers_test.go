package http

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/kpi"
	"onedoor/hallserver/wire"
)

// testCampus has two halls: students (services A and B, counters 1–3) and teachers (J).
func testCampus() hall.Campus {
	return hall.Campus{
		Name: hall.Text{Zh: "测试大学", En: "Test University"}, TimeZone: hall.DefaultTimeZone,
		Halls: []hall.Hall{
			{
				Code: "students", Name: hall.Text{Zh: "学生事务大厅", En: "Student Affairs Hall"},
				Services: []hall.Service{
					{Code: "A", Name: hall.Text{Zh: "学籍与成绩", En: "Enrolment & transcripts"}, AvgMinutes: 5,
						Materials: []hall.Text{{Zh: "学生证", En: "Student card"}, {Zh: "身份证", En: "ID card"}}},
					{Code: "B", Name: hall.Text{Zh: "奖助学金", En: "Scholarships"}, AvgMinutes: 8},
				},
				Counters: []hall.CounterConfig{{Number: 1, Services: []string{"A", "B"}}, {Number: 2, Services: []string{"A"}}, {Number: 3, Services: []string{"B"}}},
			},
			{
				Code: "teachers", Name: hall.Text{Zh: "教师服务中心", En: "Teacher Service Centre"},
				Services: []hall.Service{{Code: "J", Name: hall.Text{Zh: "人事与职称", En: "HR"}, AvgMinutes: 10}},
				Counters: []hall.CounterConfig{{Number: 1, Services: []string{"J"}}},
			},
		},
	}
}

// Device tokens of the test campus.
const (
	kioskStudents   = "test-kiosk-students"
	kioskTeachers   = "test-kiosk-teachers"
	displayStudents = "test-display-students"
)

// env is a real store (bbolt file, queue engine) behind a Server on an httptest server.
type env struct {
	t      testing.TB
	path   string
	campus hall.Campus
	db     *bolt.DB
	q      *bolt.Queue
	auth   *bolt.Auth
	srv    *Server
	ts     *httptest.Server
	// events, when set, replaces the store's event log in the server (fake log tests).
	events hall.EventLog
	// trusted are the reverse proxies the server believes (Config.TrustedProxies).
	trusted []netip.Prefix
	// config, when set, changes the server's configuration before it starts.
	config func(*Config)
	// now, when set, is the queue's clock (device health tests).
	now func() time.Time
}

type envOption func(*env)

func withEvents(l hall.EventLog) envOption { return func(e *env) { e.events = l } }

// withConfig changes the server's configuration before it starts.
func withConfig(f func(*Config)) envOption { return func(e *env) { e.config = f } }

// metricsToken is the test servers' bearer token for GET /metrics.
const metricsToken = "test-metrics-token-0123456789abcdef"

// withTrustedProxies makes the server believe X-Forwarded-For from these proxies.
func withTrustedProxies(p ...netip.Prefix) envOption { return func(e *env) { e.trusted = p } }

// withQueueClock gives the queue engines this clock.
func withQueueClock(now func() time.Time) envOption { return func(e *env) { e.now = now } }

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "onedoor.db"), campus: testCampus()}
	for _, o := range opts {
		o(e)
	}
	db, err := bolt.Open(e.path)
	if err != nil {
		t.Fatal(err)
	}
	q, err := bolt.NewQueue(context.Background(), db, e.campus, e.now)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	e.db, e.q, e.auth = db, q, bolt.NewAuth(db)
	ctx := context.Background()
	for _, s := range []hall.Staff{
		{Username: "counter1", Role: hall.RoleCounter, Halls: []string{"students"}},
		{Username: "admin", Role: hall.RoleAdmin},
	} {
		if err := e.auth.CreateStaff(ctx, s, "demo"); err != nil {
			t.Fatal(err)
		}
	}
	for tok, d := range map[string]hall.Device{
		kioskStudents:   {Role: hall.RoleKiosk, Hall: "students", Name: "1号自助机"},
		kioskTeachers:   {Role: hall.RoleKiosk, Hall: "teachers"},
		displayStudents: {Role: hall.RoleDisplay, Hall: "students", Name: "大厅大屏"},
	} {
		if _, err := e.auth.CreateDevice(ctx, d, tok); err != nil {
			t.Fatal(err)
		}
	}
	e.start()
	t.Cleanup(e.close)
	return e
}

// start serves a new Server on a new httptest server.
func (e *env) start() {
	var events hall.EventLog = e.q
	if e.events != nil {
		events = e.events
	}
	e.ts = httptest.NewUnstartedServer(nil)
	ratings, err := bolt.NewVisitRatings(e.db, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := Config{Queue: e.q, Events: events, Auth: e.auth, Campus: e.campus, PublicURL: "http://" + e.ts.Listener.Addr().String(), VisitRatings: enginehost.NewRatings(e.q, ratings),
		Backup: func(ctx context.Context) (BackupFile, error) { return e.db.Snapshot(ctx) },
		Storage: func() StorageStatus {
			st := e.db.Storage()
			return StorageStatus{FreeBytes: st.FreeBytes, CommitFailed: st.CommitError != nil, CommitReason: st.CommitReason(), CommitFailedAt: st.CommitErrorAt}
		},
		TrustedProxies: e.trusted, MetricsToken: metricsToken,
		Admin: e.auth, Audit: bolt.NewAudit(e.db, 0, nil, nil), QueueReports: kpi.NewReports(bolt.NewQueueReports(e.db), e.now)}
	if e.config != nil {
		e.config(&cfg)
	}
	e.srv = NewServer(cfg)
	e.ts.Config.Handler = e.srv
	e.ts.Start()
}

func (e *env) close() {
	if e.srv != nil {
		e.srv.Close()
		e.ts.Close()
		e.srv = nil
	}
	if e.q != nil {
		e.q.Close()
		e.db.Close()
		e.q = nil
	}
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// apiError returns the error object of an error answer, failing when it is not one.
func (r response) apiError(t testing.TB) wire.ErrorDetail {
	t.Helper()
	var eb wire.ErrorBody
	if err := json.Unmarshal(r.body, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
		t.Fatalf("status %d: not a JSON error: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error content type %q", ct)
	}
	return eb.Error
}

// do sends a request; body may be nil, a string or []byte (sent raw), or a value sent as JSON.
func (e *env) do(method, path, token string, body any, hdr ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// login signs a staff member in and returns the bearer token.
func (e *env) login(user string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/session", "", map[string]string{"username": user, "password": "demo"})
	if r.status != 200 {
		e.t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
	var s wire.Session
	r.decode(e.t, &s)
	return s.Token
}

// issue issues a ticket with the students kiosk.
func (e *env) issue(service string) wire.Ticket {
	e.t.Helper()
	r := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": service})
	if r.status != 201 {
		e.t.Fatalf("issue %s: %d %s", service, r.status, r.body)
	}
	var tj wire.Ticket
	r.decode(e.t, &tj)
	return tj
}

// act performs a counter action and fails unless the status is want.
func (e *env) act(token string, counter int, action string, body any, want int) response {
	e.t.Helper()
	r := e.do("POST", "/api/v1/halls/students/counters/"+itoa(counter)+"/"+action, token, body)
	if r.status != want {
		e.t.Fatalf("%s at counter %d: status %d (want %d) %s", action, counter, r.status, want, r.body)
	}
	return r
}

func itoa(n int) string { return jsonNum(n) }

func jsonNum(n int) string { b, _ := json.Marshal(n); return string(b) }

// snapshotServices returns the services part of the students snapshot, to see that nothing changed.
func (e *env) snapshotServices() string {
	e.t.Helper()
	r := e.do("GET", "/api/v1/halls/students/snapshot", "", nil)
	if r.status != 200 {
		e.t.Fatalf("snapshot: %d %s", r.status, r.body)
	}
	var s hall.Snapshot
	r.decode(e.t, &s)
	b, _ := json.Marshal(s.Services)
	return string(b)
}

// dial opens the hall's stream; since 0 means none.
func (e *env) dial(hallCode string, since uint64) *websocket.Conn {
	e.t.Helper()
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/api/v1/halls/" + hallCode + "/stream"
	if since > 0 {
		u += "?since=" + jsonNum(int(since))
	}
	c, resp, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		e.t.Fatalf("dial %s: %v (%d)", u, err, code)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// message is any stream message.
type message struct {
	Type     string         `json:"type"`
	Seq      uint64         `json:"seq"`
	Snapshot *hall.Snapshot `json:"snapshot"`
	Ticket   *hall.Ticket   `json:"ticket"`
	Counter  *hall.Counter  `json:"counter"`
	raw      []byte
}

// read reads one stream message within d.
func read(t testing.TB, c *websocket.Conn, d time.Duration) message {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("stream read: %v", err)
	}
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("stream message %s: %v", b, err)
	}
	m.raw = b
	return m
}

// fakeLog is an in-memory hall.EventLog for hub tests: Publish appends and delivers.
type fakeLog struct {
	mu     sync.Mutex
	events map[string][]hall.Event
	subs   map[string]map[chan hall.Event]bool
	oldest uint64 // Since refuses seq below this (pruned)
}

func newFakeLog() *fakeLog {
	return &fakeLog{events: map[string][]hall.Event{}, subs: map[string]map[chan hall.Event]bool{}}
}

func (l *fakeLog) Publish(ev hall.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := l.events[ev.Hall]
	ev.Seq = uint64(len(evs)) + 1
	l.events[ev.Hall] = append(evs, ev)
	for ch := range l.subs[ev.Hall] {
		select {
		case ch <- ev:
		default:
			delete(l.subs[ev.Hall], ch)
			close(ch)
		}
	}
}

// DropSubscribers closes every subscription of the hall, as a log does when they fall behind.
func (l *fakeLog) DropSubscribers(hallCode string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs[hallCode] {
		delete(l.subs[hallCode], ch)
		close(ch)
	}
}

func (l *fakeLog) Since(_ context.Context, hallCode string, seq uint64) ([]hall.Event, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := l.events[hallCode]
	if seq > uint64(len(evs)) || seq < l.oldest {
		return nil, false, nil
	}
	return append([]hall.Event(nil), evs[seq:]...), true, nil
}

func (l *fakeLog) Subscribe(hallCode string, buffer int) (<-chan hall.Event, func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan hall.Event, buffer)
	if l.subs[hallCode] == nil {
		l.subs[hallCode] = map[chan hall.Event]bool{}
	}
	l.subs[hallCode][ch] = true
	return ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.subs[hallCode][ch] {
			delete(l.subs[hallCode], ch)
			close(ch)
		}
	}
}

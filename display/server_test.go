package display

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"onedoor/display/voice"
	"onedoor/hallserver/bolt"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
	"onedoor/hallserver/wire"
	"onedoor/internal/testtool"
)

// testCampus is one hall with services A and B and counters 1–3.
func testCampus() hall.Campus {
	return hall.Campus{
		Name: hall.Text{Zh: "测试大学", En: "Test University"}, TimeZone: hall.DefaultTimeZone,
		Halls: []hall.Hall{{
			Code: "students", Name: hall.Text{Zh: "学生事务大厅", En: "Student Affairs Hall"},
			Services: []hall.Service{
				{Code: "A", Name: hall.Text{Zh: "学籍与成绩", En: "Enrolment"}, AvgMinutes: 5},
				{Code: "B", Name: hall.Text{Zh: "奖助学金", En: "Scholarships"}, AvgMinutes: 8},
			},
			Counters: []hall.CounterConfig{{Number: 1, Services: []string{"A", "B"}}, {Number: 2, Services: []string{"A"}}, {Number: 3, Services: []string{"B"}}},
		}},
	}
}

// server is a real hall server (bbolt file, queue engine, HTTP API) on an httptest server, as in
// hallserver/http's tests, with a logged-in counter clerk and a kiosk.
type server struct {
	t     testing.TB
	ts    *httptest.Server
	staff *client.Client
	kiosk *client.Client
}

func newServer(t testing.TB) *server {
	t.Helper()
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	c := testCampus()
	q, err := bolt.NewQueue(ctx, db, c, nil)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	auth := bolt.NewAuth(db)
	if err := auth.CreateStaff(ctx, hall.Staff{Username: "counter1", Role: hall.RoleCounter, Halls: []string{"students"}}, "demo"); err != nil {
		t.Fatal(err)
	}
	for tok, d := range map[string]hall.Device{
		"kiosk":   {Role: hall.RoleKiosk, Hall: "students"},
		"display": {Role: hall.RoleDisplay, Hall: "students"},
	} {
		if _, err := auth.CreateDevice(ctx, d, tok); err != nil {
			t.Fatal(err)
		}
	}
	srv := hallhttp.NewServer(hallhttp.Config{Queue: q, Events: q, Auth: auth, Campus: c, PublicURL: "http://127.0.0.1"})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); ts.Close(); q.Close(); db.Close() })
	s := &server{t: t, ts: ts, staff: client.New(ts.URL, ""), kiosk: client.New(ts.URL, "kiosk")}
	if _, err := s.staff.Login(ctx, "counter1", "demo"); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *server) act(counter int, action string) *client.ActResult {
	s.t.Helper()
	r, err := s.staff.Act(context.Background(), "students", counter, action, nil)
	if err != nil {
		s.t.Fatalf("%s at counter %d: %v", action, counter, err)
	}
	return r
}

func (s *server) issue(service string) {
	s.t.Helper()
	if _, err := s.kiosk.Issue(context.Background(), "students", wire.IssueRequest{Service: service}, ""); err != nil {
		s.t.Fatal(err)
	}
}

// callNext calls the next ticket at the counter and returns "number@counter".
func (s *server) callNext(counter int) string {
	s.t.Helper()
	r := s.act(counter, hall.ActCallNext)
	if r.Ticket == nil {
		s.t.Fatalf("counter %d: nobody to call", counter)
	}
	return fmt.Sprintf("%s@%d", r.Ticket.Number, counter)
}

// recorder is a speaker that records what it reads and checks that readings never overlap.
type recorder struct {
	t      testing.TB
	mu     sync.Mutex
	active bool
	read   []string
}

func (r *recorder) Speak(ctx context.Context, a voice.Announcement) error {
	r.mu.Lock()
	if r.active {
		r.t.Errorf("%s read while another announcement was playing", a.Number)
	}
	r.active = true
	r.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	r.mu.Lock()
	r.active = false
	r.read = append(r.read, fmt.Sprintf("%s@%d", a.Number, a.Counter))
	r.mu.Unlock()
	return nil
}

func (r *recorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.read, " ")
}

// fakeClock is time.Now shifted by an offset the test advances.
type fakeClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// eventually polls cond every 5 ms until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// screen is the view as "now recent…" numbers with counters.
func screen(v View) string {
	var s []string
	if v.Now != nil {
		s = append(s, v.Now.Number+"@"+v.Now.Counter)
	}
	for _, c := range append(v.Also, v.Recent...) {
		s = append(s, c.Number+"@"+c.Counter)
	}
	return strings.Join(s, " ")
}

// TestReplayAfterTheLinkDrops: the display loses the server, three calls are made, the link
// comes back: all three are shown in order and each is announced once, replayed with since=N
// (no second snapshot); meanwhile, after 5 s, the indicator says the link is lost and the last
// call stays on screen.
func TestReplayAfterTheLinkDrops(t *testing.T) {
	srv := newServer(t)
	px := testtool.NewLinkProxy(t, srv.ts.Listener.Addr().String())
	for _, c := range []int{1, 2, 3} {
		srv.act(c, hall.ActOpen)
	}
	for _, s := range []string{"A", "A", "B", "A"} {
		srv.issue(s)
	}
	rec := &recorder{t: t}
	q := voice.NewQueue(rec, nil)
	clk := &fakeClock{}
	ctrl := NewController(Config{
		Client: client.New(px.URL(), "display"), Hall: "students", Voice: q, Now: clk.Now,
		Stream: client.StreamOptions{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.Run(ctx)
	done := make(chan error, 1)
	go func() { done <- ctrl.Run(ctx) }()
	eventually(t, 5*time.Second, "display synced", func() bool { m, _ := ctrl.Stats(); return m > 0 })

	first := srv.callNext(1)
	eventually(t, 5*time.Second, "first call shown", func() bool { return screen(ctrl.View()) == first })
	eventually(t, 5*time.Second, "first call announced", func() bool { return rec.all() == first })

	px.SetDown(true)
	eventually(t, 5*time.Second, "link loss noticed", func() bool { return !ctrl.Link().Connected })
	if v := ctrl.View(); v.Conn.Zh != "" {
		t.Fatalf("indicator before 5 s: %q", v.Conn.Zh)
	}
	clk.Advance(OfflineAfter + time.Second)
	if v := ctrl.View(); v.Conn.OK || v.Conn.Zh != "连接中断，正在重连…" || screen(v) != first {
		t.Fatalf("offline view: conn %+v screen %q", v.Conn, screen(v))
	}

	srv.act(1, hall.ActFinish)
	calls := []string{srv.callNext(2), srv.callNext(3), srv.callNext(1)}
	time.Sleep(100 * time.Millisecond)
	if got := screen(ctrl.View()); got != first {
		t.Fatalf("the display changed while offline: %q", got)
	}
	px.SetDown(false)
	want := calls[2] + " " + calls[1] + " " + calls[0] + " " + first
	eventually(t, 5*time.Second, "replayed calls shown", func() bool { return screen(ctrl.View()) == want })
	if v := ctrl.View(); !v.Conn.OK || v.Conn.Zh != "" {
		t.Fatalf("indicator after recovery: %+v", v.Conn)
	}
	wantRead := first + " " + strings.Join(calls, " ")
	eventually(t, 5*time.Second, "replayed calls announced", func() bool { return rec.all() == wantRead })
	time.Sleep(200 * time.Millisecond)
	if got := rec.all(); got != wantRead {
		t.Fatalf("announced %q, want %q (each once)", got, wantRead)
	}
	if _, snaps := ctrl.Stats(); snaps != 1 {
		t.Fatalf("%d snapshots: the reconnect should replay with since=N", snaps)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run: %v", err)
	}
}

// TestASlowDisplayDoesNotDelayOthers: next to a display that never reads its socket and one
// whose screen takes 50 ms per update, a normal display shows each of a burst of calls quickly;
// the slow one catches up by itself.
func TestASlowDisplayDoesNotDelayOthers(t *testing.T) {
	srv := newServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A display that connects and never reads.
	u := "ws" + strings.TrimPrefix(srv.ts.URL, "http") + "/api/v1/halls/students/stream"
	stuck, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()

	var mu sync.Mutex
	seen := map[string]time.Time{}
	fast := NewController(Config{Client: client.New(srv.ts.URL, "display"), Hall: "students", OnView: func(v View) {
		if v.Now != nil {
			mu.Lock()
			if _, ok := seen[v.Now.Number]; !ok {
				seen[v.Now.Number] = time.Now()
			}
			mu.Unlock()
		}
	}})
	slow := NewController(Config{Client: client.New(srv.ts.URL, "display"), Hall: "students", OnView: func(View) { time.Sleep(50 * time.Millisecond) }})
	go fast.Run(ctx)
	go slow.Run(ctx)
	eventually(t, 5*time.Second, "displays connected", func() bool {
		m1, _ := fast.Stats()
		m2, _ := slow.Stats()
		return m1 > 0 && m2 > 0
	})
	srv.act(1, hall.ActOpen)
	const n = 30
	for i := 0; i < n; i++ {
		srv.issue("A")
	}
	var worst time.Duration
	last := ""
	for i := 0; i < n; i++ {
		if i > 0 {
			srv.act(1, hall.ActFinish)
		}
		t0 := time.Now()
		last = strings.Split(srv.callNext(1), "@")[0]
		eventually(t, 2*time.Second, "fast display shows "+last, func() bool {
			mu.Lock()
			defer mu.Unlock()
			_, ok := seen[last]
			return ok
		})
		mu.Lock()
		worst = max(worst, seen[last].Sub(t0))
		mu.Unlock()
	}
	t.Logf("fast display: worst call-to-view %v over %d calls, next to a stuck and a slow display", worst, n)
	if worst > 500*time.Millisecond {
		t.Fatalf("a call took %v to reach the fast display", worst)
	}
	eventually(t, 15*time.Second, "slow display catches up", func() bool {
		v := slow.View()
		return v.Now != nil && v.Now.Number == last
	})
}

// BenchmarkFyneDisplayStateUpdate measures call-next to the new call in the display state (the
// view the Fyne screen draws) of each of 100 displays following one hall.
// Run: go test -run '^$' -bench FyneDisplayStateUpdate -benchtime 50x ./display
func BenchmarkFyneDisplayStateUpdate(b *testing.B) {
	const displays = 100
	srv := newServer(b)
	srv.act(1, hall.ActOpen)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type arrival struct {
		number string
		at     time.Time
	}
	arrivals := make(chan arrival, displays*4)
	ctrls := make([]*Controller, displays)
	for i := range ctrls {
		var last string
		ctrls[i] = NewController(Config{Client: client.New(srv.ts.URL, "display"), Hall: "students", OnView: func(v View) {
			if v.Now != nil && v.Now.Number != last {
				last = v.Now.Number
				arrivals <- arrival{v.Now.Number, time.Now()}
			}
		}})
		go ctrls[i].Run(ctx)
	}
	eventually(b, 10*time.Second, "displays connected", func() bool {
		for _, c := range ctrls {
			if m, _ := c.Stats(); m == 0 {
				return false
			}
		}
		return true
	})
	var lat, lastLat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv.issue("A")
		time.Sleep(20 * time.Millisecond)
		b.StartTimer()
		t0 := time.Now()
		n := strings.Split(srv.callNext(1), "@")[0]
		var worst time.Duration
		for j := 0; j < displays; j++ {
			select {
			case a := <-arrivals:
				if a.number != n {
					b.Fatalf("display shows %s, want %s", a.number, n)
				}
				lat = append(lat, a.at.Sub(t0))
				worst = max(worst, a.at.Sub(t0))
			case <-time.After(5 * time.Second):
				b.Fatalf("call %d: %d of %d displays updated", i, j, displays)
			}
		}
		lastLat = append(lastLat, worst)
		b.StopTimer()
		srv.act(1, hall.ActFinish)
		b.StartTimer()
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(lastLat, func(i, j int) bool { return lastLat[i] < lastLat[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(ms(lastLat[len(lastLat)/2]), "all100-p50-ms")
}

// TestWaitTimesFollowTheServer: the display's estimated waits are the server's (what the kiosk
// and the web display say), not the first snapshot's estimate per person scaled by the waiting
// count: after tickets are issued and a second counter opens for B, B's wait on the display is
// the server's estimate.
func TestWaitTimesFollowTheServer(t *testing.T) {
	srv := newServer(t)
	srv.act(1, hall.ActOpen)
	srv.issue("B")
	ctrl := NewController(Config{Client: client.New(srv.ts.URL, "display"), Hall: "students",
		Stream: client.StreamOptions{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = ctrl.Run(ctx) }()
	eventually(t, 5*time.Second, "display synced", func() bool { m, _ := ctrl.Stats(); return m > 0 })
	for i := 0; i < 6; i++ {
		srv.issue("B")
	}
	srv.act(3, hall.ActOpen)
	snap, err := srv.kiosk.Snapshot(ctx, "students")
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for _, s := range snap.Services {
		if s.Code == "B" {
			want = fmt.Sprintf("约 %d 分钟", max(1, (s.EtaSeconds+59)/60))
		}
	}
	shown := func() string { return ctrl.View().Services[1].WaitZh }
	var got string
	deadline := time.Now().Add(5 * time.Second)
	for got = shown(); got != want && time.Now().Before(deadline); got = shown() {
		time.Sleep(10 * time.Millisecond)
	}
	if got != want {
		t.Fatalf("B on the display %q, the server (kiosk, web) says %q", got, want)
	}
}

package bolt

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	loc, _ := time.LoadLocation(hall.DefaultTimeZone)
	return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, loc)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testCampus is one hall "h1" with services A and B and five counters serving both, plus a
// second hall "h2".
func testCampus() hall.Campus {
	mk := func(code string) hall.Hall {
		h := hall.Hall{
			Code: code, Name: hall.Text{Zh: "大厅 " + code, En: "Hall " + code},
			Services: []hall.Service{
				{Code: "A", Name: hall.Text{Zh: "甲", En: "A"}, AvgMinutes: 5, Materials: []hall.Text{{Zh: "学生证", En: "student card"}}},
				{Code: "B", Name: hall.Text{Zh: "乙", En: "B"}, AvgMinutes: 5},
			},
		}
		for n := 1; n <= 5; n++ {
			h.Counters = append(h.Counters, hall.CounterConfig{Number: n, Services: []string{"A", "B"}})
		}
		return h
	}
	return hall.Campus{Name: hall.Text{Zh: "测试", En: "Test"}, TimeZone: hall.DefaultTimeZone, Halls: []hall.Hall{mk("h1"), mk("h2")}}
}

// bigCampus has halls with 26 services each (A–Z), to issue many tickets a day in benchmarks.
func bigCampus(halls int) hall.Campus {
	c := hall.Campus{Name: hall.Text{Zh: "基准", En: "Bench"}, TimeZone: hall.DefaultTimeZone}
	for i := 0; i < halls; i++ {
		h := hall.Hall{Code: fmt.Sprintf("h%d", i+1), Name: hall.Text{Zh: "大厅", En: "Hall"}}
		var all []string
		for s := 'A'; s <= 'Z'; s++ {
			h.Services = append(h.Services, hall.Service{Code: string(s), Name: hall.Text{Zh: string(s), En: string(s)}, AvgMinutes: 5})
			all = append(all, string(s))
		}
		for n := 1; n <= 6; n++ {
			h.Counters = append(h.Counters, hall.CounterConfig{Number: n, Services: all})
		}
		c.Halls = append(c.Halls, h)
	}
	return c
}

// faults is the tests' failpoint (Options.Failpoint, the one fault-injection hook): fail makes
// that many next commits fail; hold, when set, runs at the commit point first (to hold the
// committer); enqueued counts the changes handed to a committer.
type faults struct {
	fail     atomic.Int32
	enqueued atomic.Int64
	mu       sync.Mutex
	hold     func()
}

func (f *faults) hit(point string) error {
	switch point {
	case enginehost.PointEnqueue:
		f.enqueued.Add(1)
	case enginehost.PointCommit:
		f.mu.Lock()
		hold := f.hold
		f.mu.Unlock()
		if hold != nil {
			hold()
		}
		for {
			n := f.fail.Load()
			if n <= 0 {
				break
			}
			if f.fail.CompareAndSwap(n, n-1) {
				return enginehost.ErrInjected
			}
		}
	}
	return nil
}

// holdOnce makes the next commit wait at the commit point until release is closed; held is
// closed when it is there.
func (f *faults) holdOnce() (held, release chan struct{}) {
	held, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.mu.Lock()
	f.hold = func() {
		once.Do(func() {
			close(held)
			<-release
		})
	}
	f.mu.Unlock()
	return held, release
}

type env struct {
	t      testing.TB
	fp     faults
	path   string
	clk    *clock
	campus hall.Campus
	db     *DB
	q      *Queue
	logw   io.Writer // when set, the queue logs there
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "data", "onedoor.db"), clk: newClock(), campus: testCampus()}
	e.open()
	t.Cleanup(e.close)
	return e
}

func (e *env) open() {
	e.t.Helper()
	db, err := OpenWith(e.path, Options{Failpoint: e.fp.hit})
	if err != nil {
		e.t.Fatal(err)
	}
	var opts []QueueOption
	if e.logw != nil {
		opts = append(opts, WithLogger(slog.New(slog.NewTextHandler(e.logw, nil))))
	}
	q, err := NewQueue(context.Background(), db, e.campus, e.clk.Now, opts...)
	if err != nil {
		db.Close()
		e.t.Fatal(err)
	}
	e.db, e.q = db, q
}

func (e *env) close() {
	if e.q != nil {
		e.q.Close()
		e.q = nil
	}
	if e.db != nil {
		e.db.Close()
		e.db = nil
	}
}

func (e *env) reopen() {
	e.t.Helper()
	e.close()
	e.open()
}

func (e *env) issue(hallCode, svc string) *hall.Issued {
	e.t.Helper()
	iss, err := e.q.Issue(context.Background(), hall.IssueRequest{Hall: hallCode, Service: svc, Channel: "test"})
	if err != nil {
		e.t.Fatalf("issue %s/%s: %v", hallCode, svc, err)
	}
	return iss
}

func (e *env) act(hallCode string, counter int, action, ticket string) (*hall.Ticket, error) {
	return e.q.Act(context.Background(), hall.CounterAction{Hall: hallCode, Counter: counter, Action: action, Actor: "counter1", Ticket: ticket})
}

func (e *env) mustAct(hallCode string, counter int, action, ticket string) *hall.Ticket {
	e.t.Helper()
	t, err := e.act(hallCode, counter, action, ticket)
	if err != nil {
		e.t.Fatalf("%s at %s/%d: %v", action, hallCode, counter, err)
	}
	return t
}

package notify_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/notify"
	"onedoor/hallserver/wecom/wecomfake"
)

// clock is a simulated clock the test moves forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestOutageOfTenMinutesThenBack: WeChat Work's API is down for 10 simulated minutes while five
// cases arrive (their notices back off towards minutes); when it is back, every notice reaches
// each handler exactly once, within a probe interval of the API's return (not after a backoff of
// up to 10 minutes), and none becomes a dead letter.
func TestOutageOfTenMinutesThenBack(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	e := newEnv(t)
	f := wecomfake.New(wecomfake.Config{Now: clk.Now})
	t.Cleanup(f.Close)
	e.f = f
	c := testCampus
	c.Departments = []hall.Department{c.Departments[0]}
	c.Departments[0].WecomRobot = ""
	f.Down(true)
	n, stop := e.run(t, e.st, func(cfg *notify.Config) {
		cfg.Directory, cfg.Robot, cfg.Now = dir{c}, nil, clk.Now
		cfg.MinBackoff, cfg.MaxBackoff, cfg.Poll = notify.DefaultMinBackoff, notify.DefaultMaxBackoff, 5*time.Millisecond
	})
	defer stop()
	waitFor(t, "the notifier's cursor", func() bool { _, ok, _ := e.st.Cursor(context.Background(), notify.CursorName); return ok })
	nums := e.open(t, 5)
	waitFor(t, "queued", func() bool { return n.Status().Pending == 10 })
	downAt := clk.Now()
	for clk.Now().Sub(downAt) < 10*time.Minute {
		clk.Add(2 * time.Second)
		time.Sleep(5 * time.Millisecond)
	}
	ps, err := e.st.Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	most := 0
	for _, p := range ps {
		most = max(most, p.Attempts)
	}
	if s := n.Status(); s.Delivered != 0 || s.Dead != 0 || most < 6 {
		t.Fatalf("during the outage: %+v, most attempts %d (want the backoff grown to minutes)", s, most)
	}
	f.Down(false)
	upAt := clk.Now()
	for clk.Now().Sub(upAt) < 30*time.Minute {
		if s := n.Status(); s.Delivered == 10 && s.Pending == 0 {
			break
		}
		clk.Add(time.Second)
		time.Sleep(10 * time.Millisecond)
	}
	if s := n.Status(); s.Delivered != 10 || s.Pending != 0 || s.Dead != 0 {
		t.Fatalf("30 simulated minutes after the API came back: %+v", s)
	}
	got := perUser(f)
	if len(got) != 10 {
		t.Fatalf("messages %v, want 5 cases × 2 handlers", got)
	}
	for _, num := range nums {
		for _, u := range []string{"zhang", "li"} {
			if got[num+"/"+u] != 1 {
				t.Fatalf("%s to %s: %d times (%v)", num, u, got[num+"/"+u], got)
			}
		}
	}
	var lag time.Duration
	for _, m := range f.Messages() {
		lag = max(lag, m.Received.Sub(upAt))
	}
	t.Logf("last notice %v (simulated) after the API came back; most attempts during the outage %d", lag, most)
	if lag > notify.DefaultProbe+15*time.Second {
		t.Fatalf("the last notice arrived %v after the API came back, want within the probe interval %v", lag, notify.DefaultProbe)
	}
}

package queue

import (
	"fmt"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// estHall has a one-service counter 1 (A) and a counter 2 whose main service is B.
func estHall() hall.Hall {
	return hall.Hall{Code: "h", Services: []hall.Service{{Code: "A", AvgMinutes: 5}, {Code: "B", AvgMinutes: 10}},
		Counters: []hall.CounterConfig{{Number: 1, Services: []string{"A"}}, {Number: 2, Services: []string{"B", "A"}}}}
}

func must[T any](v T, _ Change, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// serve has counter c call, start and finish one ticket of svc lasting d.
func serve(e *Engine, now time.Time, c int, svc string, id string, d time.Duration) time.Time {
	must(e.Issue(now, hall.IssueRequest{Service: svc}, id, "k"+id))
	must(e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActCallNext}))
	now = now.Add(d)
	must(e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActFinish}))
	return now
}

// eta issues a ticket of svc and returns its estimated wait as the server answers it.
func eta(e *Engine, now time.Time, svc, id string) int {
	must(e.Issue(now, hall.IssueRequest{Service: svc}, id, "k"+id))
	_, w, ok := e.Position(now, id)
	if !ok {
		panic("not waiting")
	}
	return w
}

// TestLearnedMeanShrugsOffForgottenFinish: a counter that forgets to press finish for three
// hours after a hundred one-minute services does not make the next people expect several times
// their wait (the mean is winsorised and remembers more than the last 50 services; with the plain
// mean of the last 50 the estimate jumped from about 5 to about 22 minutes).
func TestLearnedMeanShrugsOffForgottenFinish(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	e := New(estHall(), nil)
	must(e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActOpen}))
	for i := range 100 {
		now = serve(e, now, 1, "A", fmt.Sprint("s", i), time.Minute)
	}
	before := eta(e, now, "A", "x1") // the idle counter calls it at once: 0; it then lasts 3 hours
	must(e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActCallNext}))
	now = now.Add(3 * time.Hour)
	must(e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActFinish}))
	for i := range 5 {
		must(e.Issue(now, hall.IssueRequest{Service: "A"}, fmt.Sprint("w", i), fmt.Sprint("kw", i)))
	}
	must(e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActCallNext}))
	got := eta(e, now, "A", "x2") // 4 ahead, one being served
	if before != 0 {
		t.Fatalf("an idle counter and nobody ahead: estimate %d s, want 0", before)
	}
	if got < 4*60 || got > 6*60 {
		t.Fatalf("4 ahead of one-minute services after one 3-hour service: estimate %d s, want about 5 minutes", got)
	}
}

// TestLearnedMeanOverridesConfiguredSoon: the configured 5 minutes give way to what the counters
// do after a few services.
func TestLearnedMeanOverridesConfiguredSoon(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	e := New(estHall(), nil)
	must(e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActOpen}))
	for i := range 5 {
		now = serve(e, now, 1, "A", fmt.Sprint("s", i), 30*time.Second)
	}
	for i := range 10 {
		must(e.Issue(now, hall.IssueRequest{Service: "A"}, fmt.Sprint("w", i), fmt.Sprint("kw", i)))
	}
	must(e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActCallNext}))
	got := eta(e, now, "A", "x") // 9 ahead, one just called: about 10 × 30 s
	if got < 240 || got > 360 {
		t.Fatalf("9 ahead of 30-second services: estimate %d s, want about 300", got)
	}
}

// TestEstimateFollowsCallingRule: counter 2 serves B first, then A, by age. An A ticket behind an
// older B ticket waits while counter 2 takes the B ticket; the same A ticket ahead of the B ticket
// does not. (The estimate used to share counter 2 between A and B by their waiting counts alone:
// both answers were the same.)
func TestEstimateFollowsCallingRule(t *testing.T) {
	run := func(bFirst bool) int {
		now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
		e := New(estHall(), nil)
		for c := 1; c <= 2; c++ {
			must(e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActOpen}))
		}
		for i := range 20 { // A takes 1 minute, B 10
			now = serve(e, now, 1, "A", fmt.Sprint("a", i), time.Minute)
			now = serve(e, now, 2, "B", fmt.Sprint("b", i), 10*time.Minute)
		}
		for c := 1; c <= 2; c++ { // both busy
			must(e.Issue(now, hall.IssueRequest{Service: "A"}, fmt.Sprint("busy", c), fmt.Sprint("kb", c)))
			must(e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActCallNext}))
		}
		if !bFirst {
			for i := range 3 {
				must(e.Issue(now, hall.IssueRequest{Service: "A"}, fmt.Sprint("w", i), fmt.Sprint("kw", i)))
			}
		}
		for i := range 2 {
			must(e.Issue(now, hall.IssueRequest{Service: "B"}, fmt.Sprint("wb", i), fmt.Sprint("kwb", i)))
		}
		if bFirst {
			for i := range 3 {
				must(e.Issue(now, hall.IssueRequest{Service: "A"}, fmt.Sprint("w", i), fmt.Sprint("kw", i)))
			}
		}
		_, w, _ := e.Position(now, "w2")
		return w
	}
	ahead, behind := run(false), run(true)
	// Ahead of the B tickets, w2 is the third A ticket for two counters: about 1.5 one-minute
	// services. Behind them, counter 2 takes a 10-minute B ticket and counter 1 serves w0, w1 and
	// then w2 alone: about 3 one-minute services (the expected path alone said 6.5 minutes, as
	// if x shared counter 2's 10-minute work; it is called at counter 1 long before that).
	if behind < ahead+60 || behind > 4*60 {
		t.Fatalf("A ticket behind two 10-minute B tickets on the shared counter: %d s (want 2–4 minutes); ahead of them: %d s", behind, ahead)
	}
}

// TestRestoreLearnsMeanFromOldStats: stats written before the learned mean existed (only the
// recent durations) give the mean of those durations after Restore.
func TestRestoreLearnsMeanFromOldStats(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	e := New(estHall(), nil)
	must(e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActOpen}))
	m := e.Meta()
	m.Stats = map[string]ServiceStats{"A": {Recent: []float64{20, 40, 30, 30}}}
	r, err := Restore(estHall(), nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Meta().Stats["A"]; st.Mean != 30 || st.N != 4 {
		t.Fatalf("restored stats %+v, want mean 30 over 4", st)
	}
	for i := range 4 {
		must(r.Issue(now, hall.IssueRequest{Service: "A"}, fmt.Sprint("w", i), fmt.Sprint("kw", i)))
	}
	must(r.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActCallNext}))
	if got := eta(r, now, "A", "x"); got < 90 || got > 150 {
		t.Fatalf("3 ahead of 30-second services: estimate %d s, want about 120", got)
	}
}

// TestEstimateLongQueue: past PathSteps calls the path is extrapolated; a ticket behind a
// thousand people on two one-minute counters still expects about 500 minutes.
func TestEstimateLongQueue(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	h := estHall()
	h.Counters[1].Services = []string{"A"}
	e := New(h, nil)
	for c := 1; c <= 2; c++ {
		must(e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActOpen}))
		for i := range 30 {
			now = serve(e, now, c, "A", fmt.Sprint("s", c, "-", i), time.Minute)
		}
	}
	for i := range 1002 {
		must(e.Issue(now, hall.IssueRequest{Service: "A"}, fmt.Sprint("w", i), fmt.Sprint("kw", i)))
	}
	for c := 1; c <= 2; c++ {
		must(e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActCallNext}))
	}
	got := eta(e, now, "A", "x") // 1000 ahead
	if want := 500 * 60; got < want*95/100 || got > want*105/100 {
		t.Fatalf("1000 ahead on two one-minute counters: estimate %d s, want about %d", got, want)
	}
}

// TestNewServiceTakesHallPace: a service with no finished duration yet is expected to take its
// configured time at the pace the hall's other services keep (here a fifth of their configured
// times), not its configured ten minutes.
func TestNewServiceTakesHallPace(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	e := New(estHall(), nil)
	for c := 1; c <= 2; c++ {
		must(e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActOpen}))
	}
	for i := range 20 { // A: configured 5 minutes, takes 1
		now = serve(e, now, 1, "A", fmt.Sprint("a", i), time.Minute)
	}
	must(e.Issue(now, hall.IssueRequest{Service: "B"}, "b0", "kb0"))
	must(e.Act(now, hall.CounterAction{Counter: 2, Action: hall.ActCallNext}))
	must(e.Issue(now, hall.IssueRequest{Service: "B"}, "b1", "kb1"))
	got := eta(e, now, "B", "b2") // B: configured 10 minutes; 1 ahead, one just called on counter 2
	if got < 100 || got > 400 {
		t.Fatalf("B at the hall's pace (about 2 minutes a ticket), 1 ahead and one just called: estimate %d s, want about 200", got)
	}
}

// mixedHall is the outside check's eta-mixed hall: services A, B, C and the demo profiles of
// counters 1–4.
func mixedHall() hall.Hall {
	return hall.Hall{Code: "m", Services: []hall.Service{{Code: "A", AvgMinutes: 5}, {Code: "B", AvgMinutes: 8}, {Code: "C", AvgMinutes: 4}},
		Counters: []hall.CounterConfig{{Number: 1, Services: []string{"A", "B"}}, {Number: 2, Services: []string{"A", "C"}},
			{Number: 3, Services: []string{"B", "A"}}, {Number: 4, Services: []string{"C", "D"}}}}
}

// busyMixed returns the mixed hall after 40 services of each counter, every counter busy and
// waiting tickets A, B, C in turn (every tenth priority) ahead.
func busyMixed(waiting int) (*Engine, time.Time) {
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	e := New(mixedHall(), nil)
	for c := 1; c <= 4; c++ {
		must(e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActOpen}))
	}
	svcs := []string{"A", "B", "C"}
	for i := range 40 {
		for c := 1; c <= 4; c++ {
			svc := mixedHall().Counters[c-1].Services[0]
			now = serve(e, now, c, svc, fmt.Sprint("s", c, "-", i), time.Duration(2+i%7)*time.Second)
		}
	}
	for c := 1; c <= 4; c++ {
		svc := mixedHall().Counters[c-1].Services[0]
		must(e.Issue(now, hall.IssueRequest{Service: svc}, fmt.Sprint("busy", c), fmt.Sprint("kb", c)))
		must(e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActCallNext}))
	}
	for i := range waiting {
		now = now.Add(time.Second)
		must(e.Issue(now, hall.IssueRequest{Service: svcs[i%3], Priority: i%10 == 9}, fmt.Sprint("w", i), fmt.Sprint("kw", i)))
	}
	return e, now
}

// BenchmarkEstimate reports the cost of one wait estimate (Position) in the mixed hall with every
// counter busy, by the number of tickets waiting: up to SimulatePath calls ahead the estimate
// simulates SimulateFutures futures, beyond that it follows the expected path only.
func BenchmarkEstimate(b *testing.B) {
	for _, n := range []int{0, 3, 8, 15, 40, 1000} {
		b.Run(fmt.Sprint("waiting", n), func(b *testing.B) {
			e, now := busyMixed(n)
			must(e.Issue(now, hall.IssueRequest{Service: "A"}, "x", "kx"))
			for b.Loop() {
				if _, _, ok := e.Position(now, "x"); !ok {
					b.Fatal("x is not waiting")
				}
			}
		})
	}
}

// TestSimulatedEstimateIsStable: a follow page that asks again at the same moment gets the same
// answer (the simulated futures are seeded by the ticket and the clock), and the answer for a
// ticket behind other services' tickets lies between nothing and the whole queue's work.
func TestSimulatedEstimateIsStable(t *testing.T) {
	e, now := busyMixed(5) // A, B, C, A, B ahead, every counter busy
	must(e.Issue(now, hall.IssueRequest{Service: "A"}, "x", "kx"))
	_, first, _ := e.Position(now, "x")
	for range 3 {
		if _, again, _ := e.Position(now, "x"); again != first {
			t.Fatalf("asked again at the same moment: %d s, first %d s", again, first)
		}
	}
	if first <= 0 || first > 60 {
		t.Fatalf("behind 5 tickets of 2–8 s services at 3 counters: %d s", first)
	}
}

// TestEstimateKnowsBreaks: the counters' breaks of the campus file (hall.CounterConfig.Breaks)
// enter the estimate. A counter that becomes free in its break pauses until the break ends, so
// the other counter serves the queue alone; a counter paused in its break is expected back at
// its end. Without them the first estimate was half the wait and the second had no counter.
func TestEstimateKnowsBreaks(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	mk := func(breaks []string) *Engine {
		h := hall.Hall{Code: "h", Services: []hall.Service{{Code: "A", AvgMinutes: 5}},
			Counters: []hall.CounterConfig{{Number: 1, Services: []string{"A"}}, {Number: 2, Services: []string{"A"}, Breaks: breaks}}}
		e := New(h, loc)
		now := time.Date(2026, 3, 2, 8, 30, 0, 0, loc)
		for c := 1; c <= 2; c++ {
			must(e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActOpen}))
		}
		for i := range 10 { // the hall learns five-minute services
			now = serve(e, now, 1+i%2, "A", fmt.Sprint("s", i), 5*time.Minute)
		}
		return e
	}
	lunch := []string{"10:00-11:00"}

	// 09:58: both counters have just called someone, six more wait; counter 2's break is at 10:00.
	busy := func(e *Engine) int {
		now := time.Date(2026, 3, 2, 9, 58, 0, 0, loc)
		for i := range 8 {
			must(e.Issue(now, hall.IssueRequest{Service: "A"}, fmt.Sprint("w", i), fmt.Sprint("kw", i)))
		}
		for c := 1; c <= 2; c++ {
			must(e.Act(now, hall.CounterAction{Counter: c, Action: hall.ActCallNext}))
		}
		return eta(e, now, "A", "x")
	}
	without, with := busy(mk(nil)), busy(mk(lunch))
	// Counter 1 alone: its current service and six more, about 7 × 300 s (35 minutes, before
	// counter 2 is back at 11:00); both counters: about half.
	if without < 700 || without > 1400 || with < 1800 || with > 2700 {
		t.Errorf("six ahead, counter 2 going to lunch at 10:00: estimate %d s with the break, %d s without; want about 2,100 and 1,050", with, without)
	}

	// 10:05: counter 1 is closed, counter 2 paused in its break (until 11:00); three wait.
	paused := func(e *Engine) int {
		now := time.Date(2026, 3, 2, 10, 5, 0, 0, loc)
		must(e.Act(now, hall.CounterAction{Counter: 1, Action: hall.ActClose}))
		must(e.Act(now, hall.CounterAction{Counter: 2, Action: hall.ActPause}))
		for i := range 3 {
			must(e.Issue(now, hall.IssueRequest{Service: "A"}, fmt.Sprint("p", i), fmt.Sprint("kp", i)))
		}
		return eta(e, now, "A", "x")
	}
	if got := paused(mk(lunch)); got < 3300+600 || got > 3300+1200 {
		t.Errorf("counter 2 paused in its break until 11:00, three ahead at 10:05: estimate %d s, want 55 minutes and about three services (about 4,200 s)", got)
	}
	// The service counts as served while its counter is at lunch (the estimate means something),
	// not after the break when the counter stays paused.
	if got := paused(mk(nil)); got > 1200 {
		t.Errorf("a pause with no break configured has no known end: estimate %d s, want the queue's work alone (about 900 s)", got)
	}
}

package queuesim

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

// Options say how many days to simulate and how to score them.
type Options struct {
	Days int
	Seed uint64
	// OracleEvery runs the Monte Carlo oracle on one scored ticket in this many (0: never). The
	// server, naive and oracle figures are then taken over those tickets only, so that they are
	// compared on the same tickets.
	OracleEvery int
	// Futures is how many futures the oracle simulates per estimate (default 201).
	Futures int
}

// Errors summarises absolute errors of one estimator, in seconds.
type Errors struct {
	MAE, P90 float64
}

// Result is what a simulation measured.
type Result struct {
	Days    int
	Tickets int // issued
	Scored  int // tickets the figures are taken over
	// Server, Naive and Oracle are the absolute errors of the engine's etaSeconds at issue, of the
	// naive estimate (people ahead × the true mean ÷ counters whose profile has the service) and of
	// the oracle. With OracleEvery 0, Oracle is zero.
	Server, Naive, Oracle Errors
	// RunRatios holds, per day with oracle-scored tickets, the server's summed absolute error over
	// the oracle's: the figure the outside check reports for one run.
	RunRatios []float64
	MeanWait  float64 // mean real wait of the scored tickets, seconds
	Waited    float64 // share of the scored tickets that were not called at once
}

// waiting is a ticket in the simulation's mirror of the queue.
type waiting struct {
	id       string
	svc      int
	priority bool
	seq      int // arrival order: the engine's Order for tickets that are never moved
	rec      int // index in the records; -1 for the oracle's future arrivals
}

// before reports whether a is called before b by a counter that serves both: priority first,
// then the oldest (the engine's rule; Orders are unique, so its later tie-breaks never apply).
func before(a, b *waiting) bool {
	if a.priority != b.priority {
		return a.priority
	}
	return a.seq < b.seq
}

// pickFor returns the index in wq of the ticket a counter with the given profile ranks (rank[svc]
// ≥ 0 for its services) calls next, or -1.
func pickFor(wq []waiting, rank []int) int {
	best := -1
	for i := range wq {
		if rank[wq[i].svc] < 0 {
			continue
		}
		if best < 0 || before(&wq[i], &wq[best]) {
			best = i
		}
	}
	return best
}

const (
	idle = iota
	busy
	paused
)

type counter struct {
	cfg   Counter
	rank  []int // per service index: place in the profile, -1 when not served
	state int
	svc   int     // service being served (busy)
	since float64 // when it was called (busy)
}

// inLunch reports whether a counter free at t takes its lunch pause then.
func (c *Counter) inLunch(t float64) bool {
	return c.LunchTo > c.LunchFrom && t >= c.LunchFrom && t < c.LunchTo
}

type record struct {
	svc                int
	issued, called     float64 // seconds after opening; called < 0 until called
	eta, naive, oracle float64
	withOracle, scored bool
	day                int
}

const (
	evArrival = iota
	evFinish
	evLunchStart
	evLunchEnd
)

type event struct {
	at   float64
	kind int
	c    int // counter index
	seq  int
}

type events []event

func (q events) Len() int { return len(q) }
func (q events) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q events) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *events) Push(x any)   { *q = append(*q, x.(event)) }
func (q *events) Pop() any {
	o := *q
	x := o[len(o)-1]
	*q = o[:len(o)-1]
	return x
}

// sim is one simulation run.
type sim struct {
	s       *Scenario
	o       Options
	rng     *rand.Rand
	dists   []dist
	arr     arrivals
	serving []int // per service: counters whose profile has it
	eng     *queue.Engine
	loc     *time.Location
	day     time.Time // local midnight of the simulated day
	d       int
	q       events
	evSeq   int
	cs      []counter
	wq      []waiting
	recs    []record
	byID    map[string]int
	seq     int
	oracles int
}

// Run simulates o.Days days of the scenario and scores the estimates. It fails when the engine
// refuses a command or calls a ticket the calling rule (the oracle's model of the engine) would not.
func Run(s Scenario, o Options) (Result, error) {
	if o.Futures <= 0 {
		o.Futures = 201
	}
	m := &sim{s: &s, o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x5eed)), arr: newArrivals(&s),
		loc: time.FixedZone("CST", 8*3600), byID: map[string]int{}}
	idx := map[string]int{}
	for i, v := range s.Services {
		m.dists = append(m.dists, newDist(v))
		idx[v.Code] = i
	}
	m.serving = make([]int, len(s.Services))
	for _, c := range s.Counters {
		rank := slices.Repeat([]int{-1}, len(s.Services))
		for j, code := range c.Services {
			if i, ok := idx[code]; ok {
				rank[i] = j
				m.serving[i]++
			}
		}
		m.cs = append(m.cs, counter{cfg: c, rank: rank})
	}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, m.loc)
	for m.d = 0; m.d < o.Days; m.d++ {
		if s.Fresh || m.eng == nil {
			m.eng = queue.New(s.Hall(), m.loc)
		}
		m.day = start.AddDate(0, 0, m.d)
		if err := m.runDay(); err != nil {
			return Result{}, fmt.Errorf("day %d: %w", m.d, err)
		}
	}
	return m.result(), nil
}

func (m *sim) at(t float64) time.Time {
	return m.day.Add(time.Duration((m.s.Open + t) * float64(time.Second)))
}

func (m *sim) push(e event) {
	m.evSeq++
	e.seq = m.evSeq
	heap.Push(&m.q, e)
}

func (m *sim) act(t float64, c int, a string) (*hall.Ticket, error) {
	tk, _, err := m.eng.Act(m.at(t), hall.CounterAction{Counter: m.cs[c].cfg.Number, Action: a})
	if err != nil {
		return nil, fmt.Errorf("counter %d %s at %.1f s: %w", m.cs[c].cfg.Number, a, t, err)
	}
	return tk, nil
}

func (m *sim) runDay() error {
	m.wq = m.wq[:0]
	for i := range m.cs {
		if _, err := m.act(0, i, hall.ActOpen); err != nil {
			return err
		}
		m.cs[i].state = idle
		if c := m.cs[i].cfg; c.LunchTo > c.LunchFrom {
			m.push(event{at: c.LunchFrom, kind: evLunchStart, c: i})
			m.push(event{at: c.LunchTo, kind: evLunchEnd, c: i})
		}
	}
	if t := m.arr.next(m.rng, 0); !math.IsInf(t, 1) {
		m.push(event{at: t, kind: evArrival})
	}
	for m.q.Len() > 0 {
		ev := heap.Pop(&m.q).(event)
		var err error
		switch ev.kind {
		case evArrival:
			err = m.arrive(ev.at)
		case evFinish:
			if _, err = m.act(ev.at, ev.c, hall.ActFinish); err != nil {
				break
			}
			m.cs[ev.c].state = idle
			if m.cs[ev.c].cfg.inLunch(ev.at) {
				_, err = m.act(ev.at, ev.c, hall.ActPause)
				m.cs[ev.c].state = paused
			} else {
				err = m.callNext(ev.at, ev.c)
			}
		case evLunchStart:
			if m.cs[ev.c].state == idle {
				_, err = m.act(ev.at, ev.c, hall.ActPause)
				m.cs[ev.c].state = paused
			}
		case evLunchEnd:
			if m.cs[ev.c].state == paused {
				if _, err = m.act(ev.at, ev.c, hall.ActOpen); err == nil {
					m.cs[ev.c].state = idle
					err = m.callNext(ev.at, ev.c)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	if len(m.wq) > 0 {
		return fmt.Errorf("%d tickets still waiting at the end of the day", len(m.wq))
	}
	return nil
}

func (m *sim) arrive(t float64) error {
	svc, prio := m.arr.pick(m.rng)
	m.seq++
	id := fmt.Sprint("t", m.seq)
	if _, _, err := m.eng.Issue(m.at(t), hall.IssueRequest{Service: m.s.Services[svc].Code, Priority: prio}, id, "k"+id); err != nil {
		return fmt.Errorf("issue at %.1f s: %w", t, err)
	}
	// the server answers the issue with the ticket's live position and estimate
	ahead, eta, ok := m.eng.Position(m.at(t), id)
	if !ok {
		return fmt.Errorf("issued ticket %s is not waiting", id)
	}
	r := record{svc: svc, issued: t, called: -1, eta: float64(eta), day: m.d, scored: t >= m.s.Warm,
		naive: math.Round(float64(ahead) * m.s.Services[svc].Mean / float64(max(1, m.serving[svc])))}
	me := waiting{id: id, svc: svc, priority: prio, seq: m.seq, rec: len(m.recs)}
	m.wq = append(m.wq, me)
	if r.scored && m.o.OracleEvery > 0 {
		if m.oracles%m.o.OracleEvery == 0 {
			r.oracle, r.withOracle = m.oracle(t, me), true
		}
		m.oracles++
	}
	m.byID[id] = len(m.recs)
	m.recs = append(m.recs, r)
	for c := range m.cs {
		if m.cs[c].state == idle {
			if err := m.callNext(t, c); err != nil {
				return err
			}
		}
	}
	if next := m.arr.next(m.rng, t); !math.IsInf(next, 1) {
		m.push(event{at: next, kind: evArrival})
	}
	return nil
}

// callNext lets an idle counter call the next ticket; it checks that the engine called the
// ticket the rule says.
func (m *sim) callNext(t float64, c int) error {
	tk, err := m.act(t, c, hall.ActCallNext)
	if err != nil {
		return err
	}
	want := pickFor(m.wq, m.cs[c].rank)
	if tk == nil {
		if want >= 0 {
			return fmt.Errorf("counter %d called nobody, the rule says %s", m.cs[c].cfg.Number, m.wq[want].id)
		}
		return nil
	}
	if want < 0 || m.wq[want].id != tk.ID {
		return fmt.Errorf("counter %d called %s, the rule says %d", m.cs[c].cfg.Number, tk.ID, want)
	}
	svc := m.wq[want].svc
	m.recs[m.wq[want].rec].called = t
	delete(m.byID, tk.ID)
	m.wq = slices.Delete(m.wq, want, want+1)
	if _, err := m.act(t, c, hall.ActStart); err != nil {
		return err
	}
	m.cs[c].state, m.cs[c].svc, m.cs[c].since = busy, svc, t
	m.push(event{at: t + m.dists[svc].draw(m.rng), kind: evFinish, c: c})
	return nil
}

func (m *sim) result() Result {
	res := Result{Days: m.o.Days, Tickets: len(m.recs)}
	var srv, nv, orc []float64
	type run struct{ s, o float64 }
	runs := map[int]*run{}
	wait, waited := 0.0, 0
	for _, r := range m.recs {
		if !r.scored || r.called < 0 || (m.o.OracleEvery > 0 && !r.withOracle) {
			continue
		}
		actual := r.called - r.issued
		wait += actual
		if actual > 0 {
			waited++
		}
		srv = append(srv, math.Abs(r.eta-actual))
		nv = append(nv, math.Abs(r.naive-actual))
		if r.withOracle {
			orc = append(orc, math.Abs(r.oracle-actual))
			if runs[r.day] == nil {
				runs[r.day] = &run{}
			}
			runs[r.day].s += math.Abs(r.eta - actual)
			runs[r.day].o += math.Abs(r.oracle - actual)
		}
	}
	res.Scored = len(srv)
	if res.Scored > 0 {
		res.MeanWait = wait / float64(res.Scored)
		res.Waited = float64(waited) / float64(res.Scored)
	}
	res.Server, res.Naive, res.Oracle = summarise(srv), summarise(nv), summarise(orc)
	for d := 0; d < m.o.Days; d++ {
		if r := runs[d]; r != nil && r.o > 0 {
			res.RunRatios = append(res.RunRatios, r.s/r.o)
		}
	}
	return res
}

func summarise(x []float64) Errors {
	if len(x) == 0 {
		return Errors{}
	}
	sum := 0.0
	for _, v := range x {
		sum += v
	}
	s := slices.Sorted(slices.Values(x))
	return Errors{MAE: sum / float64(len(x)), P90: s[int(0.9*float64(len(s)-1)+0.5)]}
}

// Quantile returns the q-quantile (0..1) of x by the nearest rank (0 for an empty x).
func Quantile(x []float64, q float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(x))
	return s[int(q*float64(len(s)-1)+0.5)]
}

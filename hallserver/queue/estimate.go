package queue

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"onedoor/hallserver/hall"
)

// Wait estimates
//
// The estimate for a ticket x of service s works from the counters and the calling rule, not
// from a queue formula (docs/QUEUE.md, "Wait estimates"):
//
//  1. Mean service time m(p) of every service p: a winsorised, exponentially weighted mean of all
//     its durations (called → finished; ServiceStats.Mean, memory MeanMemory, kept across days).
//     The last StatsWindow durations give the shape of the distribution. Before p's first
//     finished duration: its configured AvgMinutes at the pace of the hall's other services
//     (their learned over their configured means); with no duration in the hall, twice the mean
//     elapsed time of the services of p running now, at most AvgMinutes, or AvgMinutes.
//  2. The expected path: every open counter calls by the engine's rule (priority first, the oldest
//     Order, the counter's profile) from the waiting tickets as they are now, a busy counter from
//     the median of its current service's remaining time, every later service taking its mean.
//     Counters that serve s ("x's counters", c of them) take the tickets before x; those they take
//     at once (idle counters) do not delay x, the others add their mean times to the work W ahead
//     of x on x's counters. Called at once itself, x waits 0.
//  3. The first departure: the service-time model of a service is a Weibull distribution with its
//     learned mean and the coefficient of variation of its recent durations (exponential while
//     they are few). The remaining time of a counter's current service is that distribution given
//     the elapsed time; a counter that just called on the path starts a fresh service. t₁ is the
//     median of the first end among x's counters (their joint survival ½).
//  4. Estimate = t₁ + W/c, rounded to the nearest second. The median (not the mean) of the first
//     departure is used because the estimate is judged by its absolute error: for one service with
//     exponential times this is the median of the Gamma wait within a few per cent, and for
//     regular service times it reduces to "the earliest remaining time".
//  5. Simulated futures: when a waiting ticket x is reached within SimulatePath calls and a ticket
//     of another service is called before it, which counter takes which ticket is a race the
//     single expected path gets wrong; the estimate is then the median of x's wait over
//     SimulateFutures futures drawn from the same models (simulate).
//
// With no open counter serving s the estimate is as if one counter opened now: k·m(s).
//
// Bookings not yet checked in (SetBooked) are added to a walk-in's estimate afterwards
// (bookedAhead in appointment.go): those due before its predicted call will be called first.

// estimate returns the estimated wait in seconds of ticket x: a waiting ticket, or (not in the
// queues) a ticket that would be issued now.
func (e *Engine) estimate(now time.Time, x *hall.Ticket) int {
	w := e.waitSeconds(now, x)
	w += e.bookedAhead(now, x, w)
	if w < 0 || math.IsNaN(w) {
		return 0
	}
	if w > 1e7 {
		w = 1e7
	}
	return int(math.Round(w))
}

// model is the service-time model of one service at one moment: a Weibull distribution with the
// learned mean and the coefficient of variation of the recent durations.
type model struct {
	mean   float64
	k, lam float64 // Weibull shape and scale
}

// fit sets the Weibull shape from the coefficient of variation of the recent durations rec
// (winsorised at MeanCap times their mean; shrunk towards the exponential while they are few) and
// the scale from the mean.
func (m *model) fit(rec []float64) {
	n := len(rec)
	m.k = 1
	if n >= 3 {
		var raw float64
		for _, d := range rec {
			raw += d
		}
		limit := MeanCap * raw / float64(n)
		var s1, s2 float64
		for _, d := range rec {
			d = math.Min(d, limit)
			s1 += d
			s2 += d * d
		}
		mu := s1 / float64(n)
		if v := (s2 - s1*mu) / float64(n-1); mu > 0 && v > 0 {
			k := math.Pow(math.Sqrt(v)/mu, -1.086) // Justus's approximation of the shape for a CV
			k = math.Min(math.Max(k, 0.5), 8)
			m.k = 1 + (k-1)*float64(n)/float64(n+10)
		}
	}
	if m.k == 1 {
		m.lam = m.mean
	} else {
		m.lam = m.mean / math.Gamma(1+1/m.k)
	}
}

func (e *Engine) configured(svc string) float64 {
	if i, ok := e.svcs[svc]; ok && e.h.Services[i].AvgMinutes > 0 {
		return float64(e.h.Services[i].AvgMinutes) * 60
	}
	return 300
}

// models builds the service-time models of one estimate, each at most once.
type models struct {
	e     *Engine
	now   time.Time
	by    []*model // by service index
	speed float64  // the hall's learned means over the configured ones (0: none learned yet)
}

// newModels prepares the models of one estimate: the hall's speed factor is the ratio of the
// learned to the configured means, weighted by how many durations each learned mean has taken in.
func (e *Engine) newModels(now time.Time) *models {
	ms := &models{e: e, now: now, by: make([]*model, len(e.h.Services))}
	var num, den float64
	for _, s := range e.h.Services {
		if st := e.stats[s.Code]; st.N > 0 && st.Mean > 0 {
			num += float64(st.N) * st.Mean
			den += float64(st.N) * e.configured(s.Code)
		}
	}
	if den > 0 {
		ms.speed = num / den
	}
	return ms
}

// of returns the model of service svc.
func (ms *models) of(svc string) *model {
	i, ok := ms.e.svcs[svc]
	if !ok {
		return &model{mean: 300, k: 1, lam: 300}
	}
	if ms.by[i] == nil {
		ms.by[i] = ms.e.modelOf(ms.now, svc, ms.speed)
	}
	return ms.by[i]
}

// at returns the model of the service with index i.
func (ms *models) at(i int) *model {
	if ms.by[i] == nil {
		ms.by[i] = ms.e.modelOf(ms.now, ms.e.h.Services[i].Code, ms.speed)
	}
	return ms.by[i]
}

// modelOf builds the model of svc from its stats and the hall's speed factor (0: unknown).
func (e *Engine) modelOf(now time.Time, svc string, speed float64) *model {
	st := e.stats[svc]
	m := &model{}
	switch {
	case st.N > 0 && st.Mean > 0:
		m.mean = st.Mean
	case len(st.Recent) == 0 && speed > 0:
		// none of its own yet: its configured mean at the pace of the hall's other services
		m.mean = speed * e.configured(svc)
	case len(st.Recent) > 0:
		for _, d := range st.Recent {
			m.mean += d
		}
		m.mean /= float64(len(st.Recent))
	default:
		running, age := 0, 0.0
		for _, c := range e.counters {
			if t := e.tickets[c.Current]; c.Current != "" && t != nil && t.Service == svc && t.CalledAt != nil {
				running++
				age += math.Max(0, now.Sub(*t.CalledAt).Seconds())
			}
		}
		m.mean = e.configured(svc)
		if running > 0 {
			// No finished duration yet: twice the mean age of the running services, at most the
			// configured average.
			m.mean = math.Min(m.mean, 2*age/float64(running))
		}
	}
	m.mean = math.Max(m.mean, 0.5)
	m.fit(st.Recent)
	return m
}

// hazard returns the cumulative hazard of the model at x: survival = exp(−hazard).
func (m *model) hazard(x float64) float64 {
	if m.k == 1 {
		return x / m.lam
	}
	return math.Pow(x/m.lam, m.k)
}

// running is a service under way: its model and how long it has run.
type running struct {
	m       *model
	elapsed float64
}

// firstEnd returns the median of the time until the first of the running services ends: the t
// where the summed remaining cumulative hazards Σ H(eᵢ+t) − H(eᵢ) reach ln 2 (their joint
// survival ½). One service, or exponential ones, have it in closed form; otherwise bisection.
func firstEnd(rs []running) float64 {
	switch {
	case len(rs) == 0:
		return 0
	case len(rs) == 1:
		r := rs[0]
		if r.m.k == 1 {
			return math.Ln2 * r.m.lam
		}
		return r.m.lam*math.Pow(r.m.hazard(r.elapsed)+math.Ln2, 1/r.m.k) - r.elapsed
	}
	rate, allExp := 0.0, true
	for _, r := range rs {
		rate += 1 / r.m.lam
		allExp = allExp && r.m.k == 1
	}
	if allExp {
		return math.Ln2 / rate
	}
	h := func(t float64) float64 {
		sum := 0.0
		for _, r := range rs {
			sum += r.m.hazard(r.elapsed+t) - r.m.hazard(r.elapsed)
		}
		return sum
	}
	lo, hi := 0.0, math.Ln2/rate
	for h(hi) < math.Ln2 && hi < 1e7 {
		lo, hi = hi, hi*2
	}
	for i := 0; i < 30 && hi-lo > 0.01; i++ {
		mid := (lo + hi) / 2
		if h(mid) < math.Ln2 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// pathCounter is a counter on the expected path.
type pathCounter struct {
	c       *hall.Counter
	svcs    []int   // its profile as service indices
	mine    bool    // serves the estimated ticket's service
	free    float64 // seconds from now when it calls next
	m       *model  // of its current service; nil when idle
	elapsed float64
	// breaks are the counter's breaks still to end today, in seconds from now (the campus
	// file's breaks, hall.CounterConfig.Breaks); back is when a counter paused in one calls
	// again (0: it is open).
	breaks []span
	back   float64
}

// span is a stretch of time in seconds from now.
type span struct{ from, to float64 }

// resume returns when a counter that is free at t calls again: at the end of a break that t
// falls in (a counter that becomes free in its break pauses until its end), otherwise at t.
func (pc *pathCounter) resume(t float64) float64 {
	for _, b := range pc.breaks {
		if t >= b.from && t < b.to {
			return b.to
		}
	}
	return t
}

// counterBreaks returns counter n's breaks that end after now, in seconds from now.
func (e *Engine) counterBreaks(now time.Time, n int) []span {
	cfg, ok := e.h.Counter(n)
	if !ok || len(cfg.Breaks) == 0 {
		return nil
	}
	var out []span
	for _, b := range cfg.BreaksOn(now, e.loc) {
		if to := b.To.Sub(now).Seconds(); to > 0 {
			out = append(out, span{b.From.Sub(now).Seconds(), to})
		}
	}
	return out
}

// pick returns the ticket the counter calls next on a path, by the engine's calling rule
// (better) over its services' queues qs: each queue from head on (head advances past the
// tickets taken out of order), skipping those taken and those reserved for another counter;
// x competes too when it is not queued (a ticket issued now stands last of its service si).
// isX reports that the pick is x; best is nil when the counter may call nothing.
func (pc *pathCounter) pick(qs [][]*hall.Ticket, head []int, taken func(*hall.Ticket) bool, x *hall.Ticket, si int, queued bool) (best *hall.Ticket, isX bool) {
	bestPi := 0
	for pi, p := range pc.svcs {
		q := qs[p]
		i := head[p]
		for i < len(q) && taken(q[i]) {
			i++
		}
		head[p] = i
		for ; i < len(q); i++ {
			t := q[i]
			if taken(t) || (t.TargetCounter != 0 && t.TargetCounter != pc.c.Number) {
				continue
			}
			if best == nil || better(t, pi, best, bestPi) {
				best, bestPi, isX = t, pi, t == x
			}
			break
		}
		if p == si && !queued && (x.TargetCounter == 0 || x.TargetCounter == pc.c.Number) &&
			(best == nil || better(x, pi, best, bestPi)) {
			best, bestPi, isX = x, pi, true
		}
	}
	return best, isX
}

// PathSteps bounds the expected path of one estimate: past this many calls the work ahead is
// extrapolated from the work per ticket of the service so far (a queue of thousands costs no more
// than one of a hundred).
const PathSteps = 64

func (e *Engine) waitSeconds(now time.Time, x *hall.Ticket) float64 {
	svc := x.Service
	si, known := e.svcs[svc]
	ms := e.newModels(now)
	mx := ms.of(svc)
	cs := make([]pathCounter, 0, len(e.counters)+1)
	mine := 0
	broke := false // a counter is in or goes into a break before x is called
	for i := range e.counters {
		c := &e.counters[i]
		pc := pathCounter{c: c, mine: slices.Contains(c.Services, svc), breaks: e.counterBreaks(now, c.Number)}
		switch {
		case c.State == hall.CounterOpen:
		case c.State == hall.CounterPaused && len(pc.breaks) > 0 && pc.breaks[0].from <= 0:
			// paused in one of its breaks: back at its end (a counter paused otherwise, or
			// closed, has no known return and no part in the estimate)
			pc.back = pc.breaks[0].to
			pc.free = pc.back
			broke = true
		default:
			continue
		}
		for _, p := range c.Services {
			if j, ok := e.svcs[p]; ok {
				pc.svcs = append(pc.svcs, j)
			}
		}
		if t := e.tickets[c.Current]; c.State == hall.CounterOpen && c.Current != "" && t != nil {
			pc.m = ms.of(t.Service)
			if t.CalledAt != nil {
				pc.elapsed = math.Max(0, now.Sub(*t.CalledAt).Seconds())
			}
			pc.free = math.Max(firstEnd([]running{{pc.m, pc.elapsed}}), 1e-3) // > 0: busy
			if f := pc.resume(pc.free); f > pc.free {
				pc.free, broke = f, true
			}
		}
		if pc.mine {
			mine++
		}
		cs = append(cs, pc)
	}
	cs0 := slices.Clone(cs) // the counters as they are now, for the simulated futures
	queued := x.State == hall.TicketWaiting && e.tickets[x.ID] == x
	aheadOfX := len(e.queues[svc])
	if queued {
		aheadOfX = e.ahead(x)
	}
	if mine == 0 || !known {
		return float64(aheadOfX) * mx.mean
	}
	// The expected path: counters call in the order they are free (ties: configuration order).
	qs := make([][]*hall.Ticket, len(e.h.Services))
	for i, s := range e.h.Services {
		qs[i] = e.queues[s.Code]
	}
	head := make([]int, len(qs))
	var taken map[*hall.Ticket]bool // tickets taken out of their queue's order (reserved ones)
	work := 0.0                     // mean times of the tickets x's counters call after now, before x
	tx := -1.0                      // when the path calls x (-1: past PathSteps)
	sTaken, nx := 0, 0              // tickets of x's service called after now, and their work with what came between
	workAtS := 0.0
	simulate := false // x is reached within SimulatePath calls: simulate the futures
	mixed := false    // a ticket of another service is called before x
	for steps := 0; ; steps++ {
		k := -1
		for i := range cs {
			if !math.IsInf(cs[i].free, 1) && (k < 0 || cs[i].free < cs[k].free) {
				k = i
			}
		}
		if k < 0 {
			return float64(aheadOfX) * mx.mean // x is never called (reserved for a closed counter)
		}
		if steps >= PathSteps {
			// extrapolate: the tickets of x's service still ahead take the work per such ticket so far
			left := float64(aheadOfX - nx)
			per := mx.mean
			if sTaken > 0 {
				per = workAtS / float64(sTaken)
			}
			work += math.Max(0, left) * per
			break
		}
		pc := &cs[k]
		best, isX := pc.pick(qs, head, func(t *hall.Ticket) bool { return taken[t] }, x, si, queued)
		if best == nil {
			pc.free = math.Inf(1) // nothing it may call before x: no part in x's wait
			continue
		}
		if isX {
			if pc.free == 0 {
				return 0
			}
			simulate = steps < SimulatePath
			tx = pc.free
			break
		}
		bi := e.svcs[best.Service]
		if q := qs[bi]; head[bi] < len(q) && q[head[bi]] == best {
			head[bi]++
		} else {
			if taken == nil {
				taken = map[*hall.Ticket]bool{}
			}
			taken[best] = true
		}
		mb := ms.of(best.Service)
		if best.Service == svc {
			nx++
		} else {
			mixed = true
		}
		if pc.free == 0 { // called at once: the counter starts a fresh service
			pc.m, pc.elapsed = mb, 0
		} else if pc.mine {
			work += mb.mean
			if best.Service == svc {
				sTaken++
				workAtS = work
			}
		}
		pc.free += mb.mean
		if f := pc.resume(pc.free); f > pc.free {
			pc.free, broke = f, true
		}
	}
	// median of the first departure among x's counters
	rs := make([]running, 0, mine)
	for _, pc := range cs {
		if pc.mine && pc.m != nil {
			rs = append(rs, running{pc.m, pc.elapsed})
		}
	}
	t1 := firstEnd(rs)
	est := t1 + work/float64(mine)
	if broke && tx >= 0 {
		// A break stops a counter's share of the work: the time the path reaches x says more
		// than the work spread over x's counters.
		est = tx
	}
	if queued && (simulate && mixed || broke && tx >= 0) {
		return e.simulate(now, x, queued, si, ms, cs0, qs, est)
	}
	return est
}

// SimulatePath and SimulateFutures bound the simulated futures of one estimate: when x is reached
// within SimulatePath calls on the expected path, the estimate is the median of x's wait over
// SimulateFutures futures drawn from the learned models (a few dozen microseconds); a longer wait
// is the sum of many services, which the expected path estimates well.
const (
	SimulatePath    = 16
	SimulateFutures = 101
)

// inverse returns the x where the model's cumulative hazard is h: a service time for an Exp(1)
// variate h, and the end of a service that has run e seconds for H(e) plus one.
func (m *model) inverse(h float64) float64 {
	if m.k == 1 {
		return m.lam * h
	}
	return m.lam * math.Exp(math.Log(h)/m.k) // math.Pow costs twice as much
}

// simulate returns the median of x's wait over SimulateFutures futures drawn from the models:
// every open counter's current service ends after a draw of its remaining time given how long it
// has run, each call takes a draw of its ticket's service time, and the counters call by the
// engine's rule. The random numbers are seeded by x and now: the same question gets the same
// answer. fallback (the expected path's estimate) answers a future that does not reach x.
func (e *Engine) simulate(now time.Time, x *hall.Ticket, queued bool, si int, ms *models, cs []pathCounter,
	qs [][]*hall.Ticket, fallback float64) float64 {
	r := rand.New(rand.NewPCG(uint64(x.Order), uint64(now.UnixNano())))
	hz := make([]float64, len(cs)) // cumulative hazard of each busy counter's elapsed time
	for k, pc := range cs {
		if pc.m != nil {
			hz[k] = pc.m.hazard(pc.elapsed)
		}
	}
	free := make([]float64, len(cs))
	head := make([]int, len(qs))
	var taken []*hall.Ticket
	waits := make([]float64, 0, SimulateFutures)
	maxSteps := 4 * SimulatePath
	for range SimulateFutures {
		for k := range cs {
			free[k] = cs[k].back
			if m := cs[k].m; m != nil {
				free[k] = cs[k].resume(math.Max(m.inverse(hz[k]+r.ExpFloat64())-cs[k].elapsed, 1e-3))
			}
		}
		clear(head)
		taken = taken[:0]
		wait := fallback
		for steps := 0; steps < maxSteps; steps++ {
			k := -1
			for i := range free {
				if !math.IsInf(free[i], 1) && (k < 0 || free[i] < free[k]) {
					k = i
				}
			}
			if k < 0 {
				break
			}
			t := free[k]
			pc := &cs[k]
			best, isX := pc.pick(qs, head, func(t *hall.Ticket) bool { return slices.Contains(taken, t) }, x, si, queued)
			if best == nil {
				free[k] = math.Inf(1) // nothing it may call before x
				continue
			}
			if isX {
				wait = t
				break
			}
			bi := e.svcs[best.Service]
			if q := qs[bi]; head[bi] < len(q) && q[head[bi]] == best {
				head[bi]++
			} else {
				taken = append(taken, best)
			}
			free[k] = cs[k].resume(t + ms.at(bi).inverse(r.ExpFloat64()))
		}
		waits = append(waits, wait)
	}
	slices.Sort(waits)
	return waits[len(waits)/2]
}

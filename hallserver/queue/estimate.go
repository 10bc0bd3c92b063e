package queue

import (
	"math"
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
//     The last StatsWindow durations give the shape of the distribution. Before the first finished
//     duration: twice the mean elapsed time of the services of p running now, at most the
//     configured AvgMinutes; with nothing running, AvgMinutes.
//  2. The expected path: every open counter calls by the engine's rule (priority first, the oldest
//     Order, the counter's profile) from the waiting tickets as they are now, a busy counter from
//     the median of its current service's remaining time, every later service taking its mean.
//     Counters that serve s ("x's counters", c of them) take the tickets before x; those they take
//     at once (idle counters) do not delay x, the others add their mean times to the work W ahead
//     of x on x's counters. Called at once itself, x waits 0.
//  3. The first departure: for each of x's counters the remaining time of its current service is
//     modelled from the durations of that service given its elapsed time: survival S(e+t)/S(e),
//     with S the empirical survival of the recent durations (scaled to the learned mean) mixed with
//     one exponential of mean m (smooth, with a tail). A counter that just called starts a fresh
//     service. The first departure's median t₁ solves Π Rᵢ(t) = ½.
//  4. Estimate = t₁ + W/c, rounded to the nearest second. The median (not the mean) of the first
//     departure is used because the estimate is judged by its absolute error: for one service with
//     exponential times this is the median of the Gamma wait within a few per cent, and for
//     regular service times it reduces to "the earliest remaining time".
//
// With no open counter serving s the estimate is as if one counter opened now: k·m(s).

// estimate returns the estimated wait in seconds of ticket x: a waiting ticket, or (not in the
// queues) a ticket that would be issued now.
func (e *Engine) estimate(now time.Time, x *hall.Ticket) int {
	w := e.waitSeconds(now, x)
	if w < 0 || math.IsNaN(w) {
		return 0
	}
	if w > 1e7 {
		w = 1e7
	}
	return int(math.Round(w))
}

// fitWeibull sets the Weibull shape from the coefficient of variation of the recent durations
// (winsorised at MeanCap means; shrunk towards the exponential while they are few) and the scale
// from the learned mean.
func (m *model) fitWeibull() {
	n := len(m.sorted)
	m.k = 1
	if n >= 3 {
		var s1, s2 float64
		for _, d := range m.sorted {
			d = math.Min(d, MeanCap*m.mean)
			s1 += d
			s2 += d * d
		}
		mu := s1 / float64(n)
		v := (s2 - s1*mu) / float64(n-1)
		if mu > 0 && v > 0 {
			cv := math.Sqrt(v) / mu
			k := math.Pow(cv, -1.086)
			k = math.Min(math.Max(k, 0.5), 8)
			m.k = 1 + (k-1)*float64(n)/float64(n+10)
		}
	}
	m.lam = m.mean / math.Gamma(1+1/m.k)
}

// model is the service-time model of one service at one moment.
type model struct {
	mean   float64
	sorted []float64 // recent durations, ascending, scaled to the learned mean
	k, lam float64   // Weibull shape and scale
}

// survival returns P(duration > x) under the Weibull model.
func (m *model) survival(x float64) float64 {
	if m.k == 1 {
		return math.Exp(-x / m.lam)
	}
	return math.Exp(-math.Pow(x/m.lam, m.k))
}

func (e *Engine) configured(svc string) float64 {
	if i, ok := e.svcs[svc]; ok && e.h.Services[i].AvgMinutes > 0 {
		return float64(e.h.Services[i].AvgMinutes) * 60
	}
	return 300
}

// modelOf builds the model of svc; cache avoids rebuilding it for several counters.
func (e *Engine) modelOf(now time.Time, svc string, cache map[string]*model) *model {
	if m, ok := cache[svc]; ok {
		return m
	}
	st := e.stats[svc]
	rec := st.Recent
	m := &model{sorted: slices.Clone(rec)}
	slices.Sort(m.sorted)
	sum, running, age := 0.0, 0, 0.0
	for _, d := range rec {
		sum += d
	}
	for _, c := range e.counters {
		if c.Current == "" {
			continue
		}
		if t := e.tickets[c.Current]; t != nil && t.Service == svc && t.CalledAt != nil {
			running++
			if d := now.Sub(*t.CalledAt).Seconds(); d > 0 {
				age += d
			}
		}
	}
	switch {
	case st.N > 0 && st.Mean > 0:
		m.mean = st.Mean
		// the recent durations give the shape, the learned mean its scale
		if sum > 0 {
			f := m.mean * float64(len(rec)) / sum
			for i := range m.sorted {
				m.sorted[i] *= f
			}
		}
	case len(rec) > 0:
		m.mean = sum / float64(len(rec))
	case running > 0:
		// No finished duration yet: twice the mean age of the running services, at most the
		// configured average.
		m.mean = math.Min(e.configured(svc), 2*age/float64(running))
	default:
		m.mean = e.configured(svc)
	}
	if m.mean < 0.5 {
		m.mean = 0.5
	}
	m.fitWeibull()
	cache[svc] = m
	return m
}

// median returns the t at which surv(t) falls to one half (surv decreasing from 1), by bisection
// from a first guess.
func median(surv func(float64) float64, guess float64) float64 {
	lo, hi := 0.0, math.Max(guess, 0.01)
	for surv(hi) > 0.5 && hi < 1e7 {
		lo, hi = hi, hi*2
	}
	for i := 0; i < 40 && hi-lo > 0.01; i++ {
		mid := (lo + hi) / 2
		if surv(mid) > 0.5 {
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
	mine    bool    // serves the estimated ticket's service
	free    float64 // seconds from now when it calls next
	m       *model  // of its current service; nil when idle
	elapsed float64
}

func (e *Engine) waitSeconds(now time.Time, x *hall.Ticket) float64 {
	svc := x.Service
	cache := map[string]*model{}
	ms := e.modelOf(now, svc, cache)
	var cs []pathCounter
	mine := 0
	for i := range e.counters {
		c := &e.counters[i]
		if c.State != hall.CounterOpen {
			continue
		}
		pc := pathCounter{c: c, mine: slices.Contains(c.Services, svc)}
		if t := e.tickets[c.Current]; c.Current != "" && t != nil {
			pc.m = e.modelOf(now, t.Service, cache)
			if t.CalledAt != nil {
				pc.elapsed = math.Max(0, now.Sub(*t.CalledAt).Seconds())
			}
			s0 := pc.m.survival(pc.elapsed)
			m := pc.m
			pc.free = median(func(t float64) float64 { return m.survival(pc.elapsed+t) / s0 }, m.mean)
		}
		if pc.mine {
			mine++
		}
		cs = append(cs, pc)
	}
	if mine == 0 {
		ahead := len(e.queues[svc])
		if x.State == hall.TicketWaiting {
			ahead = e.ahead(x)
		}
		return float64(ahead) * ms.mean
	}
	// The expected path: counters call in the order they are free (ties: configuration order).
	queued := x.State == hall.TicketWaiting && e.tickets[x.ID] == x
	head := map[string]int{}
	var taken map[*hall.Ticket]bool // reserved tickets taken out of order
	work := 0.0
	for steps := 0; ; steps++ {
		k := -1
		for i := range cs {
			if !math.IsInf(cs[i].free, 1) && (k < 0 || cs[i].free < cs[k].free) {
				k = i
			}
		}
		if k < 0 || steps > 100000 {
			return float64(len(e.queues[svc])) * ms.mean // x is never called (reserved elsewhere)
		}
		pc := &cs[k]
		var best *hall.Ticket
		bestPi, isX := 0, false
		for pi, p := range pc.c.Services {
			q := e.queues[p]
			i := head[p]
			for i < len(q) && taken[q[i]] {
				i++
			}
			head[p] = i
			for ; i < len(q); i++ {
				t := q[i]
				if taken[t] || (t.TargetCounter != 0 && t.TargetCounter != pc.c.Number) {
					continue
				}
				if best == nil || better(t, pi, best, bestPi) {
					best, bestPi, isX = t, pi, t == x
				}
				break
			}
			if p == svc && !queued && (x.TargetCounter == 0 || x.TargetCounter == pc.c.Number) &&
				(best == nil || better(x, pi, best, bestPi)) {
				best, bestPi, isX = x, pi, true
			}
		}
		if best == nil {
			pc.free = math.Inf(1) // nothing it may call before x: no part in x's wait
			continue
		}
		if isX {
			if pc.free == 0 {
				return 0
			}
			break
		}
		if q := e.queues[best.Service]; head[best.Service] < len(q) && q[head[best.Service]] == best {
			head[best.Service]++
		} else {
			if taken == nil {
				taken = map[*hall.Ticket]bool{}
			}
			taken[best] = true
		}
		mb := e.modelOf(now, best.Service, cache)
		if pc.free == 0 { // called at once: the counter starts a fresh service
			pc.m, pc.elapsed = mb, 0
		} else if pc.mine {
			work += mb.mean
		}
		pc.free += mb.mean
	}
	// median of the first departure among x's counters: Π R_i(t) = 1/2.
	type res struct {
		m           *model
		elapsed, s0 float64
	}
	var rs []res
	for _, pc := range cs {
		if pc.mine && pc.m != nil {
			rs = append(rs, res{pc.m, pc.elapsed, pc.m.survival(pc.elapsed)})
		}
	}
	t1 := median(func(t float64) float64 {
		p := 1.0
		for _, r := range rs {
			if r.s0 > 0 {
				p *= r.m.survival(r.elapsed+t) / r.s0
			}
		}
		return p
	}, ms.mean)
	return t1 + work/float64(mine)
}

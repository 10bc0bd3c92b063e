package queue

import (
	"math"
	"slices"
	"sort"
	"time"

	"onedoor/hallserver/hall"
)

// Wait estimates
//
// The estimate for a ticket of service s with k people ahead of it works from the counters, not
// from a queue formula:
//
//  1. Mean service time m(s): the mean of the recent durations of s (called → finished, the last
//     StatsWindow = 50, kept across days; 20 proved too noisy for exponential-like times in the
//     simulation). Before the first finished duration: twice the mean elapsed time of the services
//     of s running now, at most the configured AvgMinutes; with nothing running, AvgMinutes.
//  2. Servers: the open counters whose profile contains s. A counter serving several services gives
//     s the share W(s)/ΣW(p) of its time, W being the waiting counts of its services (counting the
//     ticket being estimated); c is the sum of the shares.
//  3. Idle servers take the first people ahead at once: when k < idle, the estimate is 0.
//  4. Otherwise the ticket needs j = k − idle + 1 departures. For every server the residual time of
//     its current service is modelled from the recent durations of that service given its elapsed
//     time: survival S(e+t)/S(e), with S the empirical survival of the durations mixed with one
//     exponential component of mean m (so it is smooth and has a tail). An idle server starts a
//     fresh service. The first departure's median t₁ solves Π Rᵢ(t)^shareᵢ = ½.
//  5. Estimate = t₁ + (j − 1)·m(s)/c, rounded to the nearest second. The median (not the mean) of
//     the first departure is used because the estimate is judged by its absolute error; for
//     exponential times this is the median of the Gamma wait within a few per cent, and for regular
//     service times it reduces to "the earliest remaining time".
//
// With no open counter serving s the estimate is as if one counter opened now: k·m(s).

// estimate returns the estimated wait in seconds for a ticket of svc with ahead people before it.
// counted says whether that ticket is already among the waiting (else one is added to the demand).
func (e *Engine) estimate(now time.Time, svc string, ahead int, counted bool) int {
	w := e.waitSeconds(now, svc, ahead, counted)
	if w < 0 || math.IsNaN(w) {
		return 0
	}
	if w > 1e7 {
		w = 1e7
	}
	return int(math.Round(w))
}

// model is the service-time model of one service at one moment.
type model struct {
	mean   float64
	sorted []float64 // recent durations, ascending
}

// survival returns P(duration > x): the empirical survival mixed with one exponential of the mean.
func (m *model) survival(x float64) float64 {
	n := len(m.sorted)
	above := n - sort.SearchFloat64s(m.sorted, math.Nextafter(x, math.Inf(1)))
	return (float64(above) + math.Exp(-x/m.mean)) / float64(n+1)
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
	rec := e.stats[svc].Recent
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
	cache[svc] = m
	return m
}

type server struct {
	share   float64
	m       *model
	elapsed float64
	s0      float64 // survival at elapsed
}

func (e *Engine) waitSeconds(now time.Time, svc string, ahead int, counted bool) float64 {
	cache := map[string]*model{}
	ms := e.modelOf(now, svc, cache)
	var servers []server
	idle := 0
	capacity := 0.0
	for i := range e.counters {
		c := &e.counters[i]
		if c.State != hall.CounterOpen || !slices.Contains(c.Services, svc) {
			continue
		}
		own := len(e.queues[svc])
		if !counted {
			own++
		}
		total := 0
		for _, p := range c.Services {
			if p == svc {
				total += own
			} else {
				total += len(e.queues[p])
			}
		}
		share := 1.0
		if total > 0 {
			share = float64(own) / float64(total)
		}
		sv := server{share: share, m: ms}
		if t := e.tickets[c.Current]; c.Current != "" && t != nil {
			sv.m = e.modelOf(now, t.Service, cache)
			if t.CalledAt != nil {
				sv.elapsed = math.Max(0, now.Sub(*t.CalledAt).Seconds())
			}
		} else {
			idle++
		}
		sv.s0 = sv.m.survival(sv.elapsed)
		servers = append(servers, sv)
		capacity += share
	}
	if len(servers) == 0 {
		return float64(ahead) * ms.mean
	}
	if ahead < idle {
		return 0
	}
	j := ahead - idle + 1
	// median of the first departure: Π R_i(t)^share_i = 1/2, by bisection on t.
	surv := func(t float64) float64 {
		p := 1.0
		for _, s := range servers {
			r := 1.0
			if s.s0 > 0 {
				r = s.m.survival(s.elapsed+t) / s.s0
			}
			if s.share != 1 {
				r = math.Pow(r, s.share)
			}
			p *= r
		}
		return p
	}
	lo, hi := 0.0, ms.mean
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
	t1 := (lo + hi) / 2
	return t1 + float64(j-1)*ms.mean/capacity
}

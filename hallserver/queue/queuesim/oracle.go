package queuesim

import (
	"math"
	"math/rand/v2"
	"slices"
)

// oracle is the best estimate anyone could give at t for the ticket me: it knows the true
// service-time distributions, the arrival process, the lunch pauses and the exact state (who waits,
// with which priority and order; what each counter serves and since when), simulates o.Futures
// futures with the calling rule the engine follows, and answers the median of me's wait in them
// (the value that minimises the expected absolute error), rounded to whole seconds as the server
// answers.
func (m *sim) oracle(t float64, me waiting) float64 {
	r := rand.New(rand.NewPCG(m.o.Seed^0x0a1c1e, uint64(m.seq)))
	waits := make([]float64, 0, m.o.Futures)
	free := make([]float64, len(m.cs))
	wq := make([]waiting, 0, len(m.wq)+16)
	for range m.o.Futures {
		for i := range m.cs {
			c := &m.cs[i]
			switch c.state {
			case busy:
				free[i] = m.lunch(i, t+m.dists[c.svc].residual(r, t-c.since))
			case paused:
				free[i] = c.cfg.LunchTo
			default:
				free[i] = t
			}
		}
		wq = append(wq[:0], m.wq...)
		seq := m.seq
		next := m.arr.next(r, t)
		wait := math.NaN()
		for steps := 0; steps < 100000; steps++ {
			k := 0 // the counter free first (ties: the lower number, as the simulation wakes them)
			for i := range free {
				if free[i] < free[k] {
					k = i
				}
			}
			now := free[k]
			if math.IsInf(now, 1) {
				break
			}
			for next <= now {
				svc, prio := m.arr.pick(r)
				seq++
				wq = append(wq, waiting{svc: svc, priority: prio, seq: seq, rec: -1})
				next = m.arr.next(r, next)
			}
			j := pickFor(wq, m.cs[k].rank)
			if j < 0 { // nothing it may take: it waits for the next arrival
				free[k] = m.lunch(k, next)
				continue
			}
			if wq[j].seq == me.seq {
				wait = now - t
				break
			}
			free[k] = m.lunch(k, now+m.dists[wq[j].svc].draw(r))
			wq = slices.Delete(wq, j, j+1)
		}
		if !math.IsNaN(wait) {
			waits = append(waits, wait)
		}
	}
	if len(waits) == 0 {
		return 0
	}
	slices.Sort(waits)
	return math.Round(waits[len(waits)/2])
}

// lunch moves the time counter i is next free to the end of its lunch pause when it falls in it.
func (m *sim) lunch(i int, t float64) float64 {
	if c := &m.cs[i].cfg; c.inLunch(t) {
		return c.LunchTo
	}
	return t
}

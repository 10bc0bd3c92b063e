package queuesim

import (
	"math"
	"math/rand/v2"
)

// dist is a service-time distribution: exponential or log-normal with a mean and a CV.
type dist struct {
	mean      float64
	exp       bool
	mu, sigma float64 // of the log-normal
}

func newDist(s Service) dist {
	d := dist{mean: s.Mean, exp: s.Exponential}
	if !d.exp {
		d.sigma = math.Sqrt(math.Log(1 + s.CV*s.CV))
		d.mu = math.Log(s.Mean) - d.sigma*d.sigma/2
	}
	return d
}

// draw returns a service time.
func (d dist) draw(r *rand.Rand) float64 {
	if d.exp {
		return r.ExpFloat64() * d.mean
	}
	return math.Exp(d.mu + d.sigma*r.NormFloat64())
}

// residual returns the remaining time of a service that has run for e seconds: a draw from the
// distribution conditioned on exceeding e, minus e (inverse CDF from F(e) to 1).
func (d dist) residual(r *rand.Rand, e float64) float64 {
	if d.exp || e <= 0 {
		if d.exp {
			return r.ExpFloat64() * d.mean
		}
		return d.draw(r)
	}
	fe := 0.5 * math.Erfc(-(math.Log(e)-d.mu)/(d.sigma*math.Sqrt2))
	u := fe + (1-fe)*r.Float64()
	if u >= 1-1e-12 {
		u = 1 - 1e-12
	}
	x := math.Exp(d.mu + d.sigma*math.Sqrt2*math.Erfinv(2*u-1))
	if x <= e {
		return 1e-3
	}
	return x - e
}

// arrivals draws the arrival process of a scenario: Poisson with the day's piecewise-constant
// rate factor.
type arrivals struct {
	s     *Scenario
	total float64   // sum of the services' base rates
	cum   []float64 // cumulative base rates, for choosing the service
}

func newArrivals(s *Scenario) arrivals {
	a := arrivals{s: s}
	for _, v := range s.Services {
		a.total += v.Rate
		a.cum = append(a.cum, a.total)
	}
	return a
}

// next returns the time of the next arrival after t (seconds after opening), +Inf after the day's
// arrivals end.
func (a arrivals) next(r *rand.Rand, t float64) float64 {
	e := r.ExpFloat64()
	for t < a.s.Length {
		f, until := a.s.factor(t)
		rate := a.total * f
		if rate > 0 && e <= rate*(until-t) {
			return t + e/rate
		}
		e -= rate * (until - t)
		t = until
	}
	return math.Inf(1)
}

// pick returns the service index and priority of an arrival.
func (a arrivals) pick(r *rand.Rand) (svc int, priority bool) {
	x := r.Float64() * a.total
	svc = len(a.cum) - 1
	for i, c := range a.cum {
		if x < c {
			svc = i
			break
		}
	}
	return svc, r.Float64() < a.s.Priority
}

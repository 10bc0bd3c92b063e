package http

import (
	"crypto/sha256"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/time/rate"
)

// The public portal's defences without a login (ask.go, docs/WEB.md "The public portal"): a
// rate limit per client address and one over all addresses (429 with Retry-After), a honeypot
// field, text checks, and duplicate-text detection within a window, per address and over all
// addresses. Every piece of state a stranger can make the server hold is bounded.

// AskConfig configures the public portal's defences (POST /api/v1/ask and its suggestions);
// zero fields take the defaults (AskDefaults).
type AskConfig struct {
	// AddrPerMinute and AddrBurst are the requests one client address (an IPv6 /64) may send
	// per minute, after a burst.
	AddrPerMinute float64
	AddrBurst     int
	// GlobalPerSecond and GlobalBurst are the requests all addresses together may send.
	GlobalPerSecond float64
	GlobalBurst     int
	// SuggestPerMinute is the routing suggestions one address may ask for per minute (the page
	// asks as the person types; burst 20).
	SuggestPerMinute float64
	// MaxAddrs is how many addresses the limits track at most; beyond that, addresses not
	// tracked share one budget of one address.
	MaxAddrs int
	// MinText and MaxText bound the request text in characters.
	MinText, MaxText int
	// DupWindow is how long a text is remembered: the same text again from the same address, or
	// from any address DupGlobal times, within it is a duplicate (409). DupMax bounds the texts
	// remembered.
	DupWindow time.Duration
	DupGlobal int
	DupMax    int
	// RequireIdentity refuses requests without an identity (Config.Requester) with 401.
	RequireIdentity bool
}

// AskDefaults are the portal's defaults: 6 requests a minute per address after a burst of 3,
// 5 a second over all addresses after a burst of 20, 60 suggestions a minute per address,
// 10,000 addresses tracked, texts of 5 to 1,000 characters, duplicates remembered for 10
// minutes (a text at most 3 times from all addresses), 20,000 texts remembered.
var AskDefaults = AskConfig{
	AddrPerMinute: 6, AddrBurst: 3, GlobalPerSecond: 5, GlobalBurst: 20, SuggestPerMinute: 60,
	MaxAddrs: 10000, MinText: 5, MaxText: 1000, DupWindow: 10 * time.Minute, DupGlobal: 3, DupMax: 20000,
}

// withDefaults fills the zero fields from AskDefaults.
func (c AskConfig) withDefaults() AskConfig {
	d := AskDefaults
	set := func(v *float64, def float64) {
		if *v <= 0 {
			*v = def
		}
	}
	seti := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&c.AddrPerMinute, d.AddrPerMinute)
	seti(&c.AddrBurst, d.AddrBurst)
	set(&c.GlobalPerSecond, d.GlobalPerSecond)
	seti(&c.GlobalBurst, d.GlobalBurst)
	set(&c.SuggestPerMinute, d.SuggestPerMinute)
	seti(&c.MaxAddrs, d.MaxAddrs)
	seti(&c.MinText, d.MinText)
	seti(&c.MaxText, d.MaxText)
	if c.DupWindow <= 0 {
		c.DupWindow = d.DupWindow
	}
	seti(&c.DupGlobal, d.DupGlobal)
	seti(&c.DupMax, d.DupMax)
	return c
}

// addrKey is the limits' key of a client address: the address itself, an IPv6 address's /64
// (one subscriber holds a whole /64).
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// addrLimiter is a token bucket per client address, with at most max addresses tracked: when
// full, it forgets the addresses whose bucket has refilled (at most once a second), and an
// address it still cannot track shares the overflow bucket.
type addrLimiter struct {
	mu       sync.Mutex
	limit    rate.Limit
	burst    int
	max      int
	addrs    map[string]*addrBucket
	overflow *rate.Limiter
	swept    time.Time
}

type addrBucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newAddrLimiter(perMinute float64, burst, max int) *addrLimiter {
	l := rate.Limit(perMinute / 60)
	return &addrLimiter{limit: l, burst: burst, max: max, addrs: map[string]*addrBucket{}, overflow: rate.NewLimiter(l, burst)}
}

// allow takes one token of the address's bucket at now; when there is none it returns how long
// until there is one.
func (l *addrLimiter) allow(addr string, now time.Time) time.Duration {
	key := addrKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	var lim *rate.Limiter
	if b, ok := l.addrs[key]; ok {
		b.last = now
		lim = b.lim
	} else {
		if len(l.addrs) >= l.max && now.Sub(l.swept) >= time.Second {
			l.sweep(now)
		}
		if len(l.addrs) < l.max {
			lim = rate.NewLimiter(l.limit, l.burst)
			l.addrs[key] = &addrBucket{lim: lim, last: now}
		} else {
			lim = l.overflow
		}
	}
	return take(lim, now)
}

// sweep forgets the addresses whose bucket is full again (idle for a whole refill).
func (l *addrLimiter) sweep(now time.Time) {
	l.swept = now
	refill := time.Duration(float64(l.burst) / float64(l.limit) * float64(time.Second))
	for k, b := range l.addrs {
		if now.Sub(b.last) >= refill {
			delete(l.addrs, k)
		}
	}
}

// tracked is how many addresses the limiter holds.
func (l *addrLimiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.addrs)
}

// take takes one token at now, or returns how long until one is there (taking nothing).
func take(lim *rate.Limiter, now time.Time) time.Duration {
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// dupGuard remembers the texts of recent requests (a digest of their letters and digits, so
// spacing and punctuation do not make a new text) by address, for a window, at most max of
// them, oldest forgotten first.
type dupGuard struct {
	mu     sync.Mutex
	window time.Duration
	global int
	max    int
	fifo   []dupEntry // oldest first
	byAddr map[[32]byte]int
	byText map[[16]byte]int
}

type dupEntry struct {
	addr [32]byte
	text [16]byte
	at   time.Time
}

func newDupGuard(window time.Duration, global, max int) *dupGuard {
	return &dupGuard{window: window, global: global, max: max, byAddr: map[[32]byte]int{}, byText: map[[16]byte]int{}}
}

// textDigest is the digest of a text's letters and digits, lower-cased.
func textDigest(text string) [16]byte {
	var b strings.Builder
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	var d [16]byte
	copy(d[:], sum[:])
	return d
}

func addrTextKey(addr string, text [16]byte) [32]byte {
	return sha256.Sum256(append([]byte(addrKey(addr)+"\x00"), text[:]...))
}

// expire forgets the texts older than the window at now.
func (g *dupGuard) expire(now time.Time) {
	n := 0
	for n < len(g.fifo) && now.Sub(g.fifo[n].at) >= g.window {
		g.forget(g.fifo[n])
		n++
	}
	g.fifo = g.fifo[n:]
}

func (g *dupGuard) forget(e dupEntry) {
	if g.byAddr[e.addr]--; g.byAddr[e.addr] <= 0 {
		delete(g.byAddr, e.addr)
	}
	if g.byText[e.text]--; g.byText[e.text] <= 0 {
		delete(g.byText, e.text)
	}
}

// check says whether the text from the address is a duplicate at now: "addr" when the address
// sent it within the window, "global" when all addresses together sent it global times, ""
// when it is new.
func (g *dupGuard) check(addr, text string, now time.Time) string {
	d := textDigest(text)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.expire(now)
	switch {
	case g.byAddr[addrTextKey(addr, d)] > 0:
		return "addr"
	case g.byText[d] >= g.global:
		return "global"
	}
	return ""
}

// record remembers the text from the address at now (a request that was accepted).
func (g *dupGuard) record(addr, text string, now time.Time) {
	d := textDigest(text)
	e := dupEntry{addr: addrTextKey(addr, d), text: d, at: now}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.expire(now)
	if len(g.fifo) >= g.max {
		g.forget(g.fifo[0])
		g.fifo = g.fifo[1:]
	}
	g.fifo = append(g.fifo, e)
	g.byAddr[e.addr]++
	g.byText[e.text]++
}

// remembered is how many texts the guard holds.
func (g *dupGuard) remembered() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.fifo)
}

// Package netlimit caps the connections a server keeps open, in total and per remote address, so
// that one address (or many) cannot take every file descriptor of the process and stop all
// accepts.
//
// A Listener wraps a net.Listener. A connection over a cap is closed at once after accept and
// never reaches the server; the listener goes on accepting, so an address under its cap still
// gets in. The per-address cap is a fairness rule under pressure, not a hard limit: while fewer
// than Pressure connections are open, an address over MaxPerAddr is still let in (thousands of
// phones on campus Wi-Fi share a few NAT addresses); from Pressure on, an address holding
// MaxPerAddr or more is refused, so the room left goes to the others. The last Reserve
// connections of the total cap go only to addresses holding fewer than ReservePerAddr
// connections: kiosks, displays and staff browsers hold a handful each, so they still find room
// when one address, or many together, fill the server. Accept errors that a retry can cure (too
// many open files, aborted handshakes) are retried with a growing pause instead of being
// returned. Refusals are counted by reason and logged at most once per LogEvery.
package netlimit

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Reason says why a connection was refused (the label of the refusal metric).
type Reason string

// Refusal reasons.
const (
	// PerAddr: the listener holds Pressure connections or more and the remote address already
	// holds MaxPerAddr.
	PerAddr Reason = "per_ip"
	// Global: the listener already holds Max connections.
	Global Reason = "global"
	// Reserve: the listener is in its reserve and the address holds ReservePerAddr or more.
	Reserve Reason = "reserve"
	// AcceptError: accept itself failed with an error worth retrying (e.g. EMFILE); the pending
	// connection stays in the kernel's queue until a retry takes it.
	AcceptError Reason = "accept_error"
)

// Config sets the caps. Zero values mean no cap.
type Config struct {
	// Max is the most connections open at once.
	Max int
	// MaxPerAddr is the most connections open at once from one remote IP address once the
	// listener is under pressure (see Pressure).
	MaxPerAddr int
	// Pressure is how many open connections put the listener under pressure: below it an address
	// over MaxPerAddr still gets in; from it on MaxPerAddr applies. 0: always under pressure
	// (MaxPerAddr is then a hard cap).
	Pressure int
	// Reserve is how many of the Max connections are kept for addresses holding fewer than
	// ReservePerAddr connections; it has no effect when either is 0.
	Reserve        int
	ReservePerAddr int
	// OnRefuse, when set, is called for every refusal (e.g. to count it).
	OnRefuse func(Reason)
	// Logger receives the refusal log lines (nil: none), at most one per LogEvery (0: 10 s).
	Logger   *slog.Logger
	LogEvery time.Duration
}

// Listener is a net.Listener that enforces a Config. It is safe for concurrent use.
type Listener struct {
	net.Listener
	cfg  Config
	done chan struct{}
	once sync.Once

	mu     sync.Mutex
	open   int
	byAddr map[netip.Addr]int
	// refusal log state: counts since the last log line.
	lastLog  time.Time
	pending  map[Reason]int
	lastAddr netip.Addr
	lastErr  error
}

// New wraps ln with the caps of cfg.
func New(ln net.Listener, cfg Config) *Listener {
	if cfg.LogEvery <= 0 {
		cfg.LogEvery = 10 * time.Second
	}
	return &Listener{Listener: ln, cfg: cfg, done: make(chan struct{}), byAddr: map[netip.Addr]int{}, pending: map[Reason]int{}}
}

// Accept returns the next connection within the caps. Connections over a cap are closed and
// skipped; retryable accept errors are retried with a pause of 5 ms doubling to 1 s.
func (l *Listener) Accept() (net.Conn, error) {
	var pause time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !retryable(err) {
				return nil, err
			}
			l.refuse(AcceptError, netip.Addr{}, err)
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(pause):
				continue
			case <-l.done:
				return nil, net.ErrClosed
			}
		}
		pause = 0
		a := remoteAddr(c)
		if r := l.admit(a); r != "" {
			// Counted before the close, so that whoever sees the close sees the count too.
			l.refuse(r, a, nil)
			c.Close()
			continue
		}
		return &conn{Conn: c, l: l, addr: a}, nil
	}
}

// Close closes the listener; an Accept waiting to retry returns net.ErrClosed.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// Open returns the number of connections open now.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// UnderPressure reports whether the listener holds Config.Pressure connections or more, the point
// from which per-address caps apply (always true when Pressure is 0). Layers above use it to apply
// their own per-address caps (e.g. on streams) by the same rule.
func (l *Listener) UnderPressure() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open >= l.cfg.Pressure
}

// OpenFrom returns the number of connections open now from the IP address.
func (l *Listener) OpenFrom(a netip.Addr) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byAddr[a.Unmap()]
}

// admit counts a new connection from a, or returns why it is refused.
func (l *Listener) admit(a netip.Addr) Reason {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.byAddr[a]
	switch {
	case l.cfg.Max > 0 && l.open >= l.cfg.Max:
		return Global
	case l.cfg.MaxPerAddr > 0 && n >= l.cfg.MaxPerAddr && l.open >= l.cfg.Pressure:
		return PerAddr
	case l.cfg.Max > 0 && l.cfg.Reserve > 0 && l.cfg.ReservePerAddr > 0 &&
		l.open >= l.cfg.Max-l.cfg.Reserve && n >= l.cfg.ReservePerAddr:
		return Reserve
	}
	l.open++
	l.byAddr[a] = n + 1
	return ""
}

// release uncounts a closed connection from a.
func (l *Listener) release(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if n := l.byAddr[a] - 1; n > 0 {
		l.byAddr[a] = n
	} else {
		delete(l.byAddr, a)
	}
}

// refuse counts a refusal and logs the refusals since the last line when LogEvery has passed.
func (l *Listener) refuse(r Reason, a netip.Addr, err error) {
	if l.cfg.OnRefuse != nil {
		l.cfg.OnRefuse(r)
	}
	if l.cfg.Logger == nil {
		return
	}
	l.mu.Lock()
	l.pending[r]++
	if a.IsValid() {
		l.lastAddr = a
	}
	if err != nil {
		l.lastErr = err
	}
	now := time.Now()
	if now.Sub(l.lastLog) < l.cfg.LogEvery {
		l.mu.Unlock()
		return
	}
	attrs := []any{"open", l.open, "max", l.cfg.Max, "max_per_ip", l.cfg.MaxPerAddr, "pressure", l.cfg.Pressure}
	for _, k := range []Reason{PerAddr, Global, Reserve, AcceptError} {
		if n := l.pending[k]; n > 0 {
			attrs = append(attrs, string(k), n)
		}
	}
	if l.lastAddr.IsValid() {
		attrs = append(attrs, "last_addr", l.lastAddr.String())
	}
	if l.lastErr != nil {
		attrs = append(attrs, "err", l.lastErr.Error())
	}
	clear(l.pending)
	l.lastAddr, l.lastErr, l.lastLog = netip.Addr{}, nil, now
	l.mu.Unlock()
	l.cfg.Logger.Warn("connections refused", attrs...)
}

// retryable reports whether an accept error is one a later accept may not have: out of
// descriptors or buffers, or a connection aborted before it was taken.
func retryable(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS) ||
		errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.ECONNABORTED)
}

// remoteAddr is the IP address of the connection's peer (the zero Addr when it has none, e.g.
// a Unix socket: all such connections then share one count).
func remoteAddr(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// conn uncounts itself once when closed (also after an HTTP server hijacked it).
type conn struct {
	net.Conn
	l    *Listener
	addr netip.Addr
	once sync.Once
}

// Close closes the connection and frees its place.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.addr) })
	return err
}

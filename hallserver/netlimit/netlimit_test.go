package netlimit

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server accepts on a capped loopback listener and greets every connection it accepts with "h",
// so a client knows at once whether it got in (it reads "h") or was refused (it reads EOF).
type server struct {
	t   *testing.T
	ln  *Listener
	mu  sync.Mutex
	got map[Reason]int
	acc chan net.Conn
}

func newServer(t *testing.T, cfg Config) *server {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, got: map[Reason]int{}, acc: make(chan net.Conn, 100)}
	cfg.OnRefuse = func(r Reason) { s.mu.Lock(); s.got[r]++; s.mu.Unlock() }
	s.ln = New(inner, cfg)
	go func() {
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("h"))
			s.acc <- c
		}
	}()
	t.Cleanup(func() { s.ln.Close() })
	return s
}

// dial connects from ip and reports whether the server let the connection in.
func (s *server) dial(ip string) (net.Conn, bool) {
	s.t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", s.ln.Addr().String())
	if err != nil {
		s.t.Fatalf("dial from %s: %v", ip, err)
	}
	s.t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 1)
	_, err = io.ReadFull(c, b)
	if err == nil && b[0] == 'h' {
		return c, true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		s.t.Fatalf("dial from %s: neither greeted nor closed", ip)
	}
	return c, false
}

// accepted returns the server side of the next accepted connection.
func (s *server) accepted() net.Conn {
	select {
	case c := <-s.acc:
		return c
	case <-time.After(10 * time.Second):
		s.t.Fatal("no connection accepted")
		return nil
	}
}

func (s *server) refused(r Reason) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[r]
}

// TestPerAddrCapLeavesOtherAddressesIn: with Pressure 0 MaxPerAddr is a hard cap.
func TestPerAddrCapLeavesOtherAddressesIn(t *testing.T) {
	s := newServer(t, Config{MaxPerAddr: 2})
	for i := range 2 {
		if _, ok := s.dial("127.0.0.3"); !ok {
			t.Fatalf("connection %d from 127.0.0.3 refused under the cap", i+1)
		}
		s.accepted()
	}
	if _, ok := s.dial("127.0.0.3"); ok {
		t.Fatal("third connection from 127.0.0.3 let in over MaxPerAddr 2")
	}
	if _, ok := s.dial("127.0.0.2"); !ok {
		t.Fatal("127.0.0.2 refused while only 127.0.0.3 is at its cap")
	}
	s.accepted()
	if got := s.refused(PerAddr); got != 1 {
		t.Errorf("per_ip refusals = %d, want 1", got)
	}
	if got := s.ln.OpenFrom(netip.MustParseAddr("127.0.0.3")); got != 2 {
		t.Errorf("OpenFrom(127.0.0.3) = %d, want 2", got)
	}
}

// TestPerAddrCapAppliesUnderPressureOnly: with room, an address over MaxPerAddr still gets in
// (many phones behind one NAT); once Pressure connections are open it is refused, while an address
// holding less still gets in, and one holding nothing finds the reserve.
func TestPerAddrCapAppliesUnderPressureOnly(t *testing.T) {
	s := newServer(t, Config{Max: 10, MaxPerAddr: 2, Pressure: 6, Reserve: 2, ReservePerAddr: 1})
	big := netip.MustParseAddr("127.0.0.3")
	for i := range 6 {
		if s.ln.UnderPressure() {
			t.Fatalf("UnderPressure with %d of Pressure 6 open", i)
		}
		if _, ok := s.dial("127.0.0.3"); !ok {
			t.Fatalf("connection %d from 127.0.0.3 refused while the server has room (%d open)", i+1, i)
		}
		s.accepted()
	}
	if !s.ln.UnderPressure() {
		t.Fatal("not UnderPressure with Pressure 6 open")
	}
	if _, ok := s.dial("127.0.0.3"); ok {
		t.Fatal("127.0.0.3 (holding 6, cap 2) let in under pressure")
	}
	if got := s.refused(PerAddr); got != 1 {
		t.Errorf("per_ip refusals = %d, want 1", got)
	}
	// A small address still gets in up to its own cap.
	for i := range 2 {
		if _, ok := s.dial("127.0.0.2"); !ok {
			t.Fatalf("connection %d from 127.0.0.2 (under its cap) refused under pressure", i+1)
		}
		s.accepted()
	}
	if _, ok := s.dial("127.0.0.2"); ok {
		t.Fatal("127.0.0.2 let in over its cap under pressure")
	}
	// In the reserve only addresses holding nothing get in, up to Max.
	for _, ip := range []string{"127.0.0.4", "127.0.0.5"} {
		if _, ok := s.dial(ip); !ok {
			t.Fatalf("%s (holding nothing) refused the reserve", ip)
		}
		s.accepted()
	}
	if _, ok := s.dial("127.0.0.6"); ok {
		t.Fatal("127.0.0.6 let in over Max")
	}
	if got := s.ln.OpenFrom(big); got != 6 {
		t.Errorf("OpenFrom(127.0.0.3) = %d, want 6 (a refusal takes nothing)", got)
	}
	if s.refused(PerAddr) != 2 || s.refused(Global) != 1 || s.refused(Reserve) != 0 {
		t.Errorf("refusals per_ip=%d global=%d reserve=%d, want 2, 1 and 0", s.refused(PerAddr), s.refused(Global), s.refused(Reserve))
	}
}

// TestPerAddrCapAppliesAgainWhenRoomComesBack: when connections close and the server falls back
// below Pressure, the big address gets in again.
func TestPerAddrCapAppliesAgainWhenRoomComesBack(t *testing.T) {
	s := newServer(t, Config{Max: 10, MaxPerAddr: 1, Pressure: 3})
	var others []net.Conn
	for range 2 {
		if _, ok := s.dial("127.0.0.2"); !ok {
			t.Fatal("127.0.0.2 refused with room")
		}
		others = append(others, s.accepted())
	}
	if _, ok := s.dial("127.0.0.3"); !ok {
		t.Fatal("127.0.0.3 refused its first connection")
	}
	s.accepted()
	if _, ok := s.dial("127.0.0.3"); ok {
		t.Fatal("127.0.0.3 let in over its cap with 3 of Pressure 3 open")
	}
	others[0].Close()
	if _, ok := s.dial("127.0.0.3"); !ok {
		t.Fatal("127.0.0.3 refused after the server fell back below Pressure")
	}
	s.accepted()
}

func TestCloseFreesThePlace(t *testing.T) {
	s := newServer(t, Config{Max: 1})
	if _, ok := s.dial("127.0.0.3"); !ok {
		t.Fatal("first connection refused")
	}
	sc := s.accepted()
	if _, ok := s.dial("127.0.0.2"); ok {
		t.Fatal("second connection let in over Max 1")
	}
	if s.refused(Global) != 1 {
		t.Errorf("global refusals = %d, want 1", s.refused(Global))
	}
	sc.Close()
	sc.Close() // a second close must not free a second place
	if s.ln.Open() != 0 {
		t.Fatalf("Open() = %d after close, want 0", s.ln.Open())
	}
	if _, ok := s.dial("127.0.0.2"); !ok {
		t.Fatal("refused after the only connection closed")
	}
	s.accepted()
	if _, ok := s.dial("127.0.0.4"); ok {
		t.Fatal("let in over Max 1 after a double close")
	}
}

func TestReserveKeptForAddressesWithFewConnections(t *testing.T) {
	// Max 4 with the last 2 kept for addresses holding fewer than 1 connection.
	s := newServer(t, Config{Max: 4, Reserve: 2, ReservePerAddr: 1})
	for range 2 {
		if _, ok := s.dial("127.0.0.3"); !ok {
			t.Fatal("127.0.0.3 refused before the reserve")
		}
		s.accepted()
	}
	if _, ok := s.dial("127.0.0.3"); ok {
		t.Fatal("127.0.0.3 (holding 2) let into the reserve")
	}
	if _, ok := s.dial("127.0.0.2"); !ok {
		t.Fatal("127.0.0.2 (holding none) refused the reserve")
	}
	s.accepted()
	if _, ok := s.dial("127.0.0.2"); ok {
		t.Fatal("127.0.0.2 (holding 1) let into the reserve")
	}
	if _, ok := s.dial("127.0.0.4"); !ok {
		t.Fatal("127.0.0.4 (holding none) refused the reserve")
	}
	s.accepted()
	if _, ok := s.dial("127.0.0.5"); ok {
		t.Fatal("127.0.0.5 let in over Max")
	}
	if s.refused(Reserve) != 2 || s.refused(Global) != 1 {
		t.Errorf("refusals reserve=%d global=%d, want 2 and 1", s.refused(Reserve), s.refused(Global))
	}
}

// flaky is a listener whose Accept fails with errs first.
type flaky struct {
	net.Listener
	mu   sync.Mutex
	errs []error
}

func (f *flaky) Accept() (net.Conn, error) {
	f.mu.Lock()
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		f.mu.Unlock()
		return nil, err
	}
	f.mu.Unlock()
	return f.Listener.Accept()
}

func TestAcceptRetriesOutOfDescriptors(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	var logs bytes.Buffer
	var mu sync.Mutex
	refused := 0
	ln := New(&flaky{Listener: inner, errs: []error{emfile, emfile, emfile}}, Config{
		OnRefuse: func(r Reason) {
			if r == AcceptError {
				mu.Lock()
				refused++
				mu.Unlock()
			}
		},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), LogEvery: time.Hour,
	})
	defer ln.Close()
	go func() {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatalf("Accept returned %v; want the connection after the EMFILE errors", err)
	}
	c.Close()
	mu.Lock()
	defer mu.Unlock()
	if refused != 3 {
		t.Errorf("accept_error refusals = %d, want 3", refused)
	}
	// Three refusals within LogEvery make one log line.
	if n := strings.Count(logs.String(), "connections refused"); n != 1 {
		t.Errorf("%d log lines for 3 refusals within LogEvery, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "too many open files") {
		t.Errorf("the log does not say why accept failed:\n%s", logs.String())
	}
}

func TestCloseEndsAcceptWaitingToRetry(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, 100)
	for i := range errs {
		errs[i] = &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	ln := New(&flaky{Listener: inner, errs: errs}, Config{})
	done := make(chan error, 1)
	go func() { _, err := ln.Accept(); done <- err }()
	ln.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Accept kept retrying after Close")
	}
}

func TestOtherAcceptErrorsReturned(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	boom := errors.New("boom")
	ln := New(&flaky{Listener: inner, errs: []error{boom}}, Config{})
	if _, err := ln.Accept(); !errors.Is(err, boom) {
		t.Fatalf("Accept = %v, want boom", err)
	}
}

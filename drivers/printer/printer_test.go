package printer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"onedoor/drivers/escpos"
)

// fakePrinter is a tiny printer for tests: it answers DLE EOT n with the
// byte set for n (no answer if none) and records everything else.
type fakePrinter struct {
	dieAfter int // if > 0: close the line after this many queries (unplugged)

	mu      sync.Mutex
	replies map[byte]byte
	data    []byte
	queries []byte
}

func newFake(replies map[byte]byte) *fakePrinter { return &fakePrinter{replies: replies} }

// serve runs until rw fails (closed by the test).
func (f *fakePrinter) serve(rw io.ReadWriter) {
	buf := make([]byte, 4096)
	state := 0 // 0: normal, 1: after DLE, 2: after DLE EOT
	for {
		n, err := rw.Read(buf)
		for _, c := range buf[:n] {
			switch {
			case state == 0 && c == escpos.DLE:
				state = 1
			case state == 1 && c == escpos.EOT:
				state = 2
			case state == 2:
				state = 0
				f.mu.Lock()
				f.queries = append(f.queries, c)
				r, ok := f.replies[c]
				f.mu.Unlock()
				if ok {
					if _, err := rw.Write([]byte{r}); err != nil {
						return
					}
				}
				if f.dieAfter > 0 && len(f.queries) >= f.dieAfter {
					if c, ok := rw.(io.Closer); ok {
						c.Close()
					}
					return
				}
			default:
				f.mu.Lock()
				if state == 1 {
					f.data = append(f.data, escpos.DLE)
				}
				f.data = append(f.data, c)
				f.mu.Unlock()
				state = 0
			}
		}
		if err != nil {
			return
		}
	}
}

// waitData waits until the fake has received n data bytes and returns them.
func (f *fakePrinter) waitData(t *testing.T, n int) []byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		got := append([]byte(nil), f.data...)
		f.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func allOK() map[byte]byte { return map[byte]byte{1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12} }

func profile(t testing.TB, name string) escpos.Profile {
	t.Helper()
	p, err := escpos.LookupProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ticket(t testing.TB) escpos.TicketData {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal("no tzdata")
	}
	return escpos.TicketData{
		Hall: "学生事务服务大厅", HallEn: "Student Affairs Service Hall",
		Service: "助学贷款", ServiceEn: "Student loans",
		Number: "A023", Ahead: 3, EtaSeconds: 600,
		IssuedAt: time.Date(2025, 3, 3, 1, 5, 0, 0, time.UTC), Loc: loc,
		FollowURL: "https://hall.example.edu.cn/f/Q2x8cVd3N0ZmR1pL",
		Materials: []string{"身份证 ID card", "学生证 Student card"},
		Footer:    "过号请重新取号",
	}
}

// ptyPrinter opens a pty pair, runs fake on the master side and opens the
// tty side with tarm/serial as the printer port.
func ptyPrinter(t *testing.T, fake *fakePrinter, prof escpos.Profile, to Timeouts) (Printer, *os.File) {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("no pty: %v", err)
	}
	path := tty.Name()
	tty.Close()
	p, err := OpenTimeouts(context.Background(), "serial:"+path+"?baud=115200", prof, to)
	if err != nil {
		master.Close()
		t.Fatal(err)
	}
	if fake != nil {
		go fake.serve(master)
	}
	t.Cleanup(func() {
		p.Close()
		master.Close()
	})
	return p, master
}

func fastTimeouts() Timeouts {
	return Timeouts{Reply: 300 * time.Millisecond, WriteSlack: 500 * time.Millisecond, Dial: time.Second}
}

func TestSerialPrintTicket(t *testing.T) {
	fake := newFake(allOK())
	prof := profile(t, "58mm")
	p, _ := ptyPrinter(t, fake, prof, fastTimeouts())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := PrintTicket(ctx, p, prof, ticket(t))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Have[1] || !st.Have[4] || !st.Ready() {
		t.Errorf("status after print: %+v", st)
	}
	want, _ := escpos.Ticket(prof, ticket(t))
	if got := fake.waitData(t, len(want)); !bytes.Equal(got, want) {
		t.Errorf("printer received %d bytes, want the %d-byte ticket", len(got), len(want))
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	// Before and after: DLE EOT 1 and 4 each (online printer: no 2 or 3).
	if !bytes.Equal(fake.queries, []byte{1, 4, 1, 4}) {
		t.Errorf("status queries %v", fake.queries)
	}
}

func TestSerialStatusErrors(t *testing.T) {
	tests := []struct {
		name    string
		replies map[byte]byte
		want    error
	}{
		// Offline (n=1 bit 3), cause: paper-end stop (n=2 bit 5), no paper (n=4 0x72).
		{"paper out", map[byte]byte{1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72}, ErrPaperOut},
		// Offline, cause: cover open (n=2 bit 2).
		{"cover open", map[byte]byte{1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}, ErrCoverOpen},
		// Offline, error (n=2 bit 6), autocutter error (n=3 bit 3).
		{"cutter", map[byte]byte{1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12}, ErrCutter},
		// Offline for no reported reason.
		{"offline", map[byte]byte{1: 0x1A, 2: 0x12, 3: 0x12, 4: 0x12}, ErrOffline},
		// Silent printer.
		{"no reply", map[byte]byte{}, ErrNoReply},
		// Garbage instead of a status byte is not taken as a status.
		{"garbage", map[byte]byte{1: 0xFF}, ErrNoReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(tt.replies)
			prof := profile(t, "58mm")
			p, _ := ptyPrinter(t, fake, prof, fastTimeouts())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := PrintTicket(ctx, p, prof, ticket(t))
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Spec == "" {
				t.Errorf("error %v lacks the printer spec", err)
			}
			time.Sleep(100 * time.Millisecond)
			fake.mu.Lock()
			got := fake.data
			fake.mu.Unlock()
			if len(got) != 0 {
				t.Errorf("ticket written to a printer that is not ready: %d bytes", len(got))
			}
		})
	}
}

func TestSerialPaperNearEndStillPrints(t *testing.T) {
	fake := newFake(map[byte]byte{1: 0x12, 4: 0x1E})
	prof := profile(t, "58mm")
	p, _ := ptyPrinter(t, fake, prof, fastTimeouts())
	st, err := PrintTicket(context.Background(), p, prof, ticket(t))
	if err != nil || !st.PaperNearEnd {
		t.Fatalf("near end: status %+v, err %v", st, err)
	}
}

func TestSerialPrinterGone(t *testing.T) {
	// The fake answers one status poll (DLE EOT 1 and 4), then closes its
	// side of the line: the printer is unplugged.
	fake := newFake(allOK())
	fake.dieAfter = 2
	prof := profile(t, "58mm")
	p, _ := ptyPrinter(t, fake, prof, fastTimeouts())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.Status(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	err := p.Write(ctx, bytes.Repeat([]byte("x"), 2048))
	if !errors.Is(err, ErrWriteFailed) {
		t.Fatalf("write to a vanished printer: %v", err)
	}
	// The connection stays failed.
	if _, err := p.Status(ctx); err == nil {
		t.Error("status after failure succeeded")
	}
	if err := p.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := p.Write(ctx, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
}

func TestSerialPrinterStopsReading(t *testing.T) {
	// Nobody reads the master side: the pty queue fills and write blocks.
	// With pacing off (a zero rule), only the deadline can end it.
	prof := profile(t, "58mm")
	prof.Pacing = escpos.Pacing{}
	p, _ := ptyPrinter(t, nil, prof, fastTimeouts())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := p.Write(ctx, bytes.Repeat([]byte("x"), 1<<20))
	if !errors.Is(err, ErrWriteFailed) {
		t.Fatalf("write to a stalled printer: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("the test context expired: the write deadline did not fire")
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("Close hung after a stalled write\n%s", buf[:runtime.Stack(buf, true)])
	}
}

func TestSerialPacingHonoursContext(t *testing.T) {
	// Default 58mm pacing: 3 KB go at once, then 377 B/s. A 16 KB write
	// cannot finish within 1 s, so the context ends it.
	fake := newFake(allOK())
	prof := profile(t, "58mm")
	p, _ := ptyPrinter(t, fake, prof, fastTimeouts())
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := p.Write(ctx, bytes.Repeat([]byte("y"), 16*1024))
	if !errors.Is(err, ErrWriteFailed) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	got := fake.waitData(t, prof.Pacing.Capacity)
	if len(got) < prof.Pacing.Capacity || len(got) > prof.Pacing.Capacity+prof.Pacing.ChunkBytes*2 {
		t.Errorf("sent %d bytes in 1 s, want the %d-byte allowance plus about one chunk", len(got), prof.Pacing.Capacity)
	}
}

func tcpPrinter(t *testing.T, fake *fakePrinter) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
			go fake.serve(c)
		}
	}()
	dropAll := func() {
		for {
			select {
			case c := <-conns:
				c.Close()
			default:
				return
			}
		}
	}
	t.Cleanup(func() { ln.Close(); dropAll() })
	return "tcp:" + ln.Addr().String(), func() {
		time.Sleep(50 * time.Millisecond)
		dropAll()
	}
}

func TestTCPPrintTicket(t *testing.T) {
	fake := newFake(allOK())
	spec, _ := tcpPrinter(t, fake)
	prof := profile(t, "80mm")
	p, err := OpenTimeouts(context.Background(), spec, prof, fastTimeouts())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := PrintTicket(context.Background(), p, prof, ticket(t)); err != nil {
		t.Fatal(err)
	}
	want, _ := escpos.Ticket(prof, ticket(t))
	if got := fake.waitData(t, len(want)); !bytes.Equal(got, want) {
		t.Errorf("received %d bytes, want %d", len(got), len(want))
	}
}

func TestTCPCoverOpenAndGone(t *testing.T) {
	fake := newFake(map[byte]byte{1: 0x1A, 2: 0x16, 4: 0x12})
	spec, drop := tcpPrinter(t, fake)
	prof := profile(t, "80mm")
	p, err := OpenTimeouts(context.Background(), spec, prof, fastTimeouts())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := PrintTicket(context.Background(), p, prof, ticket(t)); !errors.Is(err, ErrCoverOpen) {
		t.Fatalf("cover open: %v", err)
	}
	drop() // printer switched off
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := p.Status(ctx); !errors.Is(err, ErrNoReply) {
		t.Fatalf("status of a vanished printer: %v", err)
	}
}

func TestTCPRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Open(context.Background(), "tcp:"+addr, profile(t, "80mm"))
	if !errors.Is(err, ErrOffline) {
		t.Fatalf("open of a closed port: %v", err)
	}
}

func TestFilePrint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lp0")
	prof := profile(t, "58mm")
	if _, err := Open(context.Background(), "file:"+path, prof); !errors.Is(err, ErrOffline) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("open of a missing device: %v", err)
	}
	p, err := Open(context.Background(), "file:"+path+"?create=1", prof)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Status(context.Background()); !errors.Is(err, ErrNoStatus) {
		t.Errorf("file status: %v", err)
	}
	if _, err := PrintTicket(context.Background(), p, prof, ticket(t)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := escpos.Ticket(prof, ticket(t))
	if !bytes.Equal(got, want) {
		t.Errorf("file holds %d bytes, want the %d-byte ticket", len(got), len(want))
	}
}

func TestOpenBadSpec(t *testing.T) {
	if _, err := Open(context.Background(), "usb:0x04b8", profile(t, "58mm")); !errors.Is(err, ErrBadSpec) {
		t.Fatalf("got %v", err)
	}
}

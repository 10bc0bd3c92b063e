package printer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"onedoor/drivers/escpos"
	"onedoor/drivers/printersim"
)

// TransportSim names the in-process virtual printer in specs: sim:DIR.
const TransportSim = "sim"

// IsSimSpec reports whether spec names the in-process virtual printer (sim:DIR). Open and
// ParseSpec do not take it: a kiosk opens it with ParseSimSpec and NewSim.
func IsSimSpec(spec string) bool {
	t, _, ok := strings.Cut(strings.TrimSpace(spec), ":")
	return ok && strings.EqualFold(t, TransportSim)
}

// ParseSimSpec returns the page directory of a sim:DIR spec (relative directories are
// allowed: the demo uses sim:data/printer). Errors wrap ErrBadSpec.
func ParseSimSpec(spec string) (dir string, err error) {
	t, rest, ok := strings.Cut(strings.TrimSpace(spec), ":")
	if !ok || !strings.EqualFold(t, TransportSim) {
		return "", fmt.Errorf("printer spec %q: want sim:DIR: %w", spec, ErrBadSpec)
	}
	if rest == "" {
		return "", fmt.Errorf("printer spec %q: sim needs a directory for the printed pages, e.g. sim:data/printer: %w", spec, ErrBadSpec)
	}
	if strings.ContainsAny(rest, "\x00\n?") {
		return "", fmt.Errorf("printer spec %q: sim directory contains control characters or a query: %w", spec, ErrBadSpec)
	}
	return filepath.Clean(rest), nil
}

// SimConfig configures a Sim.
type SimConfig struct {
	// Dir receives every cut as page-NNNN.png; numbering continues after the pages already
	// there, so a restarted kiosk does not overwrite earlier tickets.
	Dir string
	// Profile gives the paper width (its DotsPerLine) and the power-up Chinese mode.
	Profile escpos.Profile
	// Font draws text; nil finds the CJK font as printersim does (fonts-noto-cjk,
	// fonts-wqy-microhei or $PRINTERSIM_FONT).
	Font *printersim.Font
	// Status is the initial condition (ready when zero).
	Status printersim.Status
}

// SimPage is a page the virtual printer cut, and the file it was written to.
type SimPage struct {
	Path string
	Page *printersim.Page
}

// Sim is a virtual ESC/POS printer in the process: the bytes a kiosk writes go straight to a
// printersim.Printer, which draws them; each cut becomes a PNG in the configured directory.
// Status requests are answered by the simulator through the real DLE EOT exchange, so tests
// can set paper out, cover open or offline (SetStatus) or pull the cable (SetUnplugged) and
// the kiosk sees what it would see from a real printer. Open returns a connection; several may
// be opened over time (a kiosk reopens after a failure) and all reach the same device.
type Sim struct {
	dir  string
	prof escpos.Profile
	p    *printersim.Printer

	mu        sync.Mutex
	next      int // number of the next page file
	pages     []SimPage
	pageErr   error // first page that could not be written
	unplugged bool
}

// NewSim creates the directory and the virtual printer.
func NewSim(cfg SimConfig) (*Sim, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("virtual printer: no page directory: %w", ErrBadSpec)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("virtual printer: page directory: %w", err)
	}
	font := cfg.Font
	if font == nil {
		f, err := printersim.FindFont("")
		if err != nil {
			return nil, fmt.Errorf("virtual printer: %w", err)
		}
		font = f
	}
	width := cfg.Profile.DotsPerLine
	if width != printersim.Width58mm {
		width = printersim.Width80mm
	}
	s := &Sim{dir: cfg.Dir, prof: cfg.Profile, next: nextPageNumber(cfg.Dir)}
	s.p = printersim.New(printersim.Config{Width: width, Font: font, ChineseMode: cfg.Profile.ChineseAtPowerUp,
		TwoByteGBOnly: !cfg.Profile.FourByteGB,
		Status:        cfg.Status, OnPage: s.onPage})
	return s, nil
}

// pageFile matches the files a Sim writes.
var pageFile = regexp.MustCompile(`^page-(\d+)\.png$`)

// nextPageNumber returns one more than the highest page-NNNN.png in dir (1 when none).
func nextPageNumber(dir string) int {
	n := 0
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if m := pageFile.FindStringSubmatch(e.Name()); m != nil {
			if v, err := strconv.Atoi(m[1]); err == nil && v > n {
				n = v
			}
		}
	}
	return n + 1
}

// onPage writes a cut page. It runs with the simulator locked (printersim.Config.OnPage).
func (s *Sim) onPage(pg *printersim.Page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := filepath.Join(s.dir, fmt.Sprintf("page-%04d.png", s.next))
	s.next++
	if err := writeSimPage(path, pg); err != nil && s.pageErr == nil {
		s.pageErr = err
	}
	s.pages = append(s.pages, SimPage{Path: path, Page: pg})
}

func writeSimPage(path string, pg *printersim.Page) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pg.WritePNG(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// Dir returns the page directory.
func (s *Sim) Dir() string { return s.dir }

// String returns the spec of the printer (sim:DIR).
func (s *Sim) String() string { return TransportSim + ":" + s.dir }

// SetStatus changes the printer's condition (paper out, cover open…); status requests see it
// at once and nothing is printed while it is not ready.
func (s *Sim) SetStatus(st printersim.Status) { s.p.SetStatus(st) }

// Status returns the printer's condition.
func (s *Sim) Status() printersim.Status { return s.p.Status() }

// SetUnplugged pulls (true) or plugs back (false) the cable: while unplugged, opening,
// writing and status requests fail as with a printer switched off.
func (s *Sim) SetUnplugged(u bool) {
	s.mu.Lock()
	s.unplugged = u
	s.mu.Unlock()
}

// Pages returns the pages cut so far, oldest first.
func (s *Sim) Pages() []SimPage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SimPage(nil), s.pages...)
}

// Err returns the first error writing a page file (a full disk, say), nil when none.
func (s *Sim) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pageErr
}

func (s *Sim) isUnplugged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unplugged
}

// Open connects to the virtual printer. It fails with ErrOffline while it is unplugged.
func (s *Sim) Open(ctx context.Context) (Printer, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{Kind: ErrOffline, Op: "open", Spec: s.String(), Err: err}
	}
	if s.isUnplugged() {
		return nil, &Error{Kind: ErrOffline, Op: "open", Spec: s.String(), Err: errors.New("virtual printer unplugged")}
	}
	return &simConn{s: s}, nil
}

// simConn is one connection to a Sim; it implements Printer.
type simConn struct {
	s      *Sim
	mu     sync.Mutex
	closed bool
	broken bool
}

// use checks the connection before an operation. Callers hold c.mu.
func (c *simConn) use(ctx context.Context, op string) error {
	kind := ErrNoReply
	if op == "write" {
		kind = ErrWriteFailed
	}
	switch {
	case c.closed:
		return &Error{Kind: ErrClosed, Op: op, Spec: c.s.String()}
	case c.broken:
		return &Error{Kind: kind, Op: op, Spec: c.s.String(), Err: errors.New("connection unusable after earlier failure")}
	case ctx.Err() != nil:
		return &Error{Kind: kind, Op: op, Spec: c.s.String(), Err: ctx.Err()}
	case c.s.isUnplugged():
		c.broken = true
		return &Error{Kind: kind, Op: op, Spec: c.s.String(), Err: errors.New("virtual printer unplugged")}
	}
	return nil
}

// Write implements Printer: the bytes go to the simulator (a cut writes a page file).
func (c *simConn) Write(ctx context.Context, p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.use(ctx, "write"); err != nil {
		return err
	}
	c.s.p.Process(p) // status replies to bytes inside a job are not read, as on a real line
	if err := c.s.Err(); err != nil {
		return &Error{Kind: ErrWriteFailed, Op: "write", Spec: c.s.String(), Err: fmt.Errorf("saving the printed page: %w", err)}
	}
	return nil
}

// Status implements Printer with the same DLE EOT exchange the serial and TCP transports use:
// n=1, then 2 and 3 when offline, then 4 (paper sensor).
func (c *simConn) Status(ctx context.Context) (escpos.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var st escpos.Status
	if err := c.use(ctx, "status"); err != nil {
		return st, err
	}
	query := func(kind escpos.StatusKind) error {
		for _, b := range c.s.p.Process(escpos.StatusRequest(kind)) {
			if escpos.ValidStatusByte(b) {
				return st.Merge(kind, b)
			}
		}
		return &Error{Kind: ErrNoReply, Op: "status", Spec: c.s.String(), Err: fmt.Errorf("no answer to DLE EOT %d", kind)}
	}
	if err := query(escpos.StatusPrinter); err != nil {
		return st, err
	}
	if st.Offline {
		if err := query(escpos.StatusOffline); err != nil {
			return st, err
		}
		if st.ErrorOccurred {
			if err := query(escpos.StatusError); err != nil {
				return st, err
			}
		}
	}
	if err := query(escpos.StatusPaper); err != nil {
		return st, err
	}
	return st, nil
}

// Close implements Printer. The virtual printer itself stays on.
func (c *simConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

// String returns the spec.
func (c *simConn) String() string { return c.s.String() }

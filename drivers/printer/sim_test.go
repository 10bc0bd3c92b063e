package printer

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"onedoor/drivers/printersim"
	"onedoor/internal/testtool"
)

func TestParseSimSpec(t *testing.T) {
	for spec, want := range map[string]string{
		"sim:data/printer":   "data/printer",
		"SIM:/tmp/x/":        "/tmp/x",
		" sim:./out ":        "out",
		"sim:/var/lib/kiosk": "/var/lib/kiosk",
	} {
		if !IsSimSpec(spec) {
			t.Errorf("IsSimSpec(%q) = false", spec)
		}
		got, err := ParseSimSpec(spec)
		if err != nil || got != want {
			t.Errorf("ParseSimSpec(%q) = %q, %v; want %q", spec, got, err, want)
		}
	}
	for _, spec := range []string{"sim:", "sim", "tcp:127.0.0.1:9100", "sim:dir?x=1"} {
		if _, err := ParseSimSpec(spec); !errors.Is(err, ErrBadSpec) {
			t.Errorf("ParseSimSpec(%q) = %v, want ErrBadSpec", spec, err)
		}
	}
	if IsSimSpec("tcp:127.0.0.1:9100") || IsSimSpec("simulator") {
		t.Error("IsSimSpec accepts other specs")
	}
}

// newSim returns a virtual printer writing to a temporary directory (skipped without a CJK font).
func newSim(t *testing.T, dir string) *Sim {
	t.Helper()
	s, err := NewSim(SimConfig{Dir: dir, Profile: profile(t, "80mm")})
	if errors.Is(err, printersim.ErrNoFont) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSimPrintsPNG: a ticket printed on sim:DIR becomes DIR/page-0001.png with the number in
// its text and a QR code that zbarimg decodes to the follow URL.
func TestSimPrintsPNG(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "printer")
	s := newSim(t, dir)
	p, err := s.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tk := ticket(t)
	st, err := PrintTicket(context.Background(), p, profile(t, "80mm"), tk)
	if err != nil || !st.Have[1] || !st.Have[4] {
		t.Fatalf("print: %+v %v", st, err)
	}
	pages := s.Pages()
	if len(pages) != 1 || pages[0].Path != filepath.Join(dir, "page-0001.png") {
		t.Fatalf("pages %+v", pages)
	}
	if text := strings.Join(pages[0].Page.Lines, "\n"); !strings.Contains(text, tk.Number) {
		t.Fatalf("printed text lacks %s:\n%s", tk.Number, text)
	}
	if _, err := os.Stat(pages[0].Path); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(testtool.Path(t, "zbarimg"), "--raw", "-q", "-Sbinary", pages[0].Path).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != tk.FollowURL {
		t.Fatalf("QR decodes to %q, want %q", got, tk.FollowURL)
	}

	// A second virtual printer on the same directory (a restarted kiosk) numbers on.
	s2 := newSim(t, dir)
	p2, err := s2.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PrintTicket(context.Background(), p2, profile(t, "80mm"), tk); err != nil {
		t.Fatal(err)
	}
	if pg := s2.Pages(); len(pg) != 1 || filepath.Base(pg[0].Path) != "page-0002.png" {
		t.Fatalf("restarted printer pages %+v", pg)
	}
}

// TestSimStatus: conditions set on the simulator come back through DLE EOT as the errors the
// real transports give; nothing is printed meanwhile; unplugging fails open, write and status.
func TestSimStatus(t *testing.T) {
	s := newSim(t, t.TempDir())
	p, err := s.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	prof := profile(t, "80mm")
	for _, tc := range []struct {
		st   printersim.Status
		want error
	}{
		{printersim.Status{PaperOut: true}, ErrPaperOut},
		{printersim.Status{CoverOpen: true}, ErrCoverOpen},
		{printersim.Status{Offline: true}, ErrOffline},
		{printersim.Status{CutterError: true}, ErrCutter},
	} {
		s.SetStatus(tc.st)
		if _, err := PrintTicket(context.Background(), p, prof, ticket(t)); !errors.Is(err, tc.want) {
			t.Errorf("%s: print error %v, want %v", tc.st, err, tc.want)
		}
	}
	if n := len(s.Pages()); n != 0 {
		t.Fatalf("%d pages printed while not ready", n)
	}
	s.SetStatus(printersim.Status{PaperNearEnd: true})
	st, err := PrintTicket(context.Background(), p, prof, ticket(t))
	if err != nil || !st.PaperNearEnd {
		t.Fatalf("paper near end: %+v %v", st, err)
	}
	s.SetStatus(printersim.Status{})

	s.SetUnplugged(true)
	if _, err := p.Status(context.Background()); !errors.Is(err, ErrNoReply) {
		t.Fatalf("status unplugged: %v", err)
	}
	if err := p.Write(context.Background(), []byte("x")); !errors.Is(err, ErrWriteFailed) {
		t.Fatalf("write unplugged: %v", err)
	}
	if _, err := s.Open(context.Background()); !errors.Is(err, ErrOffline) {
		t.Fatalf("open unplugged: %v", err)
	}
	s.SetUnplugged(false)
	if _, err := p.Status(context.Background()); err == nil {
		t.Fatal("a broken connection works again")
	}
	p.Close()
	if err := p.Write(context.Background(), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	p2, err := s.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PrintTicket(context.Background(), p2, prof, ticket(t)); err != nil {
		t.Fatalf("after replug: %v", err)
	}
	if n := len(s.Pages()); n != 2 {
		t.Fatalf("%d pages", n)
	}
}

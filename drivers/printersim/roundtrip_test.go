package printersim_test

import (
	"context"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor/drivers/escpos"
	"onedoor/drivers/printer"
	"onedoor/drivers/printersim"
	"onedoor/internal/testtool"
)

// simOnPTY starts a simulated printer on a pseudo-terminal and returns it, the serial spec
// to open it with, and a channel of its pages.
func simOnPTY(t *testing.T, width int, font *printersim.Font) (*printersim.Printer, string, <-chan *printersim.Page) {
	t.Helper()
	pages := make(chan *printersim.Page, 8)
	sim := printersim.New(printersim.Config{Width: width, Font: font, OnPage: func(pg *printersim.Page) { pages <- pg }})
	tty, err := printersim.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tty.Serve(ctx, sim) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		_ = tty.Close()
	})
	return sim, "serial:" + tty.Path() + "?baud=115200", pages
}

func ticketData() escpos.TicketData {
	return escpos.TicketData{
		Hall: "学生事务大厅", HallEn: "Student Affairs Hall",
		Service: "奖助学金", ServiceEn: "Scholarships",
		Number: "A023", Ahead: 4, EtaSeconds: 720,
		IssuedAt:  time.Date(2026, 3, 9, 1, 30, 0, 0, time.UTC),
		Loc:       time.FixedZone("CST", 8*3600),
		FollowURL: "https://hall.example.edu.cn/f/Q7x2KpL9",
		Materials: []string{"学生证", "银行卡复印件"},
		Footer:    "请留意叫号", FooterEn: "Please wait for your number",
	}
}

// The whole path: the escpos ticket layout, written by drivers/printer's serial transport
// (tarm/serial) to the simulator on a pty, comes out as a page whose QR code zbarimg
// reads back as the follow URL, with the Chinese lines drawn.
func TestRoundTripTicketOverPTY(t *testing.T) {
	font, err := printersim.FindFont("")
	if err != nil {
		t.Fatalf("CJK font needed: %v", err)
	}
	for _, name := range []string{"80mm", "58mm", "58mm-raster"} {
		t.Run(name, func(t *testing.T) {
			prof, err := escpos.LookupProfile(name)
			if err != nil {
				t.Fatal(err)
			}
			sim, spec, pages := simOnPTY(t, prof.DotsPerLine, font)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			pr, err := printer.Open(ctx, spec, prof)
			if err != nil {
				t.Fatalf("open %s: %v", spec, err)
			}
			defer pr.Close()
			td := ticketData()
			st, err := printer.PrintTicket(ctx, pr, prof, td)
			if err != nil {
				t.Fatalf("PrintTicket: %v (status %v)", err, st)
			}
			var pg *printersim.Page
			select {
			case pg = <-pages:
			case <-ctx.Done():
				t.Fatalf("no page printed; warnings %v", sim.Warnings())
			}
			if pg.Image.Rect.Dx() != prof.DotsPerLine || pg.Cut == printersim.CutNone && prof.Cutter {
				t.Errorf("page %v, cut %v", pg.Image.Rect, pg.Cut)
			}
			if got := zbarimg(t, pg.Image); got != td.FollowURL {
				t.Errorf("zbarimg read %q, want %q", got, td.FollowURL)
			}
			text := strings.Join(pg.Lines, "\n")
			for _, want := range []string{td.Hall, td.Service, td.Number, "学生证"} {
				i := indexLine(pg.Lines, want)
				if i < 0 {
					t.Errorf("line %q not printed; lines:\n%s", want, text)
					continue
				}
				// The glyph boxes of the line hold ink: hanzi were drawn, not left blank.
				box := pg.Boxes[i]
				if ink(pg.Image, box) < 40*len([]rune(want)) {
					t.Errorf("line %q: %d dots of ink in %v", want, ink(pg.Image, box), box)
				}
			}
			for _, w := range sim.Warnings() {
				if strings.Contains(w.Msg, "no glyph") || strings.Contains(w.Msg, "unknown command") {
					t.Errorf("warning: %s", w)
				}
			}
			if dir := os.Getenv("PRINTERSIM_KEEP"); dir != "" {
				savePNG(t, filepath.Join(dir, "roundtrip-"+name+".png"), pg)
			}
		})
	}
}

// Conditions set on the simulator surface through DLE EOT as drivers/printer's typed
// errors, and nothing is printed.
func TestRoundTripStatusErrors(t *testing.T) {
	font, err := printersim.FindFont("")
	if err != nil {
		t.Fatalf("CJK font needed: %v", err)
	}
	prof, err := escpos.LookupProfile("80mm")
	if err != nil {
		t.Fatal(err)
	}
	sim, spec, pages := simOnPTY(t, prof.DotsPerLine, font)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pr, err := printer.Open(ctx, spec, prof)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	tests := []struct {
		status printersim.Status
		want   error
	}{
		{printersim.Status{PaperOut: true}, printer.ErrPaperOut},
		{printersim.Status{CoverOpen: true}, printer.ErrCoverOpen},
		{printersim.Status{Offline: true}, printer.ErrOffline},
		{printersim.Status{CutterError: true}, printer.ErrCutter},
	}
	for _, tc := range tests {
		sim.SetStatus(tc.status)
		_, err := printer.PrintTicket(ctx, pr, prof, ticketData())
		if !errors.Is(err, tc.want) {
			t.Errorf("status %v: PrintTicket error %v, want %v", tc.status, err, tc.want)
		}
	}
	// Paper near end still prints, and the status says so.
	sim.SetStatus(printersim.Status{PaperNearEnd: true})
	st, err := printer.PrintTicket(ctx, pr, prof, ticketData())
	if err != nil || !st.PaperNearEnd {
		t.Errorf("near end: status %v, err %v", st, err)
	}
	select {
	case pg := <-pages:
		if indexLine(pg.Lines, "学生事务大厅") < 0 {
			t.Errorf("near-end page lines %q", pg.Lines)
		}
	case <-ctx.Done():
		t.Fatal("near end: no page")
	}
	select {
	case pg := <-pages:
		t.Errorf("an extra page was printed: %q", pg.Lines)
	default:
	}
}

func indexLine(lines []string, sub string) int {
	for i, l := range lines {
		if strings.Contains(l, sub) {
			return i
		}
	}
	return -1
}

func ink(img *image.Paletted, r image.Rectangle) int {
	r = r.Intersect(img.Rect)
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.Pix[y*img.Stride+x] == 1 {
				n++
			}
		}
	}
	return n
}

func savePNG(t *testing.T, path string, pg *printersim.Page) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pg.WritePNG(f); err != nil {
		t.Fatal(err)
	}
}

func zbarimg(t *testing.T, img *image.Paletted) string {
	t.Helper()
	zbar := testtool.Path(t, "zbarimg")
	path := filepath.Join(t.TempDir(), "page.png")
	savePNG(t, path, &printersim.Page{Image: img})
	out, err := exec.Command(zbar, "--raw", "-q", "-Sbinary", path).Output()
	if err != nil {
		t.Logf("zbarimg: %v", err)
	}
	return strings.TrimRight(string(out), "\n")
}

// renderTicket lays out td for the profile and prints it on an in-process simulator with
// the machine's CJK font; the page is saved under $PRINTERSIM_KEEP (if set) as name.png.
func renderTicket(t *testing.T, prof escpos.Profile, td escpos.TicketData, name string) (*printersim.Page, []printersim.Warning) {
	t.Helper()
	font, err := printersim.FindFont("")
	if err != nil {
		t.Fatalf("CJK font needed: %v", err)
	}
	job, err := escpos.Ticket(prof, td)
	if err != nil {
		t.Fatal(err)
	}
	sim := printersim.New(printersim.Config{Width: prof.DotsPerLine, Font: font})
	if _, err := sim.Write(job); err != nil {
		t.Fatal(err)
	}
	sim.End()
	pages := sim.TakePages()
	if len(pages) != 1 {
		t.Fatalf("%d pages printed, want 1", len(pages))
	}
	if dir := os.Getenv("PRINTERSIM_KEEP"); dir != "" {
		savePNG(t, filepath.Join(dir, name+".png"), pages[0])
	}
	return pages[0], sim.Warnings()
}

// A priority (绿色通道) ticket carries a banner printed white on black above the number,
// which a regular ticket does not; the QR still reads back.
func TestTicketPriorityBanner(t *testing.T) {
	for _, name := range []string{"58mm", "80mm"} {
		t.Run(name, func(t *testing.T) {
			prof, err := escpos.LookupProfile(name)
			if err != nil {
				t.Fatal(err)
			}
			td := ticketData()
			regular, _ := renderTicket(t, prof, td, "ticket-regular-"+name)
			if i := indexLine(regular.Lines, "绿色通道"); i >= 0 {
				t.Errorf("regular ticket prints %q", regular.Lines[i])
			}
			td.Priority = true
			pg, _ := renderTicket(t, prof, td, "ticket-priority-"+name)
			i := indexLine(pg.Lines, "绿色通道")
			if i < 0 {
				t.Fatalf("priority ticket has no 绿色通道 line; lines %q", pg.Lines)
			}
			if n := indexLine(pg.Lines, td.Number); n < i {
				t.Errorf("banner (line %d) is not above the number (line %d)", i, n)
			}
			// Reverse print: most of the banner's box is ink, unlike ordinary text.
			box := pg.Boxes[i]
			if area := box.Dx() * box.Dy(); ink(pg.Image, box) < area/2 {
				t.Errorf("banner box %v: %d of %d dots inked, want a white-on-black banner", box, ink(pg.Image, box), area)
			}
			if indexLine(pg.Lines, "Priority") < 0 {
				t.Errorf("no English priority line; lines %q", pg.Lines)
			}
			if got := zbarimg(t, pg.Image); got != td.FollowURL {
				t.Errorf("zbarimg read %q, want %q", got, td.FollowURL)
			}
		})
	}
}

// rareText holds characters GB18030 encodes with 4 bytes: Extension B (𠀀, 𪚥), Extension A
// (㐀, 䶮 of 刘䶮), and Latin letters (ß, ñ).
const rareText = "𠀀 㐀 ß ñ 刘䶮 𪚥"

// Characters with 4-byte GB18030 codes never print as "?": a printer whose profile has a
// GB18030-2005 font gets the 4-byte codes and prints the characters; one with a 2-byte font
// gets the line as a raster image (no 4-byte code reaches it, no "?"/"□" on paper).
func TestTicketRareCharacters(t *testing.T) {
	td := ticketData()
	td.Footer, td.FooterEn = rareText, ""
	td.Materials = []string{"学生证 " + rareText}

	prof4, err := escpos.LookupProfile("80mm-gb18030")
	if err != nil {
		t.Fatal(err)
	}
	font, err := printersim.FindFont("")
	if err != nil {
		t.Fatal(err)
	}
	job4, err := escpos.Ticket(prof4, td)
	if err != nil {
		t.Fatal(err)
	}
	sim4 := printersim.New(printersim.Config{Width: prof4.DotsPerLine, Font: font})
	_, _ = sim4.Write(job4)
	sim4.End()
	pg4 := sim4.TakePages()[0]
	if i := indexLine(pg4.Lines, rareText); i < 0 {
		t.Errorf("GB18030-2005 printer: no line %q; lines %q", rareText, pg4.Lines)
	}
	for _, w := range sim4.Warnings() {
		if strings.Contains(w.Msg, "no glyph") {
			t.Errorf("GB18030-2005 printer: %s", w)
		}
	}
	if dir := os.Getenv("PRINTERSIM_KEEP"); dir != "" {
		savePNG(t, filepath.Join(dir, "ticket-rare-80mm-gb18030.png"), pg4)
	}

	for _, name := range []string{"80mm", "58mm"} {
		t.Run(name, func(t *testing.T) {
			prof, err := escpos.LookupProfile(name)
			if err != nil {
				t.Fatal(err)
			}
			job, err := escpos.Ticket(prof, td)
			if err != nil {
				t.Fatal(err)
			}
			sim := printersim.New(printersim.Config{Width: prof.DotsPerLine, Font: font, TwoByteGBOnly: true})
			_, _ = sim.Write(job)
			sim.End()
			pg := sim.TakePages()[0]
			if dir := os.Getenv("PRINTERSIM_KEEP"); dir != "" {
				savePNG(t, filepath.Join(dir, "ticket-rare-"+name+".png"), pg)
			}
			for _, w := range sim.Warnings() {
				if strings.Contains(w.Msg, "4-byte") || strings.Contains(w.Msg, "no glyph") {
					t.Errorf("2-byte printer: %s", w)
				}
			}
			for _, l := range pg.Lines {
				if strings.ContainsAny(l, "?□\uFFFD") {
					t.Errorf("printed %q", l)
				}
			}
			// The rare lines became images: the footer's band below the last rule has ink
			// although no text line was printed there.
			rule := -1
			for i, l := range pg.Lines {
				if strings.HasPrefix(l, "-----") {
					rule = i
				}
			}
			if rule < 0 || rule != len(pg.Lines)-1 {
				t.Fatalf("want the footer as an image after the last rule; lines %q", pg.Lines)
			}
			below := image.Rect(0, pg.Boxes[rule].Max.Y, pg.Image.Rect.Dx(), pg.Image.Rect.Dy())
			if n := ink(pg.Image, below); n < 6*60 {
				t.Errorf("footer image has %d dots of ink", n)
			}
			if got := zbarimg(t, pg.Image); got != td.FollowURL {
				t.Errorf("zbarimg read %q, want %q", got, td.FollowURL)
			}
		})
	}
}

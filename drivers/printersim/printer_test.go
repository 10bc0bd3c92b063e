package printersim

import (
	"bytes"
	"image"
	"image/draw"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"onedoor/internal/testtool"
)

func TestStatusReplies(t *testing.T) {
	tests := []struct {
		status Status
		want   [4]byte // replies to DLE EOT 1..4
	}{
		{Status{}, [4]byte{0x12, 0x12, 0x12, 0x12}},
		{Status{Offline: true}, [4]byte{0x1A, 0x12, 0x12, 0x12}},
		{Status{CoverOpen: true}, [4]byte{0x1A, 0x16, 0x12, 0x12}},
		{Status{PaperOut: true}, [4]byte{0x1A, 0x32, 0x12, 0x72}},
		{Status{PaperNearEnd: true}, [4]byte{0x12, 0x12, 0x12, 0x1E}},
		{Status{CutterError: true}, [4]byte{0x1A, 0x52, 0x1A, 0x12}},
		{Status{Unrecoverable: true, AutoRecoverable: true}, [4]byte{0x1A, 0x52, 0x72, 0x12}},
		{Status{PaperFeed: true}, [4]byte{0x5A, 0x1A, 0x12, 0x12}},
		{Status{DrawerOpen: true}, [4]byte{0x16, 0x12, 0x12, 0x12}},
	}
	for _, tc := range tests {
		t.Run(tc.status.String(), func(t *testing.T) {
			p := New(Config{Status: tc.status})
			got := p.Process(cat(dle, 4, 1, dle, 4, 2, "ab", dle, 4, 3, dle, 4, 4))
			if !bytes.Equal(got, tc.want[:]) {
				t.Errorf("replies = % x, want % x", got, tc.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	s, err := ParseStatus("paper-out, cover-open")
	if err != nil || !s.PaperOut || !s.CoverOpen || s.Offline || s.Ready() {
		t.Fatalf("ParseStatus = %+v, %v", s, err)
	}
	if s.String() != "cover-open,paper-out" {
		t.Errorf("String = %q", s.String())
	}
	if _, err := ParseStatus("jammed"); err == nil {
		t.Error("ParseStatus(jammed) accepted")
	}
	if s, err := ParseStatus("ok"); err != nil || !s.Ready() {
		t.Errorf("ParseStatus(ok) = %+v, %v", s, err)
	}
}

// Status changes take effect between chunks of one stream, and a status request in the
// middle of a command's data is not answered early.
func TestStatusWhileStreaming(t *testing.T) {
	p := New(Config{})
	if r := p.Process(cat(esc, '@', "line", lf, dle, 4)); len(r) != 0 {
		t.Fatalf("reply to half a DLE EOT: % x", r)
	}
	if r := p.Process([]byte{4}); !bytes.Equal(r, []byte{0x12}) {
		t.Fatalf("reply = % x, want 12", r)
	}
	p.SetStatus(Status{PaperOut: true})
	if r := p.Process(cat(dle, 4, 4)); !bytes.Equal(r, []byte{0x72}) {
		t.Fatalf("paper-out roll sensor reply = % x, want 72", r)
	}
}

func TestPaperOutPrintsNothing(t *testing.T) {
	pages, warns := render(t, cat(esc, '@', "Hello", lf, gs, 'V', 0), Config{Status: Status{PaperOut: true}})
	if len(pages) != 0 {
		t.Fatalf("%d pages printed with paper out", len(pages))
	}
	if !hasWarning(warns, "not ready") {
		t.Errorf("no not-ready warning in %v", warns)
	}
	// Back to ready: printing resumes.
	p := New(Config{Font: mustFont(t), Status: Status{CoverOpen: true}})
	p.Process(cat("lost", lf))
	p.SetStatus(Status{})
	p.Process(cat("kept", lf, gs, 'V', 1))
	p.End()
	got := p.TakePages()
	if len(got) != 1 || strings.Join(got[0].Lines, "|") != "kept" || got[0].Cut != CutPartial {
		t.Fatalf("pages after recovery = %+v", got)
	}
}

func hasWarning(ws []Warning, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w.Msg, sub) {
			return true
		}
	}
	return false
}

func TestOnePagePerCut(t *testing.T) {
	pages, _ := render(t, cat(esc, '@', "one", lf, gs, 'V', 0, "two", lf, esc, 'i', "three", lf), Config{})
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3", len(pages))
	}
	for i, want := range []string{"one", "two", "three"} {
		if got := strings.Join(pages[i].Lines, "|"); got != want {
			t.Errorf("page %d lines %q, want %q", i, got, want)
		}
		if pages[i].Image.Rect.Dx() != Width80mm {
			t.Errorf("page %d width %d", i, pages[i].Image.Rect.Dx())
		}
	}
	if pages[0].Cut != CutFull || pages[2].Cut != CutNone {
		t.Errorf("cuts %v %v", pages[0].Cut, pages[2].Cut)
	}
}

// Text runs: unknown commands are skipped with a warning and printing continues.
func TestUnknownCommandWarns(t *testing.T) {
	pages, warns := render(t, cat("a", esc, 0x01, "b", lf), Config{})
	if len(pages) != 1 || pages[0].Lines[0] != "ab" {
		t.Fatalf("pages %+v", pages)
	}
	if !hasWarning(warns, "unknown command ESC 0x01") {
		t.Errorf("warnings %v", warns)
	}
}

// GS v 0 prints the raster bit-exact, honouring alignment, and ESC a '2' works with an
// ASCII digit.
func TestRasterBitExact(t *testing.T) {
	data := []byte{0xA5, 0x0F, 0x81, 0xF0}
	stream := cat(esc, '@', esc, 'a', '2', gs, 'v', '0', 0, 2, 0, 2, 0, data)
	pages, _ := render(t, stream, Config{Width: Width58mm})
	img := pages[0].Image
	x0 := Width58mm - 16
	for y := 0; y < 2; y++ {
		for x := 0; x < 16; x++ {
			b := data[y*2+x/8]&(0x80>>(x%8)) != 0
			if got := img.ColorIndexAt(x0+x, y) == 1; got != b {
				t.Fatalf("dot (%d,%d) = %v, want %v", x, y, got, b)
			}
		}
	}
	if n := inkIn(img, image.Rect(0, 0, x0, img.Rect.Dy())); n != 0 {
		t.Errorf("%d dots outside the image", n)
	}
	// Double width and height (m = 3): each dot becomes 2×2.
	pages, _ = render(t, cat(gs, 'v', '0', 3, 1, 0, 1, 0, 0x80), Config{})
	if inkIn(pages[0].Image, image.Rect(0, 0, 2, 2)) != 4 || inkRows(pages[0].Image) != 2 {
		t.Error("GS v 0 m=3 does not double")
	}
}

func TestGraphicsStoreAndPrint(t *testing.T) {
	// GS ( L fn 112: a=48 bx=1 by=1 c=49, 8×2 dots; then fn 50 prints it, centred.
	store := cat(gs, '(', 'L', 12, 0, '0', 112, 48, 1, 1, 49, 8, 0, 2, 0, 0xFF, 0x81)
	pages, warns := render(t, cat(esc, 'a', 1, store, gs, '(', 'L', 2, 0, '0', 50), Config{})
	if len(pages) != 1 {
		t.Fatalf("pages %d, warnings %v", len(pages), warns)
	}
	img := pages[0].Image
	x0 := (Width80mm - 8) / 2
	if inkIn(img, image.Rect(x0, 0, x0+8, 1)) != 8 || inkIn(img, image.Rect(x0, 1, x0+8, 2)) != 2 || inkRows(img) != 2 {
		t.Errorf("graphics not printed as stored")
	}
}

func TestTextStyles(t *testing.T) {
	plain := lineInk(t, cat("HHHH", lf))
	bold := lineInk(t, cat(esc, 'E', 1, "HHHH", lf))
	big := lineInk(t, cat(gs, '!', 0x11, "HHHH", lf))
	rev := lineInk(t, cat(gs, 'B', 1, "HHHH", lf))
	ul := lineInk(t, cat(esc, '-', '2', "HHHH", lf))
	if !(bold > plain && big >= 4*plain && rev == 4*12*24-plain && ul >= plain+4*12*2) {
		t.Errorf("ink: plain %d bold %d 2x2 %d reverse %d underline %d", plain, bold, big, rev, ul)
	}
	// Alignment: centred text sits in the middle of the paper.
	pages, _ := render(t, cat(esc, 'a', 1, "HH", lf), Config{})
	img := pages[0].Image
	mid := Width80mm / 2
	if inkIn(img, image.Rect(mid-12, 0, mid+12, 24)) == 0 || inkIn(img, image.Rect(0, 0, mid-12, 24)) != 0 {
		t.Error("centred text is not centred")
	}
	// Upside down (ESC { 1): a left-aligned line ends up at the right, turned 180°.
	pages, _ = render(t, cat(esc, '{', 1, "L", lf), Config{})
	if inkIn(pages[0].Image, image.Rect(0, 0, 564, 24)) != 0 || inkIn(pages[0].Image, image.Rect(564, 0, 576, 24)) == 0 {
		t.Error("upside-down line not turned")
	}
	// Left margin (GS L) shifts text right.
	pages, _ = render(t, cat(gs, 'L', 100, 0, "H", lf), Config{})
	if inkIn(pages[0].Image, image.Rect(0, 0, 100, 24)) != 0 || inkIn(pages[0].Image, image.Rect(100, 0, 112, 24)) == 0 {
		t.Error("left margin not applied")
	}
}

func lineInk(t *testing.T, stream []byte) int {
	t.Helper()
	pages, _ := render(t, stream, Config{})
	return inkIn(pages[0].Image, pages[0].Image.Rect)
}

// Chinese mode: GB18030 text is decoded and drawn with real glyphs in 24×24 cells.
func TestChineseText(t *testing.T) {
	font := mustFont(t)
	stream := cat(esc, '@', fs, '&', gb(t, "中文 ABC"), lf, fs, '.', "plain", lf)
	pages, warns := render(t, stream, Config{Font: font})
	if len(pages) != 1 {
		t.Fatalf("pages %d", len(pages))
	}
	if got := strings.Join(pages[0].Lines, "|"); got != "中文 ABC|plain" {
		t.Fatalf("lines %q (warnings %v)", got, warns)
	}
	img := pages[0].Image
	notdef := grayBits(font.NotdefGlyph(24, 24))
	for i, r := range []rune("中文") {
		cell := image.Rect(i*24, 0, i*24+24, 24)
		n := inkIn(img, cell)
		if n < 30 {
			t.Errorf("%c: only %d dots of ink", r, n)
		}
		if got := cellBits(img, cell); got == notdef {
			t.Errorf("%c drawn as .notdef (tofu)", r)
		}
		want := grayBits(glyphGray(t, font, r))
		if cellBits(img, cell) != want {
			t.Errorf("%c cell differs from the font's glyph", r)
		}
	}
	// Without Chinese mode the same bytes are code page characters, not hanzi.
	pages, _ = render(t, cat(gb(t, "中"), lf), Config{Font: font})
	if pages[0].Lines[0] == "中" {
		t.Error("GB18030 decoded outside Chinese mode")
	}
	// ChineseMode at power-up needs no FS &.
	pages, _ = render(t, cat(esc, '@', gb(t, "中"), lf), Config{Font: font, ChineseMode: true})
	if pages[0].Lines[0] != "中" {
		t.Errorf("power-up Chinese mode: %q", pages[0].Lines[0])
	}
}

func glyphGray(t *testing.T, f *Font, r rune) *image.Gray {
	g, ok := f.Glyph(r, 24, 24)
	if !ok {
		t.Fatalf("font has no %c", r)
	}
	return g
}

func grayBits(g *image.Gray) string {
	var b strings.Builder
	for _, v := range g.Pix {
		if v < 0x80 {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

func cellBits(img *image.Paletted, r image.Rectangle) string {
	var b strings.Builder
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			b.WriteByte('0' + img.ColorIndexAt(x, y))
		}
	}
	return b.String()
}

func TestQRDecodes(t *testing.T) {
	url := "https://example.edu.cn/f/AbC123"
	for _, ec := range []byte{'0', '1', '2', '3'} {
		store := cat(gs, '(', 'k', len(url)+3, 0, '1', 'P', '0', url)
		stream := cat(esc, 'a', 1, gs, '(', 'k', 4, 0, '1', 'A', '2', 0, gs, '(', 'k', 3, 0, '1', 'C', 6,
			gs, '(', 'k', 3, 0, '1', 'E', ec, store, gs, '(', 'k', 3, 0, '1', 'Q', '0', lf)
		pages, warns := render(t, stream, Config{Width: Width58mm})
		if len(pages) != 1 || len(pages[0].Symbols) != 1 {
			t.Fatalf("EC %c: pages %d warnings %v", ec, len(pages), warns)
		}
		if got := zbar(t, pages[0].Image); len(got) != 1 || got[0] != url {
			t.Errorf("EC %c: zbarimg read %q, want %q", ec, got, url)
		}
		if r := pages[0].Symbols[0].Rect; r.Dx()%6 != 0 || r.Dx() < 21*6 {
			t.Errorf("EC %c: QR %v not whole modules of 6 dots", ec, r)
		}
	}
}

func TestBarcodesDecode(t *testing.T) {
	tests := []struct {
		name string
		cmd  []byte
		want string
	}{
		{"code128 B", cat(gs, 'k', 73, 11, "{BOD-2026-7"), "OD-2026-7"},
		{"code128 C", cat(gs, 'k', 73, 6, "{C", 12, 34, 56, 78), "12345678"},
		{"code128 B to C", cat(gs, 'k', 73, 8, "{BA1{C", 23, 45), "A12345"},
		{"code39", cat(gs, 'k', 4, "CASE-42", 0), "CASE-42"},
		{"ean13", cat(gs, 'k', 67, 12, "690123456789"), "6901234567892"},
		{"ean8", cat(gs, 'k', 3, "1234567", 0), "12345670"},
		{"upca", cat(gs, 'k', 0, "01234567890", 0), "0012345678905"},
		{"itf", cat(gs, 'k', 70, 6, "123456"), "123456"},
		{"codabar", cat(gs, 'k', 6, "A40156B", 0), "A40156B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stream := cat(gs, 'h', 80, gs, 'w', 2, gs, 'H', '2', esc, 'a', 1, tc.cmd, lf)
			pages, warns := render(t, stream, Config{})
			if len(pages) != 1 || len(pages[0].Symbols) != 1 {
				t.Fatalf("no barcode printed: %v", warns)
			}
			got := zbar(t, pages[0].Image)
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("zbarimg read %q, want %q", got, tc.want)
			}
			// HRI below the bars.
			r := pages[0].Symbols[0].Rect
			if inkIn(pages[0].Image, image.Rect(r.Min.X, r.Max.Y+2, r.Max.X, r.Max.Y+30)) == 0 {
				t.Error("no HRI text under the bars")
			}
		})
	}
}

// Every fixture written by escpos-php and thermal renders, with text and the symbols the
// originals contain.
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/escpos/*.bin")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	// Symbols zbarimg must find on some page of the file.
	symbols := map[string][]string{
		"thermal-test_receipt_3.bin": {"https://nielsleenheer.com"},
		"thermal-test_receipt_4.bin": {"https://google.com", "3130630574613", "ABCD123", "50859935"},
		"thermal-retail.bin":         {"0188025014655200"},
		"escpos-php-qr-code.bin":     {"Testing 123"},
		"thermal-test_receipt_1.bin": {"123456"},
	}
	texts := map[string]string{
		"thermal-test_receipt_3.bin":       "The quick brown fox jumps over the lazy dog",
		"thermal-retail.bin":               "Thanks for visiting",
		"escpos-php-demo.bin":              "Hello world",
		"escpos-php-text-size.bin":         "Change height & width",
		"thermal-test_receipt_1.bin":       "Zebra Farmer's Market",
		"escpos-php-receipt-with-logo.bin": "ExampleMart Ltd.",
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			pages, _ := render(t, data, Config{})
			if len(pages) == 0 {
				t.Fatal("no page")
			}
			var lines []string
			var decoded strings.Builder
			for _, pg := range pages {
				if pg.Image.Rect.Dx() != Width80mm {
					t.Errorf("page width %d", pg.Image.Rect.Dx())
				}
				lines = append(lines, pg.Lines...)
				if len(symbols[name]) > 0 {
					decoded.WriteString(strings.Join(zbar(t, pg.Image), "\n"))
				}
			}
			total := 0
			for _, pg := range pages {
				total += inkRows(pg.Image)
			}
			if total < 20 {
				t.Errorf("only %d rows with ink", total)
			}
			if want := texts[name]; want != "" && !strings.Contains(strings.Join(lines, "\n"), want) {
				t.Errorf("text %q not printed; lines %q", want, lines)
			}
			for _, want := range symbols[name] {
				if !strings.Contains(decoded.String(), want) {
					t.Errorf("zbarimg did not find %q (got %q)", want, decoded.String())
				}
			}
		})
	}
}

func TestCodePagesAndIntlSets(t *testing.T) {
	for n, set := range intlSets {
		if len([]rune(set)) != len(intlBytes) {
			t.Errorf("ESC R %d table has %d characters, want %d", n, len([]rune(set)), len(intlBytes))
		}
	}
	pages, _ := render(t, cat(esc, 'R', 2, "[", esc, 'R', 15, "$", esc, 't', 16, 0x80, esc, 't', 0, 0xB0, lf), Config{})
	if got := pages[0].Lines[0]; got != "Ä¥€░" {
		t.Errorf("line %q, want Ä¥€░", got)
	}
}

// zxing decodes the PDF417 symbols in img with ZXingReader (Debian zxing-cpp-tools). The page
// is put on 16 dots of blank paper each side: the paper's margins outside the printable width.
func zxing(t testing.TB, img image.Image) string {
	t.Helper()
	reader := testtool.Path(t, "ZXingReader")
	b := img.Bounds()
	paper := image.NewGray(image.Rect(0, 0, b.Dx()+32, b.Dy()+32))
	draw.Draw(paper, paper.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(paper, b.Add(image.Pt(16, 16)), img, b.Min, draw.Src)
	path := filepath.Join(t.TempDir(), "page.png")
	writePNG(t, path, paper)
	out, err := exec.Command(reader, "-format", "PDF417", "-bytes", path).Output()
	if err != nil {
		t.Logf("ZXingReader %s: %v", path, err)
	}
	return string(out)
}

// Code table 1 (Epson Katakana) and PDF417 (GS ( k cn=48) as an outside encoder sends them
// (npm @point-of-sale/receipt-printer-encoder): half-width katakana text, and a symbol
// ZXingReader decodes to the stored data.
func TestKatakanaAndPDF417Fixture(t *testing.T) {
	data, err := os.ReadFile("testdata/escpos/receipt-printer-encoder-katakana-pdf417.bin")
	if err != nil {
		t.Fatal(err)
	}
	pages, warns := render(t, data, Config{Font: mustFont(t)})
	if len(pages) == 0 {
		t.Fatal("no page")
	}
	pg := pages[0]
	if dir := os.Getenv("PRINTERSIM_KEEP"); dir != "" {
		writePNG(t, filepath.Join(dir, "katakana-pdf417.png"), pg.Image)
	}
	for _, w := range warns {
		t.Errorf("warning: %s", w)
	}
	if len(pg.Lines) == 0 || pg.Lines[0] != "ｶﾀｶﾅ ﾃｽﾄ" {
		t.Errorf("lines %q, want ｶﾀｶﾅ ﾃｽﾄ first", pg.Lines)
	}
	const want = "OneDoor A023 https://hall.example.edu.cn/f/Q7x2KpL9"
	if len(pg.Symbols) != 1 || pg.Symbols[0].Type != "PDF417" || pg.Symbols[0].Data != want {
		t.Fatalf("symbols %+v", pg.Symbols)
	}
	// Module width 3 dots, row height 3 modules (fn 67, 68).
	r := pg.Symbols[0].Rect
	if r.Dx()%3 != 0 || r.Dy()%9 != 0 || r.Dx() > Width80mm {
		t.Errorf("symbol rect %v: want multiples of 3 dots wide, 9 dots per row", r)
	}
	if got := zxing(t, pg.Image); got != want {
		t.Errorf("ZXingReader read %q, want %q", got, want)
	}
}

// PDF417 settings: module width and row height scale the symbol; the error correction level
// and the data survive a round trip through ZXingReader; bad parameters are ignored as a
// printer does. (Symbols of 7+ rows, not a multiple of 3, are drawn with the encoder's wrong
// left row indicator and warned about: TestPDF417EncoderBugWarned.)
func TestPDF417Decodes(t *testing.T) {
	gsk := func(fn byte, args ...byte) []byte {
		n := len(args) + 2
		return append([]byte{gs, '(', 'k', byte(n), byte(n >> 8), 48, fn}, args...)
	}
	store := func(s string) []byte { return gsk(80, append([]byte{'0'}, s...)...) }
	for _, tc := range []struct {
		name        string
		stream      []byte
		data        string
		modW, rowsH int
	}{
		{"defaults", cat(store("12345678901234567890"), gsk(81, '0'), lf), "12345678901234567890", 3, 3},
		{"wide", cat(gsk(67, 2), gsk(68, 4), gsk(69, '0', '1'), store("Room 201 - Student"), gsk(81, '0'), lf), "Room 201 - Student", 2, 4},
		{"ratio ec, bad sizes ignored", cat(gsk(67, 99), gsk(68, 0), gsk(69, '1', 4), store("K-20261204-0042"), gsk(81, '0'), lf), "K-20261204-0042", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages, warns := render(t, cat(esc, '@', tc.stream), Config{})
			for _, w := range warns {
				t.Errorf("warning: %s", w)
			}
			if len(pages) != 1 || len(pages[0].Symbols) != 1 {
				t.Fatalf("pages %d", len(pages))
			}
			s := pages[0].Symbols[0]
			if s.Type != "PDF417" || s.Data != tc.data {
				t.Fatalf("symbol %+v", s)
			}
			// 17 modules per codeword column plus the stop pattern's extra module.
			if s.Rect.Dx()%tc.modW != 0 || (s.Rect.Dx()/tc.modW-1)%17 != 0 || s.Rect.Dy()%(tc.modW*tc.rowsH) != 0 {
				t.Errorf("rect %v for module %d, row height %d", s.Rect, tc.modW, tc.rowsH)
			}
			if got := zxing(t, pages[0].Image); got != tc.data {
				t.Errorf("ZXingReader read %q, want %q", got, tc.data)
			}
		})
	}
}

// ESC t 1 selects Epson's Katakana page: JIS X 0201 half-width katakana at A1–DF (decoded by
// golang.org/x/text), block and box graphics around them.
func TestCodeTableKatakana(t *testing.T) {
	pages, warns := render(t, cat(esc, 't', 1, 0xB1, 0xB2, 0xDE, 0xA1, 0x80, 0x87, 0x95, 0xE8, 0xFD, lf), Config{})
	for _, w := range warns {
		t.Errorf("warning: %s", w)
	}
	if got := pages[0].Lines[0]; got != "ｱｲﾞ｡▁█─♠人" {
		t.Errorf("line %q, want ｱｲﾞ｡▁█─♠人", got)
	}
	if n := len([]rune(katakanaGraphics)); n != 64 {
		t.Errorf("%d graphics, want 64 (80–9F, E0–FF)", n)
	}
}

// The encoder's row-indicator bug (see printPDF417) is not silent: a symbol it affects comes
// with a warning naming it.
func TestPDF417EncoderBugWarned(t *testing.T) {
	gsk := func(fn byte, args ...byte) []byte {
		n := len(args) + 2
		return append([]byte{gs, '(', 'k', byte(n), byte(n >> 8), 48, fn}, args...)
	}
	pages, warns := render(t, cat(gsk(69, '0', '5'), gsk(80, append([]byte{'0'}, "Room 201 - Student Affairs"...)...), gsk(81, '0'), lf), Config{})
	s := pages[0].Symbols[0]
	rows := s.Rect.Dy() / 9
	if rows%3 == 0 || rows < 7 {
		t.Fatalf("%d rows: pick data that hits the bug", rows)
	}
	if !hasWarning(warns, "wrong left row indicator") {
		t.Errorf("no warning; warnings %v", warns)
	}
}

package escpos

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("no tzdata: %v", err)
	}
	return loc
}

// sampleTicket is a realistic ticket: five materials, a footer, a 60-byte
// follow URL.
func sampleTicket(t testing.TB) TicketData {
	return TicketData{
		Hall: "学生事务服务大厅", HallEn: "Student Affairs Service Hall",
		Service: "助学贷款", ServiceEn: "Student loans",
		Number: "A023", Ahead: 7, EtaSeconds: 1260,
		IssuedAt:  time.Date(2025, 3, 3, 1, 5, 0, 0, time.UTC),
		Loc:       shanghai(t),
		FollowURL: "https://hall.example.edu.cn/f/Q2x8cVd3N0ZmR1pL",
		Materials: []string{
			"本人身份证原件及复印件 ID card and a copy",
			"学生证 Student card",
			"贷款合同 Loan contract",
			"户口本首页及本人页复印件",
			"一寸照片两张 Two photos",
		},
		Footer: "过号请重新取号", FooterEn: "Missed your turn? Take a new number.",
	}
}

func gb(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustProfile(t testing.TB, name string) Profile {
	t.Helper()
	p, err := LookupProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTicketNativeUnder1KB(t *testing.T) {
	for _, name := range []string{"58mm", "80mm", "xprinter-58", "epson-tm-t88"} {
		p := mustProfile(t, name)
		out, err := Ticket(p, sampleTicket(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(out) >= 1024 {
			t.Errorf("%s: native-QR ticket is %d bytes, want < 1024", name, len(out))
		}
		if err := checkTicketStream(out); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("%s: %d bytes", name, len(out))
	}
}

// checkTicketStream checks the invariants every ticket must hold.
func checkTicketStream(out []byte) error {
	if !bytes.HasPrefix(out, []byte("\x1b@\x1c&")) {
		return errors.New("does not start with ESC @ FS &")
	}
	return nil
}

func TestTicketContent(t *testing.T) {
	d := sampleTicket(t)
	p58 := mustProfile(t, "58mm")
	out, err := Ticket(p58, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{
		gb(t, "学生事务服务大厅"), []byte("Student Affairs Service Hall"),
		gb(t, "助学贷款"),
		// "A023" on 384 dots: 4 × 12 × 8 = 384 fits, so 8×8 (GS ! 0x77).
		[]byte("\x1d!\x77A023\n\x1d!\x00"),
		gb(t, "前面还有 7 人"), []byte("7 ahead of you"),
		gb(t, "预计等待约 21 分钟"),
		// 01:05 UTC is 09:05 in Shanghai.
		gb(t, "取号时间 2025-03-03 09:05"), []byte("Issued 2025-03-03 09:05"),
		// Native QR: model 2, module 6, level M, store, print.
		[]byte("\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x06\x1d(k\x03\x001E1"),
		append([]byte("1P0"), d.FollowURL...),
		[]byte("\x1d(k\x03\x001Q0"),
		gb(t, "请备齐以下材料（一次告知）："),
		append([]byte("1. "), gb(t, "本人身份证原件及复印件")...),
		gb(t, "过号请重新取号"),
	} {
		if !bytes.Contains(out, want) {
			t.Errorf("58mm ticket lacks % x (%q)", want, want)
		}
	}
	if !bytes.HasSuffix(out, []byte("\x1dV\x42\x00")) {
		t.Errorf("58mm ticket does not end with a cut: % x", out[len(out)-8:])
	}
	if bytes.Contains(out, []byte("\x1dv0")) {
		t.Error("native-QR profile sent a raster image")
	}
	// Every text line fits the 32 columns (ESC/GS commands stripped).
	for _, line := range textLines(out) {
		if len(line) > 32 {
			t.Errorf("line wider than 32 columns: %q", line)
		}
	}

	// 80 mm: same layout, wider lines; "A023" at 576 dots is still capped at 8.
	out80, err := Ticket(mustProfile(t, "80mm"), d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out80, []byte("\x1d!\x77A023")) || !bytes.Contains(out80, []byte("\x1d(k\x03\x001C\x08")) {
		t.Error("80mm ticket: wrong number size or QR module")
	}
	if !bytes.Contains(out80, []byte(strings.Repeat("-", 48)+"\n")) {
		t.Error("80mm ticket: rule is not 48 columns")
	}
	// A 5-character number on 384 dots: 384 / 60 = 6.
	d.Number = "B1234"
	out, _ = Ticket(p58, d)
	if !bytes.Contains(out, []byte("\x1d!\x55B1234")) {
		t.Error("B1234 on 58mm should print at 6×6")
	}
	// Nobody ahead, unknown wait, no QR, no materials: still valid.
	d.Ahead, d.EtaSeconds, d.FollowURL, d.Materials = 0, -1, "", nil
	out, err = Ticket(p58, d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, gb(t, "前面没有人")) || bytes.Contains(out, gb(t, "预计等待")) || bytes.Contains(out, []byte("\x1d(k")) {
		t.Error("minimal ticket content wrong")
	}
}

// textLines returns the printable lines of a stream, skipping the commands
// this package emits, with Chinese characters counted as 2 bytes (= 2
// columns).
func textLines(p []byte) []string {
	var lines []string
	var cur []byte
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case ESC:
			switch p[i+1] {
			case '@':
				i++
			default: // ESC a n, ESC E n, ESC - n, ESC d n
				i += 2
			}
		case FS:
			if p[i+1] == '-' {
				i += 2
			} else {
				i++
			}
		case GS:
			switch p[i+1] {
			case '!':
				i += 2
			case 'V':
				i += 3
			case '(':
				n := int(p[i+3]) | int(p[i+4])<<8
				i += 4 + n
			case 'v':
				w := int(p[i+4]) | int(p[i+5])<<8
				h := int(p[i+6]) | int(p[i+7])<<8
				i += 7 + w*h
			}
		case LF:
			lines = append(lines, string(cur))
			cur = nil
		default:
			cur = append(cur, c)
		}
	}
	return lines
}

func TestTicketRasterQR(t *testing.T) {
	p := mustProfile(t, "58mm-raster")
	d := sampleTicket(t)
	out, err := Ticket(p, d)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("\x1d(k")) {
		t.Error("raster profile sent native QR")
	}
	i := bytes.Index(out, []byte("\x1dv0\x00"))
	if i < 0 {
		t.Fatal("no raster image")
	}
	w := int(out[i+4]) | int(out[i+5])<<8
	h := int(out[i+6]) | int(out[i+7])<<8
	// A square symbol, whole modules, rows padded to the next byte.
	if w*8 > p.DotsPerLine || h%p.QRModule != 0 || w != (h+7)/8 {
		t.Errorf("raster QR %d bytes × %d rows for %d dots", w, h, p.DotsPerLine)
	}
	t.Logf("58mm-raster: %d bytes", len(out))
}

func TestTicketErrors(t *testing.T) {
	p := mustProfile(t, "58mm")
	d := sampleTicket(t)
	d.Loc = nil
	if _, err := Ticket(p, d); !errors.Is(err, ErrTicketData) {
		t.Errorf("nil Loc: %v", err)
	}
	d = sampleTicket(t)
	d.Number = " "
	if _, err := Ticket(p, d); !errors.Is(err, ErrTicketData) {
		t.Errorf("empty number: %v", err)
	}
	if _, err := Ticket(Profile{Name: "tiny", Columns: 8, DotsPerLine: 96}, sampleTicket(t)); !errors.Is(err, ErrTicketData) {
		t.Errorf("narrow profile: %v", err)
	}
	d = sampleTicket(t)
	d.FollowURL = strings.Repeat("x", MaxQRData+1)
	if _, err := Ticket(p, d); !errors.Is(err, ErrArgument) {
		t.Errorf("oversized QR: %v", err)
	}
}

func TestCaseReceipt(t *testing.T) {
	c := CaseReceiptData{
		Hall: "教师服务中心", HallEn: "Teacher Service Centre",
		CaseNumber: "C20250303-0042", Category: "后勤保障", CategoryEn: "Campus services",
		ReceivedAt: time.Date(2025, 3, 3, 16, 30, 0, 0, time.UTC), Loc: shanghai(t),
		FollowURL: "https://hall.example.edu.cn/c/ZmR1pLQ2x8cVd3N0",
	}
	for _, name := range ProfileNames() {
		out, err := CaseReceipt(mustProfile(t, name), c)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range [][]byte{
			gb(t, "我们将在24小时内答复"), []byte("We will reply within 24 hours"),
			[]byte("C20250303-0042"), gb(t, "后勤保障"),
			gb(t, "受理时间 2025-03-04 00:30"), // next day in Shanghai
		} {
			if !bytes.Contains(out, want) {
				t.Errorf("%s receipt lacks %q", name, want)
			}
		}
		if err := checkTicketStream(out); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	c.ReplyHours = 48
	out, _ := CaseReceipt(mustProfile(t, "80mm"), c)
	if !bytes.Contains(out, gb(t, "我们将在48小时内答复")) {
		t.Error("ReplyHours not used")
	}
	c.CaseNumber = ""
	if _, err := CaseReceipt(mustProfile(t, "80mm"), c); !errors.Is(err, ErrTicketData) {
		t.Errorf("empty case number: %v", err)
	}
}

func TestTicketNoFourByteGB(t *testing.T) {
	d := sampleTicket(t)
	d.Hall = "学生事务服务大厅 ¥©™😀𠮷"
	d.Materials = append(d.Materials, "手续费 ¥10 ✓", "📞 联系电话")
	out, err := Ticket(mustProfile(t, "58mm"), d)
	if err != nil {
		t.Fatal(err)
	}
	// Check each text line (commands stripped) holds only ASCII and 2-byte codes.
	for _, line := range textLines(out) {
		if err := checkGB2([]byte(line)); err != nil {
			t.Errorf("line %q: %v", line, err)
		}
	}
	if !bytes.Contains(out, gb(t, "手续费 ￥10 √")) {
		t.Error("fallbacks missing")
	}
}

package escpos

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrTicketData reports layout input that cannot be printed.
var ErrTicketData = errors.New("escpos: invalid ticket data")

// TicketData is everything printed on a queue ticket. Strings are plain
// Unicode; the layout encodes, wraps and replaces what the printer cannot
// print. Fields ending in En are the English lines printed under the Chinese
// ones; empty English fields are skipped.
type TicketData struct {
	Hall, HallEn       string
	Service, ServiceEn string
	Number             string         // e.g. "A023"; required
	Priority           bool           // green channel (绿色通道): a reversed banner above the number
	Ahead              int            // people waiting before this ticket
	EtaSeconds         int            // estimated wait; < 0 means unknown
	IssuedAt           time.Time      // instant of issue
	Loc                *time.Location // the hall's time zone; required
	FollowURL          string         // QR payload (ASCII URL); empty: no QR
	Materials          []string       // 一次告知: what to bring, one item each
	Footer, FooterEn   string
	// Mark and MarkEn, when set, print a reversed banner above the number like the green
	// channel's: a booking's ticket says "预约 09:00" / "Booked 09:00".
	Mark, MarkEn string
}

// CaseReceiptData is everything printed on a case receipt.
type CaseReceiptData struct {
	Hall, HallEn         string
	CaseNumber           string // required
	Category, CategoryEn string
	ReplyHours           int // reply promise; 0 means 24
	ReceivedAt           time.Time
	Loc                  *time.Location // required
	FollowURL            string
	Footer, FooterEn     string
}

// Fixed wording of the layouts, Chinese first.
const (
	labelAheadZh     = "前面还有 %d 人"
	labelAheadNoneZh = "前面没有人，请留意叫号"
	labelAheadEn     = "%d ahead of you"
	labelAheadNoneEn = "No one ahead, watch the display"
	labelEtaZh       = "预计等待约 %d 分钟"
	labelEtaEn       = "Estimated wait: about %d min"
	labelPriorityZh  = "绿色通道"
	labelPriorityEn  = "Priority lane"
	labelIssuedZh    = "取号时间 "
	labelIssuedEn    = "Issued "
	labelScanZh      = "扫码查看排队进度"
	labelScanEn      = "Scan to follow your turn"
	labelMaterialsZh = "请备齐以下材料（一次告知）："
	labelMaterialsEn = "Please bring:"
	labelReceiptZh   = "受理回执"
	labelReceiptEn   = "Case receipt"
	labelCaseNoZh    = "受理编号"
	labelCaseNoEn    = "Case No."
	labelCategoryZh  = "类别："
	labelCategoryEn  = "Category: "
	labelPromiseZh   = "我们将在%d小时内答复"
	labelPromiseEn   = "We will reply within %d hours"
	labelReceivedZh  = "受理时间 "
	labelReceivedEn  = "Received "
	labelScanCaseZh  = "扫码跟踪办理进度"
	labelScanCaseEn  = "Scan to follow your case"
	timeLayout       = "2006-01-02 15:04"
)

// fontWidthDots is the width of one Font A column.
const fontWidthDots = 12

// layout wraps a Builder with the profile-dependent helpers both layouts use.
type layout struct {
	b   *Builder
	p   Profile
	err error
	img *TextImager // opened by the first line that needs it
}

// newLayout starts a layout for profile p.
func newLayout(p Profile) *layout {
	b := NewBuilder(1024)
	b.FourByteGB(p.FourByteGB)
	return &layout{b: b, p: p}
}

// close releases the fonts the layout opened.
func (l *layout) close() {
	if l.img != nil {
		l.check(l.img.Close())
		l.img = nil
	}
}

// line prints one line of text at magnification w×h (already selected) and a
// line feed. A line holding a character the printer's font lacks (NeedsImage)
// is printed as a raster image of the line instead, so that no name prints as
// "?". Without any installed font to draw it (ErrNoImageFont) the line is
// sent as text, the missing characters as "□": the ticket still prints.
func (l *layout) line(s string, w, h int) {
	if !l.b.Chinese() || !NeedsImage(s, l.p.FourByteGB) {
		l.b.Line(s)
		return
	}
	if l.img == nil {
		img, err := NewTextImager()
		if err != nil {
			l.b.Line(s)
			return
		}
		l.img = img
	}
	img, err := l.img.Line(s, w, h, l.b.bold, l.b.align, l.p.DotsPerLine)
	if err != nil {
		l.b.Line(s)
		return
	}
	l.check(l.b.Raster(img, false))
}

func (l *layout) check(err error) {
	if err != nil && l.err == nil {
		l.err = err
	}
}

// para prints s wrapped to the line width at magnification w×h.
func (l *layout) para(s string, w, h int) {
	if strings.TrimSpace(s) == "" {
		return
	}
	l.check(l.b.Size(w, h))
	for _, line := range Wrap(s, l.p.Columns/w, l.b.Chinese()) {
		l.line(line, w, h)
	}
	if w != 1 || h != 1 {
		l.check(l.b.Size(1, 1))
	}
}

// list prints numbered items with a hanging indent.
func (l *layout) list(items []string) {
	n := 0
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		n++
		prefix := strconv.Itoa(n) + ". "
		indent := strings.Repeat(" ", len(prefix))
		for i, line := range Wrap(it, l.p.Columns-len(prefix), l.b.Chinese()) {
			if i == 0 {
				l.line(prefix+line, 1, 1)
			} else {
				l.line(indent+line, 1, 1)
			}
		}
	}
}

// banner prints zh at double size and en under it, bold and white on black
// (GS B), each line padded by a space either side so the black band frames
// the words.
func (l *layout) banner(zh, en string) {
	l.b.Bold(true)
	l.b.Reverse(true)
	for _, size := range []struct {
		s string
		m int
	}{{zh, 2}, {en, 1}} {
		l.check(l.b.Size(size.m, size.m))
		for _, line := range Wrap(size.s, l.p.Columns/size.m-2, l.b.Chinese()) {
			l.line(" "+line+" ", size.m, size.m)
		}
	}
	l.check(l.b.Size(1, 1))
	l.b.Reverse(false)
	l.b.Bold(false)
}

func (l *layout) rule() {
	l.b.Line(strings.Repeat("-", l.p.Columns))
}

// qr prints the follow URL natively or as a raster image, centred.
func (l *layout) qr(url string) {
	if url == "" {
		return
	}
	l.b.Align(AlignCenter)
	if l.p.NativeQR {
		l.check(l.b.QR(url, l.p.QRModule, QRLevelM))
		// A QR symbol ends the line; some printers need LF to print it.
		l.b.LF()
		return
	}
	// Blank lines above and below are the symbol's quiet zone.
	l.b.LF()
	l.check(l.b.RasterQR(url, l.p.QRModule, QRLevelM, 0))
	l.b.LF()
}

func (l *layout) finish() {
	if l.p.Cutter {
		// Feed to the cutter, then partial cut (GS V 66 0).
		l.check(l.b.FeedCut(CutPartial, 0))
	} else {
		// Feed the last line past the tear bar.
		l.check(l.b.Feed(4))
	}
}

// bigSize returns the largest magnification (1..8) at which s fits one line.
func bigSize(s string, dots int) int {
	w := Width(s, true) * fontWidthDots
	if w == 0 {
		return 1
	}
	return max(1, min(8, dots/w))
}

// Ticket lays out a queue ticket for profile p, for every paper width:
// hall, service, the number as large as fits, people ahead and estimated
// wait, time of issue in the hall's zone, a QR code of the follow URL
// (native or raster by profile), the materials to bring, footer, cut.
// Chinese lines come first, English under them.
func Ticket(p Profile, t TicketData) ([]byte, error) {
	if strings.TrimSpace(t.Number) == "" {
		return nil, fmt.Errorf("ticket: empty number: %w", ErrTicketData)
	}
	if t.Loc == nil {
		return nil, fmt.Errorf("ticket %s: no time zone: %w", t.Number, ErrTicketData)
	}
	if p.Columns < 16 || p.DotsPerLine < 16*fontWidthDots {
		return nil, fmt.Errorf("ticket %s: profile %q is too narrow: %w", t.Number, p.Name, ErrTicketData)
	}
	l := newLayout(p)
	b := l.b
	b.Init()
	b.ChineseOn()
	b.Align(AlignCenter)

	b.Bold(true)
	l.para(t.Hall, 1, 1)
	b.Bold(false)
	l.para(t.HallEn, 1, 1)
	l.rule()

	l.para(t.Service, 2, 2)
	l.para(t.ServiceEn, 1, 1)

	if t.Mark != "" {
		l.banner(t.Mark, t.MarkEn)
	}
	if t.Priority {
		l.banner(labelPriorityZh, labelPriorityEn)
	}
	number := strings.TrimSpace(t.Number)
	m := bigSize(number, p.DotsPerLine)
	b.Bold(true)
	l.para(number, m, m)
	b.Bold(false)

	if t.Ahead > 0 {
		l.para(fmt.Sprintf(labelAheadZh, t.Ahead), 1, 1)
		l.para(fmt.Sprintf(labelAheadEn, t.Ahead), 1, 1)
	} else {
		l.para(labelAheadNoneZh, 1, 1)
		l.para(labelAheadNoneEn, 1, 1)
	}
	if t.EtaSeconds >= 0 {
		mins := (t.EtaSeconds + 59) / 60
		l.para(fmt.Sprintf(labelEtaZh, mins), 1, 1)
		l.para(fmt.Sprintf(labelEtaEn, mins), 1, 1)
	}
	issued := t.IssuedAt.In(t.Loc).Format(timeLayout)
	l.para(labelIssuedZh+issued, 1, 1)
	l.para(labelIssuedEn+issued, 1, 1)

	if t.FollowURL != "" {
		l.qr(t.FollowURL)
		l.para(labelScanZh, 1, 1)
		l.para(labelScanEn, 1, 1)
	}

	if len(t.Materials) > 0 {
		l.rule()
		b.Align(AlignLeft)
		l.para(labelMaterialsZh, 1, 1)
		l.para(labelMaterialsEn, 1, 1)
		l.list(t.Materials)
		b.Align(AlignCenter)
	}
	if t.Footer != "" || t.FooterEn != "" {
		l.rule()
		l.para(t.Footer, 1, 1)
		l.para(t.FooterEn, 1, 1)
	}
	l.finish()
	l.close()
	if l.err != nil {
		return nil, fmt.Errorf("ticket %s: %w", t.Number, l.err)
	}
	return b.Bytes(), nil
}

// CaseReceipt lays out the receipt for a case logged at a kiosk or counter:
// case number, category, the reply promise (我们将在24小时内答复), time of
// receipt and a QR code to follow the case.
func CaseReceipt(p Profile, c CaseReceiptData) ([]byte, error) {
	if strings.TrimSpace(c.CaseNumber) == "" {
		return nil, fmt.Errorf("case receipt: empty case number: %w", ErrTicketData)
	}
	if c.Loc == nil {
		return nil, fmt.Errorf("case receipt %s: no time zone: %w", c.CaseNumber, ErrTicketData)
	}
	if p.Columns < 16 || p.DotsPerLine < 16*fontWidthDots {
		return nil, fmt.Errorf("case receipt %s: profile %q is too narrow: %w", c.CaseNumber, p.Name, ErrTicketData)
	}
	hours := c.ReplyHours
	if hours <= 0 {
		hours = 24
	}
	l := newLayout(p)
	b := l.b
	b.Init()
	b.ChineseOn()
	b.Align(AlignCenter)

	b.Bold(true)
	l.para(c.Hall, 1, 1)
	b.Bold(false)
	l.para(c.HallEn, 1, 1)
	l.para(labelReceiptZh, 2, 2)
	l.para(labelReceiptEn, 1, 1)
	l.rule()

	l.para(labelCaseNoZh+" "+labelCaseNoEn, 1, 1)
	number := strings.TrimSpace(c.CaseNumber)
	m := min(2, bigSize(number, p.DotsPerLine))
	b.Bold(true)
	l.para(number, m, m)
	b.Bold(false)
	l.para(labelCategoryZh+c.Category, 1, 1)
	if c.CategoryEn != "" {
		l.para(labelCategoryEn+c.CategoryEn, 1, 1)
	}
	b.Bold(true)
	l.para(fmt.Sprintf(labelPromiseZh, hours), 1, 2)
	b.Bold(false)
	l.para(fmt.Sprintf(labelPromiseEn, hours), 1, 1)
	received := c.ReceivedAt.In(c.Loc).Format(timeLayout)
	l.para(labelReceivedZh+received, 1, 1)
	l.para(labelReceivedEn+received, 1, 1)

	if c.FollowURL != "" {
		l.qr(c.FollowURL)
		l.para(labelScanCaseZh, 1, 1)
		l.para(labelScanCaseEn, 1, 1)
	}
	if c.Footer != "" || c.FooterEn != "" {
		l.rule()
		l.para(c.Footer, 1, 1)
		l.para(c.FooterEn, 1, 1)
	}
	l.finish()
	l.close()
	if l.err != nil {
		return nil, fmt.Errorf("case receipt %s: %w", c.CaseNumber, l.err)
	}
	return b.Bytes(), nil
}

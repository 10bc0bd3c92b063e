package display

import (
	"context"
	"image/color"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
)

// Colours: light text on deep blue reads from across a hall; the number is in yellow.
var (
	colBackground = color.NRGBA{R: 0x0A, G: 0x1C, B: 0x38, A: 0xFF}
	colHeader     = color.NRGBA{R: 0x05, G: 0x12, B: 0x26, A: 0xFF}
	colPanel      = color.NRGBA{R: 0x12, G: 0x2F, B: 0x5A, A: 0xFF}
	colRow        = color.NRGBA{R: 0x0F, G: 0x27, B: 0x4B, A: 0xFF}
	colText       = color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xFF}
	colSubtle     = color.NRGBA{R: 0xB9, G: 0xC8, B: 0xE2, A: 0xFF}
	colNumber     = color.NRGBA{R: 0xFF, G: 0xD2, B: 0x3F, A: 0xFF}
	colFlash      = color.NRGBA{R: 0x23, G: 0x5C, B: 0xA8, A: 0xFF} // the panel while flashing, framed in yellow
	colOnFlash    = color.NRGBA{R: 0x0A, G: 0x1C, B: 0x38, A: 0xFF}
	colOK         = color.NRGBA{R: 0x3C, G: 0xC8, B: 0x6E, A: 0xFF}
	colWarn       = color.NRGBA{R: 0xE5, G: 0x39, B: 0x35, A: 0xFF}
	colClosed     = color.NRGBA{R: 0x7D, G: 0x8B, B: 0xA3, A: 0xFF}
)

// maxServices is how many service cards the screen has room for.
const maxServices = 12

// maxGlyphs is how many characters the big number has room for (a prefix and up to five digits).
const maxGlyphs = 8

// Animation timing: on a new call or recall the current call's panel lights up (a brighter fill
// and a yellow frame; the texts keep their colours, so no text is drawn anew) for flashPeriod,
// flashToggles times on and off: once, so that a call costs two frames, not eight; a notice
// line wider than the screen shows one page at a time, each for noticePage, or at least
// noticeMinPage when the screen is redrawn anyway (a call, the end of a flash): while calls
// come, the pages turn with them instead of costing frames of their own.
const (
	flashToggles  = 1
	flashPeriod   = 3 * time.Second
	noticePage    = 8 * time.Second
	noticeMinPage = 5 * time.Second
	flashStroke   = 10
)

// UI is the Fyne hall display. Build it with NewUI, put Object() in a window of an app whose
// theme is Theme(...) (the window is cleared to the panels' colour, and the UI paints only the
// background between them), and give it views with Show (on the Fyne goroutine, e.g. through
// fyne.Do).
//
// Show changes only the canvas objects whose text, colour or visibility changed, and refreshes
// only those: every object is made once in NewUI and reused. Fyne's GL painter keeps one texture
// per distinct text, size and colour for a minute, so the big number is drawn one character per
// object (at most 37 textures, made once) and the flash changes the panel, not the texts'
// colours. One animation goroutine (flash, notice pages) sleeps while nothing moves.
type UI struct {
	ctx      context.Context
	portrait bool // forced portrait layout; otherwise the aspect ratio decides

	root     *fyne.Container
	backdrop *fyne.Container // the background between the panels (hallLayout.paintBackdrop)

	headerBg, noticeBg          *canvas.Rectangle
	nowBg, recentBg             *panel
	nowFlash                    *canvas.Rectangle // the current call's panel while it flashes, framed in yellow
	hallZh, hallEn, clock, date *canvas.Text
	connDot                     *canvas.Circle
	connBg                      *canvas.Rectangle
	connText, connTextEn        *canvas.Text // Chinese over English

	nowLabel, nowZh, nowEn, nowService *canvas.Text
	nowNumber                          glyphs

	recentTitle *canvas.Text
	rows        [RecentShown]recentRow
	cards       [maxServices]serviceCard
	cardsShown  int

	noticeClip    *container.Clip
	noticeText    *canvas.Text
	noticeBadge   *canvas.Text
	noticeBadgeBg *canvas.Rectangle
	notice        string   // the whole notice line
	pages         []string // the notice line cut to the screen's width (set by the layout)
	page          int
	pagesFor      string  // notice the pages were cut from
	pagesWidth    float32 // and for which width and size
	pagesSize     float32

	last     View
	shown    bool
	serial   uint64
	flashing atomic.Bool
	flashOn  bool
	flashN   int       // toggles left
	flashAt  time.Time // next toggle (zero: not flashing)
	pageAt   time.Time // next notice page (zero: one page or none)
	pageFrom time.Time // when the page shown now was shown
	changes  int       // objects changed (and refreshed) so far: a frame is due when it grew
	wake     chan struct{}
	later    *View // drawn when the flash ends (ShowLater)
	// mu serialises drawing: Fyne runs fyne.Do functions on its main thread, but the test driver
	// runs them on the calling goroutine, where the animations would race with Show.
	mu sync.Mutex
}

// glyphs draws a short text (the called number) one character per canvas.Text, centred: a new
// number reuses the characters' textures instead of rasterising a new 280-point texture.
type glyphs struct {
	// Text is the text shown.
	Text  string
	cells [maxGlyphs]*canvas.Text
	x, y  float32 // the centred line's box (pixels), set by the layout
	w, h  float32
}

type recentRow struct {
	bg             *panel
	number, zh, en *canvas.Text
}

type serviceCard struct {
	bg                            *panel
	nameZh, nameEn, count, waitZh *canvas.Text
	waitEn                        *canvas.Text
}

func text(s string, c color.Color, bold bool) *canvas.Text {
	t := canvas.NewText(s, c)
	t.TextStyle.Bold = bold
	return t
}

// setText changes and refreshes t when s differs from its text; it reports whether it did.
func (u *UI) setText(t *canvas.Text, s string) bool {
	if t.Text == s {
		return false
	}
	t.Text = s
	t.Refresh()
	u.changes++
	return true
}

// setColor changes and refreshes t's colour when it differs.
func (u *UI) setColor(t *canvas.Text, c color.Color) {
	if t.Color == c {
		return
	}
	t.Color = c
	t.Refresh()
	u.changes++
}

// setVisible shows or hides o when it is not so already.
func (u *UI) setVisible(o fyne.CanvasObject, on bool) {
	switch {
	case on && !o.Visible():
		o.Show()
	case !on && o.Visible():
		o.Hide()
	default:
		return
	}
	u.changes++
}

// NewUI builds the display's canvas objects. portrait forces the portrait layout (else it follows
// the window's aspect ratio). The animations run until ctx ends (none when ctx is nil).
func NewUI(ctx context.Context, portrait bool) *UI {
	u := &UI{ctx: ctx, portrait: portrait, wake: make(chan struct{}, 1)}
	u.headerBg = canvas.NewRectangle(colHeader)
	u.nowBg = newPanel(colPanel, 18)
	u.nowFlash = canvas.NewRectangle(colFlash)
	u.nowFlash.CornerRadius = 18
	u.nowFlash.StrokeColor, u.nowFlash.StrokeWidth = colNumber, flashStroke
	u.nowFlash.Hidden = true
	u.recentBg = newPanel(colPanel, 18)
	u.noticeBg = canvas.NewRectangle(colHeader)
	u.hallZh = text("", colText, true)
	u.hallEn = text("", colSubtle, false)
	u.clock = text("", colText, true)
	u.clock.Alignment = fyne.TextAlignTrailing
	u.date = text("", colSubtle, false)
	u.date.Alignment = fyne.TextAlignTrailing
	u.connDot = canvas.NewCircle(colOK)
	u.connBg = canvas.NewRectangle(colWarn)
	u.connBg.CornerRadius = 12
	u.connText = text("", colText, true)
	u.connText.Alignment = fyne.TextAlignCenter
	u.connTextEn = text("", colText, false)
	u.connTextEn.Alignment = fyne.TextAlignCenter

	u.nowLabel = text("", colSubtle, true)
	u.nowLabel.Alignment = fyne.TextAlignCenter
	u.nowZh = text("", colText, true)
	u.nowZh.Alignment = fyne.TextAlignCenter
	u.nowEn = text("", colText, false)
	u.nowEn.Alignment = fyne.TextAlignCenter
	u.nowService = text("", colSubtle, false)
	u.nowService.Alignment = fyne.TextAlignCenter

	u.recentTitle = text("最近呼叫  Recent calls", colSubtle, true)
	// No rectangle behind it all: the window is cleared to the panels' colour (Theme), and the
	// backdrop paints the background between them.
	u.backdrop = container.NewWithoutLayout()
	objs := []fyne.CanvasObject{u.backdrop, u.headerBg, u.hallZh, u.hallEn, u.clock, u.date,
		u.nowBg.Container, u.nowFlash, u.nowLabel, u.nowZh, u.nowEn, u.nowService, u.recentBg.Container, u.recentTitle}
	for i := range u.nowNumber.cells {
		c := text("", colNumber, true)
		c.Alignment = fyne.TextAlignCenter
		c.Hidden = true
		u.nowNumber.cells[i] = c
		objs = append(objs, c)
	}
	for i := range u.rows {
		r := &u.rows[i]
		r.bg = newPanel(colRow, 10)
		r.number = text("", colNumber, true)
		r.zh = text("", colText, true)
		r.zh.Alignment = fyne.TextAlignTrailing
		r.en = text("", colSubtle, false)
		r.en.Alignment = fyne.TextAlignTrailing
		objs = append(objs, r.bg.Container, r.number, r.zh, r.en)
	}
	for i := range u.cards {
		c := &u.cards[i]
		c.bg = newPanel(colPanel, 12)
		c.nameZh = text("", colText, true)
		c.nameEn = text("", colSubtle, false)
		c.count = text("", colNumber, true)
		c.waitZh = text("", colText, false)
		c.waitEn = text("", colSubtle, false)
		objs = append(objs, c.bg.Container, c.nameZh, c.nameEn, c.count, c.waitZh, c.waitEn)
	}
	u.noticeText = text("", colText, false)
	u.noticeClip = container.NewClip(container.NewWithoutLayout(u.noticeText))
	u.noticeBadgeBg = canvas.NewRectangle(colNumber)
	u.noticeBadge = text("公告 Notice", colOnFlash, true)
	u.noticeBadge.Alignment = fyne.TextAlignCenter
	objs = append(objs, u.noticeBg, u.noticeClip, u.noticeBadgeBg, u.noticeBadge, u.connDot, u.connBg, u.connText, u.connTextEn) // the indicator on top
	u.root = container.New(&hallLayout{u: u}, objs...)
	u.Show(View{})
	if ctx != nil {
		go u.animate()
	}
	return u
}

// Object is the display's root canvas object, to be the window's content.
func (u *UI) Object() fyne.CanvasObject { return u.root }

// Flashing reports whether the current call is flashing.
func (u *UI) Flashing() bool { return u.flashing.Load() }

// Animating reports whether an animation is due (a flash or notice pages); without one the
// animation goroutine sleeps until the next Show.
func (u *UI) Animating() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return !u.flashAt.IsZero() || !u.pageAt.IsZero()
}

// Last returns the view shown last.
func (u *UI) Last() View {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

// NoticePages returns the notice line as the screen shows it, one page at a time, and the page
// shown now.
func (u *UI) NoticePages() ([]string, int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.pages...), u.page
}

// Show draws the view. Call it on the Fyne goroutine.
func (u *UI) Show(v View) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.show(v)
}

// ShowLater draws a view that may wait (new wait estimates): at once when the current call is
// not flashing, else in the same frame as the end of the flash. A Show before then replaces it.
// Call it on the Fyne goroutine.
func (u *UI) ShowLater(v View) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.flashAt.IsZero() && u.ctx != nil { // (without animations no flash ends)
		u.later = &v
		return
	}
	u.show(v)
}

func (u *UI) show(v View) {
	defer u.turnPageWith(u.changes)
	u.later = nil
	first := !u.shown
	u.shown = true
	u.last = v
	relayout := first
	u.setText(u.hallZh, v.HallName.Zh)
	u.setText(u.hallEn, v.HallName.En)
	u.setText(u.clock, v.Clock)
	u.setText(u.date, v.Date)
	u.setVisible(u.connDot, v.Conn.OK)
	warn := v.Conn.Zh != ""
	u.setText(u.connText, v.Conn.Zh)
	u.setText(u.connTextEn, v.Conn.En)
	u.setVisible(u.connBg, warn)
	u.setVisible(u.connText, warn)
	u.setVisible(u.connTextEn, warn)

	if n := v.Now; n != nil {
		label := "正在呼叫  Now calling"
		if n.Recall {
			label = "再次呼叫  Calling again"
		}
		if n.Priority {
			label += "  ·  绿色通道 Priority"
		}
		u.setText(u.nowLabel, label)
		u.setNumber(n.Number)
		u.setText(u.nowZh, "请到 "+n.CounterZh)
		u.setText(u.nowEn, "Please go to counter "+n.Counter)
		service := n.Service.Zh + "  " + n.Service.En
		if len(v.Also) > 0 {
			// Several counters called at once: the others stand here, in place of the service.
			parts := make([]string, len(v.Also))
			for i, a := range v.Also {
				parts[i] = a.Number + " → " + a.CounterZh
				if a.Priority {
					parts[i] = a.Number + "（绿色通道）→ " + a.CounterZh
				}
			}
			service = "同时呼叫 Also calling:  " + strings.Join(parts, "   ")
		}
		u.setText(u.nowService, service)
	} else {
		u.setText(u.nowLabel, "正在呼叫  Now calling")
		u.setNumber("—")
		u.setText(u.nowZh, "请留意叫号")
		u.setText(u.nowEn, "Please listen for your number")
		u.setText(u.nowService, "")
	}
	for i := range u.rows {
		r := &u.rows[i]
		on := i < len(v.Recent)
		if on {
			c := v.Recent[i]
			en := c.CounterEn
			if c.Priority {
				en = "绿色通道 · " + c.CounterEn
			}
			u.setText(r.number, c.Number)
			u.setText(r.zh, c.CounterZh)
			u.setText(r.en, en)
		}
		u.setVisible(r.bg, on)
		u.setVisible(r.number, on)
		u.setVisible(r.zh, on)
		u.setVisible(r.en, on)
	}
	for i := range u.cards {
		c := &u.cards[i]
		on := i < len(v.Services)
		if on {
			s := v.Services[i]
			u.setText(c.nameZh, s.Code+"  "+s.Name.Zh)
			u.setText(c.nameEn, s.Name.En)
			u.setText(c.count, s.Waiting)
			u.setText(c.waitZh, "人等候 · "+s.WaitZh)
			u.setText(c.waitEn, "waiting · "+s.WaitEn)
			if s.Open {
				u.setColor(c.count, colNumber)
			} else {
				u.setColor(c.count, colClosed)
			}
		}
		for _, o := range []fyne.CanvasObject{c.bg, c.nameZh, c.nameEn, c.count, c.waitZh, c.waitEn} {
			u.setVisible(o, on)
		}
	}
	if n := min(len(v.Services), maxServices); n != u.cardsShown {
		u.cardsShown = n
		relayout = true // the cards share the row between them
	}
	if v.Notice != u.notice {
		u.notice = v.Notice
		relayout = true // cut into pages for the screen's width
	}
	if v.CallSerial != u.serial {
		u.serial = v.CallSerial
		if !first && v.Now != nil {
			u.startFlash()
		}
	}
	if relayout {
		u.root.Refresh()
	}
}

// setNumber shows s in the big number's character cells.
func (u *UI) setNumber(s string) {
	g := &u.nowNumber
	if g.Text == s {
		return
	}
	g.Text = s
	rs := []rune(s)
	for i, c := range g.cells {
		on := i < len(rs)
		if on {
			u.setText(c, string(rs[i]))
		}
		u.setVisible(c, on)
	}
	u.placeNumber()
}

// placeNumber centres the big number's characters in their box, each at its own width.
func (u *UI) placeNumber() {
	g := &u.nowNumber
	var total float32
	widths := [maxGlyphs]float32{}
	n := 0
	for i, c := range g.cells {
		if c.Hidden {
			break
		}
		widths[i] = fyne.MeasureText(c.Text, c.TextSize, c.TextStyle).Width
		total += widths[i]
		n++
	}
	x := g.x + (g.w-total)/2
	for i := 0; i < n; i++ {
		c := g.cells[i]
		c.Move(fyne.NewPos(x, g.y))
		c.Resize(fyne.NewSize(widths[i], g.h))
		x += widths[i]
	}
}

// kick wakes the animation goroutine to look at what is due.
func (u *UI) kick() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// startFlash blinks the current call flashToggles times.
func (u *UI) startFlash() {
	u.flashing.Store(true)
	u.setFlash(true)
	u.flashN = flashToggles
	u.flashAt = time.Now().Add(flashPeriod)
	u.kick()
}

func (u *UI) setFlash(on bool) {
	if u.flashOn == on {
		return
	}
	u.flashOn = on
	// The flashing panel is a rounded rectangle with a frame (its shader is dearer per pixel than
	// the plain panel's), on screen for one frame per call, over the panel (whose corners keep
	// the background colour outside the rounded ones).
	u.setVisible(u.nowFlash, on)
}

// animate runs the flash and the notice pages: it sleeps until the next one is due, or, when
// none is, until Show starts one. It ends with the UI's context.
func (u *UI) animate() {
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		u.mu.Lock()
		next := u.flashAt
		if next.IsZero() || !u.pageAt.IsZero() && u.pageAt.Before(next) {
			next = u.pageAt
		}
		u.mu.Unlock()
		var due <-chan time.Time
		if !next.IsZero() {
			t.Reset(time.Until(next))
			due = t.C
		}
		select {
		case <-u.ctx.Done():
			t.Stop()
			return
		case <-u.wake:
			t.Stop()
		case <-due:
			fyne.DoAndWait(u.tick)
		}
	}
}

// turnPageWith shows the next notice page, when there are several and the page shown now has
// been up for noticeMinPage, if the screen changed since changes (a frame is drawn anyway).
func (u *UI) turnPageWith(changes int) {
	if u.changes == changes || u.pageAt.IsZero() || time.Since(u.pageFrom) < noticeMinPage {
		return
	}
	u.showPage((u.page + 1) % len(u.pages))
}

// tick advances whatever animation is due.
func (u *UI) tick() {
	u.mu.Lock()
	defer u.mu.Unlock()
	defer u.turnPageWith(u.changes)
	now := time.Now()
	if !u.flashAt.IsZero() && !now.Before(u.flashAt) {
		u.flashN--
		// Odd toggles left light the panel, even ones darken it; the last ends in the normal colours.
		u.setFlash(u.flashN%2 == 0 && u.flashN > 0)
		if u.flashN <= 0 {
			u.flashAt = time.Time{}
			u.flashing.Store(false)
			if u.later != nil {
				u.show(*u.later) // one frame for both
			}
		} else {
			u.flashAt = now.Add(flashPeriod)
		}
	}
	if !u.pageAt.IsZero() && !now.Before(u.pageAt) {
		u.showPage((u.page + 1) % len(u.pages))
	}
}

// showPage shows notice page i and schedules the next one when there are several.
func (u *UI) showPage(i int) {
	u.page = i
	s := ""
	if i < len(u.pages) {
		s = u.pages[i]
	}
	if u.setText(u.noticeText, s) {
		u.noticeText.Resize(fyne.NewSize(fyne.MeasureText(s, u.noticeText.TextSize, u.noticeText.TextStyle).Width+10, u.noticeText.Size().Height))
	}
	u.pageAt, u.pageFrom = time.Time{}, time.Now()
	if len(u.pages) > 1 {
		u.pageAt = u.pageFrom.Add(noticePage)
		u.kick()
	}
}

// paginate cuts the notice line into pages no wider than width at the notice's text size (at
// its parts' separators where it can, else between words or CJK characters) and shows the first.
func (u *UI) paginate(width float32) {
	size, style := u.noticeText.TextSize, u.noticeText.TextStyle
	if u.pagesFor == u.notice && u.pagesWidth == width && u.pagesSize == size && u.pages != nil {
		return
	}
	u.pagesFor, u.pagesWidth, u.pagesSize = u.notice, width, size
	u.pages = cutPages(u.notice, width, func(s string) float32 { return fyne.MeasureText(s, size, style).Width })
	u.showPage(0)
}

// noticeSep separates the notices in View.Notice.
const noticeSep = "   ·   "

// cutPages cuts s into lines no wider than width as measured (a single word wider than a line
// stands alone): whole notices where they fit, else words (Latin) and characters (CJK).
func cutPages(s string, width float32, measure func(string) float32) []string {
	if s == "" {
		return []string{""}
	}
	var pages []string
	cur := ""
	add := func(tok string) {
		if cur == "" {
			cur = strings.TrimLeft(tok, " ")
			return
		}
		if measure(strings.TrimRight(cur+tok, " ")) <= width {
			cur += tok
			return
		}
		pages = append(pages, strings.TrimSpace(cur))
		cur = strings.TrimLeft(tok, " ")
	}
	for i, part := range strings.Split(s, noticeSep) {
		sep := noticeSep
		if i == 0 {
			sep = ""
		}
		if cur != "" && measure(cur+sep+part) <= width {
			cur += sep + part
			continue
		}
		if cur != "" {
			pages = append(pages, strings.TrimSpace(cur))
			cur = ""
		}
		for _, tok := range tokens(part) {
			add(tok)
		}
	}
	if strings.TrimSpace(cur) != "" {
		pages = append(pages, strings.TrimSpace(cur))
	}
	return pages
}

// tokens splits s into the pieces a line may break between: each CJK character (with the
// punctuation after it) and each Latin word with its following spaces.
func tokens(s string) []string {
	var out []string
	cur := []rune{}
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			cur = append(cur, r)
		case unicode.IsSpace(r):
			cur = append(cur, r)
			flush()
		case unicode.IsPunct(r) && r > 0x2000:
			cur = append(cur, r) // CJK punctuation stays with the character before it
		default:
			if len(cur) > 0 && unicode.Is(unicode.Han, cur[len(cur)-1]) {
				flush()
			}
			cur = append(cur, r)
		}
	}
	flush()
	return out
}

package display

import (
	"context"
	"image/color"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	colFlash      = color.NRGBA{R: 0xFF, G: 0xD2, B: 0x3F, A: 0xFF}
	colOnFlash    = color.NRGBA{R: 0x0A, G: 0x1C, B: 0x38, A: 0xFF}
	colOK         = color.NRGBA{R: 0x3C, G: 0xC8, B: 0x6E, A: 0xFF}
	colWarn       = color.NRGBA{R: 0xE5, G: 0x39, B: 0x35, A: 0xFF}
	colClosed     = color.NRGBA{R: 0x7D, G: 0x8B, B: 0xA3, A: 0xFF}
)

// maxServices is how many service cards the screen has room for.
const maxServices = 12

// Flash timing: the current call blinks this many times on a new call or recall.
const (
	flashToggles = 8
	flashPeriod  = 350 * time.Millisecond
)

// UI is the Fyne hall display. Build it with NewUI, put Object() in a window, and give it views
// with Show (on the Fyne goroutine, e.g. through fyne.Do). Its animations (flash, notice scroll)
// run until the context given to NewUI ends.
type UI struct {
	ctx      context.Context
	portrait bool // forced portrait layout; otherwise the aspect ratio decides

	root *fyne.Container

	headerBg, nowBg, recentBg, noticeBg *canvas.Rectangle
	hallZh, hallEn, clock, date         *canvas.Text
	connDot                             *canvas.Circle
	connBg                              *canvas.Rectangle
	connText, connTextEn                *canvas.Text // Chinese over English

	nowLabel, nowNumber, nowZh, nowEn, nowService *canvas.Text

	recentTitle *canvas.Text
	rows        [RecentShown]recentRow
	cards       [maxServices]serviceCard

	noticeClip    *container.Clip
	noticeText    *canvas.Text
	noticeBadge   *canvas.Text
	noticeBadgeBg *canvas.Rectangle

	last      View
	shown     bool
	serial    uint64
	flashGen  int
	flashing  atomic.Bool
	flashOn   bool
	scrollX   float32
	scrollRun bool
	// mu serialises drawing: Fyne runs fyne.Do functions on its main thread, but the test driver
	// runs them on the calling goroutine, where the animations would race with Show.
	mu sync.Mutex
}

type recentRow struct {
	bg             *canvas.Rectangle
	number, zh, en *canvas.Text
}

type serviceCard struct {
	bg                            *canvas.Rectangle
	nameZh, nameEn, count, waitZh *canvas.Text
	waitEn                        *canvas.Text
}

func text(s string, c color.Color, bold bool) *canvas.Text {
	t := canvas.NewText(s, c)
	t.TextStyle.Bold = bold
	return t
}

// NewUI builds the display's canvas objects. portrait forces the portrait layout (else it follows
// the window's aspect ratio).
func NewUI(ctx context.Context, portrait bool) *UI {
	u := &UI{ctx: ctx, portrait: portrait}
	u.headerBg = canvas.NewRectangle(colHeader)
	u.nowBg = canvas.NewRectangle(colPanel)
	u.nowBg.CornerRadius = 18
	u.recentBg = canvas.NewRectangle(colPanel)
	u.recentBg.CornerRadius = 18
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
	u.nowNumber = text("", colNumber, true)
	u.nowNumber.Alignment = fyne.TextAlignCenter
	u.nowZh = text("", colText, true)
	u.nowZh.Alignment = fyne.TextAlignCenter
	u.nowEn = text("", colText, false)
	u.nowEn.Alignment = fyne.TextAlignCenter
	u.nowService = text("", colSubtle, false)
	u.nowService.Alignment = fyne.TextAlignCenter

	u.recentTitle = text("最近呼叫  Recent calls", colSubtle, true)
	objs := []fyne.CanvasObject{canvas.NewRectangle(colBackground), u.headerBg, u.hallZh, u.hallEn, u.clock, u.date,
		u.nowBg, u.nowLabel, u.nowNumber, u.nowZh, u.nowEn, u.nowService, u.recentBg, u.recentTitle}
	for i := range u.rows {
		r := &u.rows[i]
		r.bg = canvas.NewRectangle(colRow)
		r.bg.CornerRadius = 10
		r.number = text("", colNumber, true)
		r.zh = text("", colText, true)
		r.zh.Alignment = fyne.TextAlignTrailing
		r.en = text("", colSubtle, false)
		r.en.Alignment = fyne.TextAlignTrailing
		objs = append(objs, r.bg, r.number, r.zh, r.en)
	}
	for i := range u.cards {
		c := &u.cards[i]
		c.bg = canvas.NewRectangle(colPanel)
		c.bg.CornerRadius = 12
		c.nameZh = text("", colText, true)
		c.nameEn = text("", colSubtle, false)
		c.count = text("", colNumber, true)
		c.waitZh = text("", colText, false)
		c.waitEn = text("", colSubtle, false)
		objs = append(objs, c.bg, c.nameZh, c.nameEn, c.count, c.waitZh, c.waitEn)
	}
	u.noticeText = text("", colText, false)
	u.noticeClip = container.NewClip(container.NewWithoutLayout(u.noticeText))
	u.noticeBadgeBg = canvas.NewRectangle(colNumber)
	u.noticeBadge = text("公告 Notice", colOnFlash, true)
	u.noticeBadge.Alignment = fyne.TextAlignCenter
	objs = append(objs, u.noticeBg, u.noticeClip, u.noticeBadgeBg, u.noticeBadge, u.connDot, u.connBg, u.connText, u.connTextEn) // the indicator on top
	u.root = container.New(&hallLayout{u: u}, objs...)
	u.Show(View{})
	return u
}

// Object is the display's root canvas object, to be the window's content.
func (u *UI) Object() fyne.CanvasObject { return u.root }

// Flashing reports whether the current call is flashing.
func (u *UI) Flashing() bool { return u.flashing.Load() }

// Last returns the view shown last.
func (u *UI) Last() View {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

// Show draws the view. Call it on the Fyne goroutine.
func (u *UI) Show(v View) {
	u.mu.Lock()
	defer u.mu.Unlock()
	first := !u.shown
	u.shown = true
	u.last = v
	u.hallZh.Text, u.hallEn.Text = v.HallName.Zh, v.HallName.En
	u.clock.Text, u.date.Text = v.Clock, v.Date
	u.connDot.Hidden = !v.Conn.OK
	warn := v.Conn.Zh != ""
	u.connBg.Hidden, u.connText.Hidden, u.connTextEn.Hidden = !warn, !warn, !warn
	u.connText.Text, u.connTextEn.Text = v.Conn.Zh, v.Conn.En

	if n := v.Now; n != nil {
		u.nowLabel.Text = "正在呼叫  Now calling"
		if n.Recall {
			u.nowLabel.Text = "再次呼叫  Calling again"
		}
		if n.Priority {
			u.nowLabel.Text += "  ·  绿色通道 Priority"
		}
		u.nowNumber.Text = n.Number
		u.nowZh.Text = "请到 " + n.CounterZh
		u.nowEn.Text = "Please go to counter " + n.Counter
		u.nowService.Text = n.Service.Zh + "  " + n.Service.En
		if len(v.Also) > 0 {
			// Several counters called at once: the others stand here, in place of the service.
			parts := make([]string, len(v.Also))
			for i, a := range v.Also {
				parts[i] = a.Number + " → " + a.CounterZh
				if a.Priority {
					parts[i] = a.Number + "（绿色通道）→ " + a.CounterZh
				}
			}
			u.nowService.Text = "同时呼叫 Also calling:  " + strings.Join(parts, "   ")
		}
	} else {
		u.nowLabel.Text = "正在呼叫  Now calling"
		u.nowNumber.Text = "—"
		u.nowZh.Text = "请留意叫号"
		u.nowEn.Text = "Please listen for your number"
		u.nowService.Text = ""
	}
	for i := range u.rows {
		r := &u.rows[i]
		on := i < len(v.Recent)
		r.bg.Hidden, r.number.Hidden, r.zh.Hidden, r.en.Hidden = !on, !on, !on, !on
		if on {
			c := v.Recent[i]
			r.number.Text, r.zh.Text, r.en.Text = c.Number, c.CounterZh, c.CounterEn
			if c.Priority {
				r.en.Text = "绿色通道 · " + c.CounterEn
			}
		}
	}
	for i := range u.cards {
		c := &u.cards[i]
		on := i < len(v.Services)
		c.bg.Hidden, c.nameZh.Hidden, c.nameEn.Hidden, c.count.Hidden, c.waitZh.Hidden, c.waitEn.Hidden = !on, !on, !on, !on, !on, !on
		if on {
			s := v.Services[i]
			c.nameZh.Text = s.Code + "  " + s.Name.Zh
			c.nameEn.Text = s.Name.En
			c.count.Text = s.Waiting
			c.waitZh.Text = "人等候 · " + s.WaitZh
			c.waitEn.Text = "waiting · " + s.WaitEn
			c.count.Color = colNumber
			if !s.Open {
				c.count.Color = colClosed
			}
		}
	}
	u.noticeText.Text = v.Notice
	if v.CallSerial != u.serial {
		u.serial = v.CallSerial
		if !first && v.Now != nil {
			u.startFlash()
		}
	}
	if v.Notice != "" && !u.scrollRun && u.ctx != nil {
		u.scrollRun = true
		go u.scroll()
	}
	u.root.Refresh()
}

// startFlash blinks the current call flashToggles times.
func (u *UI) startFlash() {
	u.flashGen++
	gen := u.flashGen
	u.flashing.Store(true)
	u.setFlash(true)
	go func() {
		t := time.NewTicker(flashPeriod)
		defer t.Stop()
		for i := 1; i <= flashToggles; i++ {
			select {
			case <-u.ctx.Done():
				return
			case <-t.C:
			}
			on := i%2 == 0 && i < flashToggles
			last := i == flashToggles
			fyne.Do(func() {
				u.mu.Lock()
				defer u.mu.Unlock()
				if u.flashGen != gen {
					return
				}
				u.setFlash(on)
				if last {
					u.flashing.Store(false)
				}
			})
		}
	}()
}

func (u *UI) setFlash(on bool) {
	u.flashOn = on
	if on {
		u.nowBg.FillColor = colFlash
		u.nowNumber.Color, u.nowZh.Color, u.nowEn.Color, u.nowLabel.Color, u.nowService.Color = colOnFlash, colOnFlash, colOnFlash, colOnFlash, colOnFlash
	} else {
		u.nowBg.FillColor = colPanel
		u.nowNumber.Color, u.nowZh.Color, u.nowEn.Color, u.nowLabel.Color, u.nowService.Color = colNumber, colText, colText, colSubtle, colSubtle
	}
	for _, o := range []fyne.CanvasObject{u.nowBg, u.nowNumber, u.nowZh, u.nowEn, u.nowLabel, u.nowService} {
		o.Refresh()
	}
}

// scroll moves the notice line leftwards, about 120 pixels a second at 1080p, while it is wider
// than its place (else it stands still).
func (u *UI) scroll() {
	t := time.NewTicker(40 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-u.ctx.Done():
			return
		case <-t.C:
		}
		fyne.Do(u.scrollStep)
	}
}

func (u *UI) scrollStep() {
	u.mu.Lock()
	defer u.mu.Unlock()
	area := u.noticeClip.Size()
	tw := fyne.MeasureText(u.noticeText.Text, u.noticeText.TextSize, u.noticeText.TextStyle).Width
	lead := u.noticeBadgeBg.Size().Width + 20
	if tw <= area.Width-lead-20 {
		u.scrollX = 0
		u.noticeText.Move(fyne.NewPos(lead, u.noticeText.Position().Y))
		return
	}
	u.scrollX -= 5 * u.noticeText.TextSize / 34
	if u.scrollX < -tw-lead {
		u.scrollX = area.Width - lead
	}
	u.noticeText.Move(fyne.NewPos(lead+u.scrollX, u.noticeText.Position().Y))
}

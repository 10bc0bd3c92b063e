package display

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
)

// hallLayout places the display's objects in design units of a 1920x1080 (landscape) or
// 1080x1920 (portrait) screen, scaled to the window, and scales the text sizes with them.
type hallLayout struct{ u *UI }

// MinSize is small: the display fills whatever screen it gets.
func (l *hallLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(320, 240) }

// placer positions objects in design units.
type placer struct {
	s      float32 // design unit → pixels
	ox, oy float32 // offset that centres the design area
}

// put places o. Fyne lays the screen out again whenever a text's size changed, in the middle of
// drawing a frame; a fyne.Container (a panel) asks for another frame on every Move, even to
// where it is, so an object is moved only when its place changed: else each frame with a new
// text was drawn twice.
func (p placer) put(o fyne.CanvasObject, x, y, w, h float32) {
	if pos := fyne.NewPos(p.ox+x*p.s, p.oy+y*p.s); o.Position() != pos {
		o.Move(pos)
	}
	o.Resize(fyne.NewSize(w*p.s, h*p.s))
}

func (p placer) text(t *canvas.Text, size, x, y, w float32) {
	t.TextSize = size * p.s
	p.put(t, x, y, w, size*1.35)
}

// Layout implements fyne.Layout.
func (l *hallLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	u := l.u
	portrait := u.portrait || size.Height > size.Width
	bw, bh := float32(1920), float32(1080)
	if portrait {
		bw, bh = 1080, 1920
	}
	s := min(size.Width/bw, size.Height/bh)
	p := placer{s: s, ox: (size.Width - bw*s) / 2, oy: (size.Height - bh*s) / 2}
	if portrait {
		l.portrait(p)
	} else {
		l.landscape(p)
	}
	l.paintBackdrop(size)
}

// paintBackdrop covers with the background colour what the header, the notice line and the
// panels of the cleared colour (the current call's and the recent calls' panels, the shown
// service cards) leave of the window.
func (l *hallLayout) paintBackdrop(size fyne.Size) {
	u := l.u
	boxes := []box{boxOf(u.headerBg), boxOf(u.noticeBg), boxOf(u.nowBg), boxOf(u.recentBg)}
	for i := range u.cards {
		if c := u.cards[i].bg; !c.Hidden {
			boxes = append(boxes, boxOf(c))
		}
	}
	parts := uncovered(size.Width, size.Height, boxes)
	bd := u.backdrop
	for len(bd.Objects) < len(parts) {
		bd.Objects = append(bd.Objects, canvas.NewRectangle(colBackground))
	}
	for i, o := range bd.Objects {
		if i >= len(parts) {
			if o.Visible() {
				o.Hide()
			}
			continue
		}
		b := parts[i]
		if pos := fyne.NewPos(b.x0, b.y0); o.Position() != pos {
			o.Move(pos)
		}
		o.Resize(fyne.NewSize(b.x1-b.x0, b.y1-b.y0))
		if !o.Visible() {
			o.Show()
		}
	}
	bd.Resize(size)
}

func (l *hallLayout) header(p placer, w, h float32) {
	u := l.u
	p.put(u.headerBg, 0, 0, w, h)
	p.text(u.hallZh, 50, 40, h/2-70, w/2)
	p.text(u.hallEn, 28, 42, h/2+4, w/2)
	p.text(u.clock, 64, w-440, h/2-82, 400)
	p.text(u.date, 24, w-640, h/2+10, 600)
	p.put(u.connDot, w-470, h/2-44, 14, 14)
	// The reconnect pill sits in the header between the hall name and the clock (below it, it
	// covered 正在呼叫 and 最近呼叫), Chinese over English; narrower and smaller in portrait.
	cw, zs, es := float32(560), float32(26), float32(20)
	if w < 1500 {
		cw, zs, es = 290, 22, 16
	}
	cx := w/2 - cw/2
	if w < 1500 {
		cx = 350
	}
	p.put(u.connBg, cx, h/2-42, cw, 84)
	p.text(u.connText, zs, cx, h/2-38, cw)
	p.text(u.connTextEn, es, cx, h/2, cw)
}

func (l *hallLayout) nowPanel(p placer, x, y, w, h float32) {
	u := l.u
	p.put(u.nowBg, x, y, w, h)
	p.put(u.nowFlash, x, y, w, h)
	p.text(u.nowLabel, 44, x, y+24, w)
	// The number's cells are placed by placeNumber alone, each at its character's width: sized
	// here to the panel's width first, every layout (Fyne lays the screen out again whenever a
	// text changed) resized them twice and asked for a second frame.
	g := &u.nowNumber
	for _, c := range g.cells {
		c.TextSize = 280 * p.s
	}
	g.x, g.y, g.w, g.h = p.ox+x*p.s, p.oy+(y+h/2-300)*p.s, w*p.s, 280*1.35*p.s
	u.placeNumber()
	p.text(u.nowZh, 90, x, y+h-290, w)
	p.text(u.nowEn, 50, x, y+h-165, w)
	p.text(u.nowService, 30, x, y+h-80, w)
}

func (l *hallLayout) recent(p placer, x, y, w, h float32, cols int) {
	u := l.u
	p.put(u.recentBg, x, y, w, h)
	p.text(u.recentTitle, 38, x+30, y+20, w-60)
	rows := (RecentShown + cols - 1) / cols
	top := y + 90
	rh := (h - 90 - 16) / float32(rows)
	cw := (w - 40) / float32(cols)
	for i := range u.rows {
		r := &u.rows[i]
		// Row by row, in reading order: left to right, then down.
		cx := x + 20 + float32(i%cols)*cw
		cy := top + float32(i/cols)*rh
		p.put(r.bg, cx, cy, cw-12, rh-10)
		p.text(r.number, 66, cx+22, cy+(rh-10)/2-46, cw/2)
		p.text(r.zh, 42, cx+cw/2-30, cy+(rh-10)/2-44, cw/2-10)
		p.text(r.en, 24, cx+cw/2-30, cy+(rh-10)/2+12, cw/2-10)
	}
}

func (l *hallLayout) services(p placer, x, y, w, h float32, cols int) {
	u := l.u
	n := 0
	for i := range u.cards {
		if !u.cards[i].bg.Hidden {
			n++
		}
	}
	n = max(n, 1)
	cols = min(cols, n)
	rows := (n + cols - 1) / cols
	cw := w / float32(cols)
	ch := h / float32(rows)
	k := min(float32(1), ch/160) // shrink the text when the cards are low
	for i := range u.cards {
		c := &u.cards[i]
		cx := x + float32(i%cols)*cw
		cy := y + float32(i/cols)*ch
		p.put(c.bg, cx+6, cy+6, cw-12, ch-12)
		p.text(c.nameZh, 30*k, cx+22, cy+14*k, cw-44)
		p.text(c.nameEn, 19*k, cx+22, cy+56*k, cw-44)
		p.text(c.count, 52*k, cx+20, cy+ch-82*k, 84*k)
		p.text(c.waitZh, 19*k, cx+20+84*k, cy+ch-76*k, cw-110*k)
		p.text(c.waitEn, 16*k, cx+20+84*k, cy+ch-46*k, cw-110*k)
	}
}

func (l *hallLayout) notice(p placer, y, w, h float32) {
	u := l.u
	p.put(u.noticeBg, 0, y, w, h)
	p.put(u.noticeClip, 0, y, w, h)
	p.put(u.noticeBadgeBg, 0, y, 230, h)
	p.text(u.noticeBadge, 30, 0, y+(h-40)/2, 230)
	// The notice stands still right of the badge; a line wider than its place is shown a page
	// at a time (UI.paginate), never scrolled: a scrolling line redraws the whole screen 25
	// times a second, which costs a software-rendered screen most of a core.
	u.noticeText.TextSize = 34 * p.s
	u.noticeText.Move(fyne.NewPos(250*p.s, 0))
	u.noticeText.Resize(fyne.NewSize(fyne.MeasureText(u.noticeText.Text, u.noticeText.TextSize, u.noticeText.TextStyle).Width+10, h*p.s))
	u.paginate((w - 250 - 20) * p.s)
}

// landscape: header, the current call (left) and the recent calls (right), the services, the
// notice line.
func (l *hallLayout) landscape(p placer) {
	l.header(p, 1920, 130)
	l.nowPanel(p, 30, 146, 1110, 680)
	l.recent(p, 1160, 146, 730, 680, 1)
	l.services(p, 24, 836, 1872, 176, 6)
	l.notice(p, 1016, 1920, 64)
}

// portrait: header, the current call, the recent calls in two columns, the services in three
// columns, the notice line.
func (l *hallLayout) portrait(p placer) {
	l.header(p, 1080, 150)
	l.nowPanel(p, 30, 175, 1020, 760)
	l.recent(p, 30, 955, 1020, 500, 2)
	l.services(p, 24, 1470, 1032, 366, 3)
	l.notice(p, 1850, 1080, 70)
}

package kiosk

import (
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
)

// Notice line timing.
const (
	noticeFrame = 40 * time.Millisecond // marquee step (25 frames a second)
	noticeSpeed = 120                   // marquee speed, pixels a second at 1080p
	noticeHold  = 8 * time.Second       // a notice that fits stays this long before the next
	noticeGap   = 24                    // pixels between the badge and the text
)

// noticeLine is the hall's notice line on the home screen: a badge (通知 / Notice) and one notice
// at a time. A notice that fits stands still for noticeHold; a longer one scrolls in from the
// right and out to the left. Then the next notice comes (rotation through all of them). Step
// advances it; the UI calls Step from a ticker while the line is on screen, tests call it
// directly.
type noticeLine struct {
	box   *fyne.Container // what goes on screen
	bg    *canvas.Rectangle
	badge *canvas.Rectangle
	label *canvas.Text
	clip  *container.Clip
	text  *canvas.Text

	items []string
	idx   int
	x     float32       // text offset inside the clip
	held  time.Duration // how long the current (fitting) notice has stood
}

// newNoticeLine returns a notice line with the badge text (in the current language).
func newNoticeLine(badge string) *noticeLine {
	n := &noticeLine{
		bg:    canvas.NewRectangle(colPanel),
		badge: canvas.NewRectangle(colWarning),
		label: text(badge, sizeBody, colBackground, true),
		text:  text("", sizeBody+4, colText, false),
	}
	n.label.Alignment = fyne.TextAlignCenter
	n.clip = container.NewClip(container.NewWithoutLayout(n.text))
	n.box = container.New(noticeLayout{n}, n.bg, n.clip, n.badge, n.label)
	return n
}

// noticeLayout places the badge on the left and the clipped text after it.
type noticeLayout struct{ n *noticeLine }

// badgeWidth is the width of the badge box.
func (l noticeLayout) badgeWidth() float32 { return l.n.label.MinSize().Width + 40 }

// Layout implements fyne.Layout.
func (l noticeLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	n := l.n
	bw := l.badgeWidth()
	n.bg.Resize(size)
	n.badge.Move(fyne.NewPos(0, 0))
	n.badge.Resize(fyne.NewSize(bw, size.Height))
	n.label.Move(fyne.NewPos(0, (size.Height-n.label.MinSize().Height)/2))
	n.label.Resize(fyne.NewSize(bw, n.label.MinSize().Height))
	n.clip.Move(fyne.NewPos(bw+noticeGap, 0))
	n.clip.Resize(fyne.NewSize(max(0, size.Width-bw-noticeGap), size.Height))
	n.place()
}

// MinSize implements fyne.Layout.
func (l noticeLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(l.badgeWidth()+200, max(l.n.text.MinSize().Height, l.n.label.MinSize().Height)+20)
}

// area is the width the text has.
func (n *noticeLine) area() float32 { return n.clip.Size().Width }

// width is the current text's width.
func (n *noticeLine) width() float32 { return n.text.MinSize().Width }

// fits reports whether the current notice fits without scrolling.
func (n *noticeLine) fits() bool { return n.width() <= n.area() }

// place puts the text at its offset (left-aligned when it fits) and vertically centred.
func (n *noticeLine) place() {
	m := n.text.MinSize()
	x := n.x
	if n.fits() {
		x = 0
	}
	n.text.Resize(m)
	n.text.Move(fyne.NewPos(x, (n.clip.Size().Height-m.Height)/2))
}

// Set changes the notices shown. When the current notice is still among them it stays where it
// is; otherwise the line starts again with the first.
func (n *noticeLine) Set(items []string) {
	cur := ""
	if n.idx < len(n.items) {
		cur = n.items[n.idx]
	}
	n.items = append(n.items[:0:0], items...)
	for i, it := range n.items {
		if it == cur {
			n.idx = i
			return
		}
	}
	n.show(0)
}

// show starts notice i: a long one enters from the right edge.
func (n *noticeLine) show(i int) {
	n.idx, n.held = i, 0
	n.text.Text = ""
	if i < len(n.items) {
		n.text.Text = n.items[i]
	}
	n.x = 0
	if !n.fits() {
		n.x = n.area()
	}
	n.place()
	n.text.Refresh()
}

// Current returns the notice on screen ("" none).
func (n *noticeLine) Current() string { return n.text.Text }

// Step advances the line by dt: a long notice scrolls left, a fitting one is held; when it is
// done the next notice comes.
func (n *noticeLine) Step(dt time.Duration) {
	if len(n.items) == 0 {
		return
	}
	if n.fits() {
		n.held += dt
		if n.held >= noticeHold && len(n.items) > 1 {
			n.show((n.idx + 1) % len(n.items))
		}
		return
	}
	n.x -= float32(noticeSpeed * dt.Seconds())
	if n.x < -n.width() {
		n.show((n.idx + 1) % len(n.items))
		return
	}
	n.place()
	canvas.Refresh(n.text)
}

// run steps the line every noticeFrame through post until stop is closed. A step is posted only
// when the previous one has run, so a busy UI goroutine is never flooded.
func (n *noticeLine) run(post func(func()), stop <-chan struct{}) {
	t := time.NewTicker(noticeFrame)
	defer t.Stop()
	var pending atomic.Bool
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if pending.CompareAndSwap(false, true) {
			post(func() {
				defer pending.Store(false)
				select {
				case <-stop:
				default:
					n.Step(noticeFrame)
				}
			})
		}
	}
}

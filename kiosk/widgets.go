package kiosk

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/driver/mobile"
	"fyne.io/fyne/v2/widget"
)

// Button is a large touch button: a coloured panel with a title line and optional smaller lines
// under it. It never does anything when Disabled.
type Button struct {
	widget.BaseWidget
	ID        string // stable name for tests and measurements ("service:A", "take:standard")
	Title     string
	Lines     []string
	LineColor []color.Color // per line (nil: subtle text)
	Fill      color.Color
	TitleSize float32
	MinHeight float32
	Disabled  bool
	OnTap     func()
}

func newButton(id, title string, fill color.Color, onTap func(), lines ...string) *Button {
	b := &Button{ID: id, Title: title, Lines: lines, Fill: fill, TitleSize: sizeLarge, MinHeight: 120, OnTap: onTap}
	b.ExtendBaseWidget(b)
	return b
}

// Tapped implements fyne.Tappable.
func (b *Button) Tapped(*fyne.PointEvent) {
	if b.Disabled || b.OnTap == nil {
		return
	}
	b.OnTap()
}

// CreateRenderer implements fyne.Widget.
func (b *Button) CreateRenderer() fyne.WidgetRenderer {
	r := &buttonRenderer{b: b, bg: canvas.NewRectangle(b.Fill)}
	r.bg.CornerRadius = 14
	r.refreshTexts()
	return r
}

type buttonRenderer struct {
	b     *Button
	bg    *canvas.Rectangle
	texts []*canvas.Text
}

func (r *buttonRenderer) refreshTexts() {
	b := r.b
	r.texts = nil
	fg := color.Color(colText)
	fill := b.Fill
	if b.Disabled {
		fg, fill = colSubtle, colDisabled
	}
	r.bg.FillColor = fill
	t := canvas.NewText(b.Title, fg)
	t.TextSize = b.TitleSize
	t.TextStyle = fyne.TextStyle{Bold: true}
	t.Alignment = fyne.TextAlignCenter
	r.texts = append(r.texts, t)
	for i, l := range b.Lines {
		c := color.Color(colSubtle)
		if b.Disabled {
			c = colSubtle
		} else if i < len(b.LineColor) && b.LineColor[i] != nil {
			c = b.LineColor[i]
		} else if fill != colBackground {
			c = colText
		}
		lt := canvas.NewText(l, c)
		lt.TextSize = sizeBody
		lt.Alignment = fyne.TextAlignCenter
		r.texts = append(r.texts, lt)
	}
}

func (r *buttonRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	r.bg.Move(fyne.NewPos(0, 0))
	h := float32(0)
	gap := float32(8)
	for _, t := range r.texts {
		h += t.MinSize().Height
	}
	h += gap * float32(len(r.texts)-1)
	y := (size.Height - h) / 2
	for _, t := range r.texts {
		// Shrink a line that does not fit (a long English name on a narrow screen).
		for t.TextSize > 14 && t.MinSize().Width > size.Width-24 {
			t.TextSize -= 2
		}
		m := t.MinSize()
		t.Resize(fyne.NewSize(size.Width-24, m.Height))
		t.Move(fyne.NewPos(12, y))
		y += m.Height + gap
	}
}

func (r *buttonRenderer) MinSize() fyne.Size {
	w, h := float32(0), float32(0)
	for _, t := range r.texts {
		m := t.MinSize()
		w = max(w, m.Width)
		h += m.Height + 8
	}
	// Lines shrink to fit (Layout), so the text does not widen the screen.
	return fyne.NewSize(min(w+48, 360), max(h+32, r.b.MinHeight))
}

func (r *buttonRenderer) Refresh() {
	r.refreshTexts()
	r.Layout(r.b.Size())
	canvas.Refresh(r.b)
}

func (r *buttonRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.bg}
	for _, t := range r.texts {
		objs = append(objs, t)
	}
	return objs
}

func (r *buttonRenderer) Destroy() {}

// tapArea makes its content one big touch target (the result screen: a touch finishes it).
type tapArea struct {
	widget.BaseWidget
	content fyne.CanvasObject
	onTap   func()
}

func newTapArea(content fyne.CanvasObject, onTap func()) *tapArea {
	t := &tapArea{content: content, onTap: onTap}
	t.ExtendBaseWidget(t)
	return t
}

// Tapped implements fyne.Tappable.
func (t *tapArea) Tapped(*fyne.PointEvent) { t.onTap() }

// CreateRenderer implements fyne.Widget.
func (t *tapArea) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.content) }

// staffCorner is the invisible top-left corner that staff hold to leave kiosk mode. It listens
// to mouse and touch presses (touchscreens send either).
type staffCorner struct {
	widget.BaseWidget
	down, up func()
}

func newStaffCorner(down, up func()) *staffCorner {
	c := &staffCorner{down: down, up: up}
	c.ExtendBaseWidget(c)
	return c
}

// MinSize is about 30 mm square on a 21.5" 1080p panel.
func (c *staffCorner) MinSize() fyne.Size { return fyne.NewSize(120, 120) }

// MouseDown implements desktop.Mouseable.
func (c *staffCorner) MouseDown(*desktop.MouseEvent) { c.down() }

// MouseUp implements desktop.Mouseable.
func (c *staffCorner) MouseUp(*desktop.MouseEvent) { c.up() }

// TouchDown implements mobile.Touchable.
func (c *staffCorner) TouchDown(*mobile.TouchEvent) { c.down() }

// TouchUp implements mobile.Touchable.
func (c *staffCorner) TouchUp(*mobile.TouchEvent) { c.up() }

// TouchCancel implements mobile.Touchable.
func (c *staffCorner) TouchCancel(*mobile.TouchEvent) { c.up() }

// CreateRenderer implements fyne.Widget.
func (c *staffCorner) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

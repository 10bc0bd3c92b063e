package display

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// panel is a filled rectangle with rounded corners, drawn as four circles (the corners) under
// three plain rectangles (a band across the middle, a strip above and below it). Fyne's GL
// painter redraws every pixel of the window on each frame, and under software GL (Mesa
// llvmpipe) its rounded-rectangle shader costs about twice the plain one per pixel: the display's
// panels drawn as canvas.Rectangle with CornerRadius took a quarter of each frame's CPU.
//
// The canvas walks into a *fyne.Container only when it is one, not when it is embedded: the
// screen's objects hold the Container, and the panel is moved, sized, shown and hidden through it.
type panel struct {
	*fyne.Container
	fill    color.Color
	corners [4]*canvas.Circle
	bands   [3]*canvas.Rectangle
}

// newPanel returns a panel of the colour with corners of the given radius (Fyne units).
func newPanel(fill color.Color, radius float32) *panel {
	p := &panel{fill: fill}
	objs := make([]fyne.CanvasObject, 0, 7)
	for i := range p.corners {
		p.corners[i] = canvas.NewCircle(fill)
		objs = append(objs, p.corners[i])
	}
	for i := range p.bands {
		p.bands[i] = canvas.NewRectangle(fill)
		objs = append(objs, p.bands[i])
	}
	p.Container = container.New(&panelLayout{p: p, radius: radius}, objs...)
	return p
}

// Fill returns the panel's colour.
func (p *panel) Fill() color.Color { return p.fill }

// setFill changes the panel's colour.
func (p *panel) setFill(c color.Color) {
	if p.fill == c {
		return
	}
	p.fill = c
	for _, o := range p.corners {
		o.FillColor = c
		o.Refresh()
	}
	for _, o := range p.bands {
		o.FillColor = c
		o.Refresh()
	}
}

type panelLayout struct {
	p      *panel
	radius float32
}

func (l *panelLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.Size{} }

// Layout places the corners and the bands for the panel's size; the corner circles' inner three
// quarters lie under the bands.
func (l *panelLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	w, h := size.Width, size.Height
	r := min(l.radius, w/2, h/2)
	d := 2 * r
	for i, c := range l.p.corners {
		c.Move(fyne.NewPos(float32(i%2)*(w-d), float32(i/2)*(h-d)))
		c.Resize(fyne.NewSize(d, d))
	}
	top, mid, bottom := l.p.bands[0], l.p.bands[1], l.p.bands[2]
	top.Move(fyne.NewPos(r, 0))
	top.Resize(fyne.NewSize(w-d, r))
	mid.Move(fyne.NewPos(0, r))
	mid.Resize(fyne.NewSize(w, h-d))
	bottom.Move(fyne.NewPos(r, h-r))
	bottom.Resize(fyne.NewSize(w-d, r))
}

// Theme returns the display's theme: base (ui/theme's, with the CJK fonts) with the hall's deep
// blue as the background colour. The GL painter clears each frame to it, which costs next to
// nothing; a rectangle filling the window on top of it cost a third of each software-rendered
// frame.
func Theme(base fyne.Theme) fyne.Theme { return screenTheme{base} }

type screenTheme struct{ fyne.Theme }

// Color is the base theme's colour, but the background is the display's.
func (t screenTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameBackground {
		return colBackground
	}
	return t.Theme.Color(n, v)
}

package display

import (
	"cmp"
	"image/color"
	"slices"

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
// A panel of the colour the window is cleared to (colPanel, see Theme) draws no body at all,
// only its corners: the background colour in each corner's square, the corner's circle over it.
// The backdrop (hallLayout) paints the background around such panels.
//
// The canvas walks into a *fyne.Container only when it is one, not when it is embedded: the
// screen's objects hold the Container, and the panel is moved, sized, shown and hidden through it.
type panel struct {
	*fyne.Container
	fill    color.Color
	corners [4]*canvas.Circle
	bands   []*canvas.Rectangle // the body (none when the window is cleared to the fill)
	cutouts []*canvas.Rectangle // the background in the corners' squares (only then)
}

// newPanel returns a panel of the colour with corners of the given radius (Fyne units).
func newPanel(fill color.Color, radius float32) *panel {
	p := &panel{fill: fill}
	var objs []fyne.CanvasObject
	if fill == colPanel {
		for range 4 {
			c := canvas.NewRectangle(colBackground)
			p.cutouts = append(p.cutouts, c)
			objs = append(objs, c)
		}
	}
	for i := range p.corners {
		p.corners[i] = canvas.NewCircle(fill)
		objs = append(objs, p.corners[i])
	}
	if p.cutouts == nil {
		for range 3 {
			b := canvas.NewRectangle(fill)
			p.bands = append(p.bands, b)
			objs = append(objs, b)
		}
	}
	p.Container = container.New(&panelLayout{p: p, radius: radius}, objs...)
	return p
}

// Fill returns the panel's colour.
func (p *panel) Fill() color.Color { return p.fill }

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
	for i, c := range l.p.cutouts {
		c.Move(fyne.NewPos(float32(i%2)*(w-r), float32(i/2)*(h-r)))
		c.Resize(fyne.NewSize(r, r))
	}
	if l.p.bands == nil {
		return
	}
	top, mid, bottom := l.p.bands[0], l.p.bands[1], l.p.bands[2]
	top.Move(fyne.NewPos(r, 0))
	top.Resize(fyne.NewSize(w-d, r))
	mid.Move(fyne.NewPos(0, r))
	mid.Resize(fyne.NewSize(w, h-d))
	bottom.Move(fyne.NewPos(r, h-r))
	bottom.Resize(fyne.NewSize(w-d, r))
}

// Theme returns the display's theme: base (ui/theme's, with the CJK fonts) with the panels'
// blue as the background colour. The GL painter clears each frame to it, which costs next to
// nothing, and the panels of that colour cover most of the screen: the backdrop paints the
// deep blue between them (a rectangle filling the window cost a third of each
// software-rendered frame, the panels' bodies another quarter).
func Theme(base fyne.Theme) fyne.Theme { return screenTheme{base} }

type screenTheme struct{ fyne.Theme }

// Color is the base theme's colour, but the background is the panels'.
func (t screenTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameBackground {
		return colPanel
	}
	return t.Theme.Color(n, v)
}

// box is a rectangle in pixels: x0 ≤ x < x1, y0 ≤ y < y1.
type box struct{ x0, y0, x1, y1 float32 }

func boxOf(o fyne.CanvasObject) box {
	p, s := o.Position(), o.Size()
	return box{p.X, p.Y, p.X + s.Width, p.Y + s.Height}
}

// uncovered returns the parts of the w×h window that no box covers, as rectangles: the window
// is cut into bands at every box's top and bottom, and each band into the gaps between the boxes
// across it. The boxes must not overlap.
func uncovered(w, h float32, boxes []box) []box {
	ys := []float32{0, h}
	for _, b := range boxes {
		ys = append(ys, max(0, min(h, b.y0)), max(0, min(h, b.y1)))
	}
	slices.Sort(ys)
	ys = slices.Compact(ys)
	var out []box
	for i := 0; i+1 < len(ys); i++ {
		y0, y1 := ys[i], ys[i+1]
		var across []box
		for _, b := range boxes {
			if b.y0 <= y0 && b.y1 >= y1 && b.x1 > b.x0 {
				across = append(across, b)
			}
		}
		slices.SortFunc(across, func(a, b box) int { return cmp.Compare(a.x0, b.x0) })
		x := float32(0)
		for _, b := range across {
			if b.x0 > x {
				out = append(out, box{x, y0, min(b.x0, w), y1})
			}
			x = max(x, b.x1)
		}
		if x < w {
			out = append(out, box{x, y0, w, y1})
		}
	}
	return out
}

package kiosk

import (
	"fyne.io/fyne/v2"
)

// gridLayout places cells in as many columns of at least minCol wide as fit (1..maxCols), rows
// sharing the height: three service columns on a 1920-wide landscape screen, one on a
// 1080-wide portrait one.
type gridLayout struct {
	minCol  float32
	maxCols int
	gap     float32
	// lastW is the width of the last layout: the minimum height follows the rows it made (a
	// window smaller than that grows instead of squeezing the buttons).
	lastW float32
}

// newGrid returns a container laying objs out in a responsive grid.
func newGrid(minCol float32, maxCols int, objs ...fyne.CanvasObject) *fyne.Container {
	return fyne.NewContainerWithLayout(&gridLayout{minCol: minCol, maxCols: maxCols, gap: 12}, objs...)
}

func (g *gridLayout) cols(w float32, n int) int {
	c := int((w + g.gap) / (g.minCol + g.gap))
	return max(1, min(c, g.maxCols, max(n, 1)))
}

// Layout implements fyne.Layout.
func (g *gridLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) == 0 {
		return
	}
	g.lastW = size.Width
	cols := g.cols(size.Width, len(objs))
	rows := (len(objs) + cols - 1) / cols
	cw := (size.Width - g.gap*float32(cols-1)) / float32(cols)
	ch := (size.Height - g.gap*float32(rows-1)) / float32(rows)
	for i, o := range objs {
		r, c := i/cols, i%cols
		o.Move(fyne.NewPos(float32(c)*(cw+g.gap), float32(r)*(ch+g.gap)))
		o.Resize(fyne.NewSize(cw, ch))
	}
}

// MinSize implements fyne.Layout: one cell wide (the grid adapts its columns to the width it
// gets); as high as the rows of the last layout need, one cell high before the first.
func (g *gridLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		m := o.MinSize()
		w = max(w, min(m.Width, g.minCol))
		h = max(h, m.Height)
	}
	if g.lastW > 0 {
		h = max(h, g.heightFor(g.lastW, objs))
	}
	return fyne.NewSize(w, h)
}

// vcentre gives its child the full width and centres it vertically at its minimum height (which
// for wrapping labels depends on the width).
type vcentre struct{}

func newVCentre(o fyne.CanvasObject) *fyne.Container {
	return fyne.NewContainerWithLayout(vcentre{}, o)
}

// Layout implements fyne.Layout.
func (vcentre) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(fyne.NewSize(size.Width, o.MinSize().Height))
		h := min(o.MinSize().Height, size.Height)
		o.Resize(fyne.NewSize(size.Width, max(h, o.MinSize().Height)))
		o.Move(fyne.NewPos(0, max(0, (size.Height-o.Size().Height)/2)))
	}
}

// MinSize implements fyne.Layout.
func (vcentre) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// heightFor returns the height the cells need at width w: as many rows of the tallest cell's
// minimum height as the columns that fit make.
func (g *gridLayout) heightFor(w float32, objs []fyne.CanvasObject) float32 {
	if len(objs) == 0 {
		return 0
	}
	cols := g.cols(w, len(objs))
	rows := (len(objs) + cols - 1) / cols
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return float32(rows)*h + g.gap*float32(rows-1)
}

// fitGrid centres a responsive grid vertically at the height its rows need for the width it
// gets (its minimum size cannot know the width, so in a VBox a grid that wraps to several rows
// would be squeezed into one row's height).
type fitGrid struct{ g *gridLayout }

// newFitGrid returns a responsive grid (as newGrid) that keeps its rows' minimum heights.
func newFitGrid(minCol float32, maxCols int, objs ...fyne.CanvasObject) *fyne.Container {
	grid := newGrid(minCol, maxCols, objs...)
	return fyne.NewContainerWithLayout(fitGrid{grid.Layout.(*gridLayout)}, grid)
}

// Layout implements fyne.Layout.
func (f fitGrid) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		var h float32
		if c, ok := o.(*fyne.Container); ok {
			h = f.g.heightFor(size.Width, c.Objects)
		}
		h = min(max(h, o.MinSize().Height), size.Height)
		o.Resize(fyne.NewSize(size.Width, h))
		o.Move(fyne.NewPos(0, (size.Height-h)/2))
	}
}

// MinSize implements fyne.Layout.
func (f fitGrid) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// qrSplit places a screen's text (objs[0]) beside a QR code (objs[1]) with its caption
// (objs[2]) in landscape, and above them in portrait. The code is as large as the room left
// allows, up to max: on a 1280×1024 or 1366×768 screen the fixed 560 px code pushed the ticket
// number off the screen.
type qrSplit struct {
	max, gap float32
}

// newQRSplit returns the split of text and a QR code (an image whose minimum size is its
// smallest scannable size) with its caption.
func newQRSplit(max float32, text, qr, caption fyne.CanvasObject) *fyne.Container {
	return fyne.NewContainerWithLayout(qrSplit{max: max, gap: 16}, text, qr, caption)
}

// Layout implements fyne.Layout.
func (q qrSplit) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) != 3 {
		return
	}
	text, qr, caption := objs[0], objs[1], objs[2]
	if size.Width >= size.Height {
		side := max(0, min(q.max, size.Width*0.45, size.Height-caption.MinSize().Height-q.gap))
		tw := size.Width - side - q.gap
		text.Resize(fyne.NewSize(tw, size.Height))
		text.Move(fyne.NewPos(0, 0))
		caption.Resize(fyne.NewSize(side, caption.MinSize().Height))
		ch := caption.MinSize().Height // a wrapping caption's height at its width
		block := side + q.gap + ch
		y := max(0, (size.Height-block)/2)
		qr.Resize(fyne.NewSize(side, side))
		qr.Move(fyne.NewPos(tw+q.gap, y))
		caption.Resize(fyne.NewSize(side, ch))
		caption.Move(fyne.NewPos(tw+q.gap, y+side+q.gap))
		return
	}
	text.Resize(fyne.NewSize(size.Width, text.MinSize().Height))
	th := text.MinSize().Height
	caption.Resize(fyne.NewSize(size.Width, caption.MinSize().Height))
	ch := caption.MinSize().Height
	side := max(0, min(q.max, size.Width, size.Height-th-ch-2*q.gap))
	block := th + q.gap + side + q.gap + ch
	y := max(0, (size.Height-block)/2)
	text.Resize(fyne.NewSize(size.Width, th))
	text.Move(fyne.NewPos(0, y))
	qr.Resize(fyne.NewSize(side, side))
	qr.Move(fyne.NewPos((size.Width-side)/2, y+th+q.gap))
	caption.Resize(fyne.NewSize(size.Width, ch))
	caption.Move(fyne.NewPos(0, y+th+q.gap+side+q.gap))
}

// MinSize implements fyne.Layout: what the smaller arrangement needs (the layout picks the
// arrangement by the shape it gets).
func (q qrSplit) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) != 3 {
		return fyne.Size{}
	}
	t, c, code := objs[0].MinSize(), objs[2].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(t.Width, code.Width, c.Width), max(t.Height, code.Height+q.gap+c.Height))
}

// aspectSplit puts two parts side by side in equal columns on a landscape area, and one above
// the other on a portrait one: the first at its minimum height, the second taking the rest (the
// portrait keypad's keys sat in the right half of the screen).
type aspectSplit struct{ gap float32 }

func newAspectSplit(first, second fyne.CanvasObject) *fyne.Container {
	return fyne.NewContainerWithLayout(aspectSplit{gap: 12}, first, second)
}

// Layout implements fyne.Layout.
func (a aspectSplit) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) != 2 {
		return
	}
	if size.Width >= size.Height {
		w := (size.Width - a.gap) / 2
		objs[0].Resize(fyne.NewSize(w, size.Height))
		objs[0].Move(fyne.NewPos(0, 0))
		objs[1].Resize(fyne.NewSize(w, size.Height))
		objs[1].Move(fyne.NewPos(w+a.gap, 0))
		return
	}
	h := min(objs[0].MinSize().Height, size.Height)
	objs[0].Resize(fyne.NewSize(size.Width, h))
	objs[0].Move(fyne.NewPos(0, 0))
	objs[1].Resize(fyne.NewSize(size.Width, max(0, size.Height-h-a.gap)))
	objs[1].Move(fyne.NewPos(0, h+a.gap))
}

// MinSize implements fyne.Layout: what the smaller arrangement needs.
func (a aspectSplit) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) != 2 {
		return fyne.Size{}
	}
	f, s := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(f.Width, s.Width), max(f.Height, s.Height))
}

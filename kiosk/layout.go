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

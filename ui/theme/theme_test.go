package theme

import (
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	fynetheme "fyne.io/fyne/v2/theme"
	"golang.org/x/image/font/sfnt"
)

func dark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

// render draws s in black on white at 40 px with the theme and returns the inside of the window
// (the test window's frame cut off).
func render(t *testing.T, th fyne.Theme, s string, bold bool) image.Image {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(th)
	txt := canvas.NewText(s, color.Black)
	txt.TextSize = 40
	txt.TextStyle.Bold = bold
	w := test.NewTempWindow(t, container.NewStack(canvas.NewRectangle(color.White), container.NewCenter(txt)))
	w.Resize(fyne.NewSize(300, 80))
	img := w.Canvas().Capture()
	b := img.Bounds().Inset(6)
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

func inkPixels(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if dark(img.At(x, y)) {
				n++
			}
		}
	}
	return n
}

func differing(a, b image.Image) int {
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if dark(a.At(x, y)) != dark(b.At(x, y)) {
				n++
			}
		}
	}
	return n
}

func TestThemeUsesTheSimplifiedChineseFace(t *testing.T) {
	th, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	f, err := sfnt.Parse(th.Font(fyne.TextStyle{}).Content())
	if err != nil {
		t.Fatalf("regular font resource is not a single font: %v", err)
	}
	var buf sfnt.Buffer
	name, _ := f.Name(&buf, sfnt.NameIDFamily)
	if name != "Noto Sans CJK SC" && name != "WenQuanYi Micro Hei" {
		t.Fatalf("regular face is %q, want a Simplified Chinese face", name)
	}
}

func TestChineseIsDrawnWithChineseGlyphShapes(t *testing.T) {
	th, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	// 令 and 直 are the characters whose Japanese shapes differ from the Chinese ones.
	ours := render(t, th, "令直", false)
	if ink := inkPixels(ours); ink < 200 {
		t.Fatalf("令直 drew %d ink pixels with the CJK theme: blank or boxes", ink)
	}
	// Fyne's default theme either has no glyphs or falls back to another face: the drawing differs.
	if d := differing(ours, render(t, fynetheme.DefaultTheme(), "令直", false)); d < 50 {
		t.Errorf("the CJK theme draws 令直 like Fyne's default font (%d pixels differ)", d)
	}
	if bold, reg := inkPixels(render(t, th, "令直", true)), inkPixels(ours); bold <= reg {
		t.Errorf("bold drew %d ink pixels, regular %d: no bold face", bold, reg)
	}
}

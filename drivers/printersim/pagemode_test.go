package printersim

import (
	"image"
	"testing"
)

// Page mode places text at absolute positions (ESC $ dots, GS $ half dots) and prints the
// area on FF; ESC T 1 runs text bottom to top along the left edge.
func TestPageMode(t *testing.T) {
	area := cat(esc, 'W', 0, 0, 0, 0, 0, 2, 0, 2) // 512 dots wide, 512 half dots (256 dots) high
	stream := cat(esc, '@', esc, 'L', area,
		esc, '$', 44, 1, gs, '$', 200, 0, "X", // x = 300, bottom at 100 dots
		esc, 'T', 1, "HHHH", lf,
		ff, "after", lf)
	pages, warns := render(t, stream, Config{})
	if len(pages) != 1 {
		t.Fatalf("pages %d, warnings %v", len(pages), warns)
	}
	img := pages[0].Image
	if n := inkIn(img, image.Rect(300, 76, 312, 100)); n < 20 {
		t.Errorf("X not at (300, 76..100): %d dots", n)
	}
	if n := inkIn(img, image.Rect(312, 0, 576, 256)); n != 0 {
		t.Errorf("%d stray dots right of X", n)
	}
	// Rotated line: 4 characters of 12 dots run up from the bottom of the area, 24 dots wide.
	if n := inkIn(img, image.Rect(0, 256-48, 24, 256)); n < 60 {
		t.Errorf("rotated text missing at the lower left: %d dots", n)
	}
	if n := inkIn(img, image.Rect(0, 0, 24, 256-48)); n != 0 {
		t.Errorf("rotated text too long: %d dots above it", n)
	}
	// After FF the printer is back in standard mode, under the page.
	last := pages[0].Lines[len(pages[0].Lines)-1]
	if last != "after" || pages[0].Boxes[len(pages[0].Boxes)-1].Min.Y < 256 {
		t.Errorf("standard mode line %q at %v", last, pages[0].Boxes[len(pages[0].Boxes)-1])
	}
}

package escpos

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"onedoor/ui/cjkfont"
)

// ErrNoImageFont reports that no font is installed to draw a line the
// printer's own font cannot print.
var ErrNoImageFont = errors.New("escpos: no font to draw text as an image: install fonts-noto-cjk (and fonts-hanazono for Extension B)")

// imageFontFile is a font file TextImager may draw with; family picks the
// face of a collection ("" for a single font).
type imageFontFile struct{ path, family string }

// imageFonts lists the faces a TextImager tries for each character, in order:
// the Simplified Chinese face the UIs use (Latin, Greek, Cyrillic, hanzi up to
// Extension A and a few of B), then HanaMin A/B (Debian fonts-hanazono: all of
// Extensions A and B), then DejaVu for what is left.
func imageFonts() []imageFontFile {
	var out []imageFontFile
	for _, c := range cjkfont.Regular {
		out = append(out, imageFontFile{c.Path, c.Family})
	}
	return append(out,
		imageFontFile{"/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", ""},
		imageFontFile{"/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", ""},
		imageFontFile{"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", ""},
	)
}

// TextImager draws lines of text as 1-bit images in the printer's character
// cells (12 × 24 dots per column, 24 × 24 per full-width character), for
// lines the printer's font cannot print. Each character is taken from the
// first face that has it; one no face has is drawn as an empty box. Fonts are
// read through their files, only the tables used: Close releases them.
type TextImager struct {
	faces []*sfnt.Font
	files []*os.File
	buf   sfnt.Buffer
}

// NewTextImager opens the installed faces of imageFonts (one Chinese face:
// the first that loads). A file that does not parse is skipped. It wraps
// ErrNoImageFont when no face loads.
func NewTextImager() (*TextImager, error) {
	ti := &TextImager{}
	var errs []error
	cjk := false
	for _, f := range imageFonts() {
		if f.family != "" && cjk {
			continue
		}
		sf, file, err := ti.open(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			errs = append(errs, err)
			continue
		}
		cjk = cjk || f.family != ""
		ti.faces = append(ti.faces, sf)
		ti.files = append(ti.files, file)
	}
	if len(ti.faces) == 0 {
		return nil, errors.Join(append(errs, ErrNoImageFont)...)
	}
	return ti, nil
}

// Close closes the font files.
func (ti *TextImager) Close() error {
	var errs []error
	for _, f := range ti.files {
		errs = append(errs, f.Close())
	}
	ti.faces, ti.files = nil, nil
	return errors.Join(errs...)
}

// open opens one font file and picks its face (by family in a collection).
func (ti *TextImager) open(f imageFontFile) (*sfnt.Font, *os.File, error) {
	file, err := os.Open(f.path)
	if err != nil {
		return nil, nil, fmt.Errorf("text image font: %w", err)
	}
	sf, err := ti.pick(file, f)
	if err != nil {
		_ = file.Close()
		return nil, nil, err
	}
	return sf, file, nil
}

func (ti *TextImager) pick(file *os.File, f imageFontFile) (*sfnt.Font, error) {
	coll, err := opentype.ParseCollectionReaderAt(file)
	if err != nil {
		return nil, fmt.Errorf("text image font %s: %w", f.path, err)
	}
	for i := range coll.NumFonts() {
		sf, err := coll.Font(i)
		if err != nil {
			return nil, fmt.Errorf("text image font %s face %d: %w", f.path, i, err)
		}
		if f.family == "" {
			return sf, nil
		}
		if name, _ := sf.Name(&ti.buf, sfnt.NameIDFamily); name == f.family {
			return sf, nil
		}
	}
	return nil, fmt.Errorf("text image font %s: no face %q", f.path, f.family)
}

// face returns the first face holding r, or nil.
func (ti *TextImager) face(r rune) *sfnt.Font {
	for _, f := range ti.faces {
		if g, err := f.GlyphIndex(&ti.buf, r); err == nil && g != 0 {
			return f
		}
	}
	return nil
}

// Line draws s at magnification w×h, bold or not, in a line width dots wide
// aligned as a, as the printer would print it from its own font: each
// character takes Width columns of 12·w dots, the line is 24·h dots of
// characters plus 6·h dots of line spacing. Black is 0 in the returned image.
func (ti *TextImager) Line(s string, w, h int, bold bool, a Align, width int) (*image.Gray, error) {
	if w < 1 || h < 1 || w > 8 || h > 8 {
		return nil, fmt.Errorf("text image size %dx%d: %w", w, h, ErrArgument)
	}
	cellH := 24 * h
	textW := Width(s, true) * fontWidthDots * w
	x := 0
	switch a {
	case AlignCenter:
		x = max(0, (width-textW)/2)
	case AlignRight:
		x = max(0, width-textW)
	}
	img := image.NewGray(image.Rect(0, 0, max(width, x+textW), cellH+6*h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	px := float64(cellH) * 0.92 // the em square, slightly inside the cell, as printer fonts are
	faces := map[*sfnt.Font]font.Face{}
	defer func() {
		for _, f := range faces {
			_ = f.Close()
		}
	}()
	for _, r := range s {
		cw := runeWidth(r, true) * fontWidthDots * w
		if cw == 0 {
			continue
		}
		sf := ti.face(r)
		if sf == nil {
			// No face has it: an empty box, never a "?".
			box := image.Rect(x+2, 2, x+cw-2, cellH-2)
			draw.Draw(img, box, image.Black, image.Point{}, draw.Src)
			draw.Draw(img, box.Inset(2), image.White, image.Point{}, draw.Src)
			x += cw
			continue
		}
		ff, ok := faces[sf]
		if !ok {
			var err error
			ff, err = opentype.NewFace(sf, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
			if err != nil {
				return nil, fmt.Errorf("text image face: %w", err)
			}
			faces[sf] = ff
		}
		adv, _ := ff.GlyphAdvance(r)
		// Centre the glyph in its cell, baseline at 7/8 of the cell (the hanzi's lower edge).
		gx := x + (cw-adv.Round())/2
		d := font.Drawer{Dst: img, Src: image.Black, Face: ff,
			Dot: fixed.P(gx, cellH*7/8)}
		d.DrawString(string(r))
		if bold {
			d.Dot = fixed.P(gx+1, cellH*7/8)
			d.DrawString(string(r))
		}
		x += cw
	}
	// Threshold: the printer has no grey.
	for i, v := range img.Pix {
		if v < 128 {
			img.Pix[i] = 0
		} else {
			img.Pix[i] = 0xFF
		}
	}
	return img, nil
}

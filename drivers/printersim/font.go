package printersim

import (
	"errors"
	"fmt"
	"image"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// FontEnv is the environment variable that overrides the CJK font: a path, optionally
// followed by "#index" to pick a face of a .ttc collection.
const FontEnv = "PRINTERSIM_FONT"

// knownFonts are searched in order. Within a collection the face is picked by family name,
// first match wins: the monospaced Simplified Chinese faces give Latin exactly half the
// width of a hanzi, as on a printer's ROM font.
var knownFonts = []struct {
	path     string
	families []string
}{
	{"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
		[]string{"Noto Sans Mono CJK SC", "Noto Sans CJK SC"}},
	{"/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", nil},
	{"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
		[]string{"WenQuanYi Micro Hei Mono", "WenQuanYi Micro Hei"}},
	{"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
		[]string{"WenQuanYi Zen Hei Mono", "WenQuanYi Zen Hei"}},
}

// fallbackFonts supply Latin, Greek and Cyrillic glyphs CJK faces lack (Debian fonts-dejavu-core)
// and the CJK Extension B hanzi of a GB18030-2005 font (Debian fonts-hanazono).
var fallbackFonts = []string{"/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
	"/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"}

// ErrNoFont is returned by FindFont when no CJK font is installed.
var ErrNoFont = errors.New("printersim: no CJK font found: install the Debian package fonts-noto-cjk or fonts-wqy-microhei, or set " + FontEnv + "=/path/to/font.ttc#index")

// Font is a loaded CJK outline font with a cache of glyph bitmaps. It is safe for
// concurrent use by several Printers.
type Font struct {
	Path   string // file the face was loaded from
	Index  int    // face index within a collection (0 for a single font)
	Family string // family name from the name table

	sf        *sfnt.Font   // the chosen face
	fallbacks []*sfnt.Font // tried in order for runes sf lacks (accented Latin, symbols)

	mu     sync.Mutex
	faces  map[faceKey]font.Face
	glyphs map[glyphKey]*bitmap
	// baseline per pixel size: the hanzi 中 is centred vertically in a square cell
	baselines map[int]int
}

type faceKey struct{ font, px int }

type glyphKey struct {
	r      rune
	w, h   int // cell size in dots
	notdef bool
}

// FindFont loads the font named by spec ("path" or "path#index"); when spec is empty, by the
// PRINTERSIM_FONT environment variable; else the first installed of the known Debian
// CJK fonts (fonts-noto-cjk, fonts-wqy-microhei, fonts-wqy-zenhei). It returns an error
// wrapping ErrNoFont, naming the packages, when none is found.
func FindFont(spec string) (*Font, error) {
	if spec == "" {
		spec = os.Getenv(FontEnv)
	}
	if spec != "" {
		path, idx := spec, -1
		if i := strings.LastIndexByte(spec, '#'); i >= 0 {
			n, err := strconv.Atoi(spec[i+1:])
			if err != nil {
				return nil, fmt.Errorf("printersim: font %q: bad face index: %w", spec, err)
			}
			path, idx = spec[:i], n
		}
		return loadFont(path, idx, nil)
	}
	for _, k := range knownFonts {
		if _, err := os.Stat(k.path); err != nil {
			continue
		}
		return loadFont(k.path, -1, k.families)
	}
	return nil, ErrNoFont
}

// LoadFont loads face index of the font file at path (a .ttf, .otf or .ttc collection).
func LoadFont(path string, index int) (*Font, error) {
	return loadFont(path, index, nil)
}

// loadFont loads path; index < 0 picks the face by family preference (else face 0).
func loadFont(path string, index int, families []string) (*Font, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("printersim: read font: %w", err)
	}
	coll, err := opentype.ParseCollection(data)
	if err != nil {
		return nil, fmt.Errorf("printersim: parse font %s: %w", path, err)
	}
	var buf sfnt.Buffer
	pick := func(i int) (*sfnt.Font, string, error) {
		f, err := coll.Font(i)
		if err != nil {
			return nil, "", fmt.Errorf("printersim: font %s face %d: %w", path, i, err)
		}
		name, _ := f.Name(&buf, sfnt.NameIDFamily)
		return f, name, nil
	}
	chosen := -1
	if index >= 0 {
		if index >= coll.NumFonts() {
			return nil, fmt.Errorf("printersim: font %s has %d faces, no index %d", path, coll.NumFonts(), index)
		}
		chosen = index
	} else {
		names := make([]string, coll.NumFonts())
		for i := range names {
			if _, n, err := pick(i); err == nil {
				names[i] = n
			}
		}
	search:
		for _, want := range families {
			for i, n := range names {
				if n == want {
					chosen = i
					break search
				}
			}
		}
		if chosen < 0 {
			chosen = 0
		}
	}
	sf, family, err := pick(chosen)
	if err != nil {
		return nil, err
	}
	f := &Font{Path: path, Index: chosen, Family: family, sf: sf,
		faces: map[faceKey]font.Face{}, glyphs: map[glyphKey]*bitmap{}, baselines: map[int]int{}}
	// Other faces of the collection and DejaVu Sans Mono fill in glyphs the face lacks.
	for i := 0; i < coll.NumFonts(); i++ {
		if fb, name, err := pick(i); err == nil && i != chosen && strings.Contains(name, " SC") {
			f.fallbacks = append(f.fallbacks, fb)
		}
	}
	for _, path := range fallbackFonts {
		if b, err := os.ReadFile(path); err == nil {
			if fb, err := opentype.Parse(b); err == nil {
				f.fallbacks = append(f.fallbacks, fb)
			}
		}
	}
	if !f.HasGlyph('中') {
		return nil, fmt.Errorf("printersim: font %s face %d (%s) has no Chinese glyphs: %w", path, chosen, family, ErrNoFont)
	}
	return f, nil
}

// HasGlyph reports whether the font has a glyph for r (other than .notdef).
func (f *Font) HasGlyph(r rune) bool {
	var buf sfnt.Buffer
	gi, err := f.sf.GlyphIndex(&buf, r)
	return err == nil && gi != 0
}

// face returns font i (0 the main face, then the fallbacks) at pixel size px; f.mu must be
// held.
func (f *Font) face(i, px int) (font.Face, error) {
	if fc, ok := f.faces[faceKey{i, px}]; ok {
		return fc, nil
	}
	sf := f.sf
	if i > 0 {
		sf = f.fallbacks[i-1]
	}
	fc, err := opentype.NewFace(sf, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("printersim: font face %dpx: %w", px, err)
	}
	f.faces[faceKey{i, px}] = fc
	if i == 0 {
		// Centre the ideograph 中 vertically in a px-high cell.
		b, _, ok := fc.GlyphBounds('中')
		base := px * 88 / 100
		if ok {
			top, bottom := b.Min.Y.Round(), b.Max.Y.Round() // relative to the baseline
			base = (px-(bottom-top))/2 - top
		}
		f.baselines[px] = base
	}
	return fc, nil
}

// which returns the index of the first font (0 main, then fallbacks) with a glyph for r,
// or -1.
func (f *Font) which(r rune) int {
	var buf sfnt.Buffer
	if gi, err := f.sf.GlyphIndex(&buf, r); err == nil && gi != 0 {
		return 0
	}
	for i, sf := range f.fallbacks {
		if gi, err := sf.GlyphIndex(&buf, r); err == nil && gi != 0 {
			return i + 1
		}
	}
	return -1
}

// Glyph returns the 1-bit bitmap of r drawn in a w×h dot cell (1 = ink), the way a printer's
// character generator would hold it: the em size is the cell height, the glyph is centred
// horizontally. A rune the font lacks is drawn as the font's .notdef glyph (tofu) and
// reported with ok false.
func (f *Font) Glyph(r rune, w, h int) (img *image.Gray, ok bool) {
	bm, ok := f.glyph(r, w, h, false)
	return bm.gray(), ok
}

// NotdefGlyph returns the font's .notdef glyph in a w×h cell, for tests that make sure text
// was not drawn as tofu.
func (f *Font) NotdefGlyph(w, h int) *image.Gray {
	bm, _ := f.glyph(0, w, h, true)
	return bm.gray()
}

func (f *Font) glyph(r rune, w, h int, notdef bool) (*bitmap, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fi := f.which(r)
	found := notdef || fi >= 0
	key := glyphKey{r, w, h, notdef || !found}
	if !found {
		key.r = 0
	}
	if bm, ok := f.glyphs[key]; ok {
		return bm, found
	}
	bm := newBitmap(w, h)
	f.glyphs[key] = bm
	if _, err := f.face(0, h); err != nil { // sets the baseline
		return bm, false
	}
	dst := image.NewAlpha(image.Rect(0, 0, w, h))
	var adv fixed.Int26_6
	if key.notdef {
		// Draw glyph index 0 through the outline API.
		var buf sfnt.Buffer
		segs, err := f.sf.LoadGlyph(&buf, 0, fixed.I(h), nil)
		if err != nil {
			return bm, false
		}
		adv, _ = f.sf.GlyphAdvance(&buf, 0, fixed.I(h), font.HintingNone)
		drawSegments(dst, segs, (fixed.I(w)-adv)/2, fixed.I(f.baselines[h]))
	} else {
		fc, err := f.face(fi, h)
		if err != nil {
			return bm, false
		}
		adv, _ = fc.GlyphAdvance(r)
		d := font.Drawer{Dst: dst, Src: image.Opaque, Face: fc,
			Dot: fixed.Point26_6{X: (fixed.I(w) - adv) / 2, Y: fixed.I(f.baselines[h])}}
		d.DrawString(string(r))
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if dst.AlphaAt(x, y).A >= 0x70 {
				bm.pix[y*w+x] = 1
			}
		}
	}
	return bm, found
}

package escpos

import (
	"errors"
	"fmt"
	"image"
	"image/color"

	qrcode "github.com/skip2/go-qrcode"
)

// QRLevel is a QR error-correction level as numbered by GS ( k function 169
// (python-escpos QR_ECLEVEL_L..H = 0..3).
type QRLevel byte

// QR error-correction levels.
const (
	QRLevelL QRLevel = 0 // ~7 % recovery
	QRLevelM QRLevel = 1 // ~15 %
	QRLevelQ QRLevel = 2 // ~25 %
	QRLevelH QRLevel = 3 // ~30 %
)

// MaxQRData is the largest payload GS ( k function 180 accepts (Epson: 7089
// numeric characters; a little less for bytes, which the printer checks).
const MaxQRData = 7089

// maxRasterRows is the tallest band sent in one GS v 0 command; taller images
// are split, as python-escpos does (fragment_height=960).
const maxRasterRows = 960

// ErrEmptyImage reports an image or QR payload with nothing to print.
var ErrEmptyImage = errors.New("escpos: empty image")

// QR appends the native QR code commands GS ( k (cn = 49 '1'):
// function 165 (model 2), 167 (module size in dots, 1..16), 169 (error
// correction), 180 (store data) and 181 (print the stored symbol).
// The printer draws the symbol at the current justification.
func (b *Builder) QR(data string, module int, level QRLevel) error {
	if data == "" {
		return fmt.Errorf("qr: no data: %w", ErrEmptyImage)
	}
	if len(data) > MaxQRData {
		return fmt.Errorf("qr: %d bytes of data (max %d): %w", len(data), MaxQRData, ErrArgument)
	}
	if module < 1 || module > 16 {
		return fmt.Errorf("qr: module size %d (want 1..16): %w", module, ErrArgument)
	}
	if level > QRLevelH {
		return fmt.Errorf("qr: error correction %d (want 0..3): %w", level, ErrArgument)
	}
	b.gsK(65, '2', 0)                          // fn 165: select model 2
	b.gsK(67, byte(module))                    // fn 167: module size
	b.gsK(69, '0'+byte(level))                 // fn 169: error correction L/M/Q/H = '0'..'3'
	b.gsK(80, append([]byte{'0'}, data...)...) // fn 180: store, m = '0'
	b.gsK(81, '0')                             // fn 181: print
	return nil
}

// gsK appends GS ( k pL pH cn fn args for the QR symbol (cn = 49).
func (b *Builder) gsK(fn byte, args ...byte) {
	n := len(args) + 2
	b.buf = append(b.buf, GS, '(', 'k', byte(n), byte(n>>8), '1', fn)
	b.buf = append(b.buf, args...)
}

// Raster appends img as GS v 0 raster bit images (m = 0, normal density),
// one command per band of at most 960 rows. Pixels darker than mid-grey
// become black dots; transparent pixels are white. With dither set, grey
// levels are approximated by Floyd–Steinberg error diffusion instead.
// Rows are padded with white to whole bytes.
func (b *Builder) Raster(img image.Image, dither bool) error {
	bm := toBitmap(img, dither)
	if bm.w == 0 || bm.h == 0 {
		return fmt.Errorf("raster: %dx%d image: %w", bm.w, bm.h, ErrEmptyImage)
	}
	b.rasterBitmap(bm, 0)
	return nil
}

// RasterQR renders data as a QR code with github.com/skip2/go-qrcode and
// appends it as a raster image with module×module dots per QR module, for
// printers without native QR. No quiet zone is drawn: the blank paper around
// the symbol is the quiet zone, so keep 4 modules of blank paper around it
// (a text line above and below is 30 dots, enough up to module 7). If
// centerDots > 0 the symbol is centred in a line of that many dots by left
// padding inside the image, which works whether or not the printer applies
// ESC a justification to raster images.
func (b *Builder) RasterQR(data string, module int, level QRLevel, centerDots int) error {
	if data == "" {
		return fmt.Errorf("raster qr: no data: %w", ErrEmptyImage)
	}
	if module < 1 || module > 16 {
		return fmt.Errorf("raster qr: module size %d (want 1..16): %w", module, ErrArgument)
	}
	q, err := qrcode.New(data, goQRLevel(level))
	if err != nil {
		return fmt.Errorf("raster qr: %w", err)
	}
	q.DisableBorder = true
	mods := q.Bitmap()
	side := len(mods) * module
	left := 0
	if centerDots > side {
		left = (centerDots - side) / 2
	}
	bm := newBitmap(left+side, side)
	for y := range side {
		row := mods[y/module]
		for x := range side {
			if row[x/module] {
				bm.set(left+x, y)
			}
		}
	}
	b.rasterBitmap(bm, 0)
	return nil
}

func goQRLevel(l QRLevel) qrcode.RecoveryLevel {
	switch l {
	case QRLevelM:
		return qrcode.Medium
	case QRLevelQ:
		return qrcode.High
	case QRLevelH:
		return qrcode.Highest
	}
	return qrcode.Low
}

// bitmap is a 1-bit image, rows padded to bytes, MSB = leftmost dot,
// 1 = black (the GS v 0 data layout).
type bitmap struct {
	w, h, stride int
	bits         []byte
}

func newBitmap(w, h int) *bitmap {
	stride := (w + 7) / 8
	return &bitmap{w: w, h: h, stride: stride, bits: make([]byte, stride*h)}
}

func (m *bitmap) set(x, y int) { m.bits[y*m.stride+x/8] |= 0x80 >> (x % 8) }

func (b *Builder) rasterBitmap(m *bitmap, mode byte) {
	for y0 := 0; y0 < m.h; y0 += maxRasterRows {
		rows := min(maxRasterRows, m.h-y0)
		b.buf = append(b.buf, GS, 'v', '0', mode,
			byte(m.stride), byte(m.stride>>8), byte(rows), byte(rows>>8))
		b.buf = append(b.buf, m.bits[y0*m.stride:(y0+rows)*m.stride]...)
	}
}

// toBitmap converts img to 1 bit per pixel. Luminance uses the ITU-R BT.601
// weights of color.GrayModel; alpha is composited onto white paper.
func toBitmap(img image.Image, dither bool) *bitmap {
	r := img.Bounds()
	m := newBitmap(r.Dx(), r.Dy())
	if m.w == 0 || m.h == 0 {
		return m
	}
	lum := func(x, y int) int {
		c := color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
		g := color.GrayModel.Convert(color.NRGBA64{R: c.R, G: c.G, B: c.B, A: 0xFFFF}).(color.Gray).Y
		// Composite onto white: transparent → 255.
		return (int(g)*int(c.A) + 255*(0xFFFF-int(c.A))) / 0xFFFF
	}
	if !dither {
		for y := range m.h {
			for x := range m.w {
				if lum(r.Min.X+x, r.Min.Y+y) < 128 {
					m.set(x, y)
				}
			}
		}
		return m
	}
	// Floyd–Steinberg with two rolling error rows (in 1/16 units).
	cur := make([]int, m.w+2)
	next := make([]int, m.w+2)
	for y := range m.h {
		for x := range m.w {
			v := lum(r.Min.X+x, r.Min.Y+y)*16 + cur[x+1]
			out := 255 * 16
			if v < 128*16 {
				out = 0
				m.set(x, y)
			}
			e := (v - out) / 16
			cur[x+2] += e * 7
			next[x] += e * 3
			next[x+1] += e * 5
			next[x+2] += e
		}
		cur, next = next, cur
		clear(next)
	}
	return m
}

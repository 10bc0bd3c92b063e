package escpos

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"testing"
)

// The expected bytes in this file come from python-escpos
// (github.com/python-escpos/python-escpos, MIT):
//   - src/escpos/constants.py: HW_INIT, TXT_STYLE (bold, underline, align,
//     width/height nibbles of TXT_SIZE), PAPER_FULL_CUT / PAPER_PART_CUT,
//     RT_STATUS_ONLINE / RT_STATUS_PAPER, RT_MASK_*;
//   - test/test_functions/test_function_qr_native.py (GS ( k sequences);
//   - test/test_functions/test_function_image.py (GS v 0 raster);
//   - test/test_functions/test_function_cut.py and escpos.py cut()
//     (GS V 66 0) and print_and_feed() (ESC d n);
//   - test/test_functions/test_function_status.py (valid status bytes).
// FS & / FS . and GS V 65/66 n are from the Epson ESC/POS command reference.

func build(f func(b *Builder)) []byte {
	var b Builder
	f(&b)
	return b.Bytes()
}

func TestCommandsMatchPythonEscpos(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"HW_INIT", build(func(b *Builder) { b.Init() }), []byte("\x1b@")},
		{"bold on", build(func(b *Builder) { b.Bold(true) }), []byte("\x1b\x45\x01")},
		{"bold off", build(func(b *Builder) { b.Bold(false) }), []byte("\x1b\x45\x00")},
		{"underline 0", build(func(b *Builder) { _ = b.Underline(0) }), []byte("\x1b\x2d\x00")},
		{"underline 1", build(func(b *Builder) { _ = b.Underline(1) }), []byte("\x1b\x2d\x01")},
		{"underline 2", build(func(b *Builder) { _ = b.Underline(2) }), []byte("\x1b\x2d\x02")},
		{"align left", build(func(b *Builder) { b.Align(AlignLeft) }), []byte("\x1b\x61\x00")},
		{"align center", build(func(b *Builder) { b.Align(AlignCenter) }), []byte("\x1b\x61\x01")},
		{"align right", build(func(b *Builder) { b.Align(AlignRight) }), []byte("\x1b\x61\x02")},
		// test_set_size_custom: TXT_SIZE + (width[8] + height[7]) = GS ! 0x70+0x06
		{"size 8x7", build(func(b *Builder) { _ = b.Size(8, 7) }), []byte("\x1d!\x76")},
		{"size 1x1", build(func(b *Builder) { _ = b.Size(1, 1) }), []byte("\x1d!\x00")},
		{"size 2x2", build(func(b *Builder) { _ = b.Size(2, 2) }), []byte("\x1d!\x11")},
		{"print_and_feed(6)", build(func(b *Builder) { _ = b.Feed(6) }), []byte("\x1bd\x06")},
		{"PAPER_FULL_CUT", build(func(b *Builder) { b.Cut(CutFull) }), []byte("\x1dV\x00")},
		{"PAPER_PART_CUT", build(func(b *Builder) { b.Cut(CutPartial) }), []byte("\x1dV\x01")},
		{"cut(feed=False)", build(func(b *Builder) { _ = b.FeedCut(CutPartial, 0) }), []byte("\x1dV\x42\x00")},
		{"GS V 65 n", build(func(b *Builder) { _ = b.FeedCut(CutFull, 3) }), []byte("\x1dV\x41\x03")},
		{"FS &", build(func(b *Builder) { b.ChineseOn() }), []byte("\x1c&")},
		{"FS .", build(func(b *Builder) { b.ChineseOff() }), []byte("\x1c.")},
		{"underline in Chinese mode adds FS -", build(func(b *Builder) { b.ChineseOn(); _ = b.Underline(1) }), []byte("\x1c&\x1b-\x01\x1c-\x01")},
		{"LF", build(func(b *Builder) { b.LF() }), []byte("\n")},
		{"RT_STATUS_ONLINE", StatusRequest(StatusPrinter), []byte("\x10\x04\x01")},
		{"RT_STATUS_PAPER", StatusRequest(StatusPaper), []byte("\x10\x04\x04")},
	}
	for _, tt := range tests {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%s: got % x, want % x", tt.name, tt.got, tt.want)
		}
	}
}

func TestArgumentRanges(t *testing.T) {
	var b Builder
	for _, err := range []error{
		b.Size(0, 1), b.Size(1, 9), b.Feed(-1), b.Feed(256), b.Underline(3),
		b.FeedCut(CutFull, 256), b.QR("x", 0, QRLevelL), b.QR("x", 17, QRLevelL), b.QR("x", 3, 4),
	} {
		if !errors.Is(err, ErrArgument) {
			t.Errorf("got %v, want ErrArgument", err)
		}
	}
	if b.Len() != 0 {
		t.Errorf("rejected commands wrote % x", b.Bytes())
	}
	if err := b.QR("", 3, QRLevelL); !errors.Is(err, ErrEmptyImage) {
		t.Errorf("empty QR: %v", err)
	}
}

func TestNativeQRMatchesPythonEscpos(t *testing.T) {
	// test_function_qr_native.py: test_defaults, test_ec, test_size.
	tests := []struct {
		module int
		level  QRLevel
		want   string
	}{
		{3, QRLevelL, "\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x03\x1d(k\x03\x001E0\x1d(k\x07\x001P01234\x1d(k\x03\x001Q0"},
		{3, QRLevelH, "\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x03\x1d(k\x03\x001E3\x1d(k\x07\x001P01234\x1d(k\x03\x001Q0"},
		{7, QRLevelL, "\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x07\x1d(k\x03\x001E0\x1d(k\x07\x001P01234\x1d(k\x03\x001Q0"},
	}
	for _, tt := range tests {
		var b Builder
		if err := b.QR("1234", tt.module, tt.level); err != nil {
			t.Fatal(err)
		}
		if got := b.Bytes(); !bytes.Equal(got, []byte(tt.want)) {
			t.Errorf("QR(1234, %d, %d):\n got % x\nwant % x", tt.module, tt.level, got, []byte(tt.want))
		}
	}
	// A payload over 255 bytes needs pH: 300 + 3 = 303 = 0x012F.
	var b Builder
	long := bytes.Repeat([]byte("a"), 300)
	if err := b.QR(string(long), 4, QRLevelM); err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b.Bytes(), []byte("1P0"))
	if i < 5 || b.Bytes()[i-2] != 0x2F || b.Bytes()[i-1] != 0x01 {
		t.Errorf("store header for 300 bytes: % x", b.Bytes()[max(0, i-5):i+3])
	}
}

func TestRasterMatchesPythonEscpos(t *testing.T) {
	black := image.NewGray(image.Rect(0, 0, 1, 1))
	white := image.NewGray(image.Rect(0, 0, 1, 1))
	white.Pix[0] = 255
	// black_white.png: 2×2, top row black, bottom row white.
	bw := image.NewGray(image.Rect(0, 0, 2, 2))
	bw.Pix = []byte{0, 0, 255, 255}
	// black_transparent.png: top row black, bottom row transparent.
	bt := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	bt.Set(0, 0, color.NRGBA{A: 255})
	bt.Set(1, 0, color.NRGBA{A: 255})
	tests := []struct {
		name string
		img  image.Image
		want string
	}{
		{"canvas_black", black, "\x1dv0\x00\x01\x00\x01\x00\x80"},
		{"canvas_white", white, "\x1dv0\x00\x01\x00\x01\x00\x00"},
		{"black_white", bw, "\x1dv0\x00\x01\x00\x02\x00\xc0\x00"},
		{"black_transparent", bt, "\x1dv0\x00\x01\x00\x02\x00\xc0\x00"},
	}
	for _, tt := range tests {
		for _, dither := range []bool{false, true} {
			var b Builder
			if err := b.Raster(tt.img, dither); err != nil {
				t.Fatal(err)
			}
			if got := b.Bytes(); !bytes.Equal(got, []byte(tt.want)) {
				t.Errorf("%s dither=%v: got % x, want % x", tt.name, dither, got, []byte(tt.want))
			}
		}
	}
}

func TestRasterPaddingAndBands(t *testing.T) {
	// 10 dots wide → 2 bytes per row; rightmost 6 bits of byte 2 are padding.
	img := image.NewGray(image.Rect(0, 0, 10, 961))
	for i := range img.Pix {
		img.Pix[i] = 0
	}
	var b Builder
	if err := b.Raster(img, false); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	// Band 1: 960 rows (0x03C0), band 2: 1 row.
	if !bytes.HasPrefix(out, []byte("\x1dv0\x00\x02\x00\xc0\x03\xff\xc0")) {
		t.Fatalf("first band header: % x", out[:10])
	}
	second := 8 + 960*2
	if !bytes.Equal(out[second:], []byte("\x1dv0\x00\x02\x00\x01\x00\xff\xc0")) {
		t.Fatalf("second band: % x", out[second:])
	}
	if err := b.Raster(image.NewGray(image.Rect(0, 0, 0, 5)), false); !errors.Is(err, ErrEmptyImage) {
		t.Errorf("empty image: %v", err)
	}
}

func TestDitherGreyIsHalfDots(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	count := func(dither bool) int {
		var b Builder
		if err := b.Raster(img, dither); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range b.Bytes()[8:] {
			for ; c != 0; c &= c - 1 {
				n++
			}
		}
		return n
	}
	if n := count(false); n != 0 {
		t.Errorf("threshold of mid grey: %d black dots, want 0", n)
	}
	if n := count(true); n < 64*64*4/10 || n > 64*64*6/10 {
		t.Errorf("dithered mid grey: %d of %d dots black, want about half", n, 64*64)
	}
}

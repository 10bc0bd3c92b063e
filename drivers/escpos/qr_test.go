package escpos

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"onedoor/internal/testtool"
)

// rasterToImage decodes the first GS v 0 command in p into an image with a
// white margin of pad dots (the paper around the symbol).
func rasterToImage(t *testing.T, p []byte, pad int) *image.Gray {
	t.Helper()
	i := bytes.Index(p, []byte("\x1dv0"))
	if i < 0 {
		t.Fatal("no GS v 0")
	}
	w := int(p[i+4]) | int(p[i+5])<<8
	h := int(p[i+6]) | int(p[i+7])<<8
	data := p[i+8 : i+8+w*h]
	img := image.NewGray(image.Rect(0, 0, w*8+2*pad, h+2*pad))
	for j := range img.Pix {
		img.Pix[j] = 255
	}
	for y := range h {
		for x := range w * 8 {
			if data[y*w+x/8]&(0x80>>(x%8)) != 0 {
				img.SetGray(pad+x, pad+y, color.Gray{})
			}
		}
	}
	return img
}

// TestRasterQRScans decodes the raster QR with zbarimg (Debian zbar-tools),
// the same decoder the printersim round trip uses.
func TestRasterQRScans(t *testing.T) {
	zbar := testtool.Path(t, "zbarimg")
	const url = "https://hall.example.edu.cn/f/Q2x8cVd3N0ZmR1pL"
	for _, module := range []int{3, 5, 8} {
		var b Builder
		if err := b.RasterQR(url, module, QRLevelM, 384); err != nil {
			t.Fatal(err)
		}
		img := rasterToImage(t, b.Bytes(), 4*module)
		path := filepath.Join(t.TempDir(), "qr.png")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
		out, err := exec.Command(zbar, "--raw", "-q", "-Sbinary", path).Output()
		if err != nil {
			t.Fatalf("module %d: zbarimg: %v", module, err)
		}
		if got := strings.TrimRight(string(out), "\n"); got != url {
			t.Errorf("module %d: decoded %q, want %q", module, got, url)
		}
	}
}

func TestRasterQRCentering(t *testing.T) {
	var left, plain Builder
	if err := plain.RasterQR("x", 4, QRLevelL, 0); err != nil {
		t.Fatal(err)
	}
	if err := left.RasterQR("x", 4, QRLevelL, 384); err != nil {
		t.Fatal(err)
	}
	// Version 1 = 21 modules × 4 = 84 dots; centred in 384: 150 dots of
	// padding, so 234 dots = 30 bytes per row, first 18 bytes white.
	p := plain.Bytes()
	if w := int(p[4]); w != 11 || int(p[6]) != 84 {
		t.Fatalf("plain: %d bytes × %d rows", w, p[6])
	}
	c := left.Bytes()
	if w := int(c[4]); w != 30 {
		t.Fatalf("centred: %d bytes per row", w)
	}
	if !bytes.Equal(c[8:8+18], make([]byte, 18)) || c[8+18] == 0 {
		t.Errorf("centred first row: % x", c[8:8+30])
	}
}

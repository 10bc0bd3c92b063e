package printersim

import (
	"bytes"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"onedoor/internal/testtool"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// testFont loads the machine's CJK font once per test binary.
var testFont = sync.OnceValues(func() (*Font, error) { return FindFont("") })

func mustFont(t testing.TB) *Font {
	t.Helper()
	f, err := testFont()
	if err != nil {
		t.Fatalf("CJK font needed (CI installs fonts-noto-cjk): %v", err)
	}
	return f
}

// gb encodes s in GB18030 for a Chinese-mode stream.
func gb(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("GB18030 encode %q: %v", s, err)
	}
	return b
}

// zbar decodes the symbols in img with zbarimg (Debian zbar-tools), one per line.
func zbar(t testing.TB, img image.Image) []string {
	t.Helper()
	zbarimg := testtool.Path(t, "zbarimg")
	path := filepath.Join(t.TempDir(), "page.png")
	writePNG(t, path, img)
	out, err := exec.Command(zbarimg, "--raw", "-q", "-Sbinary", path).Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 4) { // 4: no symbol found
		t.Fatalf("zbarimg %s: %v", path, err)
	}
	return splitSymbols(string(out))
}

// splitSymbols splits zbarimg -Sbinary output, which has no separators between symbols
// when the data has no newline: callers compare with strings.Contains.
func splitSymbols(s string) []string {
	if s == "" {
		return nil
	}
	return []string{strings.TrimRight(s, "\n")}
}

func writePNG(t testing.TB, path string, img image.Image) {
	t.Helper()
	pg := &Page{Image: toPaletted(img)}
	var buf bytes.Buffer
	if err := pg.WritePNG(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("PRINTERSIM_KEEP"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".png"), buf.Bytes(), 0o644)
	}
}

func toPaletted(img image.Image) *image.Paletted {
	if p, ok := img.(*image.Paletted); ok {
		return p
	}
	b := img.Bounds()
	p := image.NewPaletted(b, palette)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, _, _, _ := img.At(x, y).RGBA()
			if r < 0x8000 {
				p.SetColorIndex(x, y, 1)
			}
		}
	}
	return p
}

// inkRows counts the rows of img with at least one black dot.
func inkRows(img *image.Paletted) int {
	n := 0
	for y := 0; y < img.Rect.Dy(); y++ {
		if bytes.IndexByte(img.Pix[y*img.Stride:y*img.Stride+img.Rect.Dx()], 1) >= 0 {
			n++
		}
	}
	return n
}

// inkIn counts black dots in r.
func inkIn(img *image.Paletted, r image.Rectangle) int {
	r = r.Intersect(img.Rect)
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.Pix[y*img.Stride+x] == 1 {
				n++
			}
		}
	}
	return n
}

// render prints stream on a fresh 576-dot printer with the test font.
func render(t testing.TB, stream []byte, cfg Config) ([]*Page, []Warning) {
	t.Helper()
	if cfg.Font == nil {
		cfg.Font = mustFont(t)
	}
	return Render(stream, cfg)
}

// cat joins byte slices and strings into one stream.
func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			b = append(b, v...)
		case []byte:
			b = append(b, v...)
		case byte:
			b = append(b, v)
		case int:
			b = append(b, byte(v))
		case rune:
			b = append(b, byte(v))
		default:
			panic("cat: bad part")
		}
	}
	return b
}

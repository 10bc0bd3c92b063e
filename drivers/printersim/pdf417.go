package printersim

import (
	"fmt"
	"image"
	"image/color"

	"github.com/boombuler/barcode/pdf417"
)

// pdf417Settings are the PDF417 settings of GS ( k cn=48, kept until ESC @.
type pdf417Settings struct {
	cols, rows int  // fn 65, 66: requested columns (0: auto) and rows (0: auto)
	modW       int  // fn 67: module width in dots, 2..8
	rowH       int  // fn 68: row height in modules, 2..8
	ecRatio    bool // fn 69 m = 49: n is a ratio (n × 10 % of the data); m = 48: a level
	ec         int  // level 0..8, or ratio 1..40
	truncated  bool // fn 70: truncated PDF417
	data       []byte
}

// defaultPDF417 returns the settings after ESC @ (Epson: module 3 dots, rows 3 modules high,
// error correction by ratio 1 = 10 %).
func defaultPDF417() pdf417Settings {
	return pdf417Settings{modW: 3, rowH: 3, ecRatio: true, ec: 1}
}

// level returns the error correction level: the level set, or the lowest level whose
// 2^(level+1) codewords reach the ratio of the data length (Epson: ratio n × 10 %, at least
// level 1).
func (s pdf417Settings) level() byte {
	if !s.ecRatio {
		return byte(s.ec)
	}
	need := (len(s.data)*s.ec + 9) / 10
	l := 1
	for l < 8 && 1<<(l+1) < need {
		l++
	}
	return byte(l)
}

// pdf417 handles GS ( k cn=48: fn 65 columns, 66 rows, 67 module width, 68 row height,
// 69 error correction, 70 options, 80 store, 81 print, 82 size information (not answered).
// Out-of-range parameters are ignored, as a printer does.
func (p *Printer) pdf417(c Command) {
	d := c.Data
	fn := d[1]
	arg := func(i int) (int, bool) {
		if len(d) > 2+i {
			return int(d[2+i]), true
		}
		return 0, false
	}
	st := &p.st.pdf
	switch fn {
	case 65:
		if n, ok := arg(0); ok && n <= 30 {
			st.cols = n
		}
	case 66:
		if n, ok := arg(0); ok && (n == 0 || n >= 3 && n <= 90) {
			st.rows = n
		}
	case 67:
		if n, ok := arg(0); ok && n >= 2 && n <= 8 {
			st.modW = n
		}
	case 68:
		if n, ok := arg(0); ok && n >= 2 && n <= 8 {
			st.rowH = n
		}
	case 69:
		m, ok1 := arg(0)
		n, ok2 := arg(1)
		switch {
		case ok1 && ok2 && m == 48 && n >= 48 && n <= 56:
			st.ecRatio, st.ec = false, n-48
		case ok1 && ok2 && m == 49 && n >= 1 && n <= 40:
			st.ecRatio, st.ec = true, n
		}
	case 70:
		if n, ok := arg(0); ok && n <= 1 {
			st.truncated = n == 1
		}
	case 80:
		if len(d) >= 3 {
			st.data = append([]byte(nil), d[3:]...)
		}
	case 81:
		p.printPDF417(c)
	case 82:
		p.warn(c.Offset, "GS ( k PDF417 size information not answered")
	}
}

// printPDF417 draws the stored data with github.com/boombuler/barcode/pdf417: each module
// modW dots wide, each row rowH modules high. The encoder chooses the number of columns and
// rows itself (fn 65/66 are not honoured: a warning says so) and draws standard, not
// truncated, PDF417.
func (p *Printer) printPDF417(c Command) {
	st := p.st.pdf
	if len(st.data) == 0 {
		p.warn(c.Offset, "PDF417 print with no stored data")
		return
	}
	if st.cols != 0 || st.rows != 0 {
		p.warnOnce("pdf417dims", c.Offset, fmt.Sprintf("PDF417 %d columns × %d rows requested; drawn with the encoder's own layout", st.cols, st.rows))
	}
	if st.truncated {
		p.warnOnce("pdf417trunc", c.Offset, "truncated PDF417 drawn as standard PDF417")
	}
	code, err := pdf417.Encode(string(st.data), st.level())
	if err != nil {
		p.warn(c.Offset, fmt.Sprintf("PDF417 data cannot be encoded: %v", err))
		return
	}
	rows := pdfRows(code)
	if len(rows)%3 != 0 && len(rows) > 6 {
		// boombuler/barcode v1.1.0 computes the left row indicator of rows 0, 3, 6… as
		// (rows−3)/3 where ISO/IEC 15438 has (rows−1)/3: readers such as ZXing refuse such a
		// symbol once it has 7 or more rows. A real printer draws it right.
		p.warn(c.Offset, fmt.Sprintf("PDF417 of %d rows drawn with a wrong left row indicator (encoder bug): readers may refuse it", len(rows)))
	}
	b := code.Bounds()
	w, rowDots := b.Dx()*st.modW, st.modW*st.rowH
	if w > p.areaWidth() {
		p.warn(c.Offset, fmt.Sprintf("PDF417 symbol %d dots wide does not fit the print area (%d); not printed", w, p.areaWidth()))
		return
	}
	// A quiet zone of 2 modules above and below.
	qz := 2 * st.modW
	bm := newBitmap(w, len(rows)*rowDots+2*qz)
	for r, y := range rows {
		for x := range b.Dx() {
			if dark(code.At(b.Min.X+x, y)) {
				bm.fill(x*st.modW, qz+r*rowDots, (x+1)*st.modW, qz+(r+1)*rowDots, 1)
			}
		}
	}
	x, y := p.block(bm)
	p.symbols = append(p.symbols, Symbol{Type: "PDF417", Data: string(st.data),
		Rect: image.Rect(x, y+qz, x+w, y+qz+len(rows)*rowDots)})
}

// pdfRows returns one image row per symbol row: the encoder draws each symbol row as several
// identical image rows, and two neighbouring symbol rows always differ (their row indicators
// and clusters do).
func pdfRows(img image.Image) []int {
	b := img.Bounds()
	var rows []int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		if y > b.Min.Y && sameRow(img, y, y-1) {
			continue
		}
		rows = append(rows, y)
	}
	return rows
}

func sameRow(img image.Image, y1, y2 int) bool {
	b := img.Bounds()
	for x := b.Min.X; x < b.Max.X; x++ {
		if dark(img.At(x, y1)) != dark(img.At(x, y2)) {
			return false
		}
	}
	return true
}

func dark(c color.Color) bool {
	g := color.GrayModel.Convert(c).(color.Gray)
	return g.Y < 128
}

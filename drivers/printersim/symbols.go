package printersim

import (
	"fmt"
	"image"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// symbol handles GS ( k: 2D symbols. QR (cn 49) and PDF417 (cn 48) are simulated; other
// symbologies are skipped with a warning.
func (p *Printer) symbol(c Command) {
	d := c.Data
	if len(d) < 2 {
		p.warn(c.Offset, "GS ( k without function")
		return
	}
	cn, fn := d[0], d[1]
	if cn == 48 {
		p.pdf417(c)
		return
	}
	if cn != 49 {
		if fn == 81 || fn == 65+16 {
			p.warn(c.Offset, fmt.Sprintf("GS ( k symbology %d not simulated; nothing printed", cn))
		}
		return
	}
	switch fn {
	case 65: // model: n1 n2 (49 model 1, 50 model 2, 51 micro QR)
		if len(d) >= 3 {
			p.st.qrModel = int(d[2])
			if d[2] != 50 {
				p.warn(c.Offset, fmt.Sprintf("QR model %d drawn as model 2", d[2]))
			}
		}
	case 67: // module size 1..16
		if len(d) >= 3 && d[2] >= 1 && d[2] <= 16 {
			p.st.qrSize = int(d[2])
		}
	case 69: // error correction 48..51 = L, M, Q, H
		if len(d) >= 3 && d[2] >= 48 && d[2] <= 51 {
			p.st.qrEC = d[2]
		}
	case 80: // store data: m d1..dk
		if len(d) >= 3 {
			p.st.qrData = append([]byte(nil), d[3:]...)
		}
	case 81: // print
		p.printQR(c)
	case 82: // transmit size information
		p.warn(c.Offset, "GS ( k QR size information not answered")
	}
}

// printQR draws the stored QR data module by module, module size dots per module.
func (p *Printer) printQR(c Command) {
	if len(p.st.qrData) == 0 {
		p.warn(c.Offset, "QR print with no stored data")
		return
	}
	level := [...]qrcode.RecoveryLevel{qrcode.Low, qrcode.Medium, qrcode.High, qrcode.Highest}[p.st.qrEC-48]
	q, err := qrcode.New(string(p.st.qrData), level)
	if err != nil {
		p.warn(c.Offset, fmt.Sprintf("QR data cannot be encoded: %v", err))
		return
	}
	q.DisableBorder = true
	mods := q.Bitmap()
	s := p.st.qrSize
	n := len(mods)
	if n*s > p.areaWidth() {
		p.warn(c.Offset, fmt.Sprintf("QR code %d dots wide does not fit the print area (%d); not printed", n*s, p.areaWidth()))
		return
	}
	// A quiet zone of 4 modules above and below, as printers leave paper around the symbol.
	qz := 4 * s
	bm := newBitmap(n*s, n*s+2*qz)
	for y, row := range mods {
		for x, on := range row {
			if on {
				bm.fill(x*s, qz+y*s, (x+1)*s, qz+(y+1)*s, 1)
			}
		}
	}
	x, y := p.block(bm)
	p.symbols = append(p.symbols, Symbol{Type: "QR", Data: string(p.st.qrData),
		Rect: image.Rect(x, y+qz, x+n*s, y+qz+n*s)})
}

// barcodeSystems names the GS k m values (form A 0..6, form B 65..).
var barcodeSystems = map[byte]string{
	0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "CODABAR",
	65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF", 71: "CODABAR",
	72: "CODE93", 73: "CODE128", 74: "GS1-128", 75: "GS1 DataBar Omnidirectional",
	76: "GS1 DataBar Truncated", 77: "GS1 DataBar Limited", 78: "GS1 DataBar Expanded",
	79: "CODE128 auto",
}

// barcode prints GS k: bars module width GS w dots wide and GS h dots high, with HRI
// characters above and/or below as GS H selects.
func (p *Printer) barcode(c Command) {
	m := c.Params[0]
	name, ok := barcodeSystems[m]
	if !ok {
		p.warn(c.Offset, fmt.Sprintf("GS k barcode system %d unknown", m))
		return
	}
	mods, hri, err := encodeBarcode(name, c.Data)
	if err != nil {
		p.warn(c.Offset, fmt.Sprintf("%s barcode not printed: %v", name, err))
		return
	}
	// mods alternates bar and space widths in modules; see barWidths for the dots.
	widths := p.barWidths(name, mods)
	total := 0
	for _, x := range widths {
		total += x
	}
	if total > p.areaWidth() {
		p.warn(c.Offset, fmt.Sprintf("%s barcode %d dots wide does not fit the print area (%d); not printed", name, total, p.areaWidth()))
		return
	}
	bars := newBitmap(total, p.st.barHeight)
	x := 0
	for i, bw := range widths {
		if i%2 == 0 {
			bars.fill(x, 0, x+bw, bars.h, 1)
		}
		x += bw
	}
	var hriBM *bitmap
	if p.st.hriPos != 0 && hri != "" {
		hriBM = p.hriText(hri, total)
	}
	gap := 4
	h := bars.h
	top := 0
	if hriBM != nil && p.st.hriPos&1 != 0 {
		top = hriBM.h + gap
		h += top
	}
	if hriBM != nil && p.st.hriPos&2 != 0 {
		h += hriBM.h + gap
	}
	bm := newBitmap(max(total, widthOf(hriBM)), h)
	blitInto(bm, bars, 0, top)
	if hriBM != nil {
		hx := (bm.w - hriBM.w) / 2
		if p.st.hriPos&1 != 0 {
			blitInto(bm, hriBM, hx, 0)
		}
		if p.st.hriPos&2 != 0 {
			blitInto(bm, hriBM, hx, top+bars.h+gap)
		}
	}
	bx, by := p.block(bm)
	p.symbols = append(p.symbols, Symbol{Type: name, Data: hri,
		Rect: image.Rect(bx, by+top, bx+total, by+top+bars.h)})
}

func widthOf(b *bitmap) int {
	if b == nil {
		return 0
	}
	return b.w
}

// blitInto copies src's ink into dst at (x, y).
func blitInto(dst, src *bitmap, x, y int) {
	for sy := 0; sy < src.h; sy++ {
		for sx := 0; sx < src.w; sx++ {
			if src.pix[sy*src.w+sx] != 0 {
				dst.set(x+sx, y+sy)
			}
		}
	}
}

// barWidths turns module widths into dots. For the two-width symbologies (CODE39, ITF,
// CODABAR) a module count of 1 is narrow and 2 is wide; a wide element is 2.5 narrow ones,
// as on Epson printers (GS w 2: narrow 2, wide 5).
func (p *Printer) barWidths(name string, mods []int) []int {
	n := p.st.barWidth
	out := make([]int, len(mods))
	twoWidth := name == "CODE39" || name == "ITF" || name == "CODABAR"
	for i, m := range mods {
		if twoWidth && m == 2 {
			out[i] = (5*n + 1) / 2
		} else {
			out[i] = m * n
		}
	}
	return out
}

// hriText draws the human-readable characters of a barcode in the HRI font.
func (p *Printer) hriText(s string, _ int) *bitmap {
	cw, ch := 12, 24
	if p.st.hriFontB {
		cw, ch = 9, 17
	}
	bm := newBitmap(cw*len(s), ch)
	if p.cfg.Font == nil {
		return bm
	}
	for i, r := range []byte(s) {
		g, _ := p.cfg.Font.glyph(rune(r), cw, ch, false)
		blitInto(bm, g, i*cw, 0)
	}
	return bm
}

// encodeBarcode returns the alternating bar/space widths in modules (bars first, quiet
// zones excluded) and the HRI text for the GS k data of the named system.
func encodeBarcode(name string, data []byte) ([]int, string, error) {
	switch name {
	case "CODE128":
		return encodeCode128(data)
	case "CODE39":
		return encodeCode39(data)
	case "EAN13", "UPC-A":
		digits := string(data)
		if name == "UPC-A" {
			if len(digits) != 11 && len(digits) != 12 {
				return nil, "", fmt.Errorf("UPC-A needs 11 or 12 digits, got %d", len(digits))
			}
			digits = "0" + digits
		}
		mods, hri, err := encodeEAN13(digits)
		if name == "UPC-A" && err == nil {
			hri = hri[1:]
		}
		return mods, hri, err
	case "EAN8":
		return encodeEAN8(string(data))
	case "ITF":
		return encodeITF(string(data))
	case "CODABAR":
		return encodeCodabar(string(data))
	}
	return nil, "", fmt.Errorf("%s is not simulated", name)
}

// code128Patterns are the bar/space widths of the 107 Code 128 symbols (106 = stop).
var code128Patterns = strings.Fields(`
212222 222122 222221 121223 121322 131222 122213 122312 132212 221213
221312 231212 112232 122132 122231 113222 123122 123221 223211 221132
221231 213212 223112 312131 311222 321122 321221 312212 322112 322211
212123 212321 232121 111323 131123 131321 112313 132113 132311 211313
231113 231311 112133 112331 132131 113123 113321 133121 313121 211331
231131 213113 213311 213131 311123 311321 331121 312113 312311 332111
314111 221411 431111 111224 111422 121124 121421 141122 141221 112214
112412 122114 122411 142112 142211 241211 221114 413111 241112 134111
111242 121142 121241 114212 124112 124211 411212 421112 421211 212141
214121 412121 111143 111341 131141 114113 114311 411113 411311 113141
114131 311141 411131 211412 211214 211232 2331112`)

// encodeCode128 follows the ESC/POS convention: data starts with a code set selector
// "{A", "{B" or "{C"; "{A"/"{B"/"{C" switch sets, "{S" shifts, "{1".."{4" are FNC1..4,
// "{{" is "{". In code set C each byte is a value 0..99. The check symbol is added.
func encodeCode128(data []byte) ([]int, string, error) {
	if len(data) < 2 || data[0] != '{' || data[1] < 'A' || data[1] > 'C' {
		return nil, "", fmt.Errorf("CODE128 data must start with {A, {B or {C")
	}
	set := data[1]
	vals := []int{int(set-'A') + 103}
	var hri strings.Builder
	shift := false
	for i := 2; i < len(data); i++ {
		b := data[i]
		if b == '{' && i+1 < len(data) {
			i++
			switch e := data[i]; e {
			case 'A', 'B', 'C':
				if e == set {
					return nil, "", fmt.Errorf("CODE128 switch to the current set {%c", e)
				}
				vals = append(vals, map[byte]int{'A': 101, 'B': 100, 'C': 99}[e])
				set = e
			case 'S':
				if set == 'C' {
					return nil, "", fmt.Errorf("CODE128 shift in code set C")
				}
				vals = append(vals, 98)
				shift = true
			case '1':
				vals = append(vals, 102)
			case '2':
				vals = append(vals, 97)
			case '3':
				vals = append(vals, 96)
			case '4':
				if set == 'C' {
					return nil, "", fmt.Errorf("CODE128 FNC4 in code set C")
				}
				vals = append(vals, map[byte]int{'A': 101, 'B': 100}[set])
			case '{':
				if set == 'C' {
					return nil, "", fmt.Errorf("CODE128 '{' in code set C")
				}
				vals = append(vals, int('{')-32)
				hri.WriteByte('{')
			default:
				return nil, "", fmt.Errorf("CODE128 unknown escape {%c", e)
			}
			continue
		}
		cur := set
		if shift {
			cur = 'A' + 'B' - set
			shift = false
		}
		switch cur {
		case 'A':
			switch {
			case b >= 0x20 && b <= 0x5F:
				vals = append(vals, int(b)-0x20)
			case b < 0x20:
				vals = append(vals, int(b)+64)
			default:
				return nil, "", fmt.Errorf("CODE128 byte 0x%02X not in code set A", b)
			}
			if b >= 0x20 {
				hri.WriteByte(b)
			}
		case 'B':
			if b < 0x20 || b > 0x7F {
				return nil, "", fmt.Errorf("CODE128 byte 0x%02X not in code set B", b)
			}
			vals = append(vals, int(b)-0x20)
			hri.WriteByte(b)
		case 'C':
			if b > 99 {
				return nil, "", fmt.Errorf("CODE128 value %d not in code set C", b)
			}
			vals = append(vals, int(b))
			fmt.Fprintf(&hri, "%02d", b)
		}
	}
	sum := vals[0]
	for i, v := range vals[1:] {
		sum += (i + 1) * v
	}
	vals = append(vals, sum%103, 106)
	var mods []int
	for _, v := range vals {
		for _, ch := range code128Patterns[v] {
			mods = append(mods, int(ch-'0'))
		}
	}
	return mods, hri.String(), nil
}

// code39Chars and code39Patterns: n narrow, w wide, bars and spaces alternating.
const code39Chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%*"

var code39Patterns = strings.Fields(`
nnnwwnwnn wnnwnnnnw nnwwnnnnw wnwwnnnnn nnnwwnnnw wnnwwnnnn nnwwwnnnn nnnwnnwnw wnnwnnwnn nnwwnnwnn
wnnnnwnnw nnwnnwnnw wnwnnwnnn nnnnwwnnw wnnnwwnnn nnwnwwnnn nnnnnwwnw wnnnnwwnn nnwnnwwnn nnnnwwwnn
wnnnnnnww nnwnnnnww wnwnnnnwn nnnnwnnww wnnnwnnwn nnwnwnnwn nnnnnnwww wnnnnnwwn nnwnnnwwn nnnnwnwwn
wwnnnnnnw nwwnnnnnw wwwnnnnnn nwnnwnnnw wwnnwnnnn nwwnwnnnn nwnnnnwnw wwnnnnwnn nwwnnnwnn nwnwnwnnn
nwnwnnnwn nwnnnwnwn nnnwnwnwn nwnnwnwnn`)

// encodeCode39 adds the start/stop '*' when the data lacks it.
func encodeCode39(data []byte) ([]int, string, error) {
	s := string(data)
	if !strings.HasPrefix(s, "*") {
		s = "*" + s + "*"
	}
	var mods []int
	for i := 0; i < len(s); i++ {
		k := strings.IndexByte(code39Chars, s[i])
		if k < 0 || (s[i] == '*' && i != 0 && i != len(s)-1) {
			return nil, "", fmt.Errorf("CODE39 cannot encode %q", s[i])
		}
		if i > 0 {
			mods = append(mods, 1) // inter-character gap
		}
		for _, e := range code39Patterns[k] {
			if e == 'w' {
				mods = append(mods, 2)
			} else {
				mods = append(mods, 1)
			}
		}
	}
	return mods, s, nil
}

// eanL are the left-hand odd-parity (set A) patterns as 7-module strings.
var eanL = [10]string{"0001101", "0011001", "0010011", "0111101", "0100011",
	"0110001", "0101111", "0111011", "0110111", "0001011"}

// eanParity gives the set A/B choice of the six left digits per leading EAN-13 digit.
var eanParity = [10]string{"AAAAAA", "AABABB", "AABBAB", "AABBBA", "ABAABB",
	"ABBAAB", "ABBBAA", "ABABAB", "ABABBA", "ABBABA"}

func eanCheck(d string) byte {
	sum := 0
	for i := 0; i < len(d); i++ {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 0 {
			v *= 3
		}
		sum += v
	}
	return byte('0' + (10-sum%10)%10)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// eanDigit returns the 7-module pattern of digit d in set A (L), B (G) or C (R).
func eanDigit(d byte, set byte) string {
	l := eanL[d-'0']
	inv := []byte(l)
	for i := range inv {
		inv[i] = '0' + '1' - inv[i]
	}
	switch set {
	case 'C':
		return string(inv)
	case 'B':
		for i, j := 0, len(inv)-1; i < j; i, j = i+1, j-1 {
			inv[i], inv[j] = inv[j], inv[i]
		}
		return string(inv)
	}
	return l
}

// runs converts a module string ("1" bar, "0" space, starting with a bar) to widths.
func runs(s string) []int {
	var out []int
	cur, n := byte('1'), 0
	for i := 0; i < len(s); i++ {
		if s[i] == cur {
			n++
			continue
		}
		out = append(out, n)
		cur, n = s[i], 1
	}
	return append(out, n)
}

// encodeEAN13 encodes 12 digits (check digit added) or 13 (check digit recomputed).
func encodeEAN13(d string) ([]int, string, error) {
	if !allDigits(d) || (len(d) != 12 && len(d) != 13) {
		return nil, "", fmt.Errorf("EAN13 needs 12 or 13 digits, got %q", d)
	}
	d = d[:12] + string(eanCheck(d[:12]))
	var b strings.Builder
	b.WriteString("101")
	par := eanParity[d[0]-'0']
	for i := 1; i <= 6; i++ {
		b.WriteString(eanDigit(d[i], par[i-1]))
	}
	b.WriteString("01010")
	for i := 7; i <= 12; i++ {
		b.WriteString(eanDigit(d[i], 'C'))
	}
	b.WriteString("101")
	return runs(b.String()), d, nil
}

// encodeEAN8 encodes 7 digits (check digit added) or 8 (check digit recomputed).
func encodeEAN8(d string) ([]int, string, error) {
	if !allDigits(d) || (len(d) != 7 && len(d) != 8) {
		return nil, "", fmt.Errorf("EAN8 needs 7 or 8 digits, got %q", d)
	}
	d = d[:7] + string(eanCheck(d[:7]))
	var b strings.Builder
	b.WriteString("101")
	for i := 0; i < 4; i++ {
		b.WriteString(eanDigit(d[i], 'A'))
	}
	b.WriteString("01010")
	for i := 4; i < 8; i++ {
		b.WriteString(eanDigit(d[i], 'C'))
	}
	b.WriteString("101")
	return runs(b.String()), d, nil
}

// itfPatterns: n narrow, w wide, for each digit.
var itfPatterns = [10]string{"nnwwn", "wnnnw", "nwnnw", "wwnnn", "nnwnw",
	"wnwnn", "nwwnn", "nnnww", "wnnwn", "nwnwn"}

// encodeITF encodes an even number of digits, interleaved in pairs.
func encodeITF(d string) ([]int, string, error) {
	if !allDigits(d) || len(d)%2 != 0 {
		return nil, "", fmt.Errorf("ITF needs an even number of digits, got %q", d)
	}
	w := func(c byte) int {
		if c == 'w' {
			return 2
		}
		return 1
	}
	mods := []int{1, 1, 1, 1}
	for i := 0; i < len(d); i += 2 {
		a, b := itfPatterns[d[i]-'0'], itfPatterns[d[i+1]-'0']
		for k := 0; k < 5; k++ {
			mods = append(mods, w(a[k]), w(b[k]))
		}
	}
	mods = append(mods, 2, 1, 1)
	return mods, d, nil
}

// codabarChars and codabarPatterns: 4 bars and 3 spaces, n narrow, w wide.
const codabarChars = "0123456789-$:/.+ABCD"

var codabarPatterns = strings.Fields(`
nnnnnww nnnnwwn nnnwnnw wwnnnnn nnwnnwn wnnnnwn nwnnnnw nwnnwnn nwwnnnn wnnwnnn
nnnwwnn nnwwnnn wnnnwnw wnwnnnw wnwnwnn nnwnwnw nnwwnwn nwnwnnw nnnwnww nnnwwwn`)

// encodeCodabar encodes data that starts and ends with one of A-D (or a-d).
func encodeCodabar(d string) ([]int, string, error) {
	s := strings.ToUpper(d)
	if len(s) < 3 || !strings.ContainsRune("ABCD", rune(s[0])) || !strings.ContainsRune("ABCD", rune(s[len(s)-1])) {
		return nil, "", fmt.Errorf("CODABAR needs start and stop characters A-D, got %q", d)
	}
	var mods []int
	for i := 0; i < len(s); i++ {
		k := strings.IndexByte(codabarChars, s[i])
		if k < 0 || (k >= 16 && i != 0 && i != len(s)-1) {
			return nil, "", fmt.Errorf("CODABAR cannot encode %q", s[i])
		}
		if i > 0 {
			mods = append(mods, 1)
		}
		for _, e := range codabarPatterns[k] {
			if e == 'w' {
				mods = append(mods, 2)
			} else {
				mods = append(mods, 1)
			}
		}
	}
	return mods, s, nil
}

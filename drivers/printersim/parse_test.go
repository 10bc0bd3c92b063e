package printersim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseCommands(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		kind   Kind
		cmd    string
		params []byte
		data   []byte
	}{
		{"init", cat(esc, '@'), KindInit, "ESC @", nil, nil},
		{"align digit", cat(esc, 'a', '1'), KindAlign, "ESC a", []byte{'1'}, nil},
		{"print mode", cat(esc, '!', 0x38), KindPrintMode, "ESC !", []byte{0x38}, nil},
		{"size", cat(gs, '!', 0x11), KindSize, "GS !", []byte{0x11}, nil},
		{"cut full", cat(gs, 'V', 0), KindCut, "GS V", []byte{0}, nil},
		{"cut feed", cat(gs, 'V', 66, 3), KindCut, "GS V", []byte{66, 3}, nil},
		{"raster", cat(gs, 'v', '0', 0, 1, 0, 2, 0, 0xF0, 0x0F), KindRaster, "GS v 0", []byte{0, 1, 0, 2, 0}, []byte{0xF0, 0x0F}},
		{"qr store", cat(gs, '(', 'k', 5, 0, '1', 'P', '0', 'a', 'b'), KindSymbol, "GS ( k", []byte{'k', 5, 0}, []byte("1P0ab")},
		{"graphics 8L", cat(gs, '8', 'L', 2, 0, 0, 0, '0', '2'), KindGraphics, "GS 8 L", []byte{'L', 2, 0, 0, 0}, []byte("02")},
		{"barcode A", cat(gs, 'k', 4, "ABC", 0), KindBarcode, "GS k", []byte{4}, []byte("ABC")},
		{"barcode B", cat(gs, 'k', 73, 4, "{B12"), KindBarcode, "GS k", []byte{73}, []byte("{B12")},
		{"chinese on", cat(fs, '&'), KindChineseOn, "FS &", nil, nil},
		{"kanji quad", cat(fs, 'W', 1), KindKanjiQuad, "FS W", []byte{1}, nil},
		{"status", cat(dle, 4, 2), KindStatusRequest, "DLE EOT", []byte{2}, nil},
		{"drawer", cat(esc, 'p', 0, 25, 250), KindPulse, "ESC p", []byte{0, 25, 250}, nil},
		{"tabs", cat(esc, 'D', 8, 16, 0), KindTabStops, "ESC D", nil, []byte{8, 16}},
		{"bit image", cat(esc, '*', 33, 1, 0, 1, 2, 3), KindBitImage, "ESC *", []byte{33, 1, 0}, []byte{1, 2, 3}},
		{"unknown", cat(esc, 0x7F), KindUnknown, "ESC 0x7F", nil, nil},
		{"text", []byte("Hi"), KindText, "text", nil, []byte("Hi")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmds := Parse(tc.in)
			if len(cmds) != 1 {
				t.Fatalf("Parse(% x) = %d commands %+v, want 1", tc.in, len(cmds), cmds)
			}
			c := cmds[0]
			if c.Kind != tc.kind || c.Name != tc.cmd || !bytes.Equal(c.Params, tc.params) || !bytes.Equal(c.Data, tc.data) {
				t.Errorf("Parse(% x) = {%v %q % x % x}, want {%v %q % x % x}", tc.in, c.Kind, c.Name, c.Params, c.Data, tc.kind, tc.cmd, tc.params, tc.data)
			}
			if !bytes.Equal(c.Raw, tc.in) {
				t.Errorf("Raw = % x, want the whole input", c.Raw)
			}
		})
	}
}

func TestParseTruncatedAtEnd(t *testing.T) {
	in := cat("ok", lf, gs, 'v', '0', 0, 10, 0, 10, 0, 1, 2, 3)
	cmds := Parse(in)
	last := cmds[len(cmds)-1]
	if last.Kind != KindTruncated || last.Name != "GS v" || last.Offset != 3 || len(last.Raw) != 11 {
		t.Fatalf("last command = %+v, want truncated GS v at offset 3 with 11 bytes", last)
	}
}

// Feeding a stream byte by byte yields the same commands as parsing it whole.
func TestParseIncremental(t *testing.T) {
	files, _ := filepath.Glob("testdata/escpos/*.bin")
	if len(files) < 11 {
		t.Fatalf("found %d fixtures in testdata/escpos, want the 11 shared ones", len(files))
	}
	files = append(files, "") // plus a synthetic stream
	for _, f := range files {
		var in []byte
		if f == "" {
			in = cat(esc, '@', fs, '&', "ab", 0xD6, 0xD0, gs, 'k', 73, 4, "{B12", dle, 4, 1, gs, 'V', 66, 0)
		} else {
			var err error
			if in, err = os.ReadFile(f); err != nil {
				t.Fatal(err)
			}
		}
		whole := Parse(in)
		var p Parser
		var step []Command
		for i := range in {
			step = append(step, p.Feed(in[i:i+1])...)
		}
		step = append(step, p.End()...)
		// Text arrives in pieces when fed byte by byte; compare the non-text commands
		// and the concatenated text.
		if a, b := summarize(whole), summarize(step); a != b {
			t.Errorf("%s: byte-by-byte parse differs from whole parse", filepath.Base(f))
		}
	}
}

func summarize(cmds []Command) string {
	var b bytes.Buffer
	for _, c := range cmds {
		if c.Kind == KindText {
			b.Write(c.Data)
			continue
		}
		b.WriteString("\x00" + c.Name + "\x00")
		b.Write(c.Raw)
	}
	return b.String()
}

// FuzzParse feeds arbitrary bytes, whole and in chunks, through the parser and the
// printer: no panic, no endless loop, bounded output.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/escpos/*.bin")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && len(b) < 4096 {
			f.Add(b)
		}
	}
	f.Add(cat(fs, '&', 0xD6, 0xD0, 0x81, 0x30, 0x81, 0x30, lf, gs, '(', 'k', 4, 0, '1', 'P', '0', 'x', gs, '(', 'k', 3, 0, '1', 'Q', '0'))
	f.Add(cat(gs, 'v', '0', 3, 0xFF, 0xFF, 0xFF, 0xFF))
	f.Add(cat(gs, '8', 'L', 0xFF, 0xFF, 0xFF, 0x7F, '0', 'p'))
	f.Add(cat(gs, '!', 0x77, "WW", esc, 'J', 255, esc, 'J', 255, gs, 'V', 0))
	f.Add(cat(gs, 'k', 4, "ABC"))
	f.Add(cat(esc, 't', 1, 0x80, 0xA0, 0xB1, 0xDF, 0xFF, gs, '(', 'k', 3, 0, '0', 'C', 8, gs, '(', 'k', 4, 0, '0', 'E', '1', 40,
		gs, '(', 'k', 7, 0, '0', 'P', '0', 0xFF, 0x00, 0x81, 0x30, gs, '(', 'k', 3, 0, '0', 'Q', '0'))
	font := mustFont(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		start := time.Now()
		cmds := Parse(in)
		total := 0
		for _, c := range cmds {
			total += len(c.Raw)
		}
		if total != len(in) {
			t.Fatalf("commands cover %d bytes of %d", total, len(in))
		}
		p := New(Config{Width: Width58mm, Font: font, MaxPageHeight: 4000, TwoByteGBOnly: len(in)%2 == 0})
		for i := 0; i < len(in); i += 7 {
			p.Process(in[i:min(i+7, len(in))])
		}
		p.End()
		for _, pg := range p.TakePages() {
			if pg.Image.Rect.Dx() != Width58mm || pg.Image.Rect.Dy() > 4000+pageTailPad {
				t.Fatalf("page %v out of bounds", pg.Image.Rect)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%d bytes took %v", len(in), d)
		}
	})
}

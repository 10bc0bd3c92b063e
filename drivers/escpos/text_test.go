package escpos

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestTextChinese(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"你好", "\xc4\xe3\xba\xc3"},
		{"A1 你", "A1 \xc4\xe3"},
		{"¥5", "\xa3\xa45"},          // ¥ (4-byte 81 30 84 36) → ￥ (A3A4)
		{"￥", "\xa3\xa4"},            // already 2-byte
		{"©", "(C)"},                 // 81 30 84 38 → (C)
		{"✓", "\xa1\xcc"},            // ✓ 81 37 BD 37 → √ (A1CC)
		{"•", "\xa1\xa4"},            // 81 36 A6 31 → · (A1A4)
		{"😀", "\xa1\xf5"},            // emoji: □, full width (layouts print the line as an image)
		{"👍🏽", "\xa1\xf5\xa1\xf5"},   // emoji + skin tone modifier
		{"❤️", "\xa1\xf5"},           // heart + VS16: selector dropped
		{"𠮷", "\xa1\xf5"},            // CJK extension B (4-byte 95 32 90 31)
		{"\u00a0x", " x"},            // NBSP
		{"a\x1b@b\x1dV\x00", "a@bV"}, // no control injection
		{"a\tb\nc", "a b\nc"},
		{"é", "\xa8\xa6"}, // pinyin letters are 2-byte GB18030
		{"—", "\xa1\xaa"},
	}
	for _, tt := range tests {
		got := AppendText(nil, tt.in, true)
		if !bytes.Equal(got, []byte(tt.want)) {
			t.Errorf("Chinese %q: got % x, want % x", tt.in, got, []byte(tt.want))
		}
	}
}

func TestTextASCII(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hello", "Hello"},
		{"¥5", "RMB5"},
		{"￥5", "RMB5"},
		{"Ｈｉ！", "Hi!"},
		{"Lǚ Wén", "Lu Wen"},
		{"你好", "??"},
		{"a—b…", "a-b..."},
		{"✓", "v"},
		{"😀", "?"},
	}
	for _, tt := range tests {
		var b Builder
		b.Text(tt.in)
		if got := string(b.Bytes()); got != tt.want {
			t.Errorf("ASCII %q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// checkGB2 fails if p holds anything but printable ASCII, LF and 2-byte
// GB18030 codes: no 4-byte sequences, no control bytes.
func checkGB2(p []byte) error {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == LF || (c >= 0x20 && c < 0x7F):
		case c >= 0x81 && c <= 0xFE:
			if i+1 >= len(p) {
				return fmt.Errorf("lead byte %#x at end", c)
			}
			t := p[i+1]
			if t >= 0x30 && t <= 0x39 {
				return fmt.Errorf("4-byte GB18030 sequence at %d: % x", i, p[i:min(i+4, len(p))])
			}
			if t < 0x40 || t == 0x7F || t == 0xFF {
				return fmt.Errorf("bad trail byte %#x at %d", t, i+1)
			}
			i++
		default:
			return fmt.Errorf("byte %#x at %d", c, i)
		}
	}
	return nil
}

func FuzzAppendText(f *testing.F) {
	for _, s := range []string{"你好 world", "¥€©®™😀👨‍👩‍👧𠮷", "\x1b@\x00\x10\x04", "①②③…“”", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		zh := AppendText(nil, s, true)
		if err := checkGB2(zh); err != nil {
			t.Fatalf("Chinese mode %q: %v", s, err)
		}
		ascii := AppendText(nil, s, false)
		for _, c := range ascii {
			if c != LF && (c < 0x20 || c >= 0x7F) {
				t.Fatalf("ASCII mode %q: byte %#x", s, c)
			}
		}
		if w := Width(s, true); w != len(zh)-bytes.Count(zh, []byte{LF}) {
			t.Fatalf("Width(%q) = %d, encoded %d bytes", s, w, len(zh))
		}
	})
}

func TestWidth(t *testing.T) {
	tests := []struct {
		s       string
		chinese bool
		want    int
	}{
		{"abc", true, 3},
		{"身份证", true, 6},
		{"A023", true, 4},
		{"·", true, 2},  // ambiguous in Unicode, full width on the printer
		{"¥", true, 2},  // printed as ￥
		{"©", true, 3},  // printed as (C)
		{"¥", false, 3}, // RMB
		{"你", false, 1},
	}
	for _, tt := range tests {
		if got := Width(tt.s, tt.chinese); got != tt.want {
			t.Errorf("Width(%q, %v) = %d, want %d", tt.s, tt.chinese, got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		s    string
		cols int
		want []string
	}{
		{"请携带本人身份证原件及复印件一份", 10, []string{"请携带本人", "身份证原件", "及复印件一", "份"}},
		// "，" must not start a line: "件" moves down with it.
		{"身份证原件，复印件", 10, []string{"身份证原", "件，复印件"}},
		{"Student ID card and a copy", 12, []string{"Student ID", "card and a", "copy"}},
		{"学生证 Student card", 12, []string{"学生证", "Student card"}},
		{"Supercalifragilistic", 8, []string{"Supercal", "ifragili", "stic"}},
		{"a\nb", 8, []string{"a", "b"}},
		{"", 8, []string{""}},
	}
	for _, tt := range tests {
		got := Wrap(tt.s, tt.cols, true)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tt.s, tt.cols, got, tt.want)
		}
	}
}

func FuzzWrap(f *testing.F) {
	f.Add("请携带本人身份证原件及复印件一份，以及学生证 Student ID card", 10)
	f.Add("，。、；：！？", 2)
	f.Add("Supercalifragilistic 你", 3)
	f.Fuzz(func(t *testing.T, s string, cols int) {
		if cols > 200 || cols < -5 || !utf8.ValidString(s) {
			return
		}
		lines := Wrap(s, cols, true)
		limit := max(cols, 2)
		for _, l := range lines {
			if w := Width(l, true); w > limit {
				t.Fatalf("Wrap(%q, %d): line %q is %d columns", s, cols, l, w)
			}
		}
		// No non-space content is lost or invented.
		strip := func(x string) string { return strings.NewReplacer(" ", "", "\n", "").Replace(x) }
		if strip(strings.Join(lines, "")) != strip(s) {
			t.Fatalf("Wrap(%q, %d) = %q changed the content", s, cols, lines)
		}
	})
}

// On a GB18030-2005 printer letters and digits without a 2-byte code go out as their 4-byte
// codes (never "?" or "□"); symbols keep the table fallbacks.
func TestTextFourByte(t *testing.T) {
	tests := []struct{ in, want string }{
		{"𠀀", "\x95\x32\x82\x36"},
		{"㐀", "\x81\x39\xee\x39"},
		{"ß", "\x81\x30\x89\x38"},
		{"ñ", "\x81\x30\x8a\x39"}, // not "n": the name keeps its letter
		{"你", "\xc4\xe3"},
		{"¥", "\xa3\xa4"},
		{"✓", "\xa1\xcc"},
		{"😀", "\xa1\xf5"},
	}
	for _, tt := range tests {
		if got := AppendTextGB4(nil, tt.in); string(got) != tt.want {
			t.Errorf("%q: got % x, want % x", tt.in, got, tt.want)
		}
		if NeedsImage(tt.in, true) != (tt.in == "😀") {
			t.Errorf("NeedsImage(%q, true) = %v", tt.in, !(tt.in == "😀"))
		}
	}
	for _, s := range []string{"𠀀", "㐀", "ß", "ñ", "刘𪚥", "😀", "❤️"} {
		if !NeedsImage(s, false) {
			t.Errorf("NeedsImage(%q, false) = false on a 2-byte printer", s)
		}
	}
	for _, s := range []string{"你好 A023", "手续费 ¥10 ✓", "é", "刘䶮"} {
		if NeedsImage(s, false) {
			t.Errorf("NeedsImage(%q, false) = true", s)
		}
	}
}

// Whatever the input, 4-byte mode sends valid GB18030 without control bytes (other than LF),
// and its width measure matches the 2-byte mode's (a 4-byte character takes 2 columns).
func FuzzAppendTextGB4(f *testing.F) {
	for _, s := range []string{"𠀀 㐀 ß ñ 刘䶮", "¥€©®™😀👨‍👩‍👧𠮷", "\x1b@\x00\x10\x04", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendTextGB4(nil, s)
		for _, c := range out {
			if c < 0x20 && c != LF || c == 0x7F {
				t.Fatalf("%q: control byte %#x in % x", s, c, out)
			}
		}
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(out)
		if err != nil || !utf8.Valid(dec) || bytes.ContainsRune(dec, utf8.RuneError) {
			t.Fatalf("%q: % x does not decode as GB18030 (%v)", s, out, err)
		}
		if w, w2 := Width(string(dec), true), Width(s, true); w != w2 {
			t.Fatalf("%q: printed as %q, %d columns, measured %d", s, dec, w, w2)
		}
	})
}

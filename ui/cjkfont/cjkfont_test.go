package cjkfont

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

func TestLoadExtractsTheSimplifiedChineseFace(t *testing.T) {
	f, err := Load(Regular)
	if errors.Is(err, ErrNotFound) {
		t.Fatalf("%v (scripts/deps.sh installs it)", err)
	} else if err != nil {
		t.Fatal(err)
	}
	if isCollection(f.Data) {
		t.Fatal("extracted face is still a collection")
	}
	font, err := sfnt.Parse(f.Data)
	if err != nil {
		t.Fatalf("extracted face does not parse as a font: %v", err)
	}
	var buf sfnt.Buffer
	if name, _ := font.Name(&buf, sfnt.NameIDFamily); name != f.Family {
		t.Fatalf("extracted face family %q, want %q", name, f.Family)
	}
	// Every character of a ticket has a glyph with ink.
	for _, r := range "学生事务大厅请到号窗口直令" {
		g, err := font.GlyphIndex(&buf, r)
		if err != nil || g == 0 {
			t.Fatalf("no glyph for %q: %v", r, err)
		}
		b, _, err := font.GlyphBounds(&buf, g, fixed.I(24), 0)
		if err != nil || b.Empty() {
			t.Fatalf("glyph %q is blank: %v", r, err)
		}
	}
}

func TestMissingFontNamesThePackage(t *testing.T) {
	_, err := Load([]Candidate{{Path: "/nonexistent/font.ttc", Family: "X", Package: "fonts-noto-cjk"}})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "fonts-noto-cjk") {
		t.Fatalf("err %v", err)
	}
}

func TestExtractRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{
		[]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x05"),
		[]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10\x00\x01\x00\x00\x00\xff"),
	} {
		if _, err := ExtractFace(b, 0); err == nil {
			t.Errorf("ExtractFace(%q) accepted garbage", b)
		}
	}
}

func FuzzExtractFace(f *testing.F) {
	f.Add([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10"), 0)
	f.Fuzz(func(t *testing.T, b []byte, i int) {
		ExtractFace(b, i) // must not panic
	})
}

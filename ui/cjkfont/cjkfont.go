// Package cjkfont finds a Simplified Chinese font on the machine and turns one face of a font
// collection (.ttc) into a standalone font file in memory, for toolkits that refuse collections
// (Fyne 2.7 says "collections not allowed" and then crashes). Picking the SC face explicitly
// matters: automatic fallback tends to choose Japanese glyph shapes (直, 令 come out wrong).
package cjkfont

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"

	"golang.org/x/image/font/sfnt"
)

// Candidate is a font file that may hold a Simplified Chinese face.
type Candidate struct {
	Path    string
	Family  string // the family name of the face to use
	Package string // the Debian package that ships it
}

// Regular and Bold list the known locations, best first.
var (
	Regular = []Candidate{
		{"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", "fonts-noto-cjk"},
		{"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei", "fonts-wqy-microhei"},
	}
	Bold = []Candidate{
		{"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "Noto Sans CJK SC", "fonts-noto-cjk"},
	}
)

// ErrNotFound says no Simplified Chinese font is installed; its message names the packages.
var ErrNotFound = errors.New("no Simplified Chinese font found: install the Debian package fonts-noto-cjk (or fonts-wqy-microhei)")

// Face is one font face as a standalone OpenType/TrueType file.
type Face struct {
	Path   string
	Family string
	Index  int    // face index within the collection
	Data   []byte // standalone font file (not a collection)
}

// Load returns the first candidate that exists, as a standalone face. It wraps ErrNotFound
// when none does.
func Load(candidates []Candidate) (*Face, error) {
	for _, c := range candidates {
		b, err := os.ReadFile(c.Path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("cjkfont: %w", err)
		}
		idx, err := FaceIndex(b, c.Family)
		if err != nil {
			return nil, fmt.Errorf("cjkfont: %s: %w", c.Path, err)
		}
		data, err := ExtractFace(b, idx)
		if err != nil {
			return nil, fmt.Errorf("cjkfont: %s: %w", c.Path, err)
		}
		return &Face{Path: c.Path, Family: c.Family, Index: idx, Data: data}, nil
	}
	return nil, ErrNotFound
}

// FaceIndex returns the index of the face whose family name is family in a collection (0 for a
// single font file).
func FaceIndex(file []byte, family string) (int, error) {
	if !isCollection(file) {
		return 0, nil
	}
	c, err := sfnt.ParseCollection(file)
	if err != nil {
		return 0, fmt.Errorf("parse collection: %w", err)
	}
	var buf sfnt.Buffer
	var seen []string
	for i := 0; i < c.NumFonts(); i++ {
		f, err := c.Font(i)
		if err != nil {
			return 0, fmt.Errorf("face %d: %w", i, err)
		}
		name, err := f.Name(&buf, sfnt.NameIDFamily)
		if err != nil {
			continue
		}
		if name == family {
			return i, nil
		}
		seen = append(seen, name)
	}
	return 0, fmt.Errorf("no face named %q (faces: %v)", family, seen)
}

func isCollection(b []byte) bool { return len(b) >= 12 && string(b[:4]) == "ttcf" }

// ExtractFace copies face index of a TrueType/OpenType collection into a standalone font file: a
// new table directory pointing at copies of that face's tables. A file that is not a collection
// is returned as is (for index 0).
func ExtractFace(file []byte, index int) ([]byte, error) {
	if !isCollection(file) {
		if index != 0 {
			return nil, fmt.Errorf("face %d of a single font", index)
		}
		return file, nil
	}
	be := binary.BigEndian
	n := int(be.Uint32(file[8:12]))
	if index < 0 || index >= n || 12+4*(index+1) > len(file) {
		return nil, fmt.Errorf("face %d of %d", index, n)
	}
	off := int(be.Uint32(file[12+4*index:]))
	if off+12 > len(file) {
		return nil, errors.New("truncated collection")
	}
	numTables := int(be.Uint16(file[off+4:]))
	dir := off + 12
	if dir+16*numTables > len(file) {
		return nil, errors.New("truncated table directory")
	}
	type table struct {
		tag            [4]byte
		sum, off, size uint32
	}
	tables := make([]table, numTables)
	for i := range tables {
		r := file[dir+16*i:]
		copy(tables[i].tag[:], r[:4])
		tables[i].sum, tables[i].off, tables[i].size = be.Uint32(r[4:]), be.Uint32(r[8:]), be.Uint32(r[12:])
		if int(tables[i].off)+int(tables[i].size) > len(file) {
			return nil, fmt.Errorf("table %s out of bounds", tables[i].tag[:])
		}
	}
	sort.Slice(tables, func(i, j int) bool { return string(tables[i].tag[:]) < string(tables[j].tag[:]) })
	head := 12 + 16*numTables
	size := head
	for _, t := range tables {
		size += (int(t.size) + 3) &^ 3
	}
	out := make([]byte, head, size)
	copy(out[:12], file[off:off+12]) // sfnt version, numTables, searchRange, entrySelector, rangeShift
	for i, t := range tables {
		r := out[12+16*i:]
		copy(r[:4], t.tag[:])
		be.PutUint32(r[4:], t.sum)
		be.PutUint32(r[8:], uint32(len(out)))
		be.PutUint32(r[12:], t.size)
		out = append(out, file[t.off:t.off+t.size]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}

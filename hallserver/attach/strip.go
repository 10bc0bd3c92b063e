package attach

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrDamaged is the error of a file whose structure (segments, chunks) does not hold together.
var ErrDamaged = errors.New("the file is damaged or truncated")

var pngSig = []byte("\x89PNG\r\n\x1a\n")

// Strip returns the file without the metadata that may locate or identify where and with what
// a photo was taken, by rewriting its structure (the pixels are not decoded):
//   - JPEG: the APP1 segments (EXIF, with its GPS block, and XMP; an EXIF orientation other
//     than 1 is kept in a new minimal EXIF segment holding only that tag, so the photo stays
//     upright), APP13 (Photoshop/IPTC) and comments, before and between the scans;
//   - PNG: the eXIf chunk and the text chunks (tEXt, zTXt, iTXt: XMP lives there), and anything
//     after IEND;
//   - WebP: the EXIF and XMP chunks, and their flags in the VP8X header;
//   - PDF: unchanged (a document, not a photo).
//
// typ is the sniffed type (Sniff). A structure that does not hold together is ErrDamaged.
func Strip(typ string, b []byte) ([]byte, error) {
	switch typ {
	case JPEG:
		return stripJPEG(b)
	case PNG:
		return stripPNG(b)
	case WebP:
		return stripWebP(b)
	case PDF:
		return b, nil
	}
	return nil, fmt.Errorf("strip: unsupported type %q", typ)
}

// stripJPEG rewrites the marker segments of a JPEG, dropping APP1, APP13 and COM; entropy-coded
// data is copied as it is.
func stripJPEG(b []byte) ([]byte, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, ErrDamaged
	}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, 0xD8)
	i := 2
	for {
		if i >= len(b) {
			return nil, ErrDamaged // no image data
		}
		if b[i] != 0xFF {
			return nil, ErrDamaged
		}
		j := i
		for j < len(b) && b[j] == 0xFF {
			j++ // fill bytes
		}
		if j >= len(b) {
			return nil, ErrDamaged
		}
		m := b[j]
		switch {
		case m == 0xD9: // EOI: nothing after it is kept
			return append(out, 0xFF, 0xD9), nil
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7):
			out = append(out, 0xFF, m)
			i = j + 1
			continue
		case m == 0x00 || m == 0xD8:
			return nil, ErrDamaged
		}
		if j+3 > len(b) {
			return nil, ErrDamaged
		}
		n := int(binary.BigEndian.Uint16(b[j+1:]))
		if n < 2 || j+1+n > len(b) {
			return nil, ErrDamaged
		}
		seg := b[j+1 : j+1+n] // length and payload
		i = j + 1 + n
		switch m {
		case 0xE1: // APP1: EXIF or XMP
			if o := exifOrientation(seg[2:]); o > 1 && o <= 8 {
				out = append(out, minimalExif(o)...)
			}
		case 0xED, 0xFE: // APP13 (Photoshop, IPTC), COM
		default:
			out = append(out, 0xFF, m)
			out = append(out, seg...)
		}
		if m != 0xDA {
			continue
		}
		// Start of scan: copy the entropy-coded data up to the next marker that is not a
		// stuffed byte or a restart.
		k := i
		for k < len(b) {
			if b[k] == 0xFF && k+1 < len(b) {
				if nx := b[k+1]; nx != 0x00 && nx != 0xFF && (nx < 0xD0 || nx > 0xD7) {
					break
				}
			}
			k++
		}
		out = append(out, b[i:k]...)
		if k >= len(b) {
			return out, nil // no EOI: kept as it is (browsers show what is there)
		}
		i = k
	}
}

// exifOrientation reads the orientation tag (0x0112) of IFD0 from an APP1 payload; 0 when the
// payload is not EXIF or has none.
func exifOrientation(p []byte) int {
	if !bytes.HasPrefix(p, []byte("Exif\x00\x00")) || len(p) < 14 {
		return 0
	}
	t := p[6:]
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	for e := 0; e < n; e++ {
		p := off + 2 + 12*e
		if p+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[p:]) == 0x0112 && bo.Uint16(t[p+2:]) == 3 && bo.Uint32(t[p+4:]) == 1 {
			return int(bo.Uint16(t[p+8:]))
		}
	}
	return 0
}

// minimalExif is an APP1 segment holding an EXIF block with only the orientation tag.
func minimalExif(o int) []byte {
	seg := []byte{0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
		'M', 'M', 0, 42, 0, 0, 0, 8, // TIFF header, IFD0 at 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, // orientation, SHORT, 1, value
		0, 0, 0, 0, // no next IFD
	}
	return seg
}

// stripPNG rewrites the chunks of a PNG without eXIf and the text chunks, up to IEND.
func stripPNG(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, pngSig) {
		return nil, ErrDamaged
	}
	out := make([]byte, 0, len(b))
	out = append(out, pngSig...)
	i := len(pngSig)
	for {
		if i+12 > len(b) {
			return nil, ErrDamaged // no IEND
		}
		n := binary.BigEndian.Uint32(b[i:])
		if n > uint32(len(b)-i-12) {
			return nil, ErrDamaged
		}
		end := i + 12 + int(n)
		switch typ := string(b[i+4 : i+8]); typ {
		case "eXIf", "tEXt", "zTXt", "iTXt":
		default:
			out = append(out, b[i:end]...)
			if typ == "IEND" {
				return out, nil
			}
		}
		i = end
	}
}

// stripWebP rewrites the RIFF chunks of a WebP without EXIF and XMP, clearing their flags in
// VP8X and setting the RIFF size again.
func stripWebP(b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return nil, ErrDamaged
	}
	size := int(binary.LittleEndian.Uint32(b[4:8]))
	if size < 4 || size > len(b)-8 {
		return nil, ErrDamaged
	}
	b = b[:8+size]
	out := make([]byte, 12, len(b))
	copy(out, b[:12])
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return nil, ErrDamaged
		}
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || n > len(b)-i-8 {
			return nil, ErrDamaged
		}
		end := i + 8 + n + n%2 // chunks are padded to an even size
		if end > len(b) {
			end = len(b)
		}
		switch fourcc := string(b[i : i+4]); fourcc {
		case "EXIF", "XMP ":
		default:
			start := len(out)
			out = append(out, b[i:end]...)
			if fourcc == "VP8X" && n >= 1 {
				out[start+8] &^= 0x08 | 0x04 // EXIF and XMP present
			}
		}
		i = end
	}
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	return out, nil
}

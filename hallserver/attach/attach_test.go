package attach

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// gpsExif is an APP1 EXIF payload (without the marker) with IFD0 holding the orientation and a
// pointer to a GPS IFD with a latitude reference and the marker text "GPSSECRET".
func gpsExif(orientation uint16) []byte {
	var t bytes.Buffer
	t.WriteString("II*\x00")
	binary.Write(&t, binary.LittleEndian, uint32(8))
	// IFD0: 2 entries at 8
	binary.Write(&t, binary.LittleEndian, uint16(2))
	binary.Write(&t, binary.LittleEndian, []uint16{0x0112, 3})
	binary.Write(&t, binary.LittleEndian, uint32(1))
	binary.Write(&t, binary.LittleEndian, []uint16{orientation, 0})
	binary.Write(&t, binary.LittleEndian, []uint16{0x8825, 4}) // GPS IFD pointer
	binary.Write(&t, binary.LittleEndian, uint32(1))
	binary.Write(&t, binary.LittleEndian, uint32(8+2+24+4))
	binary.Write(&t, binary.LittleEndian, uint32(0))
	// GPS IFD: one ASCII entry pointing to the text after it
	binary.Write(&t, binary.LittleEndian, uint16(1))
	binary.Write(&t, binary.LittleEndian, []uint16{0x001B, 2}) // GPSProcessingMethod-ish
	binary.Write(&t, binary.LittleEndian, uint32(10))
	binary.Write(&t, binary.LittleEndian, uint32(t.Len()+4+4))
	binary.Write(&t, binary.LittleEndian, uint32(0))
	t.WriteString("GPSSECRET\x00")
	return append([]byte("Exif\x00\x00"), t.Bytes()...)
}

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for y := 0; y < 12; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 20), 90, 255})
		}
	}
	return img
}

// photoJPEG is a real JPEG with an EXIF segment (GPS included) and an XMP segment after SOI.
func photoJPEG(t testing.TB, orientation uint16) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	exif := gpsExif(orientation)
	xmp := append([]byte("http://ns.adobe.com/xap/1.0/\x00"), "<x:xmpmeta>GPSSECRET</x:xmpmeta>"...)
	var out []byte
	out = append(out, b[:2]...)
	for _, p := range [][]byte{exif, xmp} {
		out = append(out, 0xFF, 0xE1, byte((len(p)+2)>>8), byte(len(p)+2))
		out = append(out, p...)
	}
	return append(out, b[2:]...)
}

// pngChunk encodes one PNG chunk.
func pngChunk(typ string, data []byte) []byte {
	var c []byte
	c = binary.BigEndian.AppendUint32(c, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// photoPNG is a real PNG with eXIf and iTXt chunks inserted after IHDR.
func photoPNG(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage()); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	ihdrEnd := 8 + 12 + 13
	var out []byte
	out = append(out, b[:ihdrEnd]...)
	out = append(out, pngChunk("eXIf", gpsExif(1)[6:])...)
	out = append(out, pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00GPSSECRET"))...)
	return append(out, b[ihdrEnd:]...)
}

// riffChunk encodes one RIFF chunk (padded).
func riffChunk(fourcc string, data []byte) []byte {
	c := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// photoWebP is an extended WebP container (VP8X with the EXIF and XMP flags) with EXIF and XMP
// chunks around a (fake) VP8L bitstream: enough for the container rules.
func photoWebP() []byte {
	vp8x := make([]byte, 10)
	vp8x[0] = 0x08 | 0x04
	var body []byte
	body = append(body, "WEBP"...)
	body = append(body, riffChunk("VP8X", vp8x)...)
	body = append(body, riffChunk("VP8L", []byte{0x2f, 1, 2, 3, 4})...)
	body = append(body, riffChunk("EXIF", gpsExif(1)[6:])...)
	body = append(body, riffChunk("XMP ", []byte("<x>GPSSECRET</x>"))...)
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"jpeg", photoJPEG(t, 1), JPEG},
		{"png", photoPNG(t), PNG},
		{"webp", photoWebP(), WebP},
		{"pdf", []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"), PDF},
		{"html", []byte("<!doctype html><script>alert(1)</script>"), ""},
		{"text named .jpg", []byte("hello, this is not a photo"), ""},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ""},
		{"riff wave", append([]byte("RIFF\x04\x00\x00\x00WAVE"), make([]byte, 8)...), ""},
		{"png signature only", pngSig, ""},
		{"empty", nil, ""},
	} {
		if got := Sniff(tc.b); got != tc.want {
			t.Errorf("%s: Sniff = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestStripJPEGRemovesGPS: the EXIF (with its GPS block) and XMP are gone, the photo still
// decodes to the same size, and an orientation of 6 survives in a minimal EXIF.
func TestStripJPEGRemovesGPS(t *testing.T) {
	in := photoJPEG(t, 6)
	if !bytes.Contains(in, []byte("GPSSECRET")) {
		t.Fatal("test photo has no GPS marker")
	}
	out, err := Strip(JPEG, in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("GPSSECRET")) || bytes.Contains(out, []byte{0x88, 0x25}) || bytes.Contains(out, []byte("ns.adobe.com")) {
		t.Fatal("stripped JPEG still has its GPS data or XMP")
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("stripped JPEG does not decode: %v", err)
	}
	if img.Bounds().Dx() != 16 || img.Bounds().Dy() != 12 {
		t.Fatalf("stripped JPEG is %v", img.Bounds())
	}
	if o := exifOrientation(out[6:]); o != 6 {
		t.Fatalf("orientation after strip = %d, want 6", o)
	}
	// Orientation 1 needs no EXIF at all.
	out1, _ := Strip(JPEG, photoJPEG(t, 1))
	if bytes.Contains(out1, []byte("Exif")) {
		t.Fatal("an upright photo kept an EXIF segment")
	}
}

func TestStripPNGAndWebP(t *testing.T) {
	out, err := Strip(PNG, photoPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("eXIf")) || bytes.Contains(out, []byte("GPSSECRET")) {
		t.Fatal("stripped PNG still has eXIf or XMP")
	}
	if _, err := png.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("stripped PNG does not decode: %v", err)
	}
	w, err := Strip(WebP, photoWebP())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(w, []byte("GPSSECRET")) || bytes.Contains(w, []byte("EXIF")) {
		t.Fatal("stripped WebP still has EXIF or XMP")
	}
	if got := int(binary.LittleEndian.Uint32(w[4:8])); got != len(w)-8 {
		t.Fatalf("RIFF size %d, file %d", got, len(w))
	}
	if w[20]&(0x08|0x04) != 0 {
		t.Fatalf("VP8X flags still say EXIF/XMP: %#x", w[20])
	}
	if Sniff(w) != WebP {
		t.Fatal("stripped WebP is no longer a WebP")
	}
}

func TestCheck(t *testing.T) {
	if _, err := Check("a.jpg", nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	if _, err := Check("a.jpg", make([]byte, MaxSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	if _, err := Check("a.jpg", []byte("<html>not a photo</html>")); !errors.Is(err, ErrType) {
		t.Errorf("html named .jpg: %v", err)
	}
	trunc := photoJPEG(t, 1)[:40]
	if _, err := Check("a.jpg", trunc); !errors.Is(err, ErrDamaged) {
		t.Errorf("truncated jpeg: %v", err)
	}
	f, err := Check(`C:\Users\me\..\宿舍 漏水\"x"`+"\u202e"+`gpj.exe.png`, photoPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != PNG || f.Name != "xgpj.exe.png" {
		t.Errorf("Check = %q %q", f.Type, f.Name)
	}
	if g, _ := Check("photo.JPEG", photoJPEG(t, 1)); g.Name != "photo.jpg" {
		t.Errorf("name %q", g.Name)
	}
}

// FuzzStrip: for any bytes, Check never panics; what it accepts sniffs as the same type,
// stripping it again changes nothing, and no EXIF GPS pointer, eXIf or WebP EXIF chunk is left.
func FuzzStrip(f *testing.F) {
	f.Add(photoJPEG(f, 6))
	f.Add(photoPNG(f))
	f.Add(photoWebP())
	f.Add([]byte("%PDF-1.4\n%%EOF"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02, 0xFF, 0xDA, 0x00, 0x02, 1, 2, 0xFF, 0xD9})
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Check("x", b)
		if err != nil {
			return
		}
		if Sniff(file.Data) != file.Type && file.Type != PDF {
			t.Fatalf("stripped %s sniffs as %q", file.Type, Sniff(file.Data))
		}
		again, err := Strip(file.Type, file.Data)
		if err != nil {
			t.Fatalf("stripping the stripped %s: %v", file.Type, err)
		}
		if !bytes.Equal(again, file.Data) {
			t.Fatalf("strip is not idempotent for %s", file.Type)
		}
		switch file.Type {
		case JPEG:
			if p := findAPP1(file.Data); p != nil && !bytes.Equal(p, minimalExif(exifOrientation(p))[4:]) {
				t.Fatalf("an APP1 segment other than the minimal EXIF survived: %q", p)
			}
		case PNG:
			if countChunks(file.Data, "eXIf") > 0 {
				t.Fatal("eXIf chunk survived")
			}
		}
	})
}

// findAPP1 returns the payload of the first APP1 segment before the first scan (nil if none).
func findAPP1(b []byte) []byte {
	for i := 2; i+4 <= len(b) && b[i] == 0xFF; {
		m := b[i+1]
		if m == 0xDA || m == 0xD9 {
			return nil
		}
		if m == 0x01 || (m >= 0xD0 && m <= 0xD7) {
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if i+2+n > len(b) {
			return nil
		}
		if m == 0xE1 {
			return b[i+4 : i+2+n]
		}
		i += 2 + n
	}
	return nil
}

// countChunks counts the PNG chunks of a type.
func countChunks(b []byte, typ string) int {
	n := 0
	for i := 8; i+12 <= len(b); {
		l := int(binary.BigEndian.Uint32(b[i:]))
		if string(b[i+4:i+8]) == typ {
			n++
		}
		if l < 0 || i+12+l > len(b) {
			break
		}
		i += 12 + l
	}
	return n
}

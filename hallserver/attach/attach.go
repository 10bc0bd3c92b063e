// Package attach checks the files requesters and handlers attach to case messages: the type
// from the bytes (JPEG, PNG, WebP, PDF; never the name or the client's Content-Type), the limits
// (MaxFiles per message, MaxSize each), and strips the metadata that may tell where a photo was
// taken (EXIF with its GPS block, XMP) by rewriting the file's segments or chunks, without
// decoding the image. It is pure: no I/O.
package attach

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of one message's attachments.
const (
	MaxFiles = 5        // files per message
	MaxSize  = 10 << 20 // bytes per file
	// MaxName is the most runes kept of a file's name.
	MaxName = 80
)

// The accepted types, as sniffed.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
	PDF  = "application/pdf"
)

// Sniff returns the type of the file from its first bytes: one of JPEG, PNG, WebP, PDF, or ""
// when it is none of them. net/http.DetectContentType decides first (the WHATWG sniffing
// rules), then the type's magic is checked in full (DetectContentType also answers for
// truncated headers a browser would accept); WebP is a RIFF container whose form type is WEBP.
func Sniff(b []byte) string {
	switch ct := http.DetectContentType(b); ct {
	case JPEG:
		if len(b) >= 4 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF {
			return JPEG
		}
	case PNG:
		if bytes.HasPrefix(b, pngSig) && len(b) >= len(pngSig)+8 && string(b[12:16]) == "IHDR" {
			return PNG
		}
	case WebP:
		if len(b) >= 16 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP" && string(b[12:15]) == "VP8" {
			return WebP
		}
	case PDF:
		if bytes.HasPrefix(b, []byte("%PDF-")) {
			return PDF
		}
	}
	return ""
}

// IsImage reports whether the sniffed type is a photo (shown as a thumbnail, not a link).
func IsImage(typ string) bool { return typ == JPEG || typ == PNG || typ == WebP }

// Ext returns the usual file name extension of a sniffed type.
func Ext(typ string) string {
	switch typ {
	case JPEG:
		return ".jpg"
	case PNG:
		return ".png"
	case WebP:
		return ".webp"
	case PDF:
		return ".pdf"
	}
	return ""
}

// ID returns the content hash that names stored bytes: the hex SHA-256.
func ID(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// IsID reports whether s has the shape of an ID (64 lowercase hex digits).
func IsID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CleanName returns a file name fit to store and show: the base name only (no directories, of
// either slash), no control or format characters, at most MaxName runes, with the extension of
// the sniffed type (the name's own is dropped when it disagrees); "attachment" + extension when
// nothing is left.
func CleanName(name, typ string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	if name == "." || name == "/" {
		name = ""
	}
	var b strings.Builder
	for _, r := range name {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '"' {
			continue
		}
		b.WriteRune(r)
	}
	name = strings.TrimSpace(b.String())
	ext := Ext(typ)
	if e := path.Ext(name); e != "" && (strings.EqualFold(e, ext) || (typ == JPEG && strings.EqualFold(e, ".jpeg"))) {
		name = name[:len(name)-len(e)]
	} else if e != "" && len(e) <= 6 {
		name = name[:len(name)-len(e)]
	}
	if r := []rune(name); len(r) > MaxName-len(ext) {
		name = string(r[:MaxName-len(ext)])
	}
	if name == "" {
		name = "attachment"
	}
	return name + ext
}

// Errors of Check, by the answer they deserve.
var (
	// ErrType is a file that is not a JPEG, PNG, WebP or PDF by its bytes (415).
	ErrType = errors.New("only photos (JPEG, PNG, WebP) and PDF documents are accepted")
	// ErrTooLarge is a file over MaxSize (413).
	ErrTooLarge = fmt.Errorf("a file may have at most %d MB", MaxSize>>20)
	// ErrEmpty is a file with no bytes (400).
	ErrEmpty = errors.New("the file is empty")
)

// File is an accepted file: its clean name, sniffed type and stripped bytes.
type File struct {
	Name string
	Type string
	Data []byte
}

// Check accepts one uploaded file: not empty (ErrEmpty), at most MaxSize (ErrTooLarge), of an
// accepted type by its bytes (ErrType), structurally sound (ErrDamaged); it returns the file
// with its metadata stripped (Strip) and its name cleaned (CleanName).
func Check(name string, b []byte) (File, error) {
	switch {
	case len(b) == 0:
		return File{}, ErrEmpty
	case len(b) > MaxSize:
		return File{}, ErrTooLarge
	}
	typ := Sniff(b)
	if typ == "" {
		return File{}, ErrType
	}
	out, err := Strip(typ, b)
	if err != nil {
		return File{}, err
	}
	return File{Name: CleanName(name, typ), Type: typ, Data: out}, nil
}

package http

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"

	"onedoor/hallserver/attach"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// gpsMarker is text planted in the test photos' location metadata.
const gpsMarker = "GPS-31.0270N-121.4370E"

// testPhotoImage is a small colourful picture.
func testPhotoImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 24; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 10), uint8(y * 15), 200, 255})
		}
	}
	return img
}

// exifWithGPS is an EXIF block (TIFF, little endian) whose IFD0 points to a GPS IFD holding
// gpsMarker.
func exifWithGPS() []byte {
	var t bytes.Buffer
	t.WriteString("II*\x00")
	_ = binary.Write(&t, binary.LittleEndian, []uint32{8})
	_ = binary.Write(&t, binary.LittleEndian, uint16(1))
	_ = binary.Write(&t, binary.LittleEndian, []uint16{0x8825, 4})
	_ = binary.Write(&t, binary.LittleEndian, []uint32{1, 26, 0})
	_ = binary.Write(&t, binary.LittleEndian, uint16(1))
	_ = binary.Write(&t, binary.LittleEndian, []uint16{0x001B, 2})
	_ = binary.Write(&t, binary.LittleEndian, []uint32{uint32(len(gpsMarker)), 44, 0})
	t.WriteString(gpsMarker)
	return t.Bytes()
}

// gpsPNG is a PNG with an eXIf chunk holding a GPS block.
func gpsPNG(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testPhotoImage()); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	data := exifWithGPS()
	var c []byte
	c = binary.BigEndian.AppendUint32(c, uint32(len(data)))
	c = append(c, "eXIf"...)
	c = append(c, data...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(append([]byte("eXIf"), data...)))
	at := 8 + 12 + 13 // after IHDR
	return append(append(append([]byte(nil), b[:at]...), c...), b[at:]...)
}

// gpsJPEG is a JPEG with an APP1 EXIF segment holding a GPS block.
func gpsJPEG(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testPhotoImage(), nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	p := append([]byte("Exif\x00\x00"), exifWithGPS()...)
	seg := append([]byte{0xFF, 0xE1, byte((len(p) + 2) >> 8), byte(len(p) + 2)}, p...)
	return append(append(append([]byte(nil), b[:2]...), seg...), b[2:]...)
}

// upload is one file part of a multipart upload.
type upload struct {
	name string
	data []byte
}

// multipartBody encodes text and files as multipart/form-data; it returns the body and its
// Content-Type.
func multipartBody(t testing.TB, text string, files ...upload) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if text != "" {
		_ = mw.WriteField("text", text)
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files"; filename=%q`, f.name))
		h.Set("Content-Type", "image/jpeg") // what the client claims never matters
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(f.data)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// attach posts files to the case followed by token.
func (e *caseEnv) attach(token, text string, files ...upload) response {
	e.t.Helper()
	body, ct := multipartBody(e.t, text, files...)
	return e.do("POST", "/api/v1/case-follow/"+token+"/attachments", "", body, "Content-Type", ct)
}

// TestAttachFromFollowPage: the requester sends words with a PNG and a JPEG carrying GPS; the
// case lists them on its details entry, the public follow API serves them with the sniffed
// type, nosniff and a sandbox CSP, and the bytes served have no location left.
func TestAttachFromFollowPage(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"text": "图书馆自习室总有人用书占座", "requester": map[string]string{"phone": "13812345678"}}, "")
	r := e.attach(oc.Token, "这是现场照片", upload{"IMG_0001.PNG", gpsPNG(t)}, upload{"../../etc/现场.jpeg", gpsJPEG(t)})
	if r.status != 200 {
		t.Fatalf("attach: %d %s", r.status, r.body)
	}
	var f wire.CaseFollow
	r.decode(t, &f)
	atts := f.Case.Attachments()
	if len(atts) != 2 || atts[0].Type != "image/png" || atts[0].Name != "IMG_0001.png" || atts[1].Type != "image/jpeg" || atts[1].Name != "现场.jpg" {
		t.Fatalf("attachments on the follow view: %+v", atts)
	}
	last := f.Case.Timeline[len(f.Case.Timeline)-1]
	if last.Type != hall.CaseEvDetails || last.Text != "这是现场照片" || len(last.Attachments) != 2 {
		t.Fatalf("details entry %+v", last)
	}
	for _, a := range atts {
		g := e.do("GET", "/api/v1/case-follow/"+oc.Token+"/attachments/"+a.ID, "", nil)
		if g.status != 200 {
			t.Fatalf("get %s: %d %s", a.Name, g.status, g.body)
		}
		if ct := g.header.Get("Content-Type"); ct != a.Type {
			t.Errorf("%s served as %q", a.Name, ct)
		}
		if g.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(g.header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s headers %v", a.Name, g.header)
		}
		if cd := g.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline") || !strings.Contains(cd, "filename") {
			t.Errorf("%s disposition %q", a.Name, cd)
		}
		if bytes.Contains(g.body, []byte(gpsMarker)) || bytes.Contains(g.body, []byte("eXIf")) || bytes.Contains(g.body, []byte("Exif")) {
			t.Errorf("%s served with its location metadata", a.Name)
		}
		if _, _, err := image.Decode(bytes.NewReader(g.body)); err != nil {
			t.Errorf("%s served does not decode: %v", a.Name, err)
		}
	}
	// Words alone still go through the JSON endpoint; a second message of files needs no words.
	if r := e.attach(oc.Token, "", upload{"scan.pdf", []byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")}); r.status != 200 {
		t.Fatalf("pdf without words: %d %s", r.status, r.body)
	}
	c, _ := e.cs.Get(t.Context(), oc.ID)
	pdf := c.Attachments()[2]
	g := e.do("GET", "/api/v1/case-follow/"+oc.Token+"/attachments/"+pdf.ID, "", nil)
	if g.status != 200 || g.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(g.header.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(g.header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("pdf: %d %v", g.status, g.header)
	}
}

// TestAttachRejectsBadFiles: each bad upload gets its status with a JSON error naming the file,
// and nothing is stored (the case lists no file, the bytes are not readable).
func TestAttachRejectsBadFiles(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"text": "图书馆自习室总有人用书占座"}, "")
	good := upload{"ok.png", gpsPNG(t)}
	big := append(append([]byte(nil), gpsPNG(t)...), make([]byte, 10<<20)...)
	six := []upload{good, good, good, good, good, good}
	for _, tc := range []struct {
		name   string
		files  []upload
		ct     string // raw body content type instead of multipart
		status int
		code   string
		names  string // the message names this
	}{
		{"html posing as a photo", []upload{good, {"evil.jpg", []byte("<html><script>alert(1)</script></html>")}}, "", 415, wire.EUNSUPPORTED, "evil.jpg"},
		{"gif", []upload{{"anim.gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")}}, "", 415, wire.EUNSUPPORTED, "anim.gif"},
		{"over 10 MB", []upload{{"huge.png", big}}, "", 413, wire.ETOOLARGE, "huge.png"},
		{"six files", six, "", 400, hall.EINVALID, "ok.png"},
		{"truncated jpeg", []upload{{"cut.jpg", gpsJPEG(t)[:60]}}, "", 400, hall.EINVALID, "cut.jpg"},
		{"empty file", []upload{{"empty.png", nil}}, "", 400, hall.EINVALID, "empty.png"},
		{"no file", nil, "", 400, hall.EINVALID, "files"},
		{"JSON instead of multipart", nil, "application/json", 415, wire.EUNSUPPORTED, "multipart"},
	} {
		var r response
		if tc.ct != "" {
			r = e.do("POST", "/api/v1/case-follow/"+oc.Token+"/attachments", "", `{"text":"x"}`, "Content-Type", tc.ct)
		} else {
			r = e.attach(oc.Token, "看图", tc.files...)
		}
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, r.status, tc.status, r.body)
			continue
		}
		if er := r.apiError(t); er.Code != tc.code || !strings.Contains(er.Message, tc.names) {
			t.Errorf("%s: error %+v, want code %s naming %q", tc.name, er, tc.code, tc.names)
		}
	}
	c, _ := e.cs.Get(t.Context(), oc.ID)
	if n := len(c.Attachments()); n != 0 || c.Timeline[len(c.Timeline)-1].Type == hall.CaseEvDetails {
		t.Fatalf("a refused upload changed the case: %d attachments, timeline %+v", n, c.Timeline)
	}
	if _, err := e.cs.ReadAttachment(t.Context(), storedID(t, good.data)); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("the good file of a refused upload was stored: %v", err)
	}
	// A token that follows nothing: 404 before the body is read.
	if r := e.attach("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "", good); r.status != 404 {
		t.Fatalf("unknown token: %d", r.status)
	}
}

// TestAttachmentAuthorization: who may fetch a requester's photo. The requester (their token),
// the lead department and the office: yes. Another requester's token, a handler of another
// department, nobody signed in: no (404 or 401, never the bytes). A staff note's files never
// reach the follow page.
func TestAttachmentAuthorization(t *testing.T) {
	e := newCaseEnv(t)
	mine := e.openKiosk(map[string]any{"text": "图书馆自习室总有人用书占座"}, "")
	other := e.openKiosk(map[string]any{"text": "图书馆的空调太冷了"}, "")
	if r := e.attach(mine.Token, "", upload{"p.png", gpsPNG(t)}); r.status != 200 {
		t.Fatalf("attach: %d %s", r.status, r.body)
	}
	c, _ := e.cs.Get(t.Context(), mine.ID)
	if c.Department != "library" {
		t.Fatalf("case routed to %q, the test wants library", c.Department)
	}
	id := c.Attachments()[0].ID
	staffPath := "/api/v1/cases/" + mine.Number + "/attachments/" + id
	for _, tc := range []struct {
		who    string
		method func() response
		status int
	}{
		{"the requester", func() response { return e.do("GET", "/api/v1/case-follow/"+mine.Token+"/attachments/"+id, "", nil) }, 200},
		{"another requester's token", func() response { return e.do("GET", "/api/v1/case-follow/"+other.Token+"/attachments/"+id, "", nil) }, 404},
		{"a made-up token", func() response {
			return e.do("GET", "/api/v1/case-follow/ABCDEFGHIJKLMNOPQRSTUVWXYZ234567/attachments/"+id, "", nil)
		}, 404},
		{"the lead department", func() response { return e.do("GET", staffPath, e.login("h-library"), nil) }, 200},
		{"the office", func() response { return e.do("GET", staffPath, e.login("supervisor"), nil) }, 200},
		{"a handler of another department", func() response { return e.do("GET", staffPath, e.login("h-it"), nil) }, 404},
		{"the public (nobody signed in)", func() response { return e.do("GET", staffPath, "", nil) }, 401},
		{"a counter clerk", func() response { return e.do("GET", staffPath, e.login("counter1"), nil) }, 403},
		{"the other case's staff path", func() response {
			return e.do("GET", "/api/v1/cases/"+other.Number+"/attachments/"+id, e.login("h-library"), nil)
		}, 404},
	} {
		r := tc.method()
		if r.status != tc.status {
			t.Errorf("%s: %d, want %d (%s)", tc.who, r.status, tc.status, r.body)
		}
		if tc.status != 200 && bytes.HasPrefix(r.body, []byte("\x89PNG")) {
			t.Errorf("%s got the bytes", tc.who)
		}
	}
	// Files on a staff note are internal: the public view drops them.
	note := hall.CaseEntry{Type: hall.CaseEvNoted, Public: false, Attachments: c.Attachments()}
	if _, shown := note.PublicView(); shown {
		t.Fatal("a note became public")
	}
	asked := hall.CaseEntry{Type: hall.CaseEvResponded, Public: true, Text: "x", Attachments: c.Attachments()}
	if v, _ := asked.PublicView(); len(v.Attachments) != 0 {
		t.Fatal("an interim answer's files are public")
	}
}

// storedID is the ID the server gives a file's bytes after stripping them.
func storedID(t testing.TB, b []byte) string {
	t.Helper()
	f, err := attach.Check("x", b)
	if err != nil {
		t.Fatal(err)
	}
	return attach.ID(f.Data)
}

// TestReplyWithFiles: the lead department replies with a PDF and a photo (multipart); the
// reply's files reach the requester's follow page, while another department cannot post a
// reply with files, and files on other actions are refused before anything is stored.
func TestReplyWithFiles(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"text": "图书馆自习室总有人用书占座"}, "")
	lib := e.login("h-library")
	if r := e.do("POST", "/api/v1/cases/"+oc.Number+"/sign", lib, nil); r.status != 200 {
		t.Fatalf("sign: %d %s", r.status, r.body)
	}
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")
	body, ct := multipartBody(t, "您好，附上新的座位管理规定。", upload{"规定.pdf", pdf}, upload{"notice.png", gpsPNG(t)})
	if r := e.do("POST", "/api/v1/cases/"+oc.Number+"/reply", e.login("h-it"), body, "Content-Type", ct); r.status != 404 {
		t.Fatalf("another department's reply with files: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/cases/"+oc.Number+"/note", lib, body, "Content-Type", ct); r.status != 415 {
		t.Fatalf("a note with files: %d %s", r.status, r.body)
	}
	r := e.do("POST", "/api/v1/cases/"+oc.Number+"/reply", lib, body, "Content-Type", ct)
	if r.status != 200 {
		t.Fatalf("reply with files: %d %s", r.status, r.body)
	}
	var c hall.Case
	r.decode(t, &c)
	if c.State != hall.CaseReplied || len(c.Attachments()) != 2 || c.Timeline[len(c.Timeline)-1].Type != hall.CaseEvReplied {
		t.Fatalf("after the reply: %s %+v", c.State, c.Attachments())
	}
	var f wire.CaseFollow
	e.do("GET", "/api/v1/case-follow/"+oc.Token, "", nil).decode(t, &f)
	if got := f.Case.Attachments(); len(got) != 2 || got[0].Name != "规定.pdf" {
		t.Fatalf("the follow view shows the reply's files as %+v", got)
	}
	if g := e.do("GET", "/api/v1/case-follow/"+oc.Token+"/attachments/"+got0(f.Case.Attachments()), "", nil); g.status != 200 || g.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("the requester reads the reply's PDF: %d %v", g.status, g.header)
	}
}

func got0(a []hall.Attachment) string {
	if len(a) == 0 {
		return ""
	}
	return a[0].ID
}

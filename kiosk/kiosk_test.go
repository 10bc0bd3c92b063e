package kiosk

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"onedoor/drivers/printersim"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/internal/testtool"
)

// TestTicketInTwoTouches: service, then "take a number": the ticket is issued by the real hall
// server, printed on the virtual printer (number and QR of the follow URL on paper) and shown.
func TestTicketInThreeTouches(t *testing.T) {
	env := newHallEnv(t)
	sim := newSimPrinter(t)
	k := newKiosk(t, env, kioskOpts{printer: driverPrinter(t, sim)})
	k.waitScreen(ScreenHome)
	k.tap("service:A")
	k.waitScreen(ScreenOptions)
	k.tap("take:priority")
	st := k.waitFor("printed ticket", func(s State) bool { return s.Screen == ScreenResult && s.Ticket != nil && !s.Ticket.Printing })
	if k.taps > 3 {
		t.Fatalf("%d touches to a ticket", k.taps)
	}
	tk := st.Ticket
	if tk.Number != "A001" || !tk.Priority || !tk.Printed || tk.FollowURL == "" || len(tk.Materials) != 2 {
		t.Fatalf("ticket %+v", tk)
	}
	if env.waiting("A") != 1 {
		t.Fatalf("server has %d waiting", env.waiting("A"))
	}
	pages := sim.printed()
	if len(pages) != 1 {
		t.Fatalf("%d pages printed", len(pages))
	}
	checkPage(t, pages[0], "A001", tk.FollowURL)
	if text := strings.Join(pages[0].Lines, "\n"); !strings.Contains(text, "绿色通道") {
		t.Fatalf("priority slip not marked 绿色通道:\n%s", text)
	}
	// A touch finishes; the next person starts at home in the default language.
	k.tap("lang")
	if k.flow.State().Lang != "en" {
		t.Fatal("language switch on the result screen")
	}
	k.flow.Finish()
	st = k.waitScreen(ScreenHome)
	if st.Lang != "zh" {
		t.Fatalf("next person starts in %s", st.Lang)
	}
}

// checkPage checks a printed page: the number in its text, one QR code holding url, and, when
// zbarimg is installed, that the QR decodes from the page image.
func checkPage(t *testing.T, pg *printersim.Page, number, url string) {
	t.Helper()
	text := strings.Join(pg.Lines, "\n")
	if !strings.Contains(text, number) {
		t.Fatalf("page text lacks %s:\n%s", number, text)
	}
	if len(pg.Symbols) != 1 || pg.Symbols[0].Type != "QR" || pg.Symbols[0].Data != url {
		t.Fatalf("page symbols %+v, want a QR of %s", pg.Symbols, url)
	}
	f := t.TempDir() + "/page.png"
	if err := writePNG(f, pg); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, f, url)
}

// checkPNG decodes the QR code of a printed page's PNG with zbarimg (the test fails when it is
// not installed) and checks it holds url.
func checkPNG(t *testing.T, file, url string) {
	t.Helper()
	out, err := exec.Command(testtool.Path(t, "zbarimg"), "--raw", "-q", "-Sbinary", file).Output()
	if err != nil {
		t.Fatalf("zbarimg %s: %v", file, err)
	}
	if got := strings.TrimSpace(string(out)); got != url {
		t.Fatalf("printed QR decodes to %q, want %q", got, url)
	}
}

var _ = errors.New
var _ = time.Second
var _ = hall.DeviceOK

// TestTopicsInCaseCatalogue: every topic button of the embedded catalogue is a category of the
// case system's demo catalogue, so POST /api/v1/cases accepts it (an unknown one would be refused
// and land in the outbox's failed bucket).
func TestTopicsInCaseCatalogue(t *testing.T) {
	cat := cases.DemoCatalogue()
	for _, tp := range DefaultCatalogue().Topics {
		found := false
		for _, k := range cat.Categories {
			found = found || k.Code == tp.Code
		}
		if !found {
			t.Errorf("topic %q is not a category of the case catalogue", tp.Code)
		}
	}
}

// TestTopicsOneCatalogue (issue 12, kiosk 6): the kiosk offers the case catalogue's topics, the
// ones the phone form offers, under the same names: the embedded topics file lists them (for a
// kiosk started while the server is away), and a kiosk whose topics file differs takes the
// server's once it connects.
func TestTopicsOneCatalogue(t *testing.T) {
	var want []Topic
	for _, k := range cases.DemoCatalogue().Categories {
		if k.Topic {
			want = append(want, Topic{Code: k.Code, Name: k.Name})
		}
	}
	if got := DefaultCatalogue().Topics; !slices.Equal(got, want) {
		t.Errorf("embedded topics\n%v\nwant the phone form's\n%v", got, want)
	}
	env := newHallEnv(t)
	old := DefaultCatalogue()
	old.Topics = []Topic{{Code: "dorm-repairs", Name: hall.Text{Zh: "宿舍报修", En: "Dorm repairs"}}}
	k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}, catalogue: old})
	k.waitScreen(ScreenHome)
	k.waitFor("the server's topics", func(s State) bool { return len(s.Topics) == len(want) })
	k.tap("request")
	k.tap("kind:consultation")
	for _, w := range want {
		b, ok := k.ui.Button("topic:" + w.Code)
		if !ok || b.Title != w.Name.Zh {
			t.Errorf("topic %s: button %v %+v, want %q", w.Code, ok, b, w.Name.Zh)
		}
	}
	k.tap("topic:exams-grades") // not in the kiosk's own file
	if st := k.waitScreen(ScreenConfirm); st.Topic != "exams-grades" {
		t.Fatalf("topic %q", st.Topic)
	}
}

package kiosk

import (
	"strings"
	"testing"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestReceiptWording (issue 12, kiosk 4): a request with a ticket, in portrait (the narrowest
// columns). The screen calls F001 a queue number, not a counter number; the 24-hour promise
// stands on one line of its own that fits (inside a wrapping paragraph "24 小时" broke across
// lines); the printed receipt carries the reply deadline and says the queue ticket's code is on
// the other slip, and the ticket says the case's code is on the receipt.
func TestReceiptWording(t *testing.T) {
	_, sim, k := newPrintingKiosk(t, kioskOpts{size: fyne.NewSize(1080, 1920)})
	k.request("suggestion", "canteens")
	k.tap("submit:ticket")
	st := k.waitFor("receipt", func(s State) bool { return s.Screen == ScreenReceipt && !s.Request.Printing })
	k.waitScreen(ScreenReceipt)
	r := st.Request
	if r.Case == nil || r.Ticket == nil || !r.Printed {
		t.Fatalf("request %+v", r)
	}
	texts := strings.Join(k.screenTexts(), "\n")
	if !strings.Contains(texts, "您的排队号码 F001") || strings.Contains(texts, "窗口号码") {
		t.Errorf("receipt screen names the ticket wrongly:\n%s", texts)
	}
	if !strings.Contains(texts, T("zh", "req.done.qr.ticket")) {
		t.Errorf("receipt screen does not say where the queue ticket's code is:\n%s", texts)
	}
	promise := 0
	for _, o := range test.LaidOutObjects(k.win.Content()) {
		switch v := o.(type) {
		case *widget.Label:
			if strings.Contains(v.Text, "24") {
				t.Errorf("%q is in a wrapping paragraph: \"24 小时\" may break across lines", v.Text)
			}
		case *canvas.Text:
			if strings.Contains(v.Text, "24 小时") {
				promise++
				if v.Size().Width < v.MinSize().Width-1 {
					t.Errorf("%q is %.0f px wide, needs %.0f: cut off", v.Text, v.Size().Width, v.MinSize().Width)
				}
			}
		}
	}
	if promise != 1 {
		t.Errorf("the 24-hour promise is shown %d times, want once", promise)
	}
	pages := sim.printed()
	if len(pages) != 2 {
		t.Fatalf("%d pages", len(pages))
	}
	receipt, ticket := strings.Join(pages[0].Lines, "\n"), strings.Join(pages[1].Lines, "\n")
	due := "答复期限 " + r.Case.DueAt.In(st.Loc).Format("2006-01-02 15:04")
	for _, want := range []string{r.Case.Number, due, "Reply by", T("zh", "slip.receipt.other")} {
		if !strings.Contains(receipt, want) {
			t.Errorf("printed receipt lacks %q:\n%s", want, receipt)
		}
	}
	if !strings.Contains(ticket, T("zh", "slip.ticket.other")) {
		t.Errorf("printed ticket does not say where the case's code is:\n%s", ticket)
	}
}

// TestCataloguePunctuation: the Chinese strings use full-width punctuation (？ not ?, ： not
// :) after Chinese text.
func TestCataloguePunctuation(t *testing.T) {
	for m, s := range catalog {
		rs := []rune(s.Zh)
		for i := 1; i < len(rs); i++ {
			if strings.ContainsRune("?:!,;", rs[i]) && unicode.Is(unicode.Han, rs[i-1]) {
				t.Errorf("%s: %q has an ASCII %q after Chinese text", m, s.Zh, rs[i])
			}
		}
	}
}

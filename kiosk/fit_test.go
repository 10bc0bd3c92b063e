package kiosk

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestPrintFailureFits (issue 12, kiosk 7): the screen shown when the ticket did not print keeps
// the number, the QR code (at least 300 px, for a phone to scan) and the message whole on
// smaller and portrait screens (at 1280×1024 the number was cut off); the home screen's printer
// warning asks for no QR code, since none is shown there.
func TestPrintFailureFits(t *testing.T) {
	env := newHallEnv(t)
	// First with nobody serving A (the result says so), then with a counter open and people ahead.
	for i, size := range []fyne.Size{fyne.NewSize(1366, 768), fyne.NewSize(1920, 1080), fyne.NewSize(1280, 1024),
		fyne.NewSize(1366, 768), fyne.NewSize(1080, 1920), fyne.NewSize(1024, 1280)} {
		if i == 2 {
			openCounter(t, env, 1)
			issueDirect(t, env, "A")
			issueDirect(t, env, "A")
		}
		k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}, size: size})
		k.waitScreen(ScreenHome)
		k.tap("service:A")
		k.tap("take:standard")
		st := k.waitFor("print failure", func(s State) bool {
			return s.Screen == ScreenResult && s.Ticket.PrintFault != "" && k.ui.rev == s.Rev
		})
		k.pump()
		if m := k.ui.Content().MinSize(); m.Width > size.Width+1 || m.Height > size.Height+1 {
			t.Errorf("%v: the print-failure screen needs %v", size, m)
		}
		drv := fyne.CurrentApp().Driver()
		inside := func(what string, o fyne.CanvasObject) {
			t.Helper()
			p, s := drv.AbsolutePositionForObject(o), o.Size()
			if p.X < -1 || p.Y < -1 || p.X+s.Width > size.Width+1 || p.Y+s.Height > size.Height+1 {
				t.Errorf("%v: %s at %v size %v is (partly) off the screen", size, what, p, s)
			}
		}
		var number, qr, msg bool
		for _, o := range test.LaidOutObjects(k.win.Content()) {
			switch v := o.(type) {
			case *canvas.Text:
				if v.Text == st.Ticket.Number {
					number = true
					inside("the number", v)
					if v.Size().Width < v.MinSize().Width-1 {
						t.Errorf("%v: the number is %.0f px wide, needs %.0f", size, v.Size().Width, v.MinSize().Width)
					}
				}
			case *canvas.Image:
				qr = true
				inside("the QR code", v)
				if v.Size().Width < 300 || v.Size().Height < 300 {
					t.Errorf("%v: the QR code is %v, under 300 px", size, v.Size())
				}
			case *widget.Label:
				if strings.Contains(v.Text, T("zh", printMsg(st.Ticket.PrintFault))) {
					msg = true
					inside("the message", v)
				}
			}
		}
		if !number || !qr || !msg {
			t.Errorf("%v: number %v, QR %v, message %v on the print-failure screen", size, number, qr, msg)
		}
		k.flow.Finish()
		k.waitScreen(ScreenHome)
		home := strings.Join(k.screenTexts(), "\n")
		if !strings.Contains(home, T("zh", printMsg(st.Ticket.PrintFault))) || strings.Contains(home, "二维码") {
			t.Errorf("%v: home screen printer warning:\n%s", size, home)
		}
		k.stop()
	}
}

// TestPortraitKeypadFillsWidth (issue 12, kiosk 7): in portrait the number keys use the
// screen's width instead of sitting in its right half.
func TestPortraitKeypadFillsWidth(t *testing.T) {
	env := newHallEnv(t)
	size := fyne.NewSize(1080, 1920)
	k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}, size: size})
	k.waitScreen(ScreenHome)
	k.tap("service:A")
	k.tap("keypad")
	k.pump()
	drv := fyne.CurrentApp().Driver()
	left, right := size.Width, float32(0)
	for _, id := range []string{"key:1", "key:3", "key:clear", "key:del"} {
		b, _ := k.ui.Button(id)
		p := drv.AbsolutePositionForObject(b)
		left, right = min(left, p.X), max(right, p.X+b.Size().Width)
	}
	if right-left < 0.8*size.Width {
		t.Errorf("portrait keys span %.0f–%.0f px of %.0f", left, right, size.Width)
	}
}

// TestReceiptPrintFailureWording: a receipt that did not print says so in a receipt's words (it
// said "the ticket could not be printed … your number is valid").
func TestReceiptPrintFailureWording(t *testing.T) {
	env := newHallEnv(t)
	k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}})
	k.waitScreen(ScreenHome)
	k.request("consultation", "campus-network")
	k.tap("submit")
	k.waitFor("receipt not printed", func(s State) bool {
		return s.Screen == ScreenReceipt && s.Request != nil && s.Request.PrintFault != "" && k.ui.rev == s.Rev
	})
	texts := strings.Join(k.screenTexts(), "\n")
	if !strings.Contains(texts, "回执未能打印") || strings.Contains(texts, "小票未能打印") || strings.Contains(texts, "您的号码有效") {
		t.Errorf("receipt print failure:\n%s", texts)
	}
}

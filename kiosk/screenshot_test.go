package kiosk

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"onedoor/hallserver/hall"
)

// TestScreenshots writes the kiosk's screens as PNGs to $KIOSK_SCREENSHOTS (make
// screenshots-kiosk) at 1920×1080 landscape and 1080×1920 portrait, rendered by Fyne's software
// painter with the real theme and font. Without the variable it is skipped.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("KIOSK_SCREENSHOTS")
	if dir == "" {
		t.Skip("set KIOSK_SCREENSHOTS=DIR to write screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, orient := range []struct {
		name string
		size fyne.Size
	}{{"landscape", fyne.NewSize(1920, 1080)}, {"portrait", fyne.NewSize(1080, 1920)}, {"1280x1024", fyne.NewSize(1280, 1024)}} {
		t.Run(orient.name, func(t *testing.T) {
			env := newHallEnv(t)
			sim := newSimPrinter(t)
			// Some people waiting, a counter open, so the home screen shows live numbers.
			for i := 0; i < 4; i++ {
				issueDirect(t, env, "A")
			}
			issueDirect(t, env, "C")
			openCounter(t, env, 1)
			k := newKiosk(t, env, kioskOpts{printer: driverPrinter(t, sim), size: orient.size})
			k.clock.Add(2*time.Hour + 7*time.Minute)
			k.waitFor("home with counts", func(s State) bool {
				v, _ := s.ServiceByCode("A")
				return s.Screen == ScreenHome && v.Waiting == 4 && v.Open
			})
			k.tick(0)
			shot := func(name string) {
				t.Helper()
				k.pump()
				img := k.win.Canvas().Capture()
				f, err := os.Create(filepath.Join(dir, "kiosk-"+name+"-"+orient.name+".png"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if err := png.Encode(f, img); err != nil {
					t.Fatal(err)
				}
			}
			shot("home-zh")
			k.tap("booking") // 我有预约: the code keypad
			for _, d := range "3851" {
				k.tap("key:" + string(d))
			}
			k.waitScreen(ScreenBooking)
			shot("booking-zh")
			k.tap("back")
			k.waitScreen(ScreenHome)
			k.tap("lang")
			k.waitFor("english", func(s State) bool { return s.Lang == "en" && k.ui.rev == s.Rev })
			shot("home-en")
			k.tap("lang")
			k.tap("service:A")
			k.waitScreen(ScreenOptions)
			shot("options-zh")
			k.tap("keypad")
			k.tap("key:2")
			k.tap("key:0")
			k.tap("key:2")
			k.tap("key:5")
			shot("keypad-zh")
			k.tap("key:ok")
			k.waitFor("printed", func(s State) bool { return s.Screen == ScreenResult && !s.Ticket.Printing && k.ui.rev == s.Rev })
			shot("result-zh")
			k.flow.Finish()
			k.waitScreen(ScreenHome)
			k.tap("lang")
			k.tap("service:B")
			k.tap("take:standard")
			k.waitFor("printed", func(s State) bool { return s.Screen == ScreenResult && !s.Ticket.Printing && k.ui.rev == s.Rev })
			shot("result-en")
			k.flow.Finish()
			k.waitScreen(ScreenHome)

			// The request flow.
			k.tap("request")
			k.waitScreen(ScreenKind)
			shot("request-kind-zh")
			k.tap("kind:complaint")
			shot("request-topic-zh")
			k.tap("topic:dorm-repairs")
			k.tap("phone")
			for _, d := range "13800138000" {
				k.tap("key:" + string(d))
			}
			shot("request-phone-zh")
			k.tap("phone:ok")
			shot("request-confirm-zh")
			k.tap("submit:ticket")
			k.waitFor("receipt", func(s State) bool {
				return s.Screen == ScreenReceipt && !s.Request.Printing && k.ui.rev == s.Rev
			})
			shot("request-receipt-zh")
			k.flow.Finish()
			k.waitScreen(ScreenHome)

			// Printer out of paper.
			sim.p.SetStatus(printersimPaperOut())
			k.tap("service:C")
			k.tap("take:standard")
			k.waitFor("print failure", func(s State) bool {
				return s.Screen == ScreenResult && s.Ticket.PrintFault == hall.DevicePaperOut && k.ui.rev == s.Rev
			})
			shot("printer-failure-zh")
			k.flow.Finish()
			k.waitScreen(ScreenHome)
			shot("home-printer-failure-zh")

			// Server away.
			env.down()
			k.waitTicking("out of service", func(s State) bool { return s.Screen == ScreenOutOfService })
			shot("out-of-service-zh")
			k.tap("lang")
			k.waitFor("english", func(s State) bool { return s.Lang == "en" && k.ui.rev == s.Rev })
			shot("out-of-service-en")
			k.tap("request")
			k.tap("kind:suggestion")
			k.tap("topic:canteens")
			k.tap("submit")
			k.waitFor("queued", func(s State) bool { return s.Screen == ScreenReceipt && k.ui.rev == s.Rev })
			shot("request-queued-en")
			// The printed slips, as the virtual printer drew them.
			for i, pg := range sim.printed() {
				if err := writePNG(filepath.Join(dir, fmt.Sprintf("kiosk-slip-%02d-%s.png", i+1, orient.name)), pg); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

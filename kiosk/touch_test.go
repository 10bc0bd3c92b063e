package kiosk

import (
	"sort"
	"testing"

	"fyne.io/fyne/v2"
)

// pixelMM is the pixel pitch of a 21.5" 1920×1080 panel, the usual kiosk screen.
const pixelMM = 0.248

// TestTouchTargets walks the screens in both orientations and checks every button a person can
// touch: at least 15 mm in both directions, never squeezed below its own minimum size (the
// portrait confirm screen once squeezed two rows of buttons into one row's height), on the
// screen and not under another button (the keypad's confirm button once hid under the bottom
// bar at 1920×1080). A window too small for the home screen asks for more height instead.
func TestTouchTargets(t *testing.T) {
	env := newHallEnv(t)
	minPx := float32(15 / pixelMM)
	for _, size := range []fyne.Size{fyne.NewSize(1920, 1080), fyne.NewSize(1080, 1920)} {
		k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}, size: size})
		k.waitScreen(ScreenHome)
		check := func(screen string) {
			t.Helper()
			k.pump()
			ids := k.ui.Buttons()
			sort.Strings(ids)
			if len(ids) == 0 {
				t.Fatalf("%v %s: no buttons", size, screen)
			}
			type rect struct {
				id   string
				x, y float32
				w, h float32
			}
			var rects []rect
			drv := fyne.CurrentApp().Driver()
			for _, id := range ids {
				b, _ := k.ui.Button(id)
				s, m := b.Size(), b.MinSize()
				p := drv.AbsolutePositionForObject(b)
				r := rect{id, p.X, p.Y, s.Width, s.Height}
				if r.x < 0 || r.y < 0 || r.x+r.w > size.Width+1 || r.y+r.h > size.Height+1 {
					t.Errorf("%v %s: %s at %+v is off the screen", size, screen, id, r)
				}
				for _, o := range rects {
					if r.x < o.x+o.w && o.x < r.x+r.w && r.y < o.y+o.h && o.y < r.y+r.h {
						t.Errorf("%v %s: %s %+v overlaps %s %+v", size, screen, id, r, o.id, o)
					}
				}
				rects = append(rects, r)
				if s.Width < minPx || s.Height < minPx {
					t.Errorf("%v %s: %s is %.0f×%.0f px = %.0f×%.0f mm, under 15 mm", size, screen, id, s.Width, s.Height, s.Width*pixelMM, s.Height*pixelMM)
				}
				if s.Height < m.Height-1 {
					t.Errorf("%v %s: %s squeezed to %.0f px high, needs %.0f", size, screen, id, s.Height, m.Height)
				}
			}
		}
		for _, lang := range []string{"zh", "en"} {
			k.flow.SetLang(lang)
			k.waitFor("lang", func(s State) bool { return s.Lang == lang && k.ui.rev == s.Rev })
			check("home-" + lang)
			k.tap("service:A")
			check("options-" + lang)
			k.tap("keypad")
			check("keypad-" + lang)
			k.tap("home")
			k.tap("request")
			check("kind-" + lang)
			k.tap("kind:complaint")
			check("topic-" + lang)
			k.tap("topic:dorm-repairs")
			check("confirm-" + lang)
			k.tap("phone")
			check("phone-" + lang)
			k.tap("home")
			k.waitScreen(ScreenHome)
		}
		k.stop()
	}

	// A development window smaller than the home screen needs asks for more height.
	k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}, size: fyne.NewSize(1280, 600)})
	k.waitScreen(ScreenHome)
	k.pump()
	if h := k.ui.Content().MinSize().Height; h <= 600 {
		t.Fatalf("home screen fits in %.0f px: buttons squeezed", h)
	}
}

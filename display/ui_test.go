package display

import (
	"context"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"onedoor/hallserver/campus"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	"onedoor/ui/theme"
)

var screenshots = flag.String("screenshots", "", "write display-fyne-*.png screenshots into this directory")

// demoState is the demo campus's student hall in mid-morning: a call, recent calls, queues and
// a notice.
func demoState(t testing.TB) *State {
	t.Helper()
	c := campus.Demo()
	h, ok := c.Hall("students")
	if !ok {
		t.Fatal("demo campus has no students hall")
	}
	snap := &hall.Snapshot{Seq: 100, Hall: h.Code, Name: h.Name}
	for i, sv := range h.Services {
		w := []int{12, 5, 0, 3, 7, 2}[i%6]
		snap.Services = append(snap.Services, hall.ServiceStatus{Code: sv.Code, Name: sv.Name, Waiting: w, EtaSeconds: w * sv.AvgMinutes * 60 / 2, Open: i != 2})
	}
	base := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	for i, x := range []struct {
		n string
		c int
	}{{"A012", 3}, {"D007", 5}, {"B004", 1}, {"A011", 2}, {"F002", 6}, {"C015", 4}, {"A010", 3}} {
		snap.RecentCalls = append(snap.RecentCalls, hall.Call{Number: x.n, Service: x.n[:1], Counter: x.c, At: base.Add(-time.Duration(i) * time.Minute)})
	}
	snap.Notices = []hall.Notice{
		{ID: "1", Text: hall.Text{Zh: "今天 16:00 起暂停办理财务缴费业务，请合理安排时间。", En: "Fees & payments close at 16:00 today."}},
		{ID: "2", Text: hall.Text{Zh: "奖学金申请截止日期为 12 月 5 日。", En: "Scholarship applications close on 5 December."}},
	}
	var s State
	s.Apply(client.Message{Type: "snapshot", Seq: 100, Snapshot: snap})
	return &s
}

// window shows the UI with the CJK theme in a test window of the given size.
func window(t *testing.T, u *UI, w, h float32) fyne.Window {
	t.Helper()
	a := test.NewTempApp(t)
	th, err := theme.Load()
	if err != nil {
		t.Fatal(err)
	}
	a.Settings().SetTheme(Theme(th))
	win := test.NewTempWindow(t, u.Object())
	win.SetPadded(false)
	win.Resize(fyne.NewSize(w, h))
	return win
}

// capture draws the window while the UI's animations hold still (the test driver runs them on
// their own goroutines).
func capture(u *UI, w fyne.Window) image.Image {
	u.mu.Lock()
	defer u.mu.Unlock()
	return w.Canvas().Capture()
}

func isYellow(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r > 0xE000 && g > 0xB000 && b < 0x8000
}

// yellowIn counts number-coloured pixels in the rectangle.
func yellowIn(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if isYellow(img.At(x, y)) {
				n++
			}
		}
	}
	return n
}

func TestUIShowsTheViewAndFlashesOnANewCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u := NewUI(ctx, false)
	win := window(t, u, 1920, 1080)
	s := demoState(t)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 25, 2, 0, 5, 0, time.UTC)
	u.Show(s.View(now, loc, Link{Connected: true}))
	if u.nowNumber.Text != "A012" || u.nowZh.Text != "请到 3 号窗口" || u.clock.Text != "10:00" || u.rows[0].number.Text != "D007" || u.rows[5].bg.Hidden {
		t.Fatalf("now %q %q clock %q first recent %q", u.nowNumber.Text, u.nowZh.Text, u.clock.Text, u.rows[0].number.Text)
	}
	if u.Flashing() {
		t.Fatal("flashing at start")
	}
	if !u.cards[5].nameZh.Visible() || u.cards[6].nameZh.Visible() || u.cards[0].count.Text != "12" {
		t.Fatal("service cards")
	}
	img := capture(u, win)
	// The big number: yellow in the middle of the left panel.
	if n := yellowIn(img, image.Rect(300, 300, 900, 500)); n < 5000 {
		t.Fatalf("current number drew %d yellow pixels", n)
	}
	s.Apply(called(101, hall.EventCalled, "B005", 1, now.Add(time.Minute), nil)) // a minute later: A012 goes to the recent list
	u.Show(s.View(now, loc, Link{Connected: true}))
	u.mu.Lock()
	nowText, row0 := u.nowNumber.Text, u.rows[0].number.Text
	u.mu.Unlock()
	if !u.Flashing() || nowText != "B005" || row0 != "A012" {
		t.Fatalf("after a call: flashing %v now %q", u.Flashing(), u.nowNumber.Text)
	}
	deadline := time.Now().Add(5 * time.Second)
	for u.Flashing() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if u.Flashing() {
		t.Fatal("still flashing after 5 s")
	}
	// Offline for more than 5 s: the indicator says so, the call stays on screen.
	u.Show(s.View(now.Add(10*time.Second), loc, Link{Since: now}))
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.connText.Hidden || u.connText.Text != "连接中断，正在重连…" || u.connTextEn.Text != "Connection lost, reconnecting…" || u.nowNumber.Text != "B005" {
		t.Fatalf("offline: %q hidden %v", u.connText.Text, u.connText.Hidden)
	}
}

// TestScreenshots renders both orientations; with -screenshots DIR it writes them as PNGs
// (make screenshots).
func TestScreenshots(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 25, 2, 0, 5, 0, time.UTC)
	for _, o := range []struct {
		name     string
		w, h     float32
		portrait bool
	}{{"landscape", 1920, 1080, false}, {"portrait", 1080, 1920, true}} {
		t.Run(o.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			u := NewUI(ctx, o.portrait)
			win := window(t, u, o.w, o.h)
			u.Show(demoState(t).View(now, loc, Link{Connected: true}))
			img := capture(u, win)
			if b := img.Bounds(); b.Dx() != int(o.w) || b.Dy() != int(o.h) {
				t.Fatalf("capture is %v", b)
			}
			if *screenshots == "" {
				return
			}
			if err := os.MkdirAll(*screenshots, 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.Create(filepath.Join(*screenshots, "display-fyne-"+o.name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// demoUI is a UI in a test window (portrait or not) with the demo hall's state, the Shanghai
// zone and a time 5 s after the demo's newest call; its animations stop with the test.
func demoUI(t *testing.T, portrait bool, w, h float32) (*UI, fyne.Window, *State, *time.Location, time.Time) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	u := NewUI(ctx, portrait)
	win := window(t, u, w, h)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return u, win, demoState(t), loc, time.Date(2026, 11, 25, 2, 0, 5, 0, time.UTC)
}

// TestUIPortraitRecentInReadingOrderAndCallsAtOnce: in portrait the recent calls fill row by
// row (the second is right of the first, the third below the first); calls several counters
// made at once are shown beside the current one.
func TestUIPortraitRecentInReadingOrderAndCallsAtOnce(t *testing.T) {
	u, win, s, loc, now := demoUI(t, true, 1080, 1920)
	s.Apply(called(101, hall.EventCalled, "B005", 1, now, nil)) // 5 s after A012 at counter 3
	u.Show(s.View(now, loc, Link{Connected: true}))
	capture(u, win)
	u.mu.Lock()
	defer u.mu.Unlock()
	r0, r1, r2 := u.rows[0].bg.Position(), u.rows[1].bg.Position(), u.rows[2].bg.Position()
	if !(r1.Y == r0.Y && r1.X > r0.X && r2.Y > r0.Y && r2.X == r0.X) {
		t.Errorf("portrait recent rows not in reading order: %v %v %v", r0, r1, r2)
	}
	if u.rows[0].number.Text != "D007" || u.rows[1].number.Text != "B004" {
		t.Errorf("recent: %q %q", u.rows[0].number.Text, u.rows[1].number.Text)
	}
	if u.nowNumber.Text != "B005" || !strings.Contains(u.nowService.Text, "A012 → 3 号窗口") {
		t.Errorf("calls at once: now %q beside %q", u.nowNumber.Text, u.nowService.Text)
	}
}

// TestUIMarksAPriorityCall: a green-channel ticket says 绿色通道 / Priority when called and in
// the recent list; a regular one does not.
func TestUIMarksAPriorityCall(t *testing.T) {
	u, _, s, loc, now := demoUI(t, false, 1920, 1080)
	now = now.Add(5 * time.Minute)
	m := called(101, hall.EventCalled, "B005", 1, now, nil)
	m.Event.Ticket.Priority = true
	s.Apply(m)
	u.Show(s.View(now, loc, Link{Connected: true}))
	u.mu.Lock()
	label := u.nowLabel.Text
	u.mu.Unlock()
	if !strings.Contains(label, "绿色通道") || !strings.Contains(label, "Priority") {
		t.Fatalf("priority call labelled %q", label)
	}
	s.Apply(called(102, hall.EventCalled, "A013", 2, now.Add(time.Minute), nil))
	u.Show(s.View(now, loc, Link{Connected: true}))
	u.mu.Lock()
	defer u.mu.Unlock()
	if strings.Contains(u.nowLabel.Text, "绿色通道") || u.rows[0].number.Text != "B005" || !strings.Contains(u.rows[0].en.Text, "绿色通道") || strings.Contains(u.rows[1].en.Text, "绿色通道") {
		t.Fatalf("after a regular call: label %q, recent %q %q / %q", u.nowLabel.Text, u.rows[0].number.Text, u.rows[0].en.Text, u.rows[1].en.Text)
	}
}

// TestUIOfflineBannerCoversNoHeading: offline, the reconnect pill stays in the header (it covered
// 正在呼叫 and 最近呼叫 below it), each line fits in it, and the notice line keeps the notices;
// in both orientations.
func TestUIOfflineBannerCoversNoHeading(t *testing.T) {
	for _, o := range []struct {
		name     string
		portrait bool
		w, h     float32
	}{{"landscape", false, 1920, 1080}, {"portrait", true, 1080, 1920}} {
		t.Run(o.name, func(t *testing.T) {
			u, win, s, loc, now := demoUI(t, o.portrait, o.w, o.h)
			u.Show(s.View(now, loc, Link{Since: now.Add(-10 * time.Second)}))
			capture(u, win)
			u.mu.Lock()
			defer u.mu.Unlock()
			rect := func(o fyne.CanvasObject) (x0, y0, x1, y1 float32) {
				p, sz := o.Position(), o.Size()
				return p.X, p.Y, p.X + sz.Width, p.Y + sz.Height
			}
			bx0, by0, bx1, by1 := rect(u.connBg)
			if u.connBg.Hidden || by1 > u.headerBg.Size().Height {
				t.Errorf("banner hidden %v or below the header: bottom %v, header %v", u.connBg.Hidden, by1, u.headerBg.Size().Height)
			}
			for name, h := range map[string]fyne.CanvasObject{"now label": u.nowLabel, "recent title": u.recentTitle, "clock": u.clock} {
				x0, y0, x1, y1 := rect(h)
				if x0 < bx1 && bx0 < x1 && y0 < by1 && by0 < y1 {
					t.Errorf("the banner covers the %s", name)
				}
			}
			for _, tx := range []*canvas.Text{u.connText, u.connTextEn} {
				if w := fyne.MeasureText(tx.Text, tx.TextSize, tx.TextStyle).Width; w > bx1-bx0 {
					t.Errorf("%q is %v wide in a %v banner", tx.Text, w, bx1-bx0)
				}
			}
			if !strings.Contains(u.noticeText.Text, "16:00") {
				t.Errorf("offline notice line %q", u.noticeText.Text)
			}
		})
	}
}

package http

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/wire"
	"onedoor/internal/testtool"
)

// TestBookingPagesOnPhone books on a phone: /book lists the free times of the chosen service and
// day, the form books the 10:00 slot with a name and a phone and lands on the booking's page
// with its 6-digit code and QR code; the page moves the booking to 10:15 and cancels it. Both
// pages as sent and as drawn are valid HTML.
func TestBookingPagesOnPhone(t *testing.T) {
	e, _ := newApptEnv(t, 1000)
	phone := browser(t, 390, 844)
	run(t, phone, "open /book", chromedp.Navigate(e.ts.URL+"/book?hall=students"))
	must(t, phone, "slots drawn", `window.onedoorBook && document.querySelectorAll("#slots input[name=slot]").length === 24`, 5*time.Second)
	if txt := evalString(t, phone, `document.querySelector("#slots label").textContent`); !strings.HasPrefix(txt, "08:30") || !strings.Contains(txt, "余 2") {
		t.Fatalf("first slot %q: want 08:30 with 2 places left", txt)
	}
	run(t, phone, "book 10:00",
		chromedp.Click(chromedp.CSS(`#slots input[value="2026-12-03T10:00:00+08:00"] + span`)),
		chromedp.SendKeys(chromedp.CSS("#name"), "张三"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "13800138000"),
		chromedp.Click(chromedp.CSS("#book-btn")))
	must(t, phone, "the booking's page", `location.pathname.indexOf("/a/") === 0 && /^[0-9]{6}$/.test(document.getElementById("code").textContent) && !!document.querySelector(".qr path")`, 5*time.Second)
	drawnAppt := evalString(t, phone, `"<!DOCTYPE html>"+document.documentElement.outerHTML`)
	if !strings.Contains(drawnAppt, "10:00–10:15") || !strings.Contains(drawnAppt, "138****8000") {
		t.Fatalf("the booking's page lacks the time or the masked phone")
	}
	must(t, phone, "reschedule slots", `document.querySelectorAll("#slots input[name=slot]").length > 0`, 5*time.Second)
	run(t, phone, "move to 10:15",
		chromedp.Click(chromedp.CSS(`#slots input[value="2026-12-03T10:15:00+08:00"] + span`)),
		chromedp.Click(chromedp.CSS("#move")))
	must(t, phone, "moved", `document.querySelector(".when").textContent.indexOf("10:15–10:30") >= 0`, 5*time.Second)
	run(t, phone, "cancel", chromedp.Click(chromedp.CSS("#cancel")))
	must(t, phone, "cancelled", `document.getElementById("state").textContent.indexOf("已取消") >= 0 && !document.getElementById("cancel")`, 5*time.Second)

	vnu := testtool.Path(t, "vnu")
	dir := t.TempDir()
	tokenPath := evalString(t, phone, `location.pathname`)
	var files []string
	for name, body := range map[string][]byte{
		"book":       e.do("GET", "/book", "", nil).body,
		"appt":       e.do("GET", tokenPath, "", nil).body,
		"appt-drawn": []byte(drawnAppt),
	} {
		f := filepath.Join(dir, name+".html")
		if err := os.WriteFile(f, body, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	checkHTML(t, vnu, files...)
	if r := e.do("GET", "/a/no-such-booking", "", nil); r.status != 404 {
		t.Fatalf("an unknown booking's page: %d, want 404", r.status)
	}
}

// TestCounterConsoleShowsBooking: a booking checked in at the kiosk waits in the console's list
// with its 预约 mark and booked time, and the current ticket shows them once called.
func TestCounterConsoleShowsBooking(t *testing.T) {
	e, clk := newApptEnv(t, 1000)
	var a wire.Appointment
	e.book("students", "A", "2026-12-03T08:30:00+08:00", "张三", "13800138000").decode(t, &a)
	clk.set(local("2026-12-03 08:31"))
	r := e.do("POST", "/api/v1/halls/students/appointments/checkin", kioskStudents, map[string]string{"code": a.Code})
	if r.status != 201 {
		t.Fatalf("check-in: %d %s", r.status, r.body)
	}
	var tk wire.Ticket
	r.decode(t, &tk)
	ctx := browser(t, 1280, 900)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	must(t, ctx, "the booking in the list", `(function(){var r=document.querySelector('#waiting tr[data-number=`+jsString(tk.Number)+`] .badge.appt');return !!r && r.textContent.indexOf("预约 08:30")===0})()`, 3*time.Second)
	openCounter(t, ctx)
	run(t, ctx, "call next", chromedp.Click(chromedp.CSS("#call-next")))
	must(t, ctx, "current shows the booking", `onedoorCounter.current() === `+jsString(tk.Number)+` && !document.getElementById("cur-appt").hidden && document.getElementById("cur-appt").textContent.indexOf("预约 08:30") === 0`, 3*time.Second)
}

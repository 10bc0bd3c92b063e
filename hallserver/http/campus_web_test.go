package http

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A service added by PUT /api/v1/admin/campus shows on the open web display and in the counter
// console's transfer choices without a reload of either page.
func TestWebPagesRedrawAfterCampusChange(t *testing.T) {
	e := newEnv(t, withLiveCampus())
	admin := e.login("admin")
	ctx := browser(t, 1920, 1080)
	run(t, ctx, "open display", chromedp.Navigate(e.ts.URL+"/display/students?sound=off"))
	must(t, ctx, "display live", `window.onedoorDisplay && onedoorDisplay.connected && !!document.querySelector('#services [data-code="A"]')`, 5*time.Second)
	console := tab(t, ctx, 1280, 900)
	openConsole(t, console, e.ts.URL, "counter1", 1)
	if evalString(t, console, `String(!!document.querySelector('#tr-service option[value="K"]'))`) != "false" {
		t.Fatal("transfer offers K before it exists")
	}
	c, v := e.getCampus(admin)
	if r := e.putCampus(admin, v, withService(c, "K", 9)); r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	must(t, ctx, "display shows K", `!!document.querySelector('#services [data-code="K"]')`, 5*time.Second)
	must(t, console, "console offers K", `!!document.querySelector('#tr-service option[value="K"]') && !!document.querySelector('#tr-counter option[value="9"]')`, 5*time.Second)
	if got := evalString(t, ctx, `String(performance.getEntriesByType("navigation").length)`); got != "1" {
		t.Errorf("the display reloaded (%s navigations)", got)
	}
}

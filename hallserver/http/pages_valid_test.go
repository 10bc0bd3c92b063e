package http

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/internal/testtool"
)

// TestPagesAreValidHTML runs the Nu HTML checker (vnu.jar, npm vnu-jar pinned in scripts/deps.sh)
// over every page as the server sends it: the ticket and case follow pages, the counter console,
// the display, the inbox, the supervision page (signed in, with its daily report), the roadmap and
// the not-found page, and, as Chromium has drawn them, the inbox with a case's timeline and the case
// follow page after a live update (the times the scripts add); the drawn admin page in
// TestAdminPageInBrowser. It once found a lowercase doctype, <time> without datetime, inputs without
// type and unlabelled <nav>s; the checker must find no error.
func TestPagesAreValidHTML(t *testing.T) {
	vnu := testtool.Path(t, "vnu")
	e := newCaseEnv(t)
	tk := e.issue("A")
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼占座严重"}, "")
	sup := e.login("supervisor")
	lib := e.login("h-library")
	e.do("POST", "/api/v1/cases/"+oc.ID+"/sign", lib, nil)
	e.do("POST", "/api/v1/cases/"+oc.ID+"/reply", lib, map[string]string{"text": "已处理"})
	dir := t.TempDir()
	var files []string
	for _, p := range []struct{ name, path, token string }{
		{"ticket", "/t/" + tk.Token, ""},
		{"case", "/c/" + oc.Token, ""},
		{"counter", "/counter", ""},
		{"display", "/display/students", ""},
		{"inbox", "/cases", ""},
		{"supervision-signed-out", "/supervision", ""},
		{"supervision", "/supervision", sup},
		{"supervision-daily", "/supervision?date=" + e.srv.now().Format("2006-01-02"), sup},
		{"roadmap", "/roadmap", ""},
		{"admin", "/admin", ""},
		{"reports-signed-out", "/reports", ""},
		{"reports", "/reports?hall=students&by=hour", sup},
		{"notfound", "/t/no-such-ticket", ""},
	} {
		r := e.do("GET", p.path, p.token, nil)
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", p.path, r.status, r.header.Get("Content-Type"))
		}
		f := filepath.Join(dir, p.name+".html")
		if err := os.WriteFile(f, r.body, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	// The pages as their scripts draw them: the inbox's case timeline, the follow page's timeline
	// redrawn after the requester adds details.
	oc2 := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "二楼也占座"}, "")
	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-library", oc2.Number)
	clickCase(t, ctx, "pick the case", oc2.Number)
	must(t, ctx, "case shown", `onedoorInbox.selected() === `+jsString(oc2.Number)+` && document.querySelectorAll("#c-timeline time").length > 0`, 3*time.Second)
	rendered := map[string]string{"inbox-drawn": evalString(t, ctx, `"<!DOCTYPE html>"+document.documentElement.outerHTML`)}
	phone := tab(t, ctx, 390, 844)
	run(t, phone, "open follow page", chromedp.Navigate(e.ts.URL+"/c/"+oc2.Token))
	must(t, phone, "follow page", `window.onedoorFollow && !document.getElementById("details").hidden`, 3*time.Second)
	run(t, phone, "add details", chromedp.SendKeys(chromedp.CSS("#details-text"), "三楼东侧"), chromedp.Click(chromedp.CSS("#details-btn")))
	must(t, phone, "details on the timeline", `document.getElementById("timeline").textContent.indexOf("三楼东侧") >= 0`, 3*time.Second)
	rendered["case-drawn"] = evalString(t, phone, `"<!DOCTYPE html>"+document.documentElement.outerHTML`)
	for name, html := range rendered {
		f := filepath.Join(dir, name+".html")
		if err := os.WriteFile(f, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	checkHTML(t, vnu, files...)
}

// checkHTML runs the Nu HTML checker vnu over the files: it must find no error. (The admin page
// as its script draws every section, signed in, is checked so in TestAdminPageInBrowser.)
func checkHTML(t testing.TB, vnu string, files ...string) {
	t.Helper()
	cmd := exec.Command(vnu, append([]string{"--errors-only", "--format", "gnu"}, files...)...)
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Fatalf("vnu: %v: %d errors\n%s", err, strings.Count(string(out), "\n"), out)
	}
}

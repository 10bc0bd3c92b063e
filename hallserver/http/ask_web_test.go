package http

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
	"onedoor/internal/testtool"
)

// TestAskPageInBrowser: on a phone, a stranger picks the kind, types the request, sees the
// router's suggestion and picks it, adds a phone and a photo and sends; the page shows the case
// number and a QR code that reads (zbarimg) as the follow link, which opens the case. The page
// as served and as drawn passes the Nu HTML checker. With -web-screenshots it writes
// ask-form.png and ask-done.png.
func TestAskPageInBrowser(t *testing.T) {
	e := newAskEnv(t, testCampusDepts)
	photo := filepath.Join(t.TempDir(), "占座.png")
	if err := os.WriteFile(photo, testPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, 1280, 900)
	phone := tab(t, ctx, 390, 844)
	run(t, phone, "open /ask", chromedp.Navigate(e.ts.URL+"/ask"))
	must(t, phone, "page ready", `!!window.onedoorAsk`, 3*time.Second)
	served := evalString(t, phone, `"<!DOCTYPE html>"+document.documentElement.outerHTML`)
	run(t, phone, "fill in",
		chromedp.Click(chromedp.CSS(`input[name=kind][value=complaint]`)),
		chromedp.SendKeys(chromedp.CSS("#ask-text"), "图书馆三楼自习室总有人用书占座，一占就是一整天"))
	must(t, phone, "suggestion shown", `!document.getElementById("suggest").hidden && !!document.querySelector("#suggest-list button[data-dept=library]")`, 5*time.Second)
	run(t, phone, "pick the suggestion", chromedp.Click(chromedp.CSS(`#suggest-list button[data-dept=library]`)))
	must(t, phone, "picked", `document.getElementById("ask-dept").value === "library" && document.querySelector("#suggest-list button[data-dept=library]").getAttribute("aria-pressed") === "true"`, 2*time.Second)
	run(t, phone, "contact and photo",
		chromedp.SendKeys(chromedp.CSS("#ask-phone"), "13800138000"),
		chromedp.SetUploadFiles(chromedp.CSS("#ask-files"), []string{photo}))
	shot(t, phone, "ask-form")
	run(t, phone, "send", chromedp.Click(chromedp.CSS("#ask-send")))
	must(t, phone, "number and QR shown", `!document.getElementById("done").hidden && document.getElementById("done-number").textContent !== "" && (function(){var i=document.getElementById("done-qr");return i.complete && i.naturalWidth > 0})()`, 5*time.Second)
	number := evalString(t, phone, `document.getElementById("done-number").textContent`)
	link := evalString(t, phone, `document.getElementById("done-link").href`)
	c, err := e.cs.Get(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	if c.Channel != hall.ChannelWeb || c.Department != "library" || c.Kind != hall.KindComplaint || c.Requester.Phone != "13800138000" || link != e.srv.cfg.PublicURL+"/c/"+c.Token {
		t.Fatalf("case %s: channel %s dept %s kind %s phone %s link %s", number, c.Channel, c.Department, c.Kind, c.Requester.Phone, link)
	}
	if len(c.Attachments()) != 1 {
		t.Fatalf("files on the case: %d", len(c.Attachments()))
	}
	shot(t, phone, "ask-done")
	qr, err := chromedp.Run(phone, chromedp.Screenshot(chromedp.CSS("#done-qr")))
	if err != nil {
		t.Fatal(err)
	}
	if got := zbar(t, qr); got != link {
		t.Fatalf("the QR on the page reads %q, want %q", got, link)
	}
	drawn := evalString(t, phone, `"<!DOCTYPE html>"+document.documentElement.outerHTML`)
	run(t, phone, "follow the link", chromedp.Navigate(link))
	must(t, phone, "the case's page", `document.body.textContent.indexOf(`+jsString(number)+`) >= 0`, 3*time.Second)

	vnu := testtool.Path(t, "vnu")
	dir := t.TempDir()
	var files []string
	for name, html := range map[string]string{"ask-served": served, "ask-drawn": drawn} {
		f := filepath.Join(dir, name+".html")
		if err := os.WriteFile(f, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	checkHTML(t, vnu, files...)
}

// TestHotlinePageInBrowser: the phone system opens /hotline?caller=…; after signing in the
// operator sees the number in the form and the caller's earlier case at once, enters a new case
// (channel hotline), reads a reply back, and records the rating of a replied case from the
// callback list. The page passes the Nu HTML checker. With -web-screenshots it writes
// hotline-desk.png.
func TestHotlinePageInBrowser(t *testing.T) {
	e := newAskEnv(t, testCampusDepts)
	op := e.login("hotline")
	lib := e.login("h-library")
	earlier := e.hotlineOpen(op, "13700137000", "图书馆三楼自习室总有人用书占座")
	e.do("POST", "/api/v1/cases/"+earlier.ID+"/sign", lib, nil)
	if r := e.do("POST", "/api/v1/cases/"+earlier.ID+"/reply", lib, map[string]string{"text": "已增派巡查，占座物品统一清理"}); r.status != 200 {
		t.Fatalf("reply: %d %s", r.status, r.body)
	}
	ctx := browser(t, 1440, 1000)
	run(t, ctx, "open /hotline", chromedp.Navigate(e.ts.URL+"/hotline?caller=13700137000"))
	must(t, ctx, "sign-in form", `!document.getElementById("login").hidden`, 3*time.Second)
	served := evalString(t, ctx, `"<!DOCTYPE html>"+document.documentElement.outerHTML`)
	signInForm(t, ctx, "hotline")
	must(t, ctx, "desk shown", `!document.getElementById("app").hidden`, 3*time.Second)
	if got := evalString(t, ctx, `document.getElementById("caller").value`); got != "13700137000" {
		t.Fatalf("caller prefilled %q", got)
	}
	must(t, ctx, "earlier case listed", `!!document.querySelector("#earlier-list li[data-number='`+earlier.Number+`']")`, 3*time.Second)
	must(t, ctx, "callback listed", `!!document.querySelector("#cb-list li[data-number='`+earlier.Number+`']")`, 3*time.Second)

	// Read the reply back from the earlier case's line.
	run(t, ctx, "read back", chromedp.Click(chromedp.CSS(`#earlier-list li[data-number="`+earlier.Number+`"] button`)))
	must(t, ctx, "reply shown", `!document.getElementById("rb-case").hidden && document.getElementById("rb-reply").textContent.indexOf("已增派巡查") >= 0`, 3*time.Second)

	// A new case for the call.
	run(t, ctx, "the call",
		chromedp.Click(chromedp.CSS(`#call-form input[name=kind][value=consultation]`)),
		chromedp.SendKeys(chromedp.CSS("#call-text"), "宿舍空调坏了三天没人修"))
	must(t, ctx, "suggestion", `document.querySelectorAll("#call-suggest button").length > 0`, 5*time.Second)
	shot(t, ctx, "hotline-desk")
	run(t, ctx, "enter", chromedp.Click(chromedp.CSS("#call-send")))
	must(t, ctx, "entered", `!document.getElementById("call-done").hidden`, 3*time.Second)
	done := evalString(t, ctx, `document.getElementById("call-done").textContent`)
	num := strings.Fields(strings.TrimPrefix(done, hotlineLabels().Portal["opened"].Zh+" "+hotlineLabels().Portal["opened"].En))
	if len(num) == 0 {
		t.Fatalf("done line %q", done)
	}
	c, err := e.cs.Get(context.Background(), num[0])
	if err != nil || c.Channel != hall.ChannelHotline || c.Requester.Phone != "13700137000" || c.Kind != hall.KindConsultation {
		t.Fatalf("new case %q: %v %+v", num[0], err, c)
	}
	must(t, ctx, "two earlier cases now", `document.querySelectorAll("#earlier-list li[data-number]").length === 2`, 3*time.Second)

	// The callback: 5 stars by phone.
	run(t, ctx, "rate", chromedp.Click(chromedp.CSS(`#cb-list li[data-number="`+earlier.Number+`"] button[data-stars="5"]`)))
	must(t, ctx, "recorded", `document.querySelector("#cb-list .ok") !== null`, 3*time.Second)
	rc, _ := e.cs.Get(context.Background(), earlier.ID)
	if rc.State != hall.CaseRated || rc.LastRating().Stars != 5 || rc.LastRating().Channel != hall.ChannelHotline {
		t.Fatalf("after the callback: %s %+v", rc.State, rc.LastRating())
	}
	drawn := evalString(t, ctx, `"<!DOCTYPE html>"+document.documentElement.outerHTML`)
	vnu := testtool.Path(t, "vnu")
	dir := t.TempDir()
	var files []string
	for name, html := range map[string]string{"hotline-served": served, "hotline-drawn": drawn} {
		f := filepath.Join(dir, name+".html")
		if err := os.WriteFile(f, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	checkHTML(t, vnu, files...)
}

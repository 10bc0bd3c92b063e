package http

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestMyPageAfterCASSignIn: on a phone, the campus sign-on leads to /my; a request sent from a
// ticket's follow page while signed in is listed there with its state and follow link, fits
// the screen, and signing out shows the sign-in choices again.
func TestMyPageAfterCASSignIn(t *testing.T) {
	e := newIdentEnv(t)
	ctx := browser(t, 390, 844)
	run(t, ctx, "open /my", chromedp.Navigate(e.ts.URL+"/my"))
	if err := waitJS(t, ctx, `!!document.getElementById("signin-cas")`, 10*time.Second); err != nil {
		t.Fatalf("/my before signing in offers no campus sign-on: %v", err)
	}
	e.idp.signInAs(zhang)
	run(t, ctx, "campus sign-on", chromedp.Click(chromedp.CSS("#signin-cas")))
	if err := waitJS(t, ctx, `location.pathname === "/my" && !!document.getElementById("signout")`, 10*time.Second); err != nil {
		t.Fatalf("not back on /my signed in: %v (%s)", err, evalString(t, ctx, "location.href"))
	}
	if got := evalString(t, ctx, `document.getElementById("me-name").textContent`); got != "张三" {
		t.Errorf("/my greets %q, want 张三", got)
	}
	// A request from a ticket's follow page, sent by this browser (its cookies).
	tk := e.issue("A")
	send := fmt.Sprintf(`fetch("/api/v1/follow/%s/request", {method: "POST", headers: {"Content-Type": "application/json"},
		body: JSON.stringify({kind: "complaint", category: "library-seats", text: "三楼座位被书包占着"})}).then(r => r.json()).then(j => j.number)`, tk.Token)
	number, err := chromedp.Run(ctx, chromedp.Evaluate[string](send, chromedp.EvalAwaitPromise))
	if err != nil || number == "" {
		t.Fatalf("send a request: %q %v", number, err)
	}
	run(t, ctx, "open /my again", chromedp.Navigate(e.ts.URL+"/my"))
	if err := waitJS(t, ctx, `document.querySelectorAll("#requests li").length === 1`, 10*time.Second); err != nil {
		t.Fatalf("/my does not list the request: %v", err)
	}
	item := evalString(t, ctx, `document.querySelector("#requests li").innerText`)
	if !strings.Contains(item, number) || !strings.Contains(item, "投诉") || !strings.Contains(item, "查看进度") {
		t.Errorf("/my item %q: want the number %s, the kind and the follow link", item, number)
	}
	if w := evalString(t, ctx, `String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
		t.Error("/my is wider than a phone's screen")
	}
	// The follow link opens the request's own page.
	run(t, ctx, "follow link", chromedp.Click(chromedp.CSS("#requests li h2 a")))
	if err := waitJS(t, ctx, `location.pathname.startsWith("/c/") && document.body.innerText.includes(`+fmt.Sprintf("%q", number)+`)`, 10*time.Second); err != nil {
		t.Fatalf("the follow link does not open the request: %v (%s)", err, evalString(t, ctx, "location.href"))
	}
	// Sign out.
	run(t, ctx, "open /my to sign out", chromedp.Navigate(e.ts.URL+"/my"))
	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS("#signout")))
	if err := waitJS(t, ctx, `!!document.getElementById("signin-cas") && !document.getElementById("requests")`, 10*time.Second); err != nil {
		t.Fatalf("after signing out /my still shows the requests: %v", err)
	}
}

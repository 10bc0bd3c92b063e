package http

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
)

// TestInboxAlertsNewCase: with the inbox open but not looked at, a case dispatched to the
// department counts in the page title and shows a browser notification naming the case; looking
// at the page again clears the count. A case for another department does neither.
func TestInboxAlertsNewCase(t *testing.T) {
	e := newCaseEnv(t)
	first := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "三楼有人占座"}, "")
	ctx := browser(t, 1280, 900)
	openInbox(t, ctx, e.ts.URL, "h-library", first.Number)
	must(t, ctx, "live stream", `onedoorInbox.live()`, 5*time.Second)
	// The page is in the background, and the user allowed notifications (recorded, not shown).
	run(t, ctx, "background", chromedp.Evaluate[chromedp.Void](`(function () {
		Object.defineProperty(document, "hidden", { configurable: true, get: function () { return window.__hidden; } });
		window.__hidden = true;
		document.hasFocus = function () { return !window.__hidden; };
		window.__notes = [];
		window.Notification = function (title, opts) { window.__notes.push(title + " | " + (opts && opts.tag)); };
		window.Notification.permission = "granted";
		window.__title = document.title;
		return true;
	})()`))
	other := e.openKiosk(map[string]any{"kind": "complaint", "category": "campus-network", "text": "宿舍断网"}, "")
	c := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "二楼有人占座"}, "")
	must(t, ctx, "badge in the title", `document.title === "(1) " + window.__title`, 5*time.Second)
	notes := evalString(t, ctx, `window.__notes.join("\n")`)
	if !strings.Contains(notes, c.Number) || strings.Contains(notes, other.Number) || strings.Count(notes, "\n") != 0 {
		t.Fatalf("browser notifications: %q (want one for %s only)", notes, c.Number)
	}
	run(t, ctx, "look at the page", chromedp.Evaluate[chromedp.Void](`(function () { window.__hidden = false; document.dispatchEvent(new Event("visibilitychange")); return true; })()`))
	must(t, ctx, "badge cleared", `document.title === window.__title`, 3*time.Second)
}

// TestAdminDeadLettersInBrowser: the admin page's 消息通知 tab counts and lists the dead letters
// with their last error, and 重发 sends one back to the outbox.
func TestAdminDeadLettersInBrowser(t *testing.T) {
	at := time.Date(2026, 12, 4, 22, 0, 0, 0, time.UTC)
	fn := &fakeNotifier{dead: []hall.Notification{{Key: "7/wecom/h-library", Seq: 7, Event: string(hall.CaseEvDispatched), Case: "JS20261205-0001",
		Channel: hall.NoticeWecom, Recipient: "h-library", To: "zhang", Title: "新案件 JS20261205-0001", Body: "…",
		CreatedAt: at, NextAt: at, Attempts: 12, LastError: "wecom message/send: errcode 60020: not allow to access from your ip", Dead: true}}}
	e := newEnv(t, withConfig(func(c *Config) { c.Notify = fn }))
	ctx := browser(t, 1280, 900)
	run(t, ctx, "open /admin", chromedp.Navigate(e.ts.URL+"/admin#notify"))
	must(t, ctx, "sign-in form", `window.onedoorAdmin && onedoorAdmin.ready() && !document.getElementById("login").hidden`, 5*time.Second)
	signInForm(t, ctx, "admin")
	must(t, ctx, "the dead letter listed", `!!document.querySelector('#dead-table tr[data-key="7/wecom/h-library"]')`, 5*time.Second)
	if got := evalString(t, ctx, `document.getElementById("dead-table").textContent + "|" + document.getElementById("dead-count").textContent`); !strings.Contains(got, "60020") || !strings.Contains(got, "JS20261205-0001") || !strings.HasSuffix(got, "|1") {
		t.Fatalf("dead letters shown: %q", got)
	}
	shot(t, ctx, "admin-dead-letters")
	click(t, ctx, `#dead-table tr[data-key="7/wecom/h-library"] button`)
	must(t, ctx, "retried", `!document.querySelector('#dead-table tr[data-key]') && !document.getElementById("dead-none").hidden`, 5*time.Second)
	if fn.Status().Dead != 0 {
		t.Fatal("the retry did not reach the notifier")
	}
}

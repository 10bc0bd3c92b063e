package http

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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

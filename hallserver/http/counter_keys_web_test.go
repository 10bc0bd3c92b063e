package http

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// TestCounterConsoleKeyboard: a day of 200 visits at the keyboard. F1 calls, F2 recalls, F3
// starts, F4 finishes with the outcome selected, F8 marks absent only when pressed twice (Esc
// cancels), F9 parks; F1 or Space while a ticket is at the counter says why nothing happens;
// with the setting on, F1 while serving finishes and calls the next. The buttons show their keys.
func TestCounterConsoleKeyboard(t *testing.T) {
	e := newEnv(t)
	a, b, c, d, f := e.issue("A"), e.issue("A"), e.issue("A"), e.issue("A"), e.issue("A")
	ctx := browser(t, 1366, 768)
	openConsole(t, ctx, e.ts.URL, "counter1", 1)
	openCounter(t, ctx)
	idle := ` && !onedoorCounter.busy()`
	key := func(what, k string) {
		t.Helper()
		must(t, ctx, "idle before "+what, `!onedoorCounter.busy()`, 3*time.Second)
		run(t, ctx, what, chromedp.KeyEvent(k))
	}
	for sel, k := range map[string]string{"#call-next": "F1", `[data-act="recall"]`: "F2", `[data-act="start"]`: "F3", `[data-act="finish"]`: "F4", `[data-act="no-show"]`: "F8", `[data-act="park"]`: "F9"} {
		if got := evalString(t, ctx, `(function(){var k=document.querySelector('`+sel+` .key');return k?k.textContent:""})()`); !strings.Contains(got, k) {
			t.Errorf("button %s shows key %q, want %s", sel, got, k)
		}
	}
	shot(t, ctx, "counter-keys")

	key("F1", kb.F1)
	must(t, ctx, "F1 called "+a.Number, `onedoorCounter.current() === `+jsString(a.Number)+idle, 3*time.Second)
	key("F2", kb.F2)
	must(t, ctx, "F2 recalled", `document.getElementById("cur-calls").textContent.indexOf("2") >= 0`+idle, 3*time.Second)
	key("Space while called", " ")
	must(t, ctx, "Space says why", `document.getElementById("status").textContent.indexOf(`+jsString(a.Number)+`) >= 0 && document.getElementById("status").textContent.indexOf("F3") >= 0`, 2*time.Second)
	key("F3", kb.F3)
	must(t, ctx, "F3 started", `document.getElementById("cur-state").className.indexOf("t-serving") >= 0`+idle, 3*time.Second)
	key("F1 while serving", kb.F1)
	must(t, ctx, "F1 says why", `document.getElementById("status").textContent.indexOf(`+jsString(a.Number)+`) >= 0 && document.getElementById("status").textContent.indexOf("F4") >= 0`, 2*time.Second)
	shot(t, ctx, "counter-keys-why")
	if got := evalString(t, ctx, `onedoorCounter.current()`); got != a.Number {
		t.Fatalf("F1 while serving moved on to %q", got)
	}
	evalString(t, ctx, `(document.getElementById("outcome").value = "redirected", "")`)
	key("F4", kb.F4)
	must(t, ctx, "F4 finished", `onedoorCounter.current() === ""`+idle, 3*time.Second)
	var fl wire.Follow
	e.do("GET", "/api/v1/follow/"+a.Token, "", nil).decode(t, &fl)
	if fl.State != hall.TicketDone || fl.Outcome != hall.OutcomeRedirected {
		t.Errorf("after F4: %s %s, want done redirected", fl.State, fl.Outcome)
	}

	key("F1", kb.F1)
	must(t, ctx, "called "+b.Number, `onedoorCounter.current() === `+jsString(b.Number)+idle, 3*time.Second)
	key("F8", kb.F8)
	must(t, ctx, "F8 asks", `document.getElementById("status").textContent.indexOf("F8") >= 0`, 2*time.Second)
	shot(t, ctx, "counter-keys-noshow-confirm")
	key("Esc", kb.Escape)
	key("F8 after Esc", kb.F8)
	time.Sleep(300 * time.Millisecond)
	if got := evalString(t, ctx, `onedoorCounter.current()`); got != b.Number {
		t.Fatalf("one F8 after Esc marked %s absent (current %q)", b.Number, got)
	}
	key("F8 again", kb.F8)
	must(t, ctx, "F8 twice: absent", `onedoorCounter.current() === "" && !!document.querySelector('#aside tr[data-number=`+jsString(b.Number)+`]')`+idle, 3*time.Second)

	key("F1", kb.F1)
	must(t, ctx, "called "+c.Number, `onedoorCounter.current() === `+jsString(c.Number)+idle, 3*time.Second)
	key("F9", kb.F9)
	must(t, ctx, "F9 parked", `onedoorCounter.current() === "" && !!document.querySelector('#aside tr[data-number=`+jsString(c.Number)+`]')`+idle, 3*time.Second)

	// The setting: F1 while serving finishes (selected outcome) and calls the next.
	run(t, ctx, "setting", chromedp.Click(chromedp.CSS("#f1-finish")))
	key("F1", kb.F1)
	must(t, ctx, "called "+d.Number, `onedoorCounter.current() === `+jsString(d.Number)+idle, 3*time.Second)
	key("F3", kb.F3)
	must(t, ctx, "serving", `document.getElementById("cur-state").className.indexOf("t-serving") >= 0`+idle, 3*time.Second)
	evalString(t, ctx, `(document.getElementById("outcome").value = "resolved", "")`)
	key("F1 finishes and calls", kb.F1)
	must(t, ctx, "finished and called "+f.Number, `onedoorCounter.current() === `+jsString(f.Number)+idle, 3*time.Second)
	e.do("GET", "/api/v1/follow/"+d.Token, "", nil).decode(t, &fl)
	if fl.State != hall.TicketDone || fl.Outcome != hall.OutcomeResolved {
		t.Errorf("after F1 with the setting: %s %s, want done resolved", fl.State, fl.Outcome)
	}
}

package http

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/hall"
)

// TestAttachPhotoFromFollowPageReachesInbox: on a phone-sized follow page the requester picks a
// PNG (carrying a GPS block) and sends it with a few words; the page shows its thumbnail in the
// timeline (loaded from the follow API); a library handler opening the case in /cases sees the
// same photo beside the requester's addition (loaded through the staff API), and the stored
// bytes have no location left.
func TestAttachPhotoFromFollowPageReachesInbox(t *testing.T) {
	e := newCaseEnv(t)
	oc := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼自习室占座"}, "")
	photo := filepath.Join(t.TempDir(), "占座现场.png")
	if err := os.WriteFile(photo, gpsPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, 1280, 900)
	phone := tab(t, ctx, 390, 844)
	run(t, phone, "open follow page", chromedp.Navigate(e.ts.URL+"/c/"+oc.Token))
	must(t, phone, "follow page ready", `window.onedoorFollow && !document.getElementById("details").hidden`, 3*time.Second)
	if got := evalString(t, phone, `document.getElementById("details-files").accept`); got != "image/*,application/pdf" {
		t.Fatalf("picker accepts %q", got)
	}
	run(t, phone, "pick and send",
		chromedp.SetUploadFiles(chromedp.CSS("#details-files"), []string{photo}),
		chromedp.SendKeys(chromedp.CSS("#details-text"), "书包占了一整排"))
	must(t, phone, "picked file listed", `document.getElementById("details-picked").textContent.indexOf("占座现场.png") >= 0`, 3*time.Second)
	run(t, phone, "send", chromedp.Click(chromedp.CSS("#details-btn")))
	must(t, phone, "thumbnail in the timeline", `(function(){var i=document.querySelector("#timeline .thumbs img");return !!i && i.complete && i.naturalWidth === 24})()`, 5*time.Second)
	shot(t, phone, "follow-attachment")

	c, err := e.cs.Get(t.Context(), oc.ID)
	if err != nil {
		t.Fatal(err)
	}
	atts := c.Attachments()
	if len(atts) != 1 || atts[0].Type != "image/png" || atts[0].Name != "占座现场.png" {
		t.Fatalf("case attachments %+v", atts)
	}
	if last := c.Timeline[len(c.Timeline)-1]; last.Type != hall.CaseEvDetails || last.Text != "书包占了一整排" {
		t.Fatalf("last entry %+v", last)
	}
	b, err := e.cs.ReadAttachment(t.Context(), atts[0].ID)
	if err != nil || strings.Contains(string(b), gpsMarker) || strings.Contains(string(b), "eXIf") {
		t.Fatalf("stored photo: %d bytes, %v (location left: %v)", len(b), err, strings.Contains(string(b), gpsMarker))
	}

	openInbox(t, ctx, e.ts.URL, "h-library", oc.Number)
	clickCase(t, ctx, "pick the case", oc.Number)
	must(t, ctx, "case shown", `onedoorInbox.selected() === `+jsString(oc.Number), 3*time.Second)
	must(t, ctx, "the handler sees the photo", `(function(){var i=document.querySelector("#c-details .thumbs img");return !!i && i.complete && i.naturalWidth === 24 && i.alt === "占座现场.png"})()`, 5*time.Second)
	shot(t, ctx, "inbox-attachment")

	// The handler replies with a PDF; the requester's page lists it under the reply.
	doc := filepath.Join(t.TempDir(), "座位管理规定.pdf")
	if err := os.WriteFile(doc, []byte("%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "sign", chromedp.Click(chromedp.CSS("#act-sign")))
	must(t, ctx, "signed", `onedoorInbox.state() === "in_progress" && !onedoorInbox.busy() && !document.getElementById("f-reply").hidden`, 3*time.Second)
	evalString(t, ctx, `(function(){document.getElementById("reply-text").value="已增设巡查，规定见附件。";return ""})()`)
	run(t, ctx, "attach the rules", chromedp.SetUploadFiles(chromedp.CSS("#reply-files"), []string{doc}))
	run(t, ctx, "reply", chromedp.Click(chromedp.CSS("#reply-btn")))
	must(t, ctx, "replied", `onedoorInbox.state() === "replied" && !onedoorInbox.busy()`, 3*time.Second)
	run(t, phone, "reload follow page", chromedp.Navigate(e.ts.URL+"/c/"+oc.Token))
	must(t, phone, "the reply's PDF listed", `Array.prototype.some.call(document.querySelectorAll("#timeline .thumbs a.doc"), function(a){return a.textContent.indexOf("座位管理规定.pdf") >= 0})`, 5*time.Second)
}

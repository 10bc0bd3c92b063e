package kiosk

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"onedoor/hallserver/hall"
)

// TestQueuedRequestPrintsReceipt (issue 12, kiosk 5): a request saved in the spool while the
// hall server is away prints a receipt with its K- reference and a QR code of the follow link the
// case will have (the kiosk proposes the follow token): before delivery the link finds nothing;
// once the spool delivers the request it opens the case's page.
func TestQueuedRequestPrintsReceipt(t *testing.T) {
	env, sim, k := newPrintingKiosk(t, kioskOpts{})
	// A ticket first: its follow link shows the kiosk the server's public URL.
	k.tap("service:A")
	k.tap("take:standard")
	k.waitFor("ticket printed", func(s State) bool { return s.Screen == ScreenResult && !s.Ticket.Printing })
	k.flow.Finish()
	k.waitScreen(ScreenHome)

	env.down()
	k.waitTicking("out of service", func(s State) bool { return s.Screen == ScreenOutOfService })
	k.request("complaint", "dorm-repairs")
	k.tap("submit")
	st := k.waitFor("queued receipt printed", func(s State) bool {
		return s.Screen == ScreenReceipt && s.Request != nil && !s.Request.Printing && k.ui.rev == s.Rev
	})
	r := st.Request
	if !r.Queued || r.Reference == "" || !r.Printed || !strings.HasPrefix(r.FollowURL, env.url()+"/c/") {
		t.Fatalf("queued request %+v", r)
	}
	texts := strings.Join(k.screenTexts(), "\n")
	if !strings.Contains(texts, T("zh", "req.queued.scan")) || !strings.Contains(texts, T("zh", "result.printed")) {
		t.Errorf("queued receipt screen:\n%s", texts)
	}
	pages := sim.printed()
	if len(pages) != 2 {
		t.Fatalf("%d pages, want the ticket and the queued request's receipt", len(pages))
	}
	checkPage(t, pages[1], r.Reference, r.FollowURL) // the reference in the text; the QR decodes to the link
	if text := strings.Join(pages[1].Lines, ""); !strings.Contains(text, "系统恢复后自动提交") {
		t.Errorf("printed receipt does not say the request is sent later:\n%s", text)
	}

	env.up()
	if got := getStatus(t, r.FollowURL); got != http.StatusNotFound {
		t.Fatalf("before delivery GET %s: %d, want 404", r.FollowURL, got)
	}
	k.waitFor("delivered", func(State) bool { _, c := env.cases.counts(); return c == 1 })
	cs := env.cases.list(t)
	if len(cs) != 1 || r.FollowURL != env.url()+"/c/"+cs[0].Token || cs[0].Kind != hall.Kind(KindComplaint) {
		t.Fatalf("cases %+v, want one followed at %s", cs, r.FollowURL)
	}
	resp, err := http.Get(r.FollowURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), cs[0].Number) {
		t.Fatalf("after delivery GET %s: %d", r.FollowURL, resp.StatusCode)
	}
}

// getStatus returns the status of GET url.
func getStatus(t *testing.T, url string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

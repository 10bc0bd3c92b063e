package http

import (
	"strings"
	"testing"
)

// TestCaseKioskFollowToken (issue 12, kiosk 5): a kiosk that prints the receipt of a request
// before it could deliver it proposes the case's follow token, so the printed QR code
// (PublicURL/c/{token}) works once the request arrives. A token of another shape (guessable,
// too short, not base32) or one already in use is refused with the field named and changes
// nothing; a retry with the same idempotency key gets the same case.
func TestCaseKioskFollowToken(t *testing.T) {
	e := newCaseEnv(t)
	token := "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	body := map[string]any{"hall": "students", "kind": "complaint", "category": "library-seats", "channel": "kiosk", "lang": "zh", "followToken": token}
	if p := e.do("GET", "/c/"+token, "", nil); p.status != 404 {
		t.Fatalf("before delivery: %d", p.status)
	}
	oc := e.openKiosk(body, "kiosk-key-1")
	if oc.Token != token || oc.FollowURL != e.ts.URL+"/c/"+token {
		t.Fatalf("opened %+v, want token %s", oc, token)
	}
	if p := e.do("GET", "/c/"+token, "", nil); p.status != 200 || !strings.Contains(string(p.body), oc.Number) {
		t.Fatalf("after delivery: %d", p.status)
	}
	if again := e.openKiosk(body, "kiosk-key-1"); again.ID != oc.ID {
		t.Fatalf("retry gave %s, want %s", again.ID, oc.ID)
	}
	seq := e.cs.LastSeq()
	for _, tc := range []struct {
		token  any
		status int
	}{
		{token, 409}, // in use by another case
		{"SHORT", 400},
		{strings.Repeat("a", 32), 400},
		{strings.Repeat("A", 31) + "1", 400},
		{7, 400},
	} {
		b := map[string]any{"hall": "students", "category": "library-seats", "followToken": tc.token}
		r := e.do("POST", "/api/v1/cases", kioskStudents, b, "Idempotency-Key", "other")
		if r.status != tc.status || (tc.status == 400 && r.apiError(t).Field != "followToken") {
			t.Fatalf("followToken %v: %d %s", tc.token, r.status, r.body)
		}
	}
	if e.cs.LastSeq() != seq {
		t.Fatal("refused opens changed the case log")
	}
}

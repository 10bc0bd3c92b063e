package http

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
	"onedoor/internal/testtool"
)

// hangUpQueue is the real store with an Issue that, the first time, waits in the "commit" until
// the request's context ends (the client hung up) and then answers as bolt does then: the change
// is committed all the same (the committer never looks at the request context, see
// bolt.TestCallerGoneMidCommitStillCommits) and the caller gets "waiting for commit: context
// canceled".
type hangUpQueue struct {
	hall.QueueService
	once    sync.Once
	inStore chan struct{}
}

func (q *hangUpQueue) Issue(ctx context.Context, req hall.IssueRequest) (*hall.Issued, error) {
	first := false
	q.once.Do(func() { first = true })
	if !first {
		return q.QueueService.Issue(ctx, req)
	}
	if _, err := q.QueueService.Issue(context.WithoutCancel(ctx), req); err != nil {
		return nil, err
	}
	close(q.inStore)
	<-ctx.Done()
	return nil, fmt.Errorf("bolt: waiting for commit: %w", ctx.Err())
}

// TestClientHangsUpMidCommit: a kiosk whose connection closes while its ticket is being committed
// is not a server error: nothing at level ERROR in the log, the request counted under 499 (client
// closed request) and not 500. The ticket is committed all the same, and the kiosk's retry with
// the same Idempotency-Key gets it.
func TestClientHangsUpMidCommit(t *testing.T) {
	var logs testtool.SyncBuffer
	q := &hangUpQueue{inStore: make(chan struct{})}
	e := newEnv(t, withConfig(func(c *Config) {
		q.QueueService = c.Queue
		c.Queue = q
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}))

	conn, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	body := `{"service":"A"}`
	fmt.Fprintf(conn, "POST /api/v1/halls/students/tickets HTTP/1.1\r\nHost: onedoor\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nIdempotency-Key: tap-hangup\r\nContent-Length: %d\r\n\r\n%s", kioskStudents, len(body), body)
	select {
	case <-q.inStore:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the store")
	}
	conn.Close() // the kiosk hangs up while its ticket is being committed

	const route = `onedoor_http_requests_total{route="POST /api/v1/halls/{hall}/tickets"`
	var metrics string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		metrics = string(e.do("GET", "/metrics", metricsToken, nil).body)
		if strings.Contains(metrics, route) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hung-up request was never counted")
		}
	}
	if strings.Contains(metrics, route+`,status="500"}`) || !strings.Contains(metrics, route+`,status="499"} 1`) {
		t.Errorf("hung-up request counted as:\n%s", grep(metrics, route))
	}
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var rec struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec.Level == "ERROR" || rec.Level == "WARN" {
			t.Errorf("hung-up request logged at %s: %s", rec.Level, line)
		}
	}

	w, err := e.q.Waiting(context.Background(), "students")
	if err != nil || len(w) != 1 {
		t.Fatalf("waiting after the hang-up: %+v, %v; want the committed ticket", w, err)
	}
	r := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, body, "Idempotency-Key", "tap-hangup")
	var again wire.Ticket
	if r.status != 200 && r.status != 201 {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	r.decode(t, &again)
	if again.ID != w[0].ID || again.Number != "A001" {
		t.Fatalf("retry got %s (%s), want the committed %s (%s)", again.Number, again.ID, w[0].Number, w[0].ID)
	}
}

// TestPageOfGoneClientIsNot500: a phone that closes the follow page while the server looks the
// ticket up is counted under 499 and logged at info, not as a failed page (500, ERROR).
func TestPageOfGoneClientIsNot500(t *testing.T) {
	var logs testtool.SyncBuffer
	e := newEnv(t, withConfig(func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}))
	tj := e.issue("A")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the phone is gone by the time the store is asked
	req := httptest.NewRequestWithContext(ctx, "GET", "/t/"+tj.Token, nil)
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if rec.Code != 499 {
		t.Errorf("page of a gone client: status %d, want %d", rec.Code, 499)
	}
	if s := logs.String(); strings.Contains(s, `"level":"ERROR"`) || !strings.Contains(s, "client closed the request") {
		t.Errorf("page of a gone client logged as:\n%s", s)
	}
	m := string(e.do("GET", "/metrics", metricsToken, nil).body)
	if !strings.Contains(m, `onedoor_http_requests_total{route="GET /t/{token}",status="499"} 1`) {
		t.Errorf("page of a gone client counted as:\n%s", grep(m, `onedoor_http_requests_total{route="GET /t/`))
	}
}

package http

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkIssueHandler issues tickets through the server's handler in process (routing, auth,
// JSON, the engine, the store and its WAL fdatasync, the answer), one at a time, without the
// network: allocs/op is what one durable issue allocates on the server; ns/op is mostly the
// fdatasync.
//
//	go test ./hallserver/http -run '^$' -bench IssueHandler -benchmem -benchtime 2000x
func BenchmarkIssueHandler(b *testing.B) {
	e := newEnv(b)
	services := []string{"A", "B"}
	i := 0
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/halls/students/tickets", strings.NewReader(`{"service":"`+services[i%2]+`"}`))
		r.Header.Set("Authorization", "Bearer "+kioskStudents)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			b.Fatalf("issue: %d %s", w.Code, w.Body)
		}
		i++
	}
}

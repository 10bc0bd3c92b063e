package http

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
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

// BenchmarkIssueOverTCP issues tickets as the bench-issue check does: 16 kiosks over keep-alive
// HTTP connections, each waiting for its durable answer before the next request. Besides ns/op
// (the rate, which wanders with the disk and the machine's load) it reports cpu-ns/op, the CPU
// of the whole process (server and clients, user and system, by getrusage) per issue: steadier
// than the rate, it is what a change to the issue path saves.
//
//	go test ./hallserver/http -run '^$' -bench IssueOverTCP -benchtime 20000x -count 5
func BenchmarkIssueOverTCP(b *testing.B) {
	e := newEnv(b)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	url := e.ts.URL + "/api/v1/halls/students/tickets"
	services := []string{"A", "B"}
	var next atomic.Int64
	b.SetParallelism(8) // 16 kiosks on the project's 2 cores
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			svc := services[next.Add(1)%2]
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"service":"`+svc+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+kioskStudents)
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var t struct {
				Number string `json:"number"`
			}
			if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &t) != nil || t.Number == "" {
				b.Errorf("issue: %d %s", resp.StatusCode, body)
				return
			}
		}
	})
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() - ru0.Utime.Nano() + ru1.Stime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

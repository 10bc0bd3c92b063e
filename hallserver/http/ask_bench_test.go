package http

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAskFloodKioskIssue measures what a flood of the public portal from one address does
// to the kiosks: a flooder sends POST /api/v1/ask at a steady 1,000 requests a second from one
// client address over real HTTP (keep-alive, 16 connections), while the benchmark loop issues
// tickets as a kiosk, one at a time. It reports the kiosk's issue latency (p50, p99, max in
// ms), the flood's achieved rate and how many of its requests got 429 (and how many 201). The
// "quiet" sub-benchmark is the same kiosk without the flood.
//
//	go test ./hallserver/http -run '^$' -bench AskFloodKioskIssue -benchtime 2000x
func BenchmarkAskFloodKioskIssue(b *testing.B) {
	for _, flood := range []bool{false, true} {
		name := "quiet"
		if flood {
			name = "flood1000"
		}
		b.Run(name, func(b *testing.B) {
			e := newAskEnv(b, testCampusDepts)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32, MaxConnsPerHost: 32}}
			var sent, tooMany, created, other atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			start := time.Now()
			if flood {
				// 16 senders at 62.5 requests a second each: 1,000 a second together.
				for w := range 16 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						tick := time.NewTicker(16 * time.Millisecond)
						defer tick.Stop()
						for i := 0; ; i++ {
							select {
							case <-stop:
								return
							case <-tick.C:
							}
							body := fmt.Sprintf(`{"kind":"complaint","text":"图书馆自习室占座问题第%d-%d次"}`, w, i)
							req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/ask", bytes.NewReader([]byte(body)))
							req.Header.Set("Content-Type", "application/json")
							req.Header.Set("X-Forwarded-For", "203.0.113.7")
							resp, err := client.Do(req)
							sent.Add(1)
							if err != nil {
								other.Add(1)
								continue
							}
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							switch resp.StatusCode {
							case http.StatusTooManyRequests:
								tooMany.Add(1)
							case http.StatusCreated:
								created.Add(1)
							default:
								other.Add(1)
							}
						}
					}()
				}
				time.Sleep(500 * time.Millisecond) // the flood is under way
			}
			kiosk := &http.Client{Transport: &http.Transport{}}
			var lat []time.Duration
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/halls/students/tickets", bytes.NewReader([]byte(`{"service":"A"}`)))
				req.Header.Set("Authorization", "Bearer "+kioskStudents)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := kiosk.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("issue %d: %d", i, resp.StatusCode)
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			elapsed := time.Since(start)
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
			b.ReportMetric(ms(lat[len(lat)/2]), "issue-p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "issue-p99-ms")
			b.ReportMetric(ms(lat[len(lat)-1]), "issue-max-ms")
			if flood {
				b.ReportMetric(float64(sent.Load())/elapsed.Seconds(), "ask-req/s")
				b.ReportMetric(float64(tooMany.Load()), "ask-429")
				b.ReportMetric(float64(created.Load()), "ask-201")
				b.ReportMetric(float64(other.Load()), "ask-other")
			}
		})
	}
}

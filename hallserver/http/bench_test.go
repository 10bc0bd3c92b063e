package http

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkCallToEvent measures, like barstool's call-latency check, the time from sending a
// call-next request to the call event arriving at each of n stream subscribers (p50/p99 over all
// deliveries), and the memory each subscriber costs (client and server side together: both run in
// this process). Run: go test -run '^$' -bench CallToEvent -benchtime 50x ./hallserver/http
func BenchmarkCallToEvent(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) { benchCallToEvent(b, n) })
	}
}

func benchCallToEvent(b *testing.B, n int) {
	e := newEnv(b)
	staff := e.login("admin")
	e.act(staff, 1, "open", nil, 200)

	heap0, rss0 := memNow()
	arrivals := make(chan time.Time, n*4)
	conns := make([]*websocket.Conn, 0, n)
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/api/v1/halls/students/stream"
	for i := 0; i < n; i++ {
		c, _, err := websocket.DefaultDialer.Dial(u, nil)
		if err != nil {
			b.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		go func() {
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				if bytes.Contains(msg, []byte(`"type":"ticket.called"`)) {
					arrivals <- time.Now()
				}
			}
		}()
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	time.Sleep(200 * time.Millisecond)
	heap1, rss1 := memNow()

	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e.issue("A")
		time.Sleep(100 * time.Millisecond) // let the issue event reach everyone (barstool also paces calls)
		b.StartTimer()
		t0 := time.Now()
		e.act(staff, 1, "call-next", nil, 200)
		timeout := time.NewTimer(10 * time.Second)
		for j := 0; j < n; j++ {
			select {
			case at := <-arrivals:
				lat = append(lat, at.Sub(t0))
			case <-timeout.C:
				b.Fatalf("call %d: only %d of %d subscribers got the event", i, j, n)
			}
		}
		timeout.Stop()
		if os.Getenv("BENCH_DEBUG") != "" {
			fmt.Printf("call %d: first %v last %v\n", i, lat[len(lat)-n], lat[len(lat)-1])
		}
		b.StopTimer()
		e.act(staff, 1, "finish", nil, 200)
		time.Sleep(100 * time.Millisecond)
		b.StartTimer()
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(float64(heap1-heap0)/float64(n), "heap-B/sub")
	b.ReportMetric(float64(rss1-rss0)/float64(n), "rss-B/sub")
}

// memNow returns the heap and stack in use after a GC, and the resident set size.
func memNow() (heap, rss int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap = int64(ms.HeapInuse + ms.StackInuse)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				rss = kb << 10
			}
		}
	}
	return heap, rss
}

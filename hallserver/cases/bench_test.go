package cases

import (
	"fmt"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// BenchmarkRoute measures routing one typical Chinese request.
func BenchmarkRoute(b *testing.B) {
	r := NewRouter(DemoCatalogue())
	b.ReportAllocs()
	for b.Loop() {
		r.Route("宿舍卫生间的水管漏水好几天了，报修一直没人来处理")
	}
}

// BenchmarkRouteParallel measures concurrent routing (HTTP handlers share one router).
func BenchmarkRouteParallel(b *testing.B) {
	r := NewRouter(DemoCatalogue())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Route("My campus Wi-Fi keeps disconnecting in the evening")
		}
	})
}

// BenchmarkNewRouter measures training on the demo catalogue (start-up cost).
func BenchmarkNewRouter(b *testing.B) {
	cat := DemoCatalogue()
	for b.Loop() {
		NewRouter(cat)
	}
}

// BenchmarkTick measures a Tick over 10 000 open cases.
func BenchmarkTick(b *testing.B) {
	e, _ := New(Config{})
	for i := range 10000 {
		e.Open(mon, hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: "宿舍漏水", Department: "logistics"}, fmt.Sprint(i), fmt.Sprint("t", i))
	}
	now := mon.Add(time.Hour)
	b.ResetTimer()
	for b.Loop() {
		e.Tick(now)
	}
}

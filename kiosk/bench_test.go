package kiosk

import (
	"testing"
	"time"
)

// BenchmarkTicket measures one person's way to a printed ticket through the UI (service, then
// "take a number"), against the real hall server (bbolt, fsync) and the virtual printer on TCP:
// touches and the time from the first touch to the printer having the ticket. Reading and
// finding the button are the person's part and not in the figure.
func BenchmarkTicket(b *testing.B) {
	env := newHallEnv(b)
	sim := newSimPrinter(b)
	k := newKiosk(b, env, kioskOpts{printer: driverPrinter(b, sim)})
	k.waitScreen(ScreenHome)
	svcs := []string{"A", "B", "C", "D", "E"}
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		taps := k.taps
		start := time.Now()
		k.tap("service:" + svcs[i%len(svcs)])
		k.tap("take:standard")
		k.waitFor("printed", func(s State) bool { return s.Screen == ScreenResult && s.Ticket != nil && !s.Ticket.Printing })
		worst = max(worst, time.Since(start))
		if k.taps-taps != 2 {
			b.Fatalf("%d touches", k.taps-taps)
		}
		b.StopTimer()
		k.flow.Finish()
		k.waitScreen(ScreenHome)
		b.StartTimer()
	}
	b.ReportMetric(2, "touches/ticket")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}

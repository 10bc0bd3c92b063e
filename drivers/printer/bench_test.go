package printer

import (
	"fmt"
	"testing"
	"time"

	"onedoor/drivers/escpos"
)

// transferTime is how long job takes on a serial line at baud: 10 bits per
// byte (8N1) plus the pacing delays the profile's rule imposes, starting
// with an empty printer buffer. The clock is simulated, not slept.
func transferTime(prof escpos.Profile, baud, n int) time.Duration {
	pc := escpos.NewPacer(prof.Pacing)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	for sent := 0; sent < n; {
		c := min(pc.ChunkBytes(), n-sent)
		now = now.Add(pc.Reserve(c, now))
		now = now.Add(escpos.LineTime(c, baud))
		sent += c
	}
	return now.Sub(start)
}

func TestTransferTimeArithmetic(t *testing.T) {
	prof := profile(t, "58mm")
	// Under the 3 KB allowance: pure line time, 1000 bytes at 9600 = 1.0417 s.
	if got, want := transferTime(prof, 9600, 1000), escpos.LineTime(1000, 9600); (got - want).Abs() > time.Microsecond {
		t.Errorf("1000 B at 9600: %v, want %v", got, want)
	}
	// 6 KB at 115200: line time 0.53 s, but after 3072 B the printer
	// drains 377 B/s: (6144-3072)/377 = 8.15 s.
	if got := transferTime(prof, 115200, 6144); got < 8*time.Second || got > 9*time.Second {
		t.Errorf("6 KB at 115200: %v", got)
	}
}

// BenchmarkTicketTransfer reports bytes per ticket and the computed serial
// transfer time (line time + pacing) at 9600, 19200 and 115200 baud. The
// ns/op figure is the encode time; the transfer time is the ms/ticket metric.
func BenchmarkTicketTransfer(b *testing.B) {
	for _, name := range []string{"58mm", "80mm", "58mm-raster"} {
		prof := profile(b, name)
		for _, baud := range []int{9600, 19200, 115200} {
			b.Run(fmt.Sprintf("%s/%d", name, baud), func(b *testing.B) {
				d := ticket(b)
				var job []byte
				for b.Loop() {
					var err error
					if job, err = escpos.Ticket(prof, d); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(job)), "bytes/ticket")
				b.ReportMetric(float64(transferTime(prof, baud, len(job)).Microseconds())/1000, "ms/ticket")
			})
		}
	}
}

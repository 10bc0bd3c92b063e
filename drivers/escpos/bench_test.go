package escpos

import "testing"

// BenchmarkTicketEncode measures laying out and encoding one queue ticket.
func BenchmarkTicketEncode(b *testing.B) {
	for _, name := range []string{"58mm", "80mm", "58mm-raster"} {
		b.Run(name, func(b *testing.B) {
			p := mustProfile(b, name)
			d := sampleTicket(b)
			var n int
			for b.Loop() {
				out, err := Ticket(p, d)
				if err != nil {
					b.Fatal(err)
				}
				n = len(out)
			}
			b.ReportMetric(float64(n), "bytes/ticket")
		})
	}
}

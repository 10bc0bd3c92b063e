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

// BenchmarkTicketRareName measures a ticket whose footer holds Extension B hanzi: on a 2-byte
// printer the line becomes a raster image (fonts loaded per ticket), on a GB18030-2005
// printer 4-byte codes.
func BenchmarkTicketRareName(b *testing.B) {
	for _, name := range []string{"58mm", "80mm-gb18030"} {
		b.Run(name, func(b *testing.B) {
			p := mustProfile(b, name)
			d := sampleTicket(b)
			d.Footer = "刘𠀀 ß ñ 𪚥"
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

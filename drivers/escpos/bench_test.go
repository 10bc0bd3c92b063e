package escpos

import "testing"

// benchTicket lays out and encodes d for profile name in a loop and reports the size.
func benchTicket(b *testing.B, name string, d TicketData) {
	p := mustProfile(b, name)
	var n int
	for b.Loop() {
		out, err := Ticket(p, d)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes/ticket")
}

// BenchmarkTicketEncode measures laying out and encoding one queue ticket.
func BenchmarkTicketEncode(b *testing.B) {
	for _, name := range []string{"58mm", "80mm", "58mm-raster"} {
		b.Run(name, func(b *testing.B) { benchTicket(b, name, sampleTicket(b)) })
	}
}

// BenchmarkTicketRareName measures a ticket whose footer holds Extension B hanzi: on a 2-byte
// printer the line becomes a raster image (fonts opened per ticket), on a GB18030-2005
// printer 4-byte codes.
func BenchmarkTicketRareName(b *testing.B) {
	for _, name := range []string{"58mm", "80mm-gb18030"} {
		b.Run(name, func(b *testing.B) {
			d := sampleTicket(b)
			d.Footer = "刘𠀀 ß ñ 𪚥"
			benchTicket(b, name, d)
		})
	}
}

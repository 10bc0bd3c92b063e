package printersim_test

import (
	"testing"

	"onedoor/drivers/escpos"
	"onedoor/drivers/printersim"
)

// BenchmarkRenderTicket measures parsing and drawing one queue ticket (escpos.Ticket layout,
// native QR) to a page image; PNG encoding is measured separately.
func BenchmarkRenderTicket(b *testing.B) {
	for _, name := range []string{"58mm", "80mm"} {
		b.Run(name, func(b *testing.B) {
			prof, err := escpos.LookupProfile(name)
			if err != nil {
				b.Fatal(err)
			}
			job, err := escpos.Ticket(prof, ticketData())
			if err != nil {
				b.Fatal(err)
			}
			font, err := printersim.FindFont("")
			if err != nil {
				b.Fatal(err)
			}
			cfg := printersim.Config{Width: prof.DotsPerLine, Font: font}
			printersim.Render(job, cfg) // warm the glyph cache, as a running simulator has
			b.SetBytes(int64(len(job)))
			b.ResetTimer()
			for b.Loop() {
				pages, _ := printersim.Render(job, cfg)
				if len(pages) != 1 {
					b.Fatalf("%d pages", len(pages))
				}
			}
		})
	}
}

// BenchmarkTicketPNG measures encoding a rendered 80 mm ticket page as PNG.
func BenchmarkTicketPNG(b *testing.B) {
	prof, _ := escpos.LookupProfile("80mm")
	job, err := escpos.Ticket(prof, ticketData())
	if err != nil {
		b.Fatal(err)
	}
	font, err := printersim.FindFont("")
	if err != nil {
		b.Fatal(err)
	}
	pages, _ := printersim.Render(job, printersim.Config{Width: prof.DotsPerLine, Font: font})
	var w countWriter
	for b.Loop() {
		if err := pages[0].WritePNG(&w); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.n)/float64(b.N), "pngbytes/op")
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

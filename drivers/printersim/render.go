package printersim

import (
	"fmt"
	"image/png"
	"io"
)

// Render prints a complete stream on a fresh printer and returns its pages (one per cut,
// plus the paper after the last cut) and the warnings.
func Render(data []byte, cfg Config) ([]*Page, []Warning) {
	var pages []*Page
	cfg.OnPage = func(pg *Page) { pages = append(pages, pg) }
	p := New(cfg)
	p.Process(data)
	p.End()
	return pages, p.Warnings()
}

// WritePNG encodes the page as a 1-bit-per-dot PNG.
func (pg *Page) WritePNG(w io.Writer) error {
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(w, pg.Image); err != nil {
		return fmt.Errorf("printersim: encode page %d: %w", pg.Index, err)
	}
	return nil
}

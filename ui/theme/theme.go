// Package theme is the Fyne theme of OneDoor's kiosk and display: Fyne's default look with a
// Simplified Chinese font loaded explicitly (Fyne's bundled font has no Chinese glyphs, and its
// automatic fallback picks Japanese glyph shapes and no bold).
package theme

import (
	"fmt"

	"fyne.io/fyne/v2"
	fynetheme "fyne.io/fyne/v2/theme"

	"onedoor/ui/cjkfont"
)

// Theme is fyne's default theme with CJK fonts for regular and bold text.
type Theme struct {
	fyne.Theme
	regular, bold fyne.Resource
}

// Load finds the CJK faces (bold falls back to regular) and returns the theme. Its error names the
// Debian package to install when no font is found.
func Load() (*Theme, error) {
	reg, err := cjkfont.Load(cjkfont.Regular)
	if err != nil {
		return nil, fmt.Errorf("theme: %w", err)
	}
	t := &Theme{Theme: fynetheme.DefaultTheme(), regular: fyne.NewStaticResource("cjk-regular.otf", reg.Data)}
	t.bold = t.regular
	if b, err := cjkfont.Load(cjkfont.Bold); err == nil {
		t.bold = fyne.NewStaticResource("cjk-bold.otf", b.Data)
	}
	return t, nil
}

// Font returns the CJK face for text styles (monospace and symbols stay Fyne's).
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return t.Theme.Font(s)
	}
	if s.Bold {
		return t.bold
	}
	return t.regular
}

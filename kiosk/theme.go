package kiosk

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Colours of the kiosk: light text on a dark navy ground, saturated buttons. Every pair used
// has a contrast ratio of at least 4.5:1 (WCAG AA for body text); see docs/KIOSK.md.
const (
	colBackground rgba = 0x0F1B2DFF
	colPanel      rgba = 0x1B2A41FF
	colText       rgba = 0xFFFFFFFF
	colSubtle     rgba = 0xC8D3E0FF
	colPrimary    rgba = 0x1565C0FF
	colPriority   rgba = 0x2E7D32FF
	colRequest    rgba = 0x00695CFF
	colNeutral    rgba = 0x37474FFF
	colDisabled   rgba = 0x263238FF
	colNumber     rgba = 0xFFD54FFF
	colWarning    rgba = 0xFFB300FF
	colNote       rgba = 0xFFECB3FF // notes on blue buttons (4.9:1)
)

// rgba is a colour as 0xRRGGBBAA.
type rgba uint32

// RGBA implements color.Color.
func (c rgba) RGBA() (r, g, b, a uint32) {
	return color.NRGBA{uint8(c >> 24), uint8(c >> 16), uint8(c >> 8), uint8(c)}.RGBA()
}

// Text sizes (Fyne units; 1 unit = 1 px at scale 1 on a 1080p screen). A 21.5" 1080p panel has
// about 0.25 mm per pixel: the smallest touch target (the keypad keys, 150×110) is 37×27 mm, over
// the 15 mm minimum; body text is 30 px ≈ 7.5 mm.
const (
	sizeNumber = 200
	sizeHuge   = 96
	sizeTitle  = 52
	sizeLarge  = 40
	sizeBody   = 30
	sizeSmall  = 24
)

// Theme size names used by labels that wrap.
const (
	sizeNameBody  fyne.ThemeSizeName = "kiosk.body"
	sizeNameLarge fyne.ThemeSizeName = "kiosk.large"
)

// kioskTheme is the base theme (with the Chinese font) in the kiosk's colours and sizes.
type kioskTheme struct{ fyne.Theme }

// NewTheme returns the kiosk theme on top of base, which supplies the fonts (use ui/theme's,
// which loads the Simplified Chinese face).
func NewTheme(base fyne.Theme) fyne.Theme {
	if base == nil {
		base = theme.DefaultTheme()
	}
	return kioskTheme{base}
}

// Color implements fyne.Theme.
func (t kioskTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameBackground:
		return colBackground
	case theme.ColorNameForeground:
		return colText
	case theme.ColorNameWarning:
		return colWarning
	case theme.ColorNameButton:
		return colPrimary
	case theme.ColorNamePrimary:
		return colPrimary
	}
	return t.Theme.Color(n, theme.VariantDark)
}

// Size implements fyne.Theme.
func (t kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case sizeNameBody:
		return sizeBody
	case sizeNameLarge:
		return sizeLarge
	case theme.SizeNameText:
		return sizeBody
	case theme.SizeNamePadding:
		return 8
	}
	return t.Theme.Size(n)
}

package kiosk

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// bookingPad is the keypad of a booking's 6-digit code (keys go to Flow.KeypadKey).
func (u *UI) bookingPad(st State) fyne.CanvasObject {
	lang := st.Lang
	ok := u.btn("appt:ok", T(lang, "appt.ok"), colPriority, u.flow.CheckIn)
	top := container.NewVBox(centred(T(lang, "appt.title"), sizeLarge, colText, true),
		centred(T(lang, "appt.scan"), sizeBody, colSubtle, false))
	if st.Notice != "" {
		top.Add(centred(T(lang, st.Notice), sizeBody, colWarning, true))
	}
	return u.numPad(st, func(s State) string { return s.Booking }, ok, top)
}

// refused says a check-in was too early (when to come back) or too late (a regular number
// offered).
func (u *UI) refused(st State) fyne.CanvasObject {
	lang := st.Lang
	r := st.Refusal
	if r == nil {
		return container.NewCenter()
	}
	at := func(t time.Time) string { return t.In(st.Loc).Format("15:04") }
	if r.TooEarly {
		return container.NewCenter(para(T(lang, "appt.early", at(r.Start), at(r.ComeAt)), true, widget.WarningImportance))
	}
	items := []fyne.CanvasObject{para(T(lang, "appt.late", at(r.Start)), true, widget.WarningImportance)}
	if r.WalkIn != "" {
		b := u.btn("appt:walkin", T(lang, "appt.walkin"), colPrimary, u.flow.WalkIn)
		b.TitleSize, b.MinHeight = sizeTitle, 150
		items = append(items, b)
	}
	return container.NewCenter(container.NewVBox(items...))
}

// Wedge gathers what a keyboard-wedge scanner types (its keys arrive as typed runes, then
// Enter) and hands the line to Flow.Scanned. Typing that pauses longer than a scanner does
// starts a new line.
type Wedge struct {
	flow *Flow
	buf  []rune
	last time.Time
}

// maxWedge bounds a scanned line (a booking URL is well under it).
const maxWedge = 256

// wedgeGap is the longest pause between a scanner's keys.
const wedgeGap = 500 * time.Millisecond

// NewWedge returns the scanner input of the flow.
func NewWedge(f *Flow) *Wedge { return &Wedge{flow: f} }

// Rune takes one typed character.
func (w *Wedge) Rune(r rune, now time.Time) {
	if now.Sub(w.last) > wedgeGap {
		w.buf = w.buf[:0]
	}
	w.last = now
	if len(w.buf) < maxWedge {
		w.buf = append(w.buf, r)
	}
}

// Enter ends the line and hands it to the flow.
func (w *Wedge) Enter() {
	line := string(w.buf)
	w.buf = w.buf[:0]
	if line != "" {
		w.flow.Scanned(line)
	}
}

// Attach listens to the window's keyboard (where a wedge scanner types).
func (w *Wedge) Attach(c fyne.Canvas) {
	c.SetOnTypedRune(func(r rune) { w.Rune(r, time.Now()) })
	c.SetOnTypedKey(func(e *fyne.KeyEvent) {
		if e.Name == fyne.KeyReturn || e.Name == fyne.KeyEnter {
			w.Enter()
		}
	})
}

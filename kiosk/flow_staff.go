package kiosk

import (
	"time"
)

// staffExit is the staff exit's state: the corner press and the PIN pad.
type staffExit struct {
	entry       string // digits typed so far
	fails       int
	lockedUntil time.Time // too many wrong PINs: refused until then
	cornerDown  time.Time // the staff corner is held since; zero when not
}

// CornerDown and CornerUp are the staff corner: held for Timing.LongPress it asks for the PIN.
func (f *Flow) CornerDown() {
	f.update(func() { f.staff.cornerDown = f.cfg.Now() })
}

// CornerUp ends a press of the staff corner.
func (f *Flow) CornerUp() {
	f.update(func() {
		if !f.staff.cornerDown.IsZero() && f.cfg.Now().Sub(f.staff.cornerDown) >= f.tm.LongPress {
			f.openPINLocked()
		}
		f.staff.cornerDown = time.Time{}
	})
}

func (f *Flow) openPINLocked() {
	if f.cfg.PIN == "" || f.st.Screen == ScreenIssuing || f.st.Screen == ScreenSubmitting {
		return
	}
	f.touchLocked()
	f.homeLocked(false)
	f.st.Notice = ""
	if f.cfg.Now().Before(f.staff.lockedUntil) {
		f.st.Notice = "pin.locked"
	}
	f.goLocked(ScreenPIN)
}

// PINKey handles a key of the staff PIN pad: a digit, "del" or "ok". A correct PIN calls
// Config.OnExit.
func (f *Flow) PINKey(k string) {
	exit := false
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenPIN {
			return
		}
		now := f.cfg.Now()
		switch {
		case k == "del":
			if n := len(f.staff.entry); n > 0 {
				f.staff.entry = f.staff.entry[:n-1]
			}
		case k == "ok":
			switch {
			case now.Before(f.staff.lockedUntil):
				f.st.Notice = "pin.locked"
			case f.staff.entry == f.cfg.PIN:
				f.staff.fails = 0
				exit = true
			default:
				f.staff.fails++
				f.st.Notice = "pin.wrong"
				if f.staff.fails >= f.tm.PINAttempts {
					f.staff.fails = 0
					f.staff.lockedUntil = now.Add(f.tm.PINLock)
					f.st.Notice = "pin.locked"
				}
			}
			f.staff.entry = ""
			f.st.Rev++
		case len(k) == 1 && k[0] >= '0' && k[0] <= '9' && len(f.staff.entry) < 16:
			f.staff.entry += k
		}
		f.st.PINDigits = len(f.staff.entry)
	})
	if exit {
		f.log.Info("staff exit")
		if f.cfg.OnExit != nil {
			f.cfg.OnExit()
		}
	}
}

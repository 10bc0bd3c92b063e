package kiosk

import (
	"time"
)

// CornerDown and CornerUp are the staff corner: held for Timing.LongPress it asks for the PIN.
func (f *Flow) CornerDown() {
	f.update(func() { f.cornerDown = f.cfg.Now() })
}

// CornerUp ends a press of the staff corner.
func (f *Flow) CornerUp() {
	f.update(func() {
		if !f.cornerDown.IsZero() && f.cfg.Now().Sub(f.cornerDown) >= f.tm.LongPress {
			f.openPINLocked()
		}
		f.cornerDown = time.Time{}
	})
}

func (f *Flow) openPINLocked() {
	if f.cfg.PIN == "" || f.st.Screen == ScreenIssuing || f.st.Screen == ScreenSubmitting {
		return
	}
	f.touchLocked()
	f.homeLocked(false)
	f.st.Notice = ""
	if f.cfg.Now().Before(f.pinLocked) {
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
			if n := len(f.pinEntry); n > 0 {
				f.pinEntry = f.pinEntry[:n-1]
			}
		case k == "ok":
			switch {
			case now.Before(f.pinLocked):
				f.st.Notice = "pin.locked"
			case f.pinEntry == f.cfg.PIN:
				f.pinFails = 0
				exit = true
			default:
				f.pinFails++
				f.st.Notice = "pin.wrong"
				if f.pinFails >= f.tm.PINAttempts {
					f.pinFails = 0
					f.pinLocked = now.Add(f.tm.PINLock)
					f.st.Notice = "pin.locked"
				}
			}
			f.pinEntry = ""
			f.st.Rev++
		case len(k) == 1 && k[0] >= '0' && k[0] <= '9' && len(f.pinEntry) < 16:
			f.pinEntry += k
		}
		f.st.PINDigits = len(f.pinEntry)
	})
	if exit {
		f.log.Info("staff exit")
		if f.cfg.OnExit != nil {
			f.cfg.OnExit()
		}
	}
}

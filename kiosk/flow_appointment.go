package kiosk

import (
	"context"
	"errors"
	"strings"
	"time"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The booking check-in (预约, issue 16): "我有预约 I have a booking" on the home screen opens a
// keypad for the booking's 6-digit code; a keyboard-wedge QR scanner may type the booking's URL
// instead, on any screen (Scanned). Inside the booking's window the kiosk gets a ticket marked
// 预约 and shows and prints it like any other; too early it says when to come back; too late it
// offers a normal ticket of the booking's service.

// Screens of the check-in.
const (
	ScreenBooking        Screen = "appt-code"     // the code keypad
	ScreenCheckingIn     Screen = "appt-checking" // waiting for the server
	ScreenBookingRefused Screen = "appt-refused"  // too early or too late
)

// Checkiner is what the check-in needs of the server (a *client.Client has it). A flow whose
// Server lacks it shows no booking button.
type Checkiner interface {
	Checkin(ctx context.Context, hall, code string) (*wire.Ticket, error)
}

// Refusal is a check-in outside its window as the refusal screen shows it.
type Refusal struct {
	TooEarly bool
	Start    time.Time // the booked slot's start
	ComeAt   time.Time // too early: when the window opens
	// WalkIn is the service of the walk-in ticket offered (too late).
	WalkIn string
}

// bookingCodeLen is the length of a booking's code.
const bookingCodeLen = 6

// Bookings reports whether the kiosk checks bookings in (its server can).
func (f *Flow) Bookings() bool {
	_, ok := f.cfg.Server.(Checkiner)
	return ok
}

// OpenBooking opens the code keypad (the home screen's booking button).
func (f *Flow) OpenBooking() {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenHome || !f.st.Online || !f.Bookings() {
			return
		}
		f.st.Booking, f.st.Notice, f.st.Refusal = "", "", nil
		f.goLocked(ScreenBooking)
	})
}

// BookingKey handles a key of the code keypad: a digit, "del" or "clear".
func (f *Flow) BookingKey(k string) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenBooking {
			return
		}
		f.st.Booking = editDigits(f.st.Booking, k, bookingCodeLen)
		f.st.Notice = ""
	})
}

// CheckIn sends the code typed on the keypad (six digits).
func (f *Flow) CheckIn() {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenBooking {
			return
		}
		if len(f.st.Booking) != bookingCodeLen {
			f.st.Notice = "appt.code.short"
			return
		}
		f.checkInLocked(f.st.Booking)
	})
}

// Scanned takes what a keyboard-wedge scanner typed (the UI gathers the keys up to Enter): a
// booking's URL (…/a/{token}) or its code. It checks the booking in from the home screen or
// the code keypad; anything else is ignored.
func (f *Flow) Scanned(text string) {
	text = strings.TrimSpace(text)
	f.update(func() {
		f.touchLocked()
		if (f.st.Screen != ScreenHome && f.st.Screen != ScreenBooking) || !f.st.Online || !f.Bookings() {
			return
		}
		isCode := len(text) == bookingCodeLen && strings.Trim(text, "0123456789") == ""
		if !isCode && !strings.Contains(text, "/a/") {
			return
		}
		f.checkInLocked(text)
	})
}

// checkInLocked goes to the checking-in screen and sends code.
func (f *Flow) checkInLocked(code string) {
	srv, ok := f.cfg.Server.(Checkiner)
	if !ok {
		return
	}
	f.st.Notice, f.st.Refusal = "", nil
	f.ticket.attempt = "checkin:" + code
	key := f.ticket.attempt
	f.goLocked(ScreenCheckingIn)
	f.spawn(func(ctx context.Context) { f.checkIn(ctx, srv, key, code) })
}

// checkIn runs on a goroutine: check in, show, print.
func (f *Flow) checkIn(ctx context.Context, srv Checkiner, key, code string) {
	c, cancel := context.WithTimeout(ctx, f.tm.IssueTry)
	t, err := srv.Checkin(c, f.cfg.Hall, code)
	cancel()
	if err != nil {
		f.log.Info("check-in refused", "err", err)
		var ref *client.CheckinRefused
		f.update(func() {
			if f.ticket.attempt != key {
				return
			}
			f.ticket.attempt = ""
			switch {
			case errors.As(err, &ref):
				r := &Refusal{TooEarly: ref.Answer.Code == hall.ETOOEARLY, Start: ref.Answer.Start}
				if ref.Answer.ComeAt != nil {
					r.ComeAt = *ref.Answer.ComeAt
				}
				if ref.Answer.WalkIn != nil {
					r.WalkIn = ref.Answer.WalkIn.Service
				}
				f.st.Refusal = r
				f.goLocked(ScreenBookingRefused)
			case serverTrouble(err):
				f.markIssueDownLocked()
				f.homeLocked(false)
			default:
				// not found, cancelled, another day or hall: back to the keypad to try again
				f.st.Booking = ""
				f.goLocked(ScreenBooking)
				f.st.Notice = "appt.notfound"
				if client.Code(err) == hall.EUNPROCESSABLE || client.Code(err) == hall.ECONFLICT {
					f.st.Notice = "appt.notnow"
				}
			}
		})
		return
	}
	name := hall.Text{Zh: t.Service, En: t.Service}
	f.mu.Lock()
	if v, ok := f.st.ServiceByCode(t.Service); ok {
		name = v.Name
	}
	f.mu.Unlock()
	f.showTicket(ctx, key, t, name)
}

// WalkIn takes the normal ticket offered to a late booking.
func (f *Flow) WalkIn() {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenBookingRefused || f.st.Refusal == nil || f.st.Refusal.WalkIn == "" {
			return
		}
		svc := f.st.Refusal.WalkIn
		f.st.Service, f.st.Priority, f.st.PersonID = svc, false, ""
		f.ticket.attempt = f.cfg.NewKey()
		key := f.ticket.attempt
		req := wire.IssueRequest{Service: svc, Lang: f.st.Lang}
		name := hall.Text{Zh: svc, En: svc}
		if v, ok := f.st.ServiceByCode(svc); ok {
			name = v.Name
		}
		f.st.Refusal = nil
		f.goLocked(ScreenIssuing)
		f.spawn(func(ctx context.Context) { f.issue(ctx, key, req, name) })
	})
}

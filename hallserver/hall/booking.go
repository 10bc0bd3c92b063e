package hall

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"math/big"
	"time"
)

// The booking rules every AppointmentStore applies inside its transaction (package bolt in one
// bbolt write transaction, package etcd in one fenced Txn compared on the day's version): what
// a booking is when made, whether it may take its slot among the day's bookings, and which
// changes its state allows. The stores only read the day and write what these return.

var apptTokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newAppointmentToken returns 20 random bytes in base32 (32 characters): unguessable.
func newAppointmentToken() (string, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return apptTokenEncoding.EncodeToString(b[:]), nil
}

// NewBooking returns the booking req asks for, made at now, with a new token; its ID and Code
// are given by the store (Place gives the code).
func NewBooking(req BookRequest, now time.Time) (*Appointment, error) {
	token, err := newAppointmentToken()
	if err != nil {
		return nil, fmt.Errorf("appointment token: %w", err)
	}
	return &Appointment{
		Hall: req.Hall, Service: req.Service, Day: req.Start.In(req.Start.Location()).Format("2006-01-02"),
		Start: req.Start, End: req.End, Token: token, Name: req.Name, Phone: req.Phone, Identity: req.Identity,
		State: AppointmentBooked, Channel: req.Channel, CreatedAt: now.UTC(),
	}, nil
}

// newCode returns a random 6-digit code not in taken.
func newCode(taken map[string]bool) (string, error) {
	for range 100 {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			return "", err
		}
		c := fmt.Sprintf("%06d", n.Int64())
		if !taken[c] {
			return c, nil
		}
	}
	return "", Errorf(ECONFLICT, "start", "no free check-in code left for this day")
}

// Place checks that a (with Start, End, Service, Phone, Day set) may take its slot among the
// day's bookings of its hall (skipping a's own ID): the slot's capacity (ECONFLICT "start"), one
// active booking per identity (ECONFLICT "identity") and per phone (ECONFLICT "phone") per
// service per day. It gives a a code free that day when it has none or its code is taken. The
// refusal is a *Error.
func (a *Appointment) Place(day []Appointment, capacity int) error {
	taken := map[string]bool{}
	n := 0
	for _, o := range day {
		if o.ID == a.ID || !o.Active() {
			continue
		}
		taken[o.Code] = true
		if o.Service != a.Service {
			continue
		}
		if a.Identity != "" && o.Identity == a.Identity {
			return Errorf(ECONFLICT, "identity", "you already have a booking for service %s on %s (cancel or reschedule it)", a.Service, a.Day)
		}
		if a.Phone != "" && o.Phone == a.Phone {
			return Errorf(ECONFLICT, "phone", "this phone already has a booking for service %s on %s (cancel or reschedule it)", a.Service, a.Day)
		}
		if o.Start.Equal(a.Start) {
			n++
		}
	}
	if n >= capacity {
		return Errorf(ECONFLICT, "start", "the slot at %s is full", a.Start.Format(time.RFC3339))
	}
	if a.Code == "" || taken[a.Code] {
		c, err := newCode(taken)
		if err != nil {
			return err
		}
		a.Code = c
	}
	return nil
}

// CancelAt cancels the booking at now: ECONFLICT "state" unless it is booked (not checked in).
func (a *Appointment) CancelAt(now time.Time) error {
	if a.State != AppointmentBooked {
		return Errorf(ECONFLICT, "state", "the booking is %s: only a booking not yet checked in can be cancelled", a.State)
	}
	at := now.UTC()
	a.State, a.CancelledAt = AppointmentCancelled, &at
	return nil
}

// Move moves a booked (not checked-in) booking to the slot of req (its service unchanged) and
// returns the day it was on; the caller then places it among the new day's bookings (Place).
func (a *Appointment) Move(req BookRequest) (oldDay string, err error) {
	switch {
	case a.State != AppointmentBooked:
		return "", Errorf(ECONFLICT, "state", "the booking is %s: only a booking not yet checked in can be moved", a.State)
	case req.Service != "" && req.Service != a.Service:
		return "", Errorf(EINVALID, "service", "a booking keeps its service (%s): cancel it and book again", a.Service)
	}
	oldDay = a.Day
	a.Start, a.End = req.Start, req.End
	a.Day = req.Start.In(req.Start.Location()).Format("2006-01-02")
	return oldDay, nil
}

// CheckIn records the ticket issued at the booking's check-in; changed is false when this
// ticket was recorded already (nothing to write). ECONFLICT "state" when the booking is not
// booked.
func (a *Appointment) CheckIn(t Ticket) (changed bool, err error) {
	switch {
	case a.State == AppointmentCheckedIn && a.TicketID == t.ID:
		return false, nil
	case a.State != AppointmentBooked:
		return false, Errorf(ECONFLICT, "state", "the booking is %s", a.State)
	}
	at := t.IssuedAt.UTC()
	a.State, a.TicketID, a.Number, a.TicketToken, a.CheckedInAt = AppointmentCheckedIn, t.ID, t.Number, t.Token, &at
	return true, nil
}

// ActiveOf returns the active bookings of the service among a day's bookings (nil when none).
func ActiveOf(day []Appointment, service string) []Appointment {
	var out []Appointment
	for _, a := range day {
		if a.Service == service && a.Active() {
			out = append(out, a)
		}
	}
	return out
}

// WithCode returns the active booking with the code among a day's bookings of the hall
// (ENOTFOUND "code").
func WithCode(day []Appointment, hallCode, code string) (*Appointment, error) {
	for i := range day {
		if day[i].Code == code && day[i].Active() {
			return &day[i], nil
		}
	}
	return nil, Errorf(ENOTFOUND, "code", "no booking with code %s today in hall %s", code, hallCode)
}

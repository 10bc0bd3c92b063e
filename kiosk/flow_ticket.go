package kiosk

import (
	"context"
	"time"

	"onedoor/drivers/escpos"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// ticketFlow is the ticket sub-flow's state.
type ticketFlow struct {
	attempt string // idempotency key of the current ticket attempt; "" once spent
}

// TicketResult is an issued ticket as the result screen shows it.
type TicketResult struct {
	ID       string
	Number   string
	Service  hall.Text
	Priority bool
	// Closed says no open counter served the service when the ticket was issued: no wait
	// estimate is shown or printed, ClosedNote is (when it opens, or its opening hours).
	Closed     bool
	ClosedNote hall.Text
	Ahead      int
	EtaSeconds int
	Materials  []hall.Text
	FollowURL  string
	IssuedAt   time.Time
	Printing   bool   // the printer is still working on it
	Printed    bool   // the printer took it
	PrintFault string // hall.Device* state when it did not print
	// Booked is the booked slot's start of a booking's ticket (预约), nil for a walk-in.
	Booked *time.Time
}

// ChooseService is the first touch of a ticket: the service button on the home screen.
func (f *Flow) ChooseService(code string) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenHome || !f.st.Online {
			return
		}
		v, ok := f.st.ServiceByCode(code)
		if !ok || !v.Takes() {
			return
		}
		f.st.Service, f.st.Priority, f.st.PersonID, f.st.Notice = code, false, "", ""
		f.ticket.attempt = f.cfg.NewKey()
		f.goLocked(ScreenOptions)
	})
}

// OpenKeypad shows the number keypad (optional student/staff number).
func (f *Flow) OpenKeypad(priority bool) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen == ScreenOptions {
			f.st.Priority = priority
			f.goLocked(ScreenKeypad)
		}
	})
}

// maxPersonID bounds the keypad entry (the server takes at most 32).
const maxPersonID = 20

// KeypadKey handles a keypad key: a digit, "del" or "clear".
func (f *Flow) KeypadKey(k string) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen == ScreenPhone {
			f.st.Phone = editDigits(f.st.Phone, k, maxPhone)
			return
		}
		if f.st.Screen == ScreenBooking {
			f.st.Booking, f.st.Notice = editDigits(f.st.Booking, k, bookingCodeLen), ""
			return
		}
		if f.st.Screen != ScreenKeypad {
			return
		}
		switch {
		case k == "del":
			if n := len(f.st.PersonID); n > 0 {
				f.st.PersonID = f.st.PersonID[:n-1]
			}
		case k == "clear":
			f.st.PersonID = ""
		case len(k) == 1 && k[0] >= '0' && k[0] <= '9' && len(f.st.PersonID) < maxPersonID:
			f.st.PersonID += k
		default:
			return
		}
	})
}

// TakeTicket issues the ticket of the chosen service (standard or priority lane). Only the
// first call of an attempt does anything: a double tap issues one ticket, and every retry of
// the request carries the attempt's idempotency key.
func (f *Flow) TakeTicket(priority bool) {
	f.update(func() {
		f.touchLocked()
		switch f.st.Screen {
		case ScreenOptions:
			f.st.Priority = priority
		case ScreenKeypad:
			// the lane was chosen before the keypad opened
		default:
			return
		}
		if f.ticket.attempt == "" {
			return
		}
		req := wire.IssueRequest{Service: f.st.Service, Priority: f.st.Priority, Lang: f.st.Lang, PersonID: f.st.PersonID}
		key := f.ticket.attempt
		name := hall.Text{Zh: req.Service, En: req.Service}
		if v, ok := f.st.ServiceByCode(req.Service); ok {
			name = v.Name
		}
		f.goLocked(ScreenIssuing)
		f.spawn(func(ctx context.Context) { f.issue(ctx, key, req, name) })
	})
}

// serverTrouble reports whether an issue error means the server cannot issue now (unreachable,
// unavailable, or the kiosk's token refused), as opposed to a refusal of this request.
func serverTrouble(err error) bool {
	switch client.Code(err) {
	case "", hall.EUNAVAILABLE, hall.EINTERNAL, hall.EUNAUTHORIZED, hall.EFORBIDDEN:
		return true
	}
	return false
}

// retryable reports whether the same request may succeed when sent again.
func retryable(err error) bool {
	c := client.Code(err)
	return c == "" || c == hall.EUNAVAILABLE
}

// issueWithRetry sends the issue request up to IssueTries times with the same key.
func (f *Flow) issueWithRetry(ctx context.Context, key string, req wire.IssueRequest) (*wire.Ticket, error) {
	var err error
	for try := 0; try < f.tm.IssueTries; try++ {
		if try > 0 {
			t := time.NewTimer(time.Duration(try) * 300 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
		}
		c, cancel := context.WithTimeout(ctx, f.tm.IssueTry)
		var t *wire.Ticket
		t, err = f.cfg.Server.Issue(c, f.cfg.Hall, req, key)
		cancel()
		if err == nil {
			return t, nil
		}
		if !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

// issue runs on a goroutine: issue, show, print.
func (f *Flow) issue(ctx context.Context, key string, req wire.IssueRequest, name hall.Text) {
	t, err := f.issueWithRetry(ctx, key, req)
	if err != nil {
		f.log.Warn("issue failed", "service", req.Service, "err", err)
		f.update(func() {
			if f.ticket.attempt != key {
				return
			}
			switch {
			case serverTrouble(err):
				f.markIssueDownLocked()
				f.homeLocked(false)
			case client.Code(err) == hall.ESERVICECLOSED, client.Code(err) == hall.EQUOTAREACHED:
				// Closed since the screen was drawn (hours, season, quota): grey it out with
				// when it opens again.
				f.markClosedLocked(req.Service, client.Code(err), hall.ErrorOpensAt(err))
				f.homeLocked(false)
				f.st.Notice = "err.closed"
				if client.Code(err) == hall.EQUOTAREACHED {
					f.st.Notice = "err.full"
				}
			case client.Code(err) == hall.ECONFLICT:
				f.view.full[req.Service] = true
				f.applyFullLocked()
				f.homeLocked(false)
				f.st.Notice = "err.full"
			default:
				f.homeLocked(false)
				f.st.Notice = "err.rejected"
			}
		})
		return
	}
	f.showTicket(ctx, key, t, name)
}

// showTicket shows the ticket issued for attempt key and prints it.
func (f *Flow) showTicket(ctx context.Context, key string, t *wire.Ticket, name hall.Text) {
	res := &TicketResult{ID: t.ID, Number: t.Number, Service: name, Priority: t.Priority, Ahead: t.Ahead(),
		EtaSeconds: t.Eta(), Materials: t.Materials, FollowURL: t.FollowURL, IssuedAt: t.IssuedAt, Printing: true}
	if t.Appointment != nil {
		at := t.Appointment.Start
		res.Booked = &at
	}
	var hallName hall.Text
	f.update(func() {
		hallName = f.st.HallName
		if f.ticket.attempt != key {
			return
		}
		f.ticket.attempt = "" // spent: nothing more can be issued from this attempt
		f.learnPublicLocked(res.FollowURL)
		res.Closed = f.serviceClosedLocked(t.Service)
		if v, ok := f.st.ServiceByCode(t.Service); ok && res.Closed {
			res.ClosedNote = closedNote(v, f.cfg.Now(), f.cfg.Loc, f.st.OpeningHours)
		}
		f.st.Ticket = res
		f.goLocked(ScreenResult)
	})
	data := f.ticketData(hallName, res)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	st, perr := f.cfg.Printer.PrintTicket(pctx, data)
	cancel()
	if perr != nil {
		f.log.Warn("ticket not printed", "number", res.Number, "state", st.State, "err", perr)
	}
	f.update(func() {
		f.setPrinterLocked(st)
		if f.st.Ticket != res {
			return
		}
		r := *res
		r.Printing, r.Printed = false, perr == nil
		if perr != nil {
			r.PrintFault = st.State
			f.screenSince = f.cfg.Now() // the person needs time to photograph the code
		}
		f.st.Ticket = &r
		f.st.Rev++
	})
}

// ticketData is what the printer prints for a ticket.
func (f *Flow) ticketData(hallName hall.Text, r *TicketResult) escpos.TicketData {
	mats := make([]string, 0, len(r.Materials))
	for _, m := range r.Materials {
		s := m.Zh
		if m.En != "" && m.En != m.Zh {
			s += " " + m.En
		}
		mats = append(mats, s)
	}
	issued := r.IssuedAt
	if issued.IsZero() {
		issued = f.cfg.Now()
	}
	d := escpos.TicketData{
		Hall: hallName.Zh, HallEn: hallName.En, Service: r.Service.Zh, ServiceEn: r.Service.En,
		Number: r.Number, Priority: r.Priority, Ahead: r.Ahead, EtaSeconds: r.EtaSeconds, IssuedAt: issued, Loc: f.cfg.Loc,
		FollowURL: r.FollowURL, Materials: mats,
	}
	if r.Booked != nil {
		at := r.Booked.In(f.cfg.Loc).Format("15:04")
		d.Mark, d.MarkEn = T("zh", "appt.mark", at), T("en", "appt.mark", at)
	}
	if r.Closed {
		d.EtaSeconds = -1 // no estimate: nobody serves it now
		d.Footer, d.FooterEn = T("zh", "result.closed"), T("en", "result.closed")
		if n := r.ClosedNote; n.Zh != "" { // "明天 08:30 开始办理" or the opening hours
			d.Footer += "\n" + n.Zh
			d.FooterEn += "\n" + n.In("en")
		}
	}
	return d
}

// serviceClosedLocked reports whether the hall's service is known and no open counter serves it.
func (f *Flow) serviceClosedLocked(code string) bool {
	v, ok := f.st.ServiceByCode(code)
	return ok && !v.Open
}

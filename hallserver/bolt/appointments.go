package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
)

var _ hall.AppointmentStore = (*Appointments)(nil)

// Appointments keeps the bookings (预约) in the bbolt file (buckets appt, appt.token, appt.day:
// doc.go). A booking changes no queue state, so it is no queue event: each change is one bbolt
// transaction (fsync'd before it returns). bbolt runs one write transaction at a time, so the
// capacity and one-per-person checks and the write they allow cannot interleave with another
// booking's: the last place taken by two at once goes to exactly one.
type Appointments struct {
	db  *DB
	now func() time.Time
}

// NewAppointments returns the store; now nil means time.Now.
func NewAppointments(db *DB, now func() time.Time) (*Appointments, error) {
	if now == nil {
		now = time.Now
	}
	if err := db.ensureBuckets(bucketAppt, bucketApptToken, bucketApptDay, bucketApptWho); err != nil {
		return nil, fmt.Errorf("bolt: create appointment buckets: %w", err)
	}
	return &Appointments{db: db, now: now}, nil
}

// dayPrefix is the appt.day key prefix of a hall's local date.
func dayPrefix(hallCode, day string) []byte { return []byte(hallCode + "/" + day + "/") }

// apptDay returns every booking of the hall on the local date (tx's view).
func apptDay(tx *bbolt.Tx, hallCode, day string) ([]hall.Appointment, error) {
	var out []hall.Appointment
	p := dayPrefix(hallCode, day)
	c := tx.Bucket(bucketApptDay).Cursor()
	by := tx.Bucket(bucketAppt)
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		id := k[len(p):]
		raw := by.Get(id)
		if raw == nil {
			return nil, fmt.Errorf("appointment %s indexed on %s but missing", id, day)
		}
		var a hall.Appointment
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("decode appointment %s: %w", id, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func putAppt(tx *bbolt.Tx, a *hall.Appointment) error {
	enc, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketAppt).Put([]byte(a.ID), enc)
}

func apptByToken(tx *bbolt.Tx, token string) (*hall.Appointment, error) {
	id := tx.Bucket(bucketApptToken).Get([]byte(token))
	if id == nil {
		return nil, nil
	}
	return apptByID(tx, string(id))
}

// bookedByToken is apptByToken with ENOTFOUND ("token") when no booking has the token.
func bookedByToken(tx *bbolt.Tx, token string) (*hall.Appointment, error) {
	a, err := apptByToken(tx, token)
	if err == nil && a == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "token", "no booking with this token")
	}
	return a, err
}

func apptByID(tx *bbolt.Tx, id string) (*hall.Appointment, error) {
	raw := tx.Bucket(bucketAppt).Get([]byte(id))
	if raw == nil {
		return nil, nil
	}
	a := new(hall.Appointment)
	if err := json.Unmarshal(raw, a); err != nil {
		return nil, fmt.Errorf("decode appointment %s: %w", id, err)
	}
	return a, nil
}

// update runs fn in a write transaction, view in a read-only one: a *hall.Error fn returns
// refuses the change (nothing is written) and is returned as it is, other errors are storage
// failures (EUNAVAILABLE).
func (s *Appointments) update(ctx context.Context, what string, fn func(tx *bbolt.Tx) error) error {
	return s.run(ctx, what, s.db.bolt.Update, fn)
}

func (s *Appointments) view(ctx context.Context, what string, fn func(tx *bbolt.Tx) error) error {
	return s.run(ctx, what, s.db.bolt.View, fn)
}

// run runs fn in a transaction of txn (the file's Update or View) for update and view.
func (s *Appointments) run(ctx context.Context, what string, txn func(func(*bbolt.Tx) error) error, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := txn(fn)
	var he *hall.Error
	if err != nil && !errors.As(err, &he) {
		return hall.Errorf(hall.EUNAVAILABLE, "", "bolt: %s: %v", what, err)
	}
	return err
}

// Book implements hall.AppointmentStore.
func (s *Appointments) Book(ctx context.Context, req hall.BookRequest) (*hall.Appointment, error) {
	a, err := hall.NewBooking(req, s.now())
	if err != nil {
		return nil, fmt.Errorf("bolt: %w", err)
	}
	err = s.update(ctx, "store the booking", func(tx *bbolt.Tx) error {
		day, err := apptDay(tx, a.Hall, a.Day)
		if err != nil {
			return err
		}
		if err := a.Place(day, req.Capacity); err != nil {
			return err
		}
		seq, err := tx.Bucket(bucketAppt).NextSequence()
		if err != nil {
			return err
		}
		a.ID = fmt.Sprintf("ap%06d", seq)
		if err := putAppt(tx, a); err != nil {
			return err
		}
		if err := tx.Bucket(bucketApptToken).Put([]byte(a.Token), []byte(a.ID)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketApptDay).Put(append(dayPrefix(a.Hall, a.Day), a.ID...), nil); err != nil {
			return err
		}
		if a.Identity != "" {
			return tx.Bucket(bucketApptWho).Put(whoKey(a.Identity, a.Day, a.ID), nil)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// whoKey is the appt.who key of a booking made under an identity: the identity key, NUL, the
// local date, NUL, the ID (an identity's account has no control characters).
func whoKey(identity, day, id string) []byte {
	return []byte(identity + "\x00" + day + "\x00" + id)
}

// ByIdentity implements hall.AppointmentStore: the latest days first (by ID within a day,
// latest first).
func (s *Appointments) ByIdentity(ctx context.Context, identity string, limit int) ([]hall.Appointment, error) {
	out := []hall.Appointment{}
	if identity == "" || limit <= 0 {
		return out, nil
	}
	err := s.view(ctx, "read the requester's bookings", func(tx *bbolt.Tx) error {
		p := []byte(identity + "\x00")
		c := tx.Bucket(bucketApptWho).Cursor()
		// the last key with the prefix: seek past it (NUL+1) and step back
		k, _ := c.Seek(append(bytes.Clone(p[:len(p)-1]), 0x01))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, p) && len(out) < limit; k, _ = c.Prev() {
			id := k[bytes.LastIndexByte(k, 0)+1:]
			a, err := apptByID(tx, string(id))
			if err != nil {
				return err
			}
			if a != nil {
				out = append(out, *a)
			}
		}
		return nil
	})
	return out, err
}

// Booked implements hall.AppointmentStore.
func (s *Appointments) Booked(ctx context.Context, hallCode, service, day string) ([]hall.Appointment, error) {
	var out []hall.Appointment
	err := s.view(ctx, "read the bookings", func(tx *bbolt.Tx) error {
		all, err := apptDay(tx, hallCode, day)
		out = hall.ActiveOf(all, service)
		return err
	})
	return out, err
}

// Day implements hall.AppointmentStore.
func (s *Appointments) Day(ctx context.Context, hallCode, day string) ([]hall.Appointment, error) {
	var out []hall.Appointment
	err := s.view(ctx, "read the bookings", func(tx *bbolt.Tx) error {
		var err error
		out, err = apptDay(tx, hallCode, day)
		return err
	})
	return out, err
}

// ByToken implements hall.AppointmentStore.
func (s *Appointments) ByToken(ctx context.Context, token string) (*hall.Appointment, error) {
	var out *hall.Appointment
	err := s.view(ctx, "read the booking", func(tx *bbolt.Tx) error {
		var err error
		out, err = bookedByToken(tx, token)
		return err
	})
	return out, err
}

// ByCode implements hall.AppointmentStore.
func (s *Appointments) ByCode(ctx context.Context, hallCode, day, code string) (*hall.Appointment, error) {
	var out *hall.Appointment
	err := s.view(ctx, "read the booking", func(tx *bbolt.Tx) error {
		all, err := apptDay(tx, hallCode, day)
		if err != nil {
			return err
		}
		out, err = hall.WithCode(all, hallCode, code)
		return err
	})
	return out, err
}

// Cancel implements hall.AppointmentStore.
func (s *Appointments) Cancel(ctx context.Context, token string) (*hall.Appointment, error) {
	var out *hall.Appointment
	err := s.update(ctx, "cancel the booking", func(tx *bbolt.Tx) error {
		a, err := bookedByToken(tx, token)
		if err != nil {
			return err
		}
		if err := a.CancelAt(s.now()); err != nil {
			return err
		}
		out = a
		return putAppt(tx, a)
	})
	return out, err
}

// Reschedule implements hall.AppointmentStore.
func (s *Appointments) Reschedule(ctx context.Context, token string, req hall.BookRequest) (*hall.Appointment, error) {
	var out *hall.Appointment
	err := s.update(ctx, "reschedule the booking", func(tx *bbolt.Tx) error {
		a, err := bookedByToken(tx, token)
		if err != nil {
			return err
		}
		oldDay, err := a.Move(req)
		if err != nil {
			return err
		}
		day, err := apptDay(tx, a.Hall, a.Day)
		if err != nil {
			return err
		}
		if err := a.Place(day, req.Capacity); err != nil {
			return err
		}
		if oldDay != a.Day {
			if err := tx.Bucket(bucketApptDay).Delete(append(dayPrefix(a.Hall, oldDay), a.ID...)); err != nil {
				return err
			}
			if err := tx.Bucket(bucketApptDay).Put(append(dayPrefix(a.Hall, a.Day), a.ID...), nil); err != nil {
				return err
			}
			if a.Identity != "" {
				if err := tx.Bucket(bucketApptWho).Delete(whoKey(a.Identity, oldDay, a.ID)); err != nil {
					return err
				}
				if err := tx.Bucket(bucketApptWho).Put(whoKey(a.Identity, a.Day, a.ID), nil); err != nil {
					return err
				}
			}
		}
		out = a
		return putAppt(tx, a)
	})
	return out, err
}

// CheckedIn implements hall.AppointmentStore. Recording the same ticket again changes nothing.
func (s *Appointments) CheckedIn(ctx context.Context, id string, t hall.Ticket) (*hall.Appointment, error) {
	var out *hall.Appointment
	err := s.update(ctx, "record the check-in", func(tx *bbolt.Tx) error {
		a, err := apptByID(tx, id)
		switch {
		case err != nil:
			return err
		case a == nil:
			return hall.Errorf(hall.ENOTFOUND, "id", "no booking %s", id)
		}
		changed, err := a.CheckIn(t)
		if err != nil || !changed {
			out = a
			return err
		}
		out = a
		return putAppt(tx, a)
	})
	return out, err
}

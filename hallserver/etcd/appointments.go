package etcd

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/hall"
)

var _ hall.AppointmentStore = (*Appointments)(nil)

// Appointments keeps the bookings (预约) on etcd, with package bolt's keys and values (buckets
// appt, appt.token, appt.day, appt.who: doc.go). The booking rules (hall.Appointment.Place:
// capacity per slot, one active booking per phone and per identity per service per day, a
// 6-digit code unique among the day's active bookings) are checked on the day's bookings read
// at one revision, and the booking is written by one Txn compared on the day's version key
// (appt.ver/{hall}/{day}, rewritten by every change of that day's bookings) and on the ID
// sequence, fenced on the owner's election key: when another booking of the day committed
// meanwhile, the rules are checked again on the new day, so the last place taken by two at once
// goes to exactly one.
//
// The owner's own bookings are written one at a time (mu): they would all compare the same day's
// version, and retrying every loser of each round costs more than waiting in turn. The compare
// still decides between servers.
type Appointments struct {
	kv  kvStore
	now func() time.Time
	mu  sync.Mutex
}

// update is kv.update, one at a time.
func (s *Appointments) update(ctx context.Context, what string, fn func(r *reads) (writes, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kv.update(ctx, what, fn)
}

// NewAppointments returns the bookings on cli under prefix, written only while fence allows;
// now nil means time.Now.
func NewAppointments(cli *clientv3.Client, prefix string, fence Fence, now func() time.Time) *Appointments {
	if now == nil {
		now = time.Now
	}
	return &Appointments{kv: kvStore{cli: cli, prefix: prefix, fence: fence}, now: now}
}

func dayKey(hallCode, day string) string { return hallCode + "/" + day + "/" }

func whoKey(identity, day, id string) string { return identity + "\x00" + day + "\x00" + id }

// byID reads a booking (nil when none) and compares it at the commit.
func (s *Appointments) byID(r *reads, id string) (*hall.Appointment, error) {
	return getJSON[hall.Appointment](r, bucketAppt, id)
}

// byToken reads the booking with a token, nil when none.
func (s *Appointments) byToken(r *reads, token string) (*hall.Appointment, error) {
	id, err := r.get(bucketApptToken, token)
	if err != nil || id == nil {
		return nil, err
	}
	return s.byID(r, string(id))
}

// day reads the bookings of the hall on the local date and the day's version (compared at the
// commit: every change of the day's bookings rewrites it).
func (s *Appointments) day(r *reads, hallCode, day string) (ver uint64, out []hall.Appointment, err error) {
	if ver, err = s.ver(r, hallCode, day); err != nil {
		return 0, nil, err
	}
	kvs, err := r.scan(bucketApptDay, dayKey(hallCode, day), false, 0)
	if err != nil {
		return 0, nil, err
	}
	ids := make([]string, len(kvs))
	for i, kv := range kvs {
		ids[i] = s.kv.base(bucketApptDay, kv)[len(dayKey(hallCode, day)):]
	}
	out, err = s.many(r, ids)
	return ver, out, err
}

// many reads the bookings with these IDs at the reads' revision (Txns of at most MaxTxnOps
// gets); a missing one is an error.
func (s *Appointments) many(r *reads, ids []string) ([]hall.Appointment, error) {
	out := make([]hall.Appointment, 0, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), MaxTxnOps)
		ops := make([]clientv3.Op, n)
		for i, id := range ids[:n] {
			ops[i] = clientv3.OpGet(s.kv.key(bucketAppt, id), r.opts()...)
		}
		ctx, cancel := context.WithTimeout(r.ctx, opTimeout)
		t, err := s.kv.cli.Txn(ctx).Then(ops...).Commit()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("read appointments: %w", err)
		}
		for i, resp := range t.Responses {
			kvs := resp.GetResponseRange().Kvs
			if len(kvs) == 0 {
				return nil, fmt.Errorf("appointment %s indexed but missing", ids[i])
			}
			a, err := decode[hall.Appointment]("appointment "+ids[i], kvs[0].Value)
			if err != nil {
				return nil, err
			}
			out = append(out, *a)
		}
		ids = ids[n:]
	}
	return out, nil
}

// put writes the booking and moves its day's version on.
func (s *Appointments) put(w *writes, a *hall.Appointment, ver uint64) error {
	v, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode appointment %s: %w", a.ID, err)
	}
	w.put(&s.kv, bucketAppt, a.ID, v)
	w.put(&s.kv, bucketApptVer, a.Hall+"/"+a.Day, []byte(strconv.FormatUint(ver+1, 10)))
	return nil
}

// ver reads the version of the hall's bookings on a day (compared at the commit).
func (s *Appointments) ver(r *reads, hallCode, day string) (uint64, error) {
	v, err := r.get(bucketApptVer, hallCode+"/"+day)
	if err != nil || v == nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("version of %s/%s: %w", hallCode, day, err)
	}
	return n, nil
}

// Book implements hall.AppointmentStore.
func (s *Appointments) Book(ctx context.Context, req hall.BookRequest) (*hall.Appointment, error) {
	a, err := hall.NewBooking(req, s.now())
	if err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	err = s.update(ctx, "store the booking", func(r *reads) (writes, error) {
		a.ID, a.Code = "", "" // an earlier attempt's
		ver, day, err := s.day(r, a.Hall, a.Day)
		if err != nil {
			return nil, err
		}
		if err := a.Place(day, req.Capacity); err != nil {
			return nil, err
		}
		seq, err := r.get(bucketSeq, bucketAppt)
		if err != nil {
			return nil, err
		}
		n, _ := strconv.ParseUint(string(seq), 10, 64)
		n++
		a.ID = fmt.Sprintf("ap%06d", n)
		var w writes
		if err := s.put(&w, a, ver); err != nil {
			return nil, err
		}
		w.put(&s.kv, bucketSeq, bucketAppt, []byte(strconv.FormatUint(n, 10)))
		w.put(&s.kv, bucketApptToken, a.Token, []byte(a.ID))
		w.put(&s.kv, bucketApptDay, dayKey(a.Hall, a.Day)+a.ID, nil)
		if a.Identity != "" {
			w.put(&s.kv, bucketApptWho, whoKey(a.Identity, a.Day, a.ID), nil)
		}
		return w, nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// ByIdentity implements hall.AppointmentStore: the latest days first (by ID within a day,
// latest first).
func (s *Appointments) ByIdentity(ctx context.Context, identity string, limit int) ([]hall.Appointment, error) {
	out := []hall.Appointment{}
	if identity == "" || limit <= 0 {
		return out, nil
	}
	err := s.kv.view(ctx, "read the requester's bookings", func(r *reads) error {
		kvs, err := r.scan(bucketApptWho, identity+"\x00", true, int64(limit))
		if err != nil {
			return err
		}
		var ids []string
		for _, kv := range kvs {
			k := s.kv.base(bucketApptWho, kv)
			ids = append(ids, k[strings.LastIndexByte(k, 0)+1:])
		}
		all, err := s.many(r, ids)
		out = append(out, all...)
		return err
	})
	return out, err
}

// Booked implements hall.AppointmentStore.
func (s *Appointments) Booked(ctx context.Context, hallCode, service, day string) ([]hall.Appointment, error) {
	var out []hall.Appointment
	err := s.kv.view(ctx, "read the bookings", func(r *reads) error {
		_, all, err := s.day(r, hallCode, day)
		out = hall.ActiveOf(all, service)
		return err
	})
	return out, err
}

// Day implements hall.AppointmentStore.
func (s *Appointments) Day(ctx context.Context, hallCode, day string) ([]hall.Appointment, error) {
	var out []hall.Appointment
	err := s.kv.view(ctx, "read the bookings", func(r *reads) error {
		_, all, err := s.day(r, hallCode, day)
		if len(all) > 0 {
			out = all
		}
		return err
	})
	return out, err
}

// ByToken implements hall.AppointmentStore.
func (s *Appointments) ByToken(ctx context.Context, token string) (*hall.Appointment, error) {
	var out *hall.Appointment
	err := s.kv.view(ctx, "read the booking", func(r *reads) error {
		var err error
		out, err = s.withToken(token)(r)
		return err
	})
	return out, err
}

// ByCode implements hall.AppointmentStore.
func (s *Appointments) ByCode(ctx context.Context, hallCode, day, code string) (*hall.Appointment, error) {
	var out *hall.Appointment
	err := s.kv.view(ctx, "read the booking", func(r *reads) error {
		_, all, err := s.day(r, hallCode, day)
		if err != nil {
			return err
		}
		out, err = hall.WithCode(all, hallCode, code)
		return err
	})
	return out, err
}

// change reads the booking find returns and its day's version, and commits the writes fn makes
// of it (s.put moves the day's version on): one fenced Txn compared on both.
func (s *Appointments) change(ctx context.Context, what string, find func(r *reads) (*hall.Appointment, error),
	fn func(r *reads, a *hall.Appointment, ver uint64, w *writes) error) (*hall.Appointment, error) {
	var out *hall.Appointment
	err := s.update(ctx, what, func(r *reads) (writes, error) {
		a, err := find(r)
		if err != nil {
			return nil, err
		}
		ver, err := s.ver(r, a.Hall, a.Day)
		if err != nil {
			return nil, err
		}
		var w writes
		if err := fn(r, a, ver, &w); err != nil {
			return nil, err
		}
		out = a
		return w, nil
	})
	return out, err
}

// withToken finds the booking with a token (ENOTFOUND "token").
func (s *Appointments) withToken(token string) func(r *reads) (*hall.Appointment, error) {
	return func(r *reads) (*hall.Appointment, error) {
		a, err := s.byToken(r, token)
		if err == nil && a == nil {
			err = hall.Errorf(hall.ENOTFOUND, "token", "no booking with this token")
		}
		return a, err
	}
}

// Cancel implements hall.AppointmentStore.
func (s *Appointments) Cancel(ctx context.Context, token string) (*hall.Appointment, error) {
	return s.change(ctx, "cancel the booking", s.withToken(token), func(_ *reads, a *hall.Appointment, ver uint64, w *writes) error {
		if err := a.CancelAt(s.now()); err != nil {
			return err
		}
		return s.put(w, a, ver)
	})
}

// Reschedule implements hall.AppointmentStore.
func (s *Appointments) Reschedule(ctx context.Context, token string, req hall.BookRequest) (*hall.Appointment, error) {
	return s.change(ctx, "reschedule the booking", s.withToken(token), func(r *reads, a *hall.Appointment, oldVer uint64, w *writes) error {
		oldDay, err := a.Move(req)
		if err != nil {
			return err
		}
		ver, day, err := s.day(r, a.Hall, a.Day)
		if err != nil {
			return err
		}
		if err := a.Place(day, req.Capacity); err != nil {
			return err
		}
		if oldDay != a.Day {
			w.put(&s.kv, bucketApptVer, a.Hall+"/"+oldDay, []byte(strconv.FormatUint(oldVer+1, 10)))
			w.del(&s.kv, bucketApptDay, dayKey(a.Hall, oldDay)+a.ID)
			w.put(&s.kv, bucketApptDay, dayKey(a.Hall, a.Day)+a.ID, nil)
			if a.Identity != "" {
				w.del(&s.kv, bucketApptWho, whoKey(a.Identity, oldDay, a.ID))
				w.put(&s.kv, bucketApptWho, whoKey(a.Identity, a.Day, a.ID), nil)
			}
		}
		return s.put(w, a, ver)
	})
}

// CheckedIn implements hall.AppointmentStore. Recording the same ticket again changes nothing.
func (s *Appointments) CheckedIn(ctx context.Context, id string, t hall.Ticket) (*hall.Appointment, error) {
	find := func(r *reads) (*hall.Appointment, error) {
		a, err := s.byID(r, id)
		if err == nil && a == nil {
			err = hall.Errorf(hall.ENOTFOUND, "id", "no booking %s", id)
		}
		return a, err
	}
	return s.change(ctx, "record the check-in", find, func(_ *reads, a *hall.Appointment, ver uint64, w *writes) error {
		changed, err := a.CheckIn(t)
		if err != nil || !changed {
			return err
		}
		return s.put(w, a, ver)
	})
}

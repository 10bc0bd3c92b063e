// Package storetest holds the behaviour every store of a hall service must show, whatever it
// keeps its records in (package bolt's file, package etcd's cluster): each function takes an
// empty store and fails the test where it differs.
package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// Slot returns the 15-minute slot at hhmm on 2026-12-03 in Asia/Shanghai.
func Slot(t testing.TB, hhmm string) (time.Time, time.Time) {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	s, err := time.ParseInLocation("2006-01-02 15:04", "2026-12-03 "+hhmm, loc)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Add(15 * time.Minute)
}

// BookLastPlacesConcurrently: 50 people book a slot (hall "h", service A, 09:00) with 10 places
// at once: exactly 10 get it (10 different codes), every other one is refused with 409 naming
// start.
func BookLastPlacesConcurrently(t *testing.T, s hall.AppointmentStore) []*hall.Appointment {
	t.Helper()
	start, end := Slot(t, "09:00")
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok []*hall.Appointment
	full, other := 0, []error{}
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := s.Book(ctx, hall.BookRequest{Hall: "h", Service: "A", Start: start, End: end,
				Name: "p", Phone: fmt.Sprintf("138%08d", i), Capacity: 10})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok = append(ok, a)
			case hall.ErrorCode(err) == hall.ECONFLICT && hall.ErrorField(err) == "start":
				full++
			default:
				other = append(other, err)
			}
		}()
	}
	wg.Wait()
	if len(ok) != 10 || full != 40 || len(other) != 0 {
		t.Fatalf("booked %d, refused as full %d, other errors %v: want 10, 40, none", len(ok), full, other)
	}
	codes, ids := map[string]bool{}, map[string]bool{}
	for _, a := range ok {
		if len(a.Code) != 6 || codes[a.Code] || ids[a.ID] || a.Token == "" || a.Day != "2026-12-03" {
			t.Errorf("booking %+v: want a fresh 6-digit code, a new ID, a token and the local day", a)
		}
		codes[a.Code], ids[a.ID] = true, true
	}
	return ok
}

// BookOnePerPersonCancelReschedule: one active booking per phone per service per day, a full
// slot refused, code lookup, a move freeing its place, cancel (once, not after a check-in), a
// check-in recorded once, and the day listing cancelled bookings too.
func BookOnePerPersonCancelReschedule(t *testing.T, s hall.AppointmentStore) {
	t.Helper()
	ctx := context.Background()
	nine, nineEnd := Slot(t, "09:00")
	ten, tenEnd := Slot(t, "10:00")
	req := hall.BookRequest{Hall: "h", Service: "A", Start: nine, End: nineEnd, Name: "张三", Phone: "13800138000", Channel: "web", Capacity: 1}
	a, err := s.Book(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	second := req
	second.Start, second.End = ten, tenEnd
	if _, err := s.Book(ctx, second); hall.ErrorCode(err) != hall.ECONFLICT || hall.ErrorField(err) != "phone" {
		t.Fatalf("a second booking of the same service that day: %v, want 409 naming phone", err)
	}
	other := req
	other.Phone = "13900139000"
	if _, err := s.Book(ctx, other); hall.ErrorField(err) != "start" {
		t.Fatalf("the full slot: %v, want 409 naming start", err)
	}
	otherSvc := second
	otherSvc.Service = "B"
	if _, err := s.Book(ctx, otherSvc); err != nil {
		t.Fatalf("another service the same day: %v", err)
	}
	if got, err := s.ByCode(ctx, "h", "2026-12-03", a.Code); err != nil || got.ID != a.ID {
		t.Fatalf("by code: %+v %v", got, err)
	}
	moved, err := s.Reschedule(ctx, a.Token, second)
	if err != nil || !moved.Start.Equal(ten) {
		t.Fatalf("reschedule: %+v %v", moved, err)
	}
	if _, err := s.Book(ctx, other); err != nil {
		t.Fatalf("the 09:00 place freed by the move: %v", err)
	}
	if _, err := s.Cancel(ctx, a.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cancel(ctx, a.Token); hall.ErrorCode(err) != hall.ECONFLICT {
		t.Fatalf("cancel twice: %v", err)
	}
	if _, err := s.ByCode(ctx, "h", "2026-12-03", a.Code); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("a cancelled booking's code: %v, want not found", err)
	}
	if _, err := s.Book(ctx, second); err != nil {
		t.Fatalf("after the cancel the person may book again: %v", err)
	}
	if _, err := s.ByToken(ctx, "nope"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("unknown token: %v", err)
	}
	b, _ := s.Book(ctx, hall.BookRequest{Hall: "h", Service: "C", Start: ten, End: tenEnd, Name: "x", Phone: "13700137000", Capacity: 5})
	if c, err := s.CheckedIn(ctx, b.ID, hall.Ticket{ID: "t1", Number: "C001", Token: "tt", IssuedAt: ten}); err != nil || c.State != hall.AppointmentCheckedIn || c.Number != "C001" {
		t.Fatalf("check in: %+v %v", c, err)
	}
	if _, err := s.CheckedIn(ctx, b.ID, hall.Ticket{ID: "t1", Number: "C001", Token: "tt", IssuedAt: ten}); err != nil {
		t.Fatalf("recording the same check-in again: %v", err)
	}
	if _, err := s.Cancel(ctx, b.Token); hall.ErrorCode(err) != hall.ECONFLICT {
		t.Fatalf("cancel after check-in: %v, want 409", err)
	}
	day, _ := s.Day(ctx, "h", "2026-12-03")
	if len(day) != 5 {
		t.Fatalf("the day lists %d bookings, want 5 (cancelled ones too)", len(day))
	}
}

// BookOnePerIdentity: one active booking per identity per service per day, a requester's
// bookings latest day first (a move to the next day included), another identity (a prefix of
// the account) sees none, and a cancel frees the identity.
func BookOnePerIdentity(t *testing.T, s hall.AppointmentStore) {
	t.Helper()
	ctx := context.Background()
	zhang := hall.Identity{Source: hall.IdentityCAS, ID: "2021000123"}.Key()
	book := func(svc, hhmm, phone, who string) (*hall.Appointment, error) {
		start, end := Slot(t, hhmm)
		return s.Book(ctx, hall.BookRequest{Hall: "h", Service: svc, Start: start, End: end, Name: "张三", Phone: phone, Identity: who, Capacity: 3})
	}
	a, err := book("A", "09:00", "", zhang)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := book("A", "10:00", "13800138000", zhang); hall.ErrorCode(err) != hall.ECONFLICT || hall.ErrorField(err) != "identity" {
		t.Fatalf("second booking of the identity: %v, want 409 identity", err)
	}
	if _, err := book("A", "10:00", "", ""); err != nil {
		t.Fatalf("an anonymous booking without a phone beside it: %v", err) // the HTTP layer asks for the phone
	}
	b, err := book("B", "10:00", "", zhang)
	if err != nil {
		t.Fatalf("another service: %v", err)
	}
	next, nextEnd := Slot(t, "09:00")
	next, nextEnd = next.AddDate(0, 0, 1), nextEnd.AddDate(0, 0, 1)
	if _, err := s.Reschedule(ctx, b.Token, hall.BookRequest{Start: next, End: nextEnd, Capacity: 3}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ByIdentity(ctx, zhang, 10)
	if err != nil || len(got) != 2 || got[0].ID != b.ID || got[0].Day != "2026-12-04" || got[1].ID != a.ID {
		t.Fatalf("ByIdentity: %+v %v, want the moved B on 12-04 first, then A", got, err)
	}
	if other, _ := s.ByIdentity(ctx, hall.Identity{Source: hall.IdentityCAS, ID: "20210001"}.Key(), 10); len(other) != 0 {
		t.Fatalf("another identity (a prefix of the account) sees %+v", other)
	}
	if _, err := s.Cancel(ctx, a.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := book("A", "10:00", "", zhang); err != nil {
		t.Fatalf("after cancelling: %v", err)
	}
}

// BenchBook books b.N places from 16 goroutines on one hall's day (slots of 1,000 places, a
// phone each): the bookings of one day contend as at the opening of a popular service.
func BenchBook(b *testing.B, s hall.AppointmentStore) {
	start, end := Slot(b, "09:00")
	ctx := context.Background()
	var mu sync.Mutex
	n := 0
	b.SetParallelism(16 / max(1, runtimeProcs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			n++
			i := n
			mu.Unlock()
			slot := time.Duration(i/1000) * 15 * time.Minute
			if _, err := s.Book(ctx, hall.BookRequest{Hall: "h", Service: "A", Start: start.Add(slot), End: end.Add(slot),
				Name: "p", Phone: fmt.Sprintf("138%08d", i), Capacity: 1000}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bookings/s")
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

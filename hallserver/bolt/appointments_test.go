package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/storetest"
)

func openAppts(t *testing.T, path string) (*DB, *Appointments) {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewAppointments(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db, s
}

// TestBookLastPlacesConcurrently: 50 people book a slot with 10 places at once: exactly 10 get
// it (storetest.BookLastPlacesConcurrently), and the store holds 10 after a reopen.
func TestBookLastPlacesConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	db, s := openAppts(t, path)
	storetest.BookLastPlacesConcurrently(t, s)
	db.Close()
	db, s = openAppts(t, path)
	defer db.Close()
	got, err := s.Booked(context.Background(), "h", "A", "2026-12-03")
	if err != nil || len(got) != 10 {
		t.Fatalf("after reopening: %d bookings, %v; want 10", len(got), err)
	}
}

func TestBookOnePerPersonCancelReschedule(t *testing.T) {
	db, s := openAppts(t, filepath.Join(t.TempDir(), "a.db"))
	defer db.Close()
	storetest.BookOnePerPersonCancelReschedule(t, s)
}

// TestBookingsLengthenWaitEstimate: the queue reads the bookings of its own file on the tick: two
// bookings of A due in the next 15 minutes lengthen the wait shown for A; once one is checked
// in or cancelled, it counts no more as a booking (a checked-in one is a ticket in the queue).
func TestBookingsLengthenWaitEstimate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustAct("h1", 1, hall.ActOpen, "")
	e.issue("h1", "A")
	e.issue("h1", "A")
	e.mustAct("h1", 1, hall.ActCallNext, "")
	e.clk.Add(3 * time.Minute)
	eta := func() int {
		t.Helper()
		if err := e.q.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		snap, err := e.q.Snapshot(ctx, "h1")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range snap.Services {
			if s.Code == "A" {
				return s.EtaSeconds
			}
		}
		t.Fatal("no service A")
		return 0
	}
	base := eta()
	appts, err := NewAppointments(e.db, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clk.Now()
	var booked []*hall.Appointment
	for i, m := range []int{5, 10} {
		start := now.Add(time.Duration(m) * time.Minute)
		a, err := appts.Book(ctx, hall.BookRequest{Hall: "h1", Service: "A", Start: start, End: start.Add(15 * time.Minute),
			Name: "p", Phone: fmt.Sprintf("1380000000%d", i), Capacity: 3})
		if err != nil {
			t.Fatal(err)
		}
		booked = append(booked, a)
	}
	// another hall's and another service's bookings change nothing for h1's A
	if _, err := appts.Book(ctx, hall.BookRequest{Hall: "h2", Service: "A", Start: now.Add(time.Minute), End: now.Add(16 * time.Minute),
		Name: "p", Phone: "13900000000", Capacity: 3}); err != nil {
		t.Fatal(err)
	}
	with := eta()
	if with != base+600 {
		t.Fatalf("service A's wait: %d s with two bookings due in 15 minutes, %d s without: want two 5-minute visits more", with, base)
	}
	if _, err := appts.Cancel(ctx, booked[1].Token); err != nil {
		t.Fatal(err)
	}
	if got := eta(); got != base+300 {
		t.Fatalf("one booking cancelled: %d s, want %d", got, base+300)
	}
}

func TestBookOnePerIdentity(t *testing.T) {
	db, s := openAppts(t, filepath.Join(t.TempDir(), "a.db"))
	defer db.Close()
	storetest.BookOnePerIdentity(t, s)
}

// BenchmarkBook: bookings of one day from 16 goroutines in the bbolt file (compare etcd's
// BenchmarkBookOnEtcd).
func BenchmarkBook(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "a.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s, err := NewAppointments(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	storetest.BenchBook(b, s)
}

package etcd_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/etcd/etcdtest"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/notify"
	"onedoor/hallserver/storetest"
)

// term wins the election under prefix for the test and returns it (resigned at the end).
func term(t *testing.T, cli *clientv3.Client, prefix string) *etcd.Term {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tm, err := etcd.Campaign(ctx, cli, prefix, 3, "http://test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tm.Resign)
	return tm
}

// alternate books through two stores in turn.
type alternate struct {
	hall.AppointmentStore
	other hall.AppointmentStore
	n     atomic.Int64
}

func (a *alternate) Book(ctx context.Context, req hall.BookRequest) (*hall.Appointment, error) {
	if a.n.Add(1)%2 == 0 {
		return a.other.Book(ctx, req)
	}
	return a.AppointmentStore.Book(ctx, req)
}

// TestAppointmentsOnEtcd: the bbolt store's booking behaviour (storetest) on a real
// cluster, each on its own prefix: 50 concurrent bookings of 10 places through two stores give
// exactly 10 (the Txn compared on the day's version), one per phone and per identity, cancel, reschedule,
// check-in; a new owner (another store on the same prefix) sees the bookings and counts them.
func TestAppointmentsOnEtcd(t *testing.T) {
	_, cli := cluster(t)
	t.Run("concurrent", func(t *testing.T) {
		tm := term(t, cli, "/c/")
		// Two stores on the same data, taking turns: each writes one at a time, so only the
		// Txn's compare on the day's version keeps the two from overbooking.
		s := &alternate{AppointmentStore: etcd.NewAppointments(cli, "/c/", tm.Fence, nil),
			other: etcd.NewAppointments(cli, "/c/", tm.Fence, nil)}
		ok := storetest.BookLastPlacesConcurrently(t, s)
		tm.Resign()
		next := term(t, cli, "/c/")
		s2 := etcd.NewAppointments(cli, "/c/", next.Fence, nil)
		ctx := context.Background()
		got, err := s2.Booked(ctx, "h", "A", "2026-12-03")
		if err != nil || len(got) != 10 {
			t.Fatalf("the next owner reads %d bookings, %v; want 10", len(got), err)
		}
		start, end := storetest.Slot(t, "09:00")
		if _, err := s2.Book(ctx, hall.BookRequest{Hall: "h", Service: "A", Start: start, End: end, Name: "p", Phone: "13912345678", Capacity: 10}); hall.ErrorField(err) != "start" {
			t.Fatalf("an 11th booking on the next owner: %v, want 409 start (the slot stays full)", err)
		}
		if _, err := s2.Cancel(ctx, ok[0].Token); err != nil {
			t.Fatalf("cancel by token on the next owner: %v", err)
		}
		if _, err := s2.Book(ctx, hall.BookRequest{Hall: "h", Service: "A", Start: start, End: end, Name: "p", Phone: "13912345678", Capacity: 10}); err != nil {
			t.Fatalf("the place freed by the cancel: %v", err)
		}
	})
	t.Run("one per person", func(t *testing.T) {
		tm := term(t, cli, "/p/")
		storetest.BookOnePerPersonCancelReschedule(t, etcd.NewAppointments(cli, "/p/", tm.Fence, nil))
	})
	t.Run("one per identity", func(t *testing.T) {
		tm := term(t, cli, "/i/")
		storetest.BookOnePerIdentity(t, etcd.NewAppointments(cli, "/i/", tm.Fence, nil))
	})
}

// TestServiceStoresFenced: once another server owns the halls, a store of the old term commits
// nothing (503, ErrNotOwner), even before the old term notices its lease is gone; the new
// owner's store writes.
func TestServiceStoresFenced(t *testing.T) {
	_, cli := cluster(t)
	ctx := context.Background()
	old := term(t, cli, "/f/")
	stale := etcd.NewAppointments(cli, "/f/", old.Fence, nil)
	start, end := storetest.Slot(t, "09:00")
	req := hall.BookRequest{Hall: "h", Service: "A", Start: start, End: end, Name: "p", Phone: "13800138000", Capacity: 5}
	a, err := stale.Book(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// The old key is deleted behind the old term's back (as etcd does when its lease expires):
	// its Fence still says ok, the compare in etcd does not.
	key, _, _ := old.Fence()
	if _, err := cli.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	next := term(t, cli, "/f/")
	fresh := etcd.NewAppointments(cli, "/f/", next.Fence, nil)
	stList := etcd.NewLongList(cli, "/f/", old.Fence, nil, nil)
	req.Phone = "13900139000"
	if _, err := stale.Book(ctx, req); !errors.Is(err, etcd.ErrNotOwner) || hall.ErrorCode(err) != hall.EUNAVAILABLE {
		t.Fatalf("a booking by the old owner: %v, want 503 and ErrNotOwner", err)
	}
	if _, err := stale.Cancel(ctx, a.Token); !errors.Is(err, etcd.ErrNotOwner) {
		t.Fatalf("a cancel by the old owner: %v, want ErrNotOwner", err)
	}
	if _, err := stList.CreateItem(ctx, hall.ListItem{Title: hall.Text{Zh: "x"}, Lead: hall.OfficeDepartment}, "lead"); !errors.Is(err, etcd.ErrNotOwner) {
		t.Fatalf("a list item by the old owner: %v, want ErrNotOwner", err)
	}
	got, err := fresh.Booked(ctx, "h", "A", "2026-12-03")
	if err != nil || len(got) != 1 || got[0].State != hall.AppointmentBooked {
		t.Fatalf("bookings after the old owner's attempts: %+v %v; want the first one only, still booked", got, err)
	}
	if _, err := fresh.Book(ctx, req); err != nil {
		t.Fatalf("the new owner books: %v", err)
	}
}

// TestLongListOnEtcd: the bbolt list's behaviour (storetest) on etcd, and the next owner
// reads the same items and carries on the numbering.
func TestLongListOnEtcd(t *testing.T) {
	_, cli := cluster(t)
	tm := term(t, cli, "/l/")
	storetest.LongListCRUD(t, etcd.NewLongList(cli, "/l/", tm.Fence, []string{"library", "it"}, nil), func() {})
	tm.Resign()
	next := term(t, cli, "/l/")
	l := etcd.NewLongList(cli, "/l/", next.Fence, []string{"library", "it"}, nil)
	ctx := context.Background()
	items, err := l.Items(ctx)
	if err != nil || len(items) != 1 || items[0].ID != "QD-001" || items[0].Status != "done" {
		t.Fatalf("items on the next owner %+v %v", items, err)
	}
	it, err := l.CreateItem(ctx, hall.ListItem{Title: hall.Text{Zh: "x"}, Lead: "it"}, "office1")
	if err != nil || it.ID != "QD-003" {
		t.Fatalf("the next item: %+v %v, want QD-003 (QD-002 was deleted, never reused)", it, err)
	}
}

// TestVisitRatingsOnEtcd: a finished visit is rated once on etcd (ten pages rating it at once:
// one wins, the others get 409 rating), a waiting ticket is not ratable (409 state), an unknown
// token is 404, bad stars 422; the next owner reads the rating.
func TestVisitRatingsOnEtcd(t *testing.T) {
	_, cli := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q, tm := owner(t, ctx, cli, "http://a")
	defer q.Close()
	var tickets []*hall.Ticket
	for range 2 {
		is, err := q.Issue(ctx, hall.IssueRequest{Hall: "students", Service: "A", Channel: "kiosk"})
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, &is.Ticket)
	}
	for _, act := range []string{hall.ActOpen, hall.ActCallNext, hall.ActStart, hall.ActFinish} {
		if _, err := q.Act(ctx, hall.CounterAction{Hall: "students", Counter: 1, Action: act, Actor: "counter1"}); err != nil {
			t.Fatal(act, err)
		}
	}
	ratings := enginehost.NewRatings(q, etcd.NewVisitRatings(cli, "/t/", tm.Fence, nil))
	done, waiting := tickets[0], tickets[1]
	if _, err := ratings.RateVisit(ctx, done.Token, hall.VisitRating{Stars: 9}); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("9 stars: %v, want 422", err)
	}
	if _, err := ratings.RateVisit(ctx, waiting.Token, hall.VisitRating{Stars: 5}); hall.ErrorField(err) != "state" {
		t.Fatalf("a waiting ticket: %v, want 409 state", err)
	}
	if _, err := ratings.RateVisit(ctx, "nope", hall.VisitRating{Stars: 5}); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("unknown token: %v, want 404", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, again := 0, 0
	for i := range 10 {
		wg.Go(func() {
			_, err := ratings.RateVisit(ctx, done.Token, hall.VisitRating{Stars: 1 + i%5})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case hall.ErrorField(err) == "rating":
				again++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won != 1 || again != 9 {
		t.Fatalf("ten ratings at once: %d stored, %d refused as rated: want 1, 9", won, again)
	}
	stored, err := ratings.VisitRating(ctx, done.Token)
	if err != nil || stored == nil {
		t.Fatalf("the rating: %+v %v", stored, err)
	}
	tm.Resign()
	next := term(t, cli, "/t/")
	r2 := etcd.NewVisitRatings(cli, "/t/", next.Fence, nil)
	if got, err := r2.RatingOf(ctx, done.ID); err != nil || got == nil || got.Stars != stored.Stars {
		t.Fatalf("the next owner reads %+v %v, want %+v", got, err, stored)
	}
	if _, err := r2.RateTicket(ctx, done.ID, hall.VisitRating{Stars: 3}); hall.ErrorField(err) != "rating" {
		t.Fatalf("rating again on the next owner: %v, want 409 rating", err)
	}
}

// TestNoticeOutboxOnEtcd: the bbolt outbox's behaviour (storetest) on etcd; the next
// owner's notifier finds the cursor and the waiting notices.
func TestNoticeOutboxOnEtcd(t *testing.T) {
	_, cli := cluster(t)
	tm := term(t, cli, "/n/")
	storetest.NoticeOutbox(t, etcd.NewNoticeStore(cli, "/n/", tm.Fence))
	tm.Resign()
	next := term(t, cli, "/n/")
	s := etcd.NewNoticeStore(cli, "/n/", next.Fence)
	ctx := context.Background()
	if seq, ok, err := s.Cursor(ctx, notify.CursorName); err != nil || !ok || seq != 9 {
		t.Fatalf("the next owner's cursor %d %v %v, want 9", seq, ok, err)
	}
	if p, err := s.Pending(ctx); err != nil || len(p) != 152 {
		t.Fatalf("the next owner's outbox: %d waiting, %v; want 152", len(p), err)
	}
}

// TestTopicAnswersOnEtcd: the answers' behaviour (storetest) on etcd, each open a store of
// a new term (the next owner reads what the last one recorded).
func TestTopicAnswersOnEtcd(t *testing.T) {
	_, cli := cluster(t)
	var last *etcd.Term
	storetest.TopicAnswers(t, func(cs cases.CaseWindow, now func() time.Time) hall.TopicService {
		if last != nil {
			last.Resign()
		}
		last = term(t, cli, "/tp/")
		return etcd.NewTopics(cli, "/tp/", last.Fence, cs, now)
	})
}

// BenchmarkBookOnEtcd: bookings of one day from 16 goroutines on a 3-member cluster (compare
// bolt's BenchmarkBook).
func BenchmarkBookOnEtcd(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), etcdtest.WaitTimeout)
	defer cancel()
	c, err := etcdtest.Start(ctx, b.TempDir(), etcdtest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cli, err := etcd.Dial(c.Endpoints(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	tm, err := etcd.Campaign(ctx, cli, "/b/", 3, "http://bench")
	if err != nil {
		b.Fatal(err)
	}
	defer tm.Resign()
	storetest.BenchBook(b, etcd.NewAppointments(cli, "/b/", tm.Fence, nil))
}

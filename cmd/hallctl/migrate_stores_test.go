package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/notify"
)

// fillServices writes into the file what the etcd store keeps beside the queues: three
// bookings, the rating of the finished ticket followed by token, a topic answer, a list item,
// two notices (one delivered) and the notifier's cursor. It returns the bookings.
func fillServices(t *testing.T, ctx context.Context, db *bolt.DB, token string) []*hall.Appointment {
	t.Helper()
	appts, err := bolt.NewAppointments(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
	var booked []*hall.Appointment
	for i := range 3 {
		a, err := appts.Book(ctx, hall.BookRequest{Hall: "students", Service: "A", Start: start, End: start.Add(15 * time.Minute),
			Name: "p", Phone: fmt.Sprintf("1380013800%d", i), Identity: fmt.Sprintf("cas:%d", i), Capacity: 3})
		if err != nil {
			t.Fatal(err)
		}
		booked = append(booked, a)
	}
	vr, err := bolt.NewVisitRatings(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vr.RateVisit(ctx, token, hall.VisitRating{Stars: 4}); err != nil {
		t.Fatal(err)
	}
	tp, err := bolt.NewTopics(db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.RecordAnswer(ctx, hall.TopicAnswer{Topic: "t1", Cases: []string{"c1", "c2"}, Text: hall.Text{Zh: "已修复"}}, nil); err != nil {
		t.Fatal(err)
	}
	l, err := bolt.NewLongList(db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreateItem(ctx, hall.ListItem{Title: hall.Text{Zh: "x"}, Lead: hall.OfficeDepartment}, "office1"); err != nil {
		t.Fatal(err)
	}
	ns, err := bolt.NewNoticeStore(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Enqueue(ctx, notify.CursorName, 5, []hall.Notification{{Key: "n1", Title: "a"}, {Key: "n2", Title: "b"}}); err != nil {
		t.Fatal(err)
	}
	if err := ns.Delivered(ctx, "n1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return booked
}

// checkServicesOnEtcd: after the migration the cluster's stores hold what fillServices wrote,
// and a new booking and list item carry on the file's numbering.
func checkServicesOnEtcd(t *testing.T, ctx context.Context, endpoints []string, booked []*hall.Appointment, rated *hall.Ticket) {
	t.Helper()
	cli, term := etcdOwner(t, ctx, endpoints)
	defer cli.Close()
	defer term.Resign()
	p := etcd.DefaultPrefix
	appts := etcd.NewAppointments(cli, p, term.Fence, nil)
	for _, a := range booked {
		got, err := appts.ByToken(ctx, a.Token)
		if err != nil || got.ID != a.ID || got.Code != a.Code {
			t.Fatalf("booking %s on etcd: %+v %v", a.ID, got, err)
		}
	}
	if mine, err := appts.ByIdentity(ctx, "cas:1", 5); err != nil || len(mine) != 1 || mine[0].ID != booked[1].ID {
		t.Fatalf("a requester's bookings on etcd: %+v %v", mine, err)
	}
	a := booked[0]
	if _, err := appts.Book(ctx, hall.BookRequest{Hall: a.Hall, Service: a.Service, Start: a.Start, End: a.End, Name: "p", Phone: "13900139000", Capacity: 3}); hall.ErrorField(err) != "start" {
		t.Fatalf("a fourth booking of the migrated full slot: %v, want 409 start", err)
	}
	next, err := appts.Book(ctx, hall.BookRequest{Hall: a.Hall, Service: a.Service, Start: a.Start.Add(time.Hour), End: a.End.Add(time.Hour), Name: "p", Phone: "13900139000", Capacity: 3})
	if err != nil || next.ID != "ap000004" {
		t.Fatalf("the next booking on etcd: %+v %v, want ap000004", next, err)
	}
	if r, err := etcd.NewVisitRatings(cli, p, term.Fence, nil).RatingOf(ctx, rated.ID); err != nil || r == nil || r.Stars != 4 {
		t.Fatalf("the rating on etcd: %+v %v", r, err)
	}
	if ans, err := etcd.NewTopics(cli, p, term.Fence, nil, nil).AnswerFor(ctx, "c2"); err != nil || ans == nil || ans.Text.Zh != "已修复" {
		t.Fatalf("the topic answer on etcd: %+v %v", ans, err)
	}
	if it, err := etcd.NewLongList(cli, p, term.Fence, nil, nil).CreateItem(ctx, hall.ListItem{Title: hall.Text{Zh: "y"}, Lead: hall.OfficeDepartment}, "office1"); err != nil || it.ID != "QD-002" {
		t.Fatalf("the next list item on etcd: %+v %v, want QD-002", it, err)
	}
	ns := etcd.NewNoticeStore(cli, p, term.Fence)
	if seq, ok, err := ns.Cursor(ctx, notify.CursorName); err != nil || !ok || seq != 5 {
		t.Fatalf("the notifier's cursor on etcd: %d %v %v", seq, ok, err)
	}
	if n, err := ns.Enqueue(ctx, notify.CursorName, 6, []hall.Notification{{Key: "n1"}, {Key: "n2"}}); err != nil || n != 0 {
		t.Fatalf("notices of the file again on etcd: %d added, %v; want none (one waiting, one delivered)", n, err)
	}
}

// etcdOwner connects to the cluster and owns the halls: the caller resigns the term and closes
// the client (before the cluster stops).
func etcdOwner(t *testing.T, ctx context.Context, endpoints []string) (*clientv3.Client, *etcd.Term) {
	t.Helper()
	cli, err := etcd.Dial(endpoints, nil)
	if err != nil {
		t.Fatal(err)
	}
	term, err := etcd.Campaign(ctx, cli, etcd.DefaultPrefix, 3, "http://test")
	if err != nil {
		cli.Close()
		t.Fatal(err)
	}
	return cli, term
}

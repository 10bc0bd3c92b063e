package notify_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/notify"
)

// subLog is a case log with subscriptions that the test can close (as the log does to a
// subscriber that fell behind).
type subLog struct {
	fakeLog
	smu  sync.Mutex
	subs []chan hall.CaseEvent
}

func (l *subLog) Subscribe(buffer int) (<-chan hall.CaseEvent, func()) {
	l.smu.Lock()
	defer l.smu.Unlock()
	ch := make(chan hall.CaseEvent, buffer)
	l.subs = append(l.subs, ch)
	return ch, func() {}
}

func (l *subLog) subscriptions() int {
	l.smu.Lock()
	defer l.smu.Unlock()
	return len(l.subs)
}

// add appends an event and publishes it to the newest subscription.
func (l *subLog) add(ev hall.CaseEvent) {
	l.mu.Lock()
	ev.Seq = uint64(len(l.evs) + 1)
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
	l.smu.Lock()
	defer l.smu.Unlock()
	l.subs[len(l.subs)-1] <- ev
}

// TestFallenBehindSubscriptionIsTakenAgainAtOnce: the log closes the notifier's subscription
// (it fell behind while cases poured in); the notifier subscribes again at once rather than at
// its next poll, so the next case is told without waiting for the poll (here an hour).
func TestFallenBehindSubscriptionIsTakenAgainAtOnce(t *testing.T) {
	log := &subLog{}
	e := newEnv(t)
	rec := &recorder{}
	n, err := notify.New(notify.Config{Log: log, Store: e.st, Directory: dir{testCampus}, App: rec, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the subscription", func() bool { return log.subscriptions() == 1 })
	c := &hall.Case{ID: "case-1", Number: "JS20261204-0001", Token: "tok", Department: "library", Text: "占座"}
	log.add(hall.CaseEvent{Type: hall.CaseEvDispatched, Department: "library", Case: c})
	waitFor(t, "the first case told", func() bool { return len(rec.all()) == 1 })
	log.smu.Lock()
	close(log.subs[0])
	log.smu.Unlock()
	waitFor(t, "a new subscription", func() bool { return log.subscriptions() == 2 })
	c2 := *c
	c2.ID, c2.Number = "case-2", "JS20261204-0002"
	log.add(hall.CaseEvent{Type: hall.CaseEvDispatched, Department: "library", Case: &c2})
	waitFor(t, "the second case told", func() bool { return len(rec.all()) == 2 })
}

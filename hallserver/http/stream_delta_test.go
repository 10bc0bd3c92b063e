package http

import (
	"encoding/json"
	"maps"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// hallView is what a display knows of the hall: the waiting count of each service and the
// state of each counter, from a snapshot and then from every event, merging what each carries
// (as display.State, display.js and the kiosk do).
type hallView struct {
	waiting  map[string]int
	counters map[int]hall.CounterState
}

func viewOf(snap *hall.Snapshot) hallView {
	v := hallView{waiting: map[string]int{}, counters: map[int]hall.CounterState{}}
	for _, s := range snap.Services {
		v.waiting[s.Code] = s.Waiting
	}
	for _, c := range snap.Counters {
		v.counters[c.Number] = c.State
	}
	return v
}

// streamEventKeys is an event as the stream sent it, with the keys it has.
type streamEventKeys struct {
	Type    string         `json:"type"`
	Waiting map[string]int `json:"waiting"`
	Counter *hall.Counter  `json:"counter"`
	keys    map[string]json.RawMessage
}

func readEvent(t *testing.T, m message) streamEventKeys {
	t.Helper()
	var ev streamEventKeys
	if err := json.Unmarshal(m.raw, &ev); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(m.raw, &ev.keys); err != nil {
		t.Fatal(err)
	}
	return ev
}

func (v hallView) apply(ev streamEventKeys) {
	maps.Copy(v.waiting, ev.Waiting)
	if ev.Counter != nil {
		v.counters[ev.Counter.Number] = ev.Counter.State
	}
}

// TestHallStreamSendsWhatChanged: live events carry only the waiting counts that changed and a
// ticket's counter only when the counter changed (a finished ticket carries neither), and a
// display that merges them knows the same hall as a fresh snapshot shows. A replay's first event
// carries every count.
func TestHallStreamSendsWhatChanged(t *testing.T) {
	e := newEnv(t)
	staff := e.login("counter1")
	c := e.dial("students", 0) // the hall's hub starts here
	first := read(t, c, 2*time.Second)
	if first.Type != "snapshot" {
		t.Fatalf("first message: %s", first.raw)
	}
	v := viewOf(first.Snapshot)
	e.act(staff, 1, "open", nil, 200)
	e.act(staff, 2, "open", nil, 200)
	e.issue("A")
	e.issue("A")
	e.issue("B")
	var setup uint64 // the seq of the last setup event
	for i := 0; i < 5; i++ {
		m := read(t, c, 2*time.Second)
		setup = m.Seq
		ev := readEvent(t, m)
		if i == 0 && len(ev.Waiting) != len(first.Snapshot.Services) {
			t.Fatalf("the hub's first event has no event before it, so it carries every count: %v", ev.Waiting)
		}
		v.apply(ev)
	}

	e.act(staff, 1, "call-next", nil, 200) // A001 called: A 2 → 1
	e.act(staff, 1, "finish", nil, 200)    // no count changes, nor counter 1
	e.act(staff, 1, "call-next", nil, 200) // A002 called: A 1 → 0
	e.act(staff, 2, "pause", nil, 200)
	e.issue("B") // B 1 → 2
	e.act(staff, 2, "open", nil, 200)
	e.act(staff, 1, "finish", nil, 200)
	want := []struct {
		typ     hall.EventType
		waiting map[string]int // nil: no waiting key at all
		counter bool
	}{
		{hall.EventCalled, map[string]int{"A": 1}, true}, // the event before, an issue, named no counter
		{hall.EventFinished, nil, false},
		{hall.EventCalled, map[string]int{"A": 0}, false},
		{hall.EventCounter, nil, true}, // a counter event always names its counter
		{hall.EventIssued, map[string]int{"B": 2}, false},
		{hall.EventCounter, nil, true},
		{hall.EventFinished, nil, true}, // the event before named another counter
	}
	for i, w := range want {
		m := read(t, c, 2*time.Second)
		ev := readEvent(t, m)
		if ev.Type != string(w.typ) {
			t.Fatalf("event %d: %s, want type %s", i, m.raw, w.typ)
		}
		if _, has := ev.keys["waiting"]; has != (w.waiting != nil) || !maps.Equal(ev.Waiting, w.waiting) {
			t.Fatalf("event %d: %s, want waiting %v", i, m.raw, w.waiting)
		}
		if _, has := ev.keys["counter"]; has != w.counter {
			t.Fatalf("event %d: %s, counter given: %v", i, m.raw, has)
		}
		if ev.keys["ticket"] == nil && w.typ != hall.EventCounter {
			t.Fatalf("event %d has no ticket: %s", i, m.raw)
		}
		v.apply(ev)
	}
	r := e.do("GET", "/api/v1/halls/students/snapshot", "", nil)
	var snap hall.Snapshot
	r.decode(t, &snap)
	if now := viewOf(&snap); !maps.Equal(v.waiting, now.waiting) || !maps.Equal(v.counters, now.counters) {
		t.Fatalf("the display knows %v %v; the snapshot shows %v %v", v.waiting, v.counters, now.waiting, now.counters)
	}

	// A client resuming with since=N has no previous event from this connection: the first
	// replayed event carries every count and its counter.
	c2 := e.dial("students", setup)
	ev := readEvent(t, read(t, c2, 2*time.Second))
	if ev.Type != string(hall.EventCalled) || len(ev.Waiting) != len(snap.Services) || ev.Counter == nil {
		t.Fatalf("first replayed event: %v %v %v", ev.Type, ev.Waiting, ev.Counter)
	}
	if ev := readEvent(t, read(t, c2, 2*time.Second)); ev.Type != string(hall.EventFinished) || ev.keys["waiting"] != nil || ev.keys["counter"] != nil {
		t.Fatalf("second replayed event: %v", ev.keys)
	}
}

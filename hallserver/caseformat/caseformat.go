// Package caseformat is the stored form of a case event shared by the case stores (bbolt and
// etcd; `hallctl migrate` copies the bytes from one to the other): format 2, an event holds its
// case's head — the case without its append-only lists — and the lengths of those lists after
// the event, never a full copy of the case (a case's storage would grow with the square of its
// timeline). Replay fills the lists from the case's current ones (Fill).
package caseformat

import (
	"encoding/json"
	"fmt"
	"time"

	"onedoor/hallserver/hall"
)

// Event is a case event as the stores hold it. Case is the case head (Lens set) or, in events
// written before format 2 (bbolt files only), the full case (Lens nil). Every field of
// hall.CaseEvent is kept as it is, so a field added to the event is stored without a change here.
type Event struct {
	hall.CaseEvent
	Lens *Lens `json:"lens,omitempty"`
}

// Lens are the lengths of a case's append-only lists after an event. A new list that only grows
// can be added here (and in Head, Fill): a list left out is simply stored in the head.
type Lens struct {
	Timeline   int `json:"timeline"`
	Replies    int `json:"replies,omitempty"`
	Ratings    int `json:"ratings,omitempty"`
	Duplicates int `json:"duplicates,omitempty"`
}

// Head returns a shallow copy of c without its append-only lists, and their lengths.
func Head(c *hall.Case) (*hall.Case, *Lens) {
	h := *c
	l := &Lens{Timeline: len(c.Timeline), Replies: len(c.Replies), Ratings: len(c.Ratings), Duplicates: len(c.Duplicates)}
	h.Timeline, h.Replies, h.Ratings, h.Duplicates = nil, nil, nil, nil
	return &h, l
}

// Fill gives the head h the first entries of cur's append-only lists, as many as l says (fewer
// when cur has fewer: a record that lost entries is not made up). The lists share cur's arrays,
// capped, so that an append by a reader copies.
func Fill(h, cur *hall.Case, l *Lens) {
	h.Timeline = Prefix(cur.Timeline, l.Timeline)
	if h.Timeline == nil {
		h.Timeline = []hall.CaseEntry{}
	}
	h.Replies = Prefix(cur.Replies, l.Replies)
	h.Ratings = Prefix(cur.Ratings, l.Ratings)
	h.Duplicates = Prefix(cur.Duplicates, l.Duplicates)
}

// Prefix returns s[:n:n] (nil when n is 0, all of s when n is beyond it).
func Prefix[T any](s []T, n int) []T {
	n = min(n, len(s))
	if n <= 0 {
		return nil
	}
	return s[:n:n]
}

// Encode encodes an event in format 2.
func Encode(ev *hall.CaseEvent) ([]byte, error) {
	se := Event{CaseEvent: *ev}
	if ev.Case != nil {
		se.Case, se.Lens = Head(ev.Case)
	}
	v, err := json.Marshal(&se)
	if err != nil {
		return nil, fmt.Errorf("encode case event %d: %w", ev.Seq, err)
	}
	return v, nil
}

// Forgot is the stored record that the re-routes a staff member taught the router, learned by
// changes up to Seq, are undone (ForgetRoutes), and when.
type Forgot struct {
	Seq uint64    `json:"seq"`
	At  time.Time `json:"at"`
}

// Record returns a case's stored record: the case without its timeline, which the stores keep
// apart (an entry per key, appended).
func Record(c *hall.Case) ([]byte, error) {
	r := *c
	r.Timeline = nil
	v, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("encode case %s: %w", c.ID, err)
	}
	return v, nil
}

// Change is a case change encoded for a store: the records of its cases (Record), its events
// as stored (Encode), and the IDs of the cases it opens (a received event with its case).
type Change struct {
	Records [][]byte
	Events  [][]byte
	Opened  map[string]bool
}

// EncodeChange encodes a change's cases and events for a store.
func EncodeChange(cases []hall.Case, events []hall.CaseEvent) (Change, error) {
	out := Change{Records: make([][]byte, len(cases)), Events: make([][]byte, len(events))}
	var err error
	for i := range cases {
		if out.Records[i], err = Record(&cases[i]); err != nil {
			return Change{}, err
		}
	}
	for i := range events {
		ev := &events[i]
		if out.Events[i], err = Encode(ev); err != nil {
			return Change{}, err
		}
		if ev.Type == hall.CaseEvReceived && ev.Case != nil {
			if out.Opened == nil {
				out.Opened = map[string]bool{}
			}
			out.Opened[ev.Case.ID] = true
		}
	}
	return out, nil
}

package caseformat

import (
	"encoding/json"
	"testing"

	"onedoor/hallserver/hall"
)

// TestEncodeStoresHeadAndFillRestores: an event stores its case without the append-only lists
// (its size does not grow with the timeline), and filling the head from the case as it is now
// gives the case as it was at the event: the lists cut to their lengths then.
func TestEncodeStoresHeadAndFillRestores(t *testing.T) {
	c := &hall.Case{ID: "c1", Number: "2026-0001", Text: "空调坏了"}
	for i := range 3 {
		c.Timeline = append(c.Timeline, hall.CaseEntry{Text: string(rune('a' + i))})
	}
	c.Replies = []hall.Reply{{Text: "已修好"}}
	v, err := Encode(&hall.CaseEvent{Seq: 7, Case: c})
	if err != nil {
		t.Fatal(err)
	}
	var se Event
	if err := json.Unmarshal(v, &se); err != nil {
		t.Fatal(err)
	}
	if se.Lens == nil || se.Lens.Timeline != 3 || se.Lens.Replies != 1 || len(se.Case.Timeline) != 0 || len(se.Case.Replies) != 0 {
		t.Fatalf("stored event: lens %+v, head timeline %d, replies %d; want lengths only", se.Lens, len(se.Case.Timeline), len(se.Case.Replies))
	}
	now := *c
	now.Timeline = append(append([]hall.CaseEntry{}, c.Timeline...), hall.CaseEntry{Text: "later"})
	Fill(se.Case, &now, se.Lens)
	if len(se.Case.Timeline) != 3 || se.Case.Timeline[2].Text != "c" || len(se.Case.Replies) != 1 || se.Case.Text != c.Text {
		t.Fatalf("filled case: %d entries, %d replies, text %q; want the case at the event", len(se.Case.Timeline), len(se.Case.Replies), se.Case.Text)
	}
	se.Case.Timeline = append(se.Case.Timeline, hall.CaseEntry{Text: "x"})
	if now.Timeline[3].Text != "later" {
		t.Fatal("appending to a filled case wrote into the current case's timeline")
	}
}

// TestEncodeChange: a change's records leave out the timeline (the stores keep it apart), its
// events are stored as Encode stores them, and only a received event with its case opens it.
func TestEncodeChange(t *testing.T) {
	opened := hall.Case{ID: "c1", Text: "空调坏了", Timeline: []hall.CaseEntry{{Type: hall.CaseEvReceived}}}
	noted := hall.Case{ID: "c2", Text: "门禁", Timeline: []hall.CaseEntry{{Type: hall.CaseEvReceived}, {Type: hall.CaseEvNoted}}}
	evs := []hall.CaseEvent{
		{Seq: 7, Type: hall.CaseEvReceived, Case: &opened},
		{Seq: 8, Type: hall.CaseEvNoted, Case: &noted},
	}
	enc, err := EncodeChange([]hall.Case{opened, noted}, evs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []hall.Case{opened, noted} {
		var rec hall.Case
		if err := json.Unmarshal(enc.Records[i], &rec); err != nil || rec.ID != c.ID || rec.Text != c.Text || rec.Timeline != nil {
			t.Errorf("record %d = %s (%v), want case %s without its timeline", i, enc.Records[i], err, c.ID)
		}
	}
	for i := range evs {
		want, _ := Encode(&evs[i])
		if string(enc.Events[i]) != string(want) {
			t.Errorf("event %d stored as %s, want %s", i, enc.Events[i], want)
		}
	}
	if len(enc.Opened) != 1 || !enc.Opened["c1"] {
		t.Errorf("opened %v, want c1 alone", enc.Opened)
	}
}

package bolt

import (
	"context"
	"testing"

	"onedoor/hallserver/hall"
)

// TestDeliveryCursorSurvivesRestart: the cursor and the notes are stored per deliverer name and
// read back after the file is reopened.
func TestDeliveryCursorSurvivesRestart(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	st, err := NewDeliveryStore(e.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.Cursor(ctx, "webhook"); err != nil || ok {
		t.Fatalf("fresh cursor: ok=%v err=%v", ok, err)
	}
	if err := st.SetCursor(ctx, "webhook", 42); err != nil {
		t.Fatal(err)
	}
	if err := st.SetCursor(ctx, "webhook2", 7); err != nil {
		t.Fatal(err)
	}
	if err := st.PutNote(ctx, "webhook", 43, []byte(`{"attempts":10}`)); err != nil {
		t.Fatal(err)
	}
	if err := st.PutNote(ctx, "webhook2", 1, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	st, err = NewDeliveryStore(e.db)
	if err != nil {
		t.Fatal(err)
	}
	if seq, ok, err := st.Cursor(ctx, "webhook"); err != nil || !ok || seq != 42 {
		t.Fatalf("cursor after restart: %d %v %v", seq, ok, err)
	}
	notes, err := st.Notes(ctx, "webhook")
	if err != nil || len(notes) != 1 || string(notes[43]) != `{"attempts":10}` {
		t.Fatalf("notes: %v %v", notes, err)
	}
	if err := st.PutNote(ctx, "webhook", 43, nil); err != nil {
		t.Fatal(err)
	}
	if notes, _ := st.Notes(ctx, "webhook"); len(notes) != 0 {
		t.Fatalf("note not deleted: %v", notes)
	}
	if notes, _ := st.Notes(ctx, "webhook2"); len(notes) != 1 {
		t.Fatalf("other deliverer's notes: %v", notes)
	}
}

// TestEventsAfterPages reads the whole case log in pages, past Since's replay window.
func TestEventsAfterPages(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		e.openCase(hall.OpenCaseRequest{Hall: "h1", Category: "library-seats", Kind: hall.KindComplaint})
	}
	last := e.cs.LastSeq()
	if last < 5 {
		t.Fatalf("last seq %d", last)
	}
	var got []uint64
	for after := uint64(0); ; {
		evs, err := e.cs.EventsAfter(ctx, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		if len(evs) > 4 {
			t.Fatalf("page of %d", len(evs))
		}
		for _, ev := range evs {
			got = append(got, ev.Seq)
			after = ev.Seq
			if ev.Case == nil {
				t.Fatalf("event %d without case", ev.Seq)
			}
		}
	}
	if uint64(len(got)) != last {
		t.Fatalf("read %d events, log has %d", len(got), last)
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("seqs %v", got)
		}
	}
	// Far behind (Since refuses, EventsAfter still reads): enginehost's TestSinceReplayWindow.
	if evs, _ := e.cs.EventsAfter(ctx, last, 10); len(evs) != 0 {
		t.Fatalf("events after the last: %d", len(evs))
	}
}

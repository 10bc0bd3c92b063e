package bolt

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/hall"
)

// numbers returns the numbers of the cases a search lists, in order.
func (e *caseEnv) search(f hall.CaseFilter) []string {
	e.t.Helper()
	list, err := e.cs.List(context.Background(), f)
	if err != nil {
		e.t.Fatalf("search %+v: %v", f, err)
	}
	out := []string{}
	for _, c := range list {
		out = append(out, c.Number)
	}
	return out
}

func sameList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
}

// TestCaseSearch: Chinese bigrams and English words find cases, the best match first; the case
// number and the phone match exactly and come first; phone and name find a case only with
// Contact; a department finds only the cases it is involved in, also after a re-routing.
func TestCaseSearch(t *testing.T) {
	e := newCaseEnv(t)
	ac := e.openCase(hall.OpenCaseRequest{Text: "宿舍的空调坏了三天了", Requester: hall.Requester{Name: "李四", Phone: "139-0000-1111"}, Department: "logistics"})
	e.clk.Add(time.Second)
	ac2 := e.openCase(hall.OpenCaseRequest{Text: "教室空调太吵", Department: "logistics"})
	e.clk.Add(time.Second)
	pr := e.openCase(hall.OpenCaseRequest{Title: "Printer", Text: "The library printers on floor 3 are broken", Requester: hall.Requester{Name: "Wang Wu", Phone: "13900002222"}, Department: "library"})
	all := hall.CaseFilter{Contact: hall.ContactAll}
	q := func(f hall.CaseFilter, text string) hall.CaseFilter { f.Text = text; return f }

	// 宿舍空调: 宿舍, 舍空, 空调; a case must hold half of them
	sameList(t, "宿舍空调", e.search(q(all, "宿舍空调")), ac.Number)
	sameList(t, "宿舍 空调", e.search(q(all, "宿舍 空调")), ac.Number, ac2.Number) // both, then 空调 alone
	sameList(t, "空调", e.search(q(all, "空调")), ac2.Number, ac.Number)       // equal: newest first
	sameList(t, "one character", e.search(q(all, "吵")), ac2.Number)
	sameList(t, "English", e.search(q(all, "Printers floor 3")), pr.Number)
	sameList(t, "nothing", e.search(q(all, "图书馆")))
	sameList(t, "number", e.search(q(all, " "+ac2.Number+" ")), ac2.Number)
	sameList(t, "phone", e.search(q(all, "13900001111")), ac.Number)
	sameList(t, "name", e.search(q(all, "李四")), ac.Number)
	none := hall.CaseFilter{}
	sameList(t, "phone without contact", e.search(q(none, "13900001111")))
	sameList(t, "name without contact", e.search(q(none, "wang")))
	sameList(t, "number without contact", e.search(q(none, pr.Number)), pr.Number)
	lead := hall.CaseFilter{Department: "library", Contact: hall.ContactLead}
	sameList(t, "library: its phone", e.search(q(lead, "13900002222")), pr.Number)
	sameList(t, "library: not logistics'", e.search(q(lead, "空调")))
	sameList(t, "library: another department's number", e.search(q(lead, ac.Number)))
	sameList(t, "filters apply", e.search(hall.CaseFilter{Text: "空调", Kind: "suggestion"}))

	// logistics invites the library to assist: the library finds the case by its text, not by
	// the requester's phone (masked for an assisting department)
	e.act(hall.CaseAction{Case: ac.ID, Action: hall.CaseActInvite, Actor: "h-logistics", Role: hall.RoleHandler, ActorDepartment: "logistics", Department: "library", Text: "请协助"})
	sameList(t, "library assists: text", e.search(q(lead, "空调")), ac.Number)
	sameList(t, "library assists: no phone", e.search(q(lead, "13900001111")))
	e.reopen()
	sameList(t, "after a restart", e.search(q(all, "宿舍 空调")), ac.Number, ac2.Number)
}

// TestCaseSearchIndexBuiltOnOpen: a file written before the index (testdata/cases-v2.db.gz,
// written by the code of commit e73911b) gets its cases indexed when it opens, once.
func TestCaseSearchIndexBuiltOnOpen(t *testing.T) {
	e := &caseEnv{t: t, path: filepath.Join(t.TempDir(), "onedoor.db"), clk: newClock()}
	if err := os.WriteFile(e.path, gunzip(t, "cases-v2.db.gz"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	db, err := bbolt.Open(e.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketCaseSearch) != nil {
			t.Error("the fixture has a search index already")
		}
		return nil
	})
	db.Close()
	e.open()
	all := hall.CaseFilter{Contact: hall.ContactAll}
	f := func(text string) hall.CaseFilter { all.Text = text; return all }
	sameList(t, "Chinese", e.search(f("空调")), "JS20260302-0001")
	sameList(t, "English", e.search(f("printer")), "JS20260302-0002")
	sameList(t, "phone", e.search(f("13812345678")), "JS20260302-0003")
	sameList(t, "number", e.search(f("js20260302-0002")), "JS20260302-0002")
	if n, err := buildSearchIndex(e.db); err != nil || n != 0 {
		t.Fatalf("a second build indexed %d cases (%v), want none", n, err)
	}
}

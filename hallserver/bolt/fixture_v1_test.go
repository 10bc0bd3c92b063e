package bolt

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// TestWriteCaseFixtureV1 writes testdata/cases-v1.db.gz and testdata/cases-v1.json.gz: a data
// file as the case store wrote it when every case event carried a full copy of its case, and
// what that code answered for it (every event of the log, every case by ID). It runs only with
// ONEDOOR_WRITE_FIXTURE=1.
func TestWriteCaseFixtureV1(t *testing.T) {
	if os.Getenv("ONEDOOR_WRITE_FIXTURE") != "1" {
		t.Skip("set ONEDOOR_WRITE_FIXTURE=1 to write the fixture")
	}
	e := newCaseEnv(t)
	ctx := context.Background()
	office := func(id, action string) hall.CaseAction {
		return hall.CaseAction{Case: id, Action: action, Role: hall.RoleSupervisor, Actor: "supervisor", ActorDepartment: hall.OfficeDepartment}
	}
	// 1: notes, a question, details, a reply, a bad rating, reopened, replied again, rated, archived.
	a := e.openCase(hall.OpenCaseRequest{Hall: "h1", Text: "宿舍的空调坏了三天了，一直没人来修", Requester: hall.Requester{Name: "张三", Phone: "13812345678", PersonID: "2023010203"}})
	e.act(handler(a.ID, hall.CaseActSign, a.Department))
	for i := 0; i < 3; i++ {
		n := handler(a.ID, hall.CaseActNote, a.Department)
		n.Text = "内部备注：已联系维修"
		e.act(n)
		e.clk.Add(time.Minute)
	}
	ask := handler(a.ID, hall.CaseActAsk, a.Department)
	ask.Text = "请问是几号楼几号房间？"
	e.act(ask)
	if _, err := e.cs.AddDetails(ctx, a.Token, "7号楼312"); err != nil {
		t.Fatal(err)
	}
	e.act(handler(a.ID, hall.CaseActReply, a.Department))
	if _, err := e.cs.Rate(ctx, a.Token, hall.Rating{Stars: 1, Comment: "还是没修好"}); err != nil {
		t.Fatal(err)
	}
	e.clk.Add(time.Hour)
	e.act(handler(a.ID, hall.CaseActReply, a.Department))
	if _, err := e.cs.Rate(ctx, a.Token, hall.Rating{Stars: 5, Comment: "修好了"}); err != nil {
		t.Fatal(err)
	}
	e.act(handler(a.ID, hall.CaseActArchive, a.Department))
	// 2 and 3: an original and its duplicate; the original co-handled, still open.
	o := e.openCase(hall.OpenCaseRequest{Category: "library-seats", Kind: hall.KindComplaint, Text: "图书馆三楼总有人用书占座"})
	d := e.openCase(hall.OpenCaseRequest{Category: "library-seats", Kind: hall.KindComplaint, Text: "图书馆占座太严重了"})
	dup := handler(d.ID, hall.CaseActDuplicate, d.Department)
	dup.Original = o.Number
	e.act(dup)
	inv := handler(o.ID, hall.CaseActInvite, o.Department)
	inv.Department, inv.Text = "security", "请安排巡查"
	e.act(inv)
	sup := office(o.ID, hall.CaseActSupervise)
	sup.On, sup.Text = true, "请尽快处理"
	e.act(sup)
	// 4: not accepted by the office.
	n := e.openCase(hall.OpenCaseRequest{Channel: hall.ChannelCounter, Text: "想咨询一下附近的房租", Department: "finance"})
	na := office(n.ID, hall.CaseActNotAccept)
	na.Text = "不属于受理范围"
	e.act(na)
	// 5: open, warned by the reply timer.
	e.openCase(hall.OpenCaseRequest{Text: "校园网晚上十点以后特别慢"})
	e.clk.Add(21 * time.Hour)
	if err := e.cs.Tick(ctx); err != nil {
		t.Fatal(err)
	}

	evs, err := e.cs.EventsAfter(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*hall.Case{}
	for _, ev := range evs {
		if ev.Case != nil && byID[ev.Case.ID] == nil {
			byID[ev.Case.ID] = e.get(ev.Case.ID)
		}
	}
	want, err := json.MarshalIndent(map[string]any{"events": evs, "cases": byID, "meta": e.cs.Meta()}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	e.close()
	raw, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(raw)
	w.Close()
	if err := os.WriteFile(filepath.Join("testdata", "cases-v1.db.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	gz.Reset()
	w, _ = gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(want)
	w.Close()
	if err := os.WriteFile(filepath.Join("testdata", "cases-v1.json.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d events, %d cases, file %d bytes (%d gzipped)", len(evs), len(byID), len(raw), gz.Len())
}

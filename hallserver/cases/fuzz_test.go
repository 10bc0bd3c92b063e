package cases

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// FuzzCases applies random command sequences and checks the invariants after each one: event
// seqs are consecutive, failing commands change nothing, open cases are never final, numbers
// and tokens are unique, a paused case is waiting on the requester, a case in triage is the
// office's, a replied case has a reply, and Restore from Meta and the open cases gives the same
// state.
func FuzzCases(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte("open sign ask details reply rate reopen tick tick tick archive"))
	f.Add([]byte{0, 0, 0, 40, 41, 42, 43, 44, 45, 46, 200, 201, 202, 230, 231, 240, 250, 255})
	texts := []string{"宿舍漏水", "校园网断了", "zzqx", "图书馆占座", "三方协议", "My visa expires soon"}
	depts := []string{"logistics", "it", "library", "careers", "office", "security"}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		now := at(2026, 9, 28, 9, 0)
		var seq uint64
		opened := 0
		numbers := map[string]bool{}
		for i, b := range data {
			now = now.Add(time.Duration(b%32+1) * 37 * time.Minute)
			before, meta := e.Cases(), e.Meta()
			var ch Change
			var err error
			pick := func() string {
				cs := e.Cases()
				if len(cs) == 0 {
					return "none"
				}
				return cs[int(b)%len(cs)].ID
			}
			tokenOf := func() string {
				if c, ok := e.Case(pick()); ok {
					return c.Token
				}
				return "none"
			}
			switch {
			case b < 40:
				opened++
				req := hall.OpenCaseRequest{Channel: hall.ChannelWeb, Text: texts[int(b)%len(texts)]}
				if b%3 == 0 {
					req.Department = depts[int(b/3)%len(depts)]
				}
				var c *hall.Case
				c, ch, err = e.Open(now, req, fmt.Sprint("id", opened), fmt.Sprint("tk", opened))
				if err == nil {
					if numbers[c.Number] {
						t.Fatalf("number %s issued twice", c.Number)
					}
					numbers[c.Number] = true
				}
			case b < 200:
				a := hall.CaseAction{Case: pick(), Action: hall.CaseActions[int(b)%len(hall.CaseActions)], Text: "文字"}
				if b%2 == 0 {
					a.Role = hall.RoleSupervisor
				} else {
					a.Role, a.ActorDepartment = hall.RoleHandler, depts[int(b/2)%len(depts)]
				}
				a.Department = depts[int(b/5)%len(depts)]
				a.Days = int(b % 4)
				a.On = b%3 != 0
				if i+1 < len(data) {
					a.Original = fmt.Sprint("id", int(data[i+1])%(opened+1))
				}
				_, ch, err = e.Act(now, a)
			case b < 215:
				_, ch, err = e.Rate(now, tokenOf(), int(b%6), "")
			case b < 225:
				_, ch, err = e.AddDetails(now, tokenOf(), "补充")
			default:
				now = now.Add(time.Duration(b-224) * 6 * time.Hour)
				ch = e.Tick(now)
			}
			if err != nil {
				if !ch.Empty() || !reflect.DeepEqual(before, e.Cases()) || meta != e.Meta() {
					t.Fatalf("step %d: failing command changed the engine: %v", i, err)
				}
				continue
			}
			for _, ev := range ch.Events {
				seq++
				if ev.Seq != seq || ev.Case == nil {
					t.Fatalf("step %d: seq %d want %d", i, ev.Seq, seq)
				}
			}
			if !ch.Empty() && ch.Meta != e.Meta() {
				t.Fatalf("step %d: change meta differs", i)
			}
			tokens := map[string]bool{}
			for _, c := range e.Cases() {
				if c.State.Final() || c.State == hall.CaseReceived {
					t.Fatalf("step %d: open case %s is %s", i, c.Number, c.State)
				}
				if tokens[c.Token] {
					t.Fatalf("step %d: token twice", i)
				}
				tokens[c.Token] = true
				if (c.PausedAt != nil) != (c.State == hall.CaseWaitingRequester) {
					t.Fatalf("step %d: %s paused=%v in %s", i, c.Number, c.PausedAt != nil, c.State)
				}
				if c.State == hall.CaseTriage && c.Department != hall.OfficeDepartment {
					t.Fatalf("step %d: triage case with %s", i, c.Department)
				}
				if (c.State == hall.CaseReplied || c.State == hall.CaseRated) && len(c.Replies) == 0 {
					t.Fatalf("step %d: %s without a reply", i, c.State)
				}
				if c.Due.Before(c.RoundStart) || c.ReplyDue.Before(c.RoundStart) {
					t.Fatalf("step %d: limits before the round start", i)
				}
			}
		}
		e2, err := Restore(Config{}, e.Meta(), e.Cases())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(e2.Cases(), e.Cases()) {
			t.Fatal("restore differs")
		}
	})
}

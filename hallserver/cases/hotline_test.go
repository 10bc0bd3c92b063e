package cases

import (
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// TestHotlinePolicy: the hotline role opens cases through the hotline channel only, in no hall
// and for no ticket; it uses the desk but works no cases; the office uses the desk too, handlers
// and counters do not. The desk's view hides internal entries and the token, and unmasks the
// contact only on hotline cases; only a hotline case replied and not rated awaits a callback.
func TestHotlinePolicy(t *testing.T) {
	op := &hall.Principal{Subject: "hotline", Role: hall.RoleHotline}
	for _, tc := range []struct {
		hall, channel, ticket string
		field                 string
	}{
		{"", "", "", ""},
		{"", "hotline", "", ""},
		{"", "counter", "", "channel"},
		{"", "api", "", "channel"},
		{"students", "", "", "hall"},
		{"", "", "T1", "ticketId"},
	} {
		h, ch := tc.hall, hall.Channel(tc.channel)
		err := MayOpen(op, &h, &ch, "", tc.ticket)
		if hall.ErrorField(err) != tc.field || (err == nil && ch != hall.ChannelHotline) {
			t.Errorf("MayOpen(%+v) = %v, channel %s", tc, err, ch)
		}
	}
	if !WorksHotline(op) || WorksCases(op) || SeesAll(op) {
		t.Fatal("the hotline role uses the desk and works no cases")
	}
	for _, p := range []*hall.Principal{
		{Role: hall.RoleHandler, Department: "library"}, {Role: hall.RoleCounter}, {Role: hall.RoleKiosk, Device: true},
		{Role: hall.RoleHotline, Device: true}, nil,
	} {
		if WorksHotline(p) || CheckWorksHotline(p) == nil {
			t.Errorf("%+v uses the desk", p)
		}
	}
	if !WorksHotline(&hall.Principal{Role: hall.RoleSupervisor}) || !WorksHotline(&hall.Principal{Role: hall.RoleHandler, Department: hall.OfficeDepartment}) {
		t.Fatal("the office uses the desk")
	}

	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	c := &hall.Case{Number: "JS1", Token: "TOKEN", Channel: hall.ChannelHotline, State: hall.CaseReplied, Round: 1,
		Requester: hall.Requester{Name: "王五", Phone: "13700137000"},
		Replies:   []hall.Reply{{Text: "已处理", Round: 1, At: now, By: "h-library"}},
		Timeline:  []hall.CaseEntry{{Type: hall.CaseEvNoted, Text: "内部备注", Public: false}, {Type: hall.CaseEvReplied, Text: "已处理", Public: true}}}
	v := HotlineView(c)
	if v.Token != "" || v.Requester.Phone != "13700137000" || len(v.Timeline) != 1 || v.Replies[0].By != "" {
		t.Fatalf("hotline view of a hotline case: %+v", v)
	}
	web := *c
	web.Channel = hall.ChannelWeb
	if v := HotlineView(&web); v.Requester.Phone == "13700137000" {
		t.Fatal("a web case's contact must stay masked")
	}
	if !AwaitsCallback(c) || AwaitsCallback(&web) {
		t.Fatal("only the hotline case awaits a callback")
	}
	rated := c.Clone()
	rated.Ratings = []hall.Rating{{Stars: 4, Round: 1}}
	if AwaitsCallback(&rated) {
		t.Fatal("a rated reply awaits no callback")
	}
	reopened := rated.Clone()
	reopened.Round = 2
	reopened.Replies = append(reopened.Replies, hall.Reply{Text: "再次答复", Round: 2})
	if !AwaitsCallback(&reopened) {
		t.Fatal("the reply of a new round awaits a callback again")
	}
}

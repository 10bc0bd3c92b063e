package cases

import (
	"testing"

	"onedoor/hallserver/hall"
)

// TestPolicyWhoMayOpen: who may open a case, in which hall, through which channel, and the
// defaults the policy fills in.
func TestPolicyWhoMayOpen(t *testing.T) {
	kiosk := &hall.Principal{Subject: "k1", Role: hall.RoleKiosk, Halls: []string{"students"}, Device: true}
	display := &hall.Principal{Subject: "d1", Role: hall.RoleDisplay, Halls: []string{"students"}, Device: true}
	counter := &hall.Principal{Subject: "wang", Role: hall.RoleCounter, Halls: []string{"students"}}
	handler := &hall.Principal{Subject: "li", Role: hall.RoleHandler, Department: "dorm"}
	admin := &hall.Principal{Subject: "root", Role: hall.RoleAdmin}
	for _, c := range []struct {
		name        string
		p           *hall.Principal
		hall        string
		channel     hall.Channel
		dept        string
		ticket      string
		wantField   string // "" : allowed; else the field EFORBIDDEN names ("-" for none)
		wantHall    string
		wantChannel hall.Channel
	}{
		{name: "kiosk defaults", p: kiosk, wantHall: "students", wantChannel: hall.ChannelKiosk},
		{name: "kiosk other hall", p: kiosk, hall: "teachers", wantField: "hall"},
		{name: "kiosk other channel", p: kiosk, channel: hall.ChannelWeb, wantField: "channel"},
		{name: "kiosk picks a department", p: kiosk, dept: "dorm", wantField: "department"},
		{name: "display", p: display, wantField: "-"},
		{name: "counter defaults", p: counter, hall: "students", wantHall: "students", wantChannel: hall.ChannelCounter},
		{name: "counter takes a call", p: counter, channel: hall.ChannelHotline, wantChannel: hall.ChannelHotline},
		{name: "counter other hall", p: counter, hall: "teachers", wantField: "hall"},
		{name: "counter as web", p: counter, channel: hall.ChannelWeb, wantField: "channel"},
		{name: "handler defaults", p: handler, wantChannel: hall.ChannelHotline},
		{name: "handler via api", p: handler, channel: hall.ChannelAPI, wantChannel: hall.ChannelAPI},
		{name: "handler as kiosk", p: handler, channel: hall.ChannelKiosk, wantField: "channel"},
		{name: "handler on a ticket", p: handler, hall: "students", ticket: "students-20261203-7", wantField: "ticketId"},
		{name: "admin on a ticket", p: admin, hall: "students", ticket: "students-20261203-7", wantHall: "students", wantChannel: hall.ChannelHotline},
		{name: "admin at a counter", p: admin, channel: hall.ChannelCounter, wantChannel: hall.ChannelCounter},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, ch := c.hall, c.channel
			err := MayOpen(c.p, &h, &ch, c.dept, c.ticket)
			if c.wantField != "" {
				field := hall.ErrorField(err)
				if field == "" {
					field = "-"
				}
				if hall.ErrorCode(err) != hall.EFORBIDDEN || field != c.wantField {
					t.Fatalf("MayOpen = %v (field %q); want forbidden naming %q", err, hall.ErrorField(err), c.wantField)
				}
				return
			}
			if err != nil {
				t.Fatalf("MayOpen = %v; want allowed", err)
			}
			if h != c.wantHall || ch != c.wantChannel {
				t.Fatalf("hall, channel = %q, %q; want %q, %q", h, ch, c.wantHall, c.wantChannel)
			}
		})
	}
}

package kiosk

import (
	"context"
	"slices"
	"testing"

	"onedoor/hallserver/hall"
)

// A service added to the hall while the kiosk runs (a live campus change, PUT
// /api/v1/admin/campus) appears as a button without a restart, and issues numbers.
func TestKioskShowsServiceAddedLive(t *testing.T) {
	env := newHallEnv(t)
	k := newKiosk(t, env, kioskOpts{})
	k.waitScreen(ScreenHome)
	if _, ok := k.ui.Button("service:K"); ok {
		t.Fatal("service K shown before it exists")
	}
	c, v := env.q.Campus()
	c.Halls = slices.Clone(c.Halls)
	h := c.Halls[0]
	h.Services = append(slices.Clone(h.Services), hall.Service{Code: "K", Name: hall.Text{Zh: "毕业离校", En: "Leaving procedures"}, AvgMinutes: 4})
	h.Counters = append(slices.Clone(h.Counters), hall.CounterConfig{Number: 9, Services: []string{"K"}})
	c.Halls[0] = h
	if _, err := env.q.ApplyCampus(context.Background(), c, v, "admin"); err != nil {
		t.Fatal(err)
	}
	k.waitFor("the new service's button", func(st State) bool {
		_, ok := k.ui.Button("service:K")
		return ok && k.ui.rev == st.Rev
	})
	k.tap("service:K")
	k.waitScreen(ScreenOptions)
	k.tap("take:standard")
	st := k.waitFor("the ticket of K", func(st State) bool { return st.Ticket != nil })
	if st.Ticket.Number != "K001" {
		t.Fatalf("ticket %s, want K001", st.Ticket.Number)
	}
}

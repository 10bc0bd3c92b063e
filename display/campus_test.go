package display

import (
	"testing"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
)

// After campus.changed the next fetched snapshot replaces the services (a new one shows, a
// removed one goes), not only their counts; without it a fetched snapshot updates counts only.
func TestCampusChangedRedrawsServices(t *testing.T) {
	var s State
	s.Apply(snapshot(10))
	next := snapshot(12).Snapshot
	next.Services = append(next.Services[:1:1], hall.ServiceStatus{Code: "K", Name: hall.Text{Zh: "毕业离校", En: "Leaving"}, Waiting: 0})
	if !s.RefreshEstimates(next) || len(s.Services) != 2 || s.Services[1].Code != "B" {
		t.Fatalf("a snapshot without campus.changed replaced the services: %+v", s.Services)
	}
	s.Apply(client.Message{Type: "campus.changed", Seq: 11, Event: &hall.Event{Seq: 11, Hall: "students", Type: hall.EventCampusChanged, Waiting: map[string]int{"A": 4, "K": 0}}})
	if !s.RefreshEstimates(next) {
		t.Fatal("snapshot not applied")
	}
	var codes []string
	for _, sv := range s.Services {
		codes = append(codes, sv.Code)
	}
	if len(codes) != 2 || codes[0] != "A" || codes[1] != "K" {
		t.Fatalf("services after campus.changed %v, want [A K]", codes)
	}
	v := s.View(t0, shanghai(t), Link{Connected: true})
	found := false
	for _, q := range v.Services {
		if q.Code == "K" {
			found = true
		}
	}
	if !found {
		t.Fatalf("the view does not show the new service: %+v", v.Services)
	}
}

package cases

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"onedoor/hallserver/hall"
)

// TestOpenKeepsThePlace: a case opened with a place (Open311's lat/long, address, media link)
// keeps it, as its own copy; a bad place is refused naming the field and opens nothing.
func TestOpenKeepsThePlace(t *testing.T) {
	f := newFixture(t)
	lat, long := 39.90765, 116.39712
	in := &hall.Place{Lat: &lat, Long: &long, Address: "图书馆三楼", MediaURL: "https://img.example/1.jpg"}
	c := f.open(mon, hall.OpenCaseRequest{Kind: hall.KindComplaint, Channel: hall.ChannelAPI, Category: "library-seats", Place: in})
	lat = 0
	if c.Place == nil || *c.Place.Lat != 39.90765 || *c.Place.Long != 116.39712 || c.Place.Address != "图书馆三楼" || c.Place.MediaURL != "https://img.example/1.jpg" {
		t.Fatalf("place %+v", c.Place)
	}
	if got, ok := f.e.Case(c.ID); !ok || got.Place == nil || *got.Place.Lat != 39.90765 {
		t.Fatalf("stored place %+v", got.Place)
	}
	if p := c.Public(); p.Place != nil {
		t.Fatalf("the public view shows the place: %+v", p.Place)
	}
	f64 := func(v float64) *float64 { return &v }
	for i, tc := range []struct {
		place *hall.Place
		field string
	}{
		{&hall.Place{Lat: f64(39.9)}, "place.lat"},
		{&hall.Place{Lat: f64(91), Long: f64(116)}, "place.lat"},
		{&hall.Place{Lat: f64(math.NaN()), Long: f64(116)}, "place.lat"},
		{&hall.Place{Lat: f64(39), Long: f64(-181)}, "place.lat"},
		{&hall.Place{Address: strings.Repeat("楼", MaxAddress+1)}, "place.address"},
		{&hall.Place{Address: "\xff"}, "place.address"},
		{&hall.Place{MediaURL: "javascript:alert(1)"}, "place.mediaUrl"},
		{&hall.Place{MediaURL: "https://x/" + strings.Repeat("a", MaxMediaURL)}, "place.mediaUrl"},
	} {
		_, _, err := f.e.Open(mon, hall.OpenCaseRequest{Kind: hall.KindComplaint, Channel: hall.ChannelAPI, Category: "library-seats", Place: tc.place},
			fmt.Sprint("bad", i), fmt.Sprint("badtok", i))
		if hall.ErrorCode(err) != hall.EINVALID || hall.ErrorField(err) != tc.field {
			t.Errorf("place %+v: %v, want EINVALID %s", tc.place, err, tc.field)
		}
		if _, ok := f.e.Case(fmt.Sprint("bad", i)); ok {
			t.Errorf("a refused place opened a case")
		}
	}
}

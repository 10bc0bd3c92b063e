package cases

import (
	"math"
	"net/url"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// Limits of a case's place (hall.Place).
const (
	MaxAddress  = 200  // place.address, characters
	MaxMediaURL = 1000 // place.mediaUrl, bytes
)

// checkPlace validates the place of a new case: a point needs both coordinates, in WGS84
// degrees; the address is short valid text; the media link is an http(s) URL. nil is valid.
func checkPlace(p *hall.Place) error {
	if p == nil {
		return nil
	}
	if (p.Lat == nil) != (p.Long == nil) {
		return hall.Errorf(hall.EINVALID, "place.lat", "lat and long must be given together")
	}
	if p.Lat != nil {
		la, lo := *p.Lat, *p.Long
		if math.IsNaN(la) || math.IsNaN(lo) || la < -90 || la > 90 || lo < -180 || lo > 180 {
			return hall.Errorf(hall.EINVALID, "place.lat", "lat and long must be WGS84 degrees")
		}
	}
	if !utf8.ValidString(p.Address) || utf8.RuneCountInString(p.Address) > MaxAddress {
		return hall.Errorf(hall.EINVALID, "place.address", "place.address must be valid text of at most %d characters", MaxAddress)
	}
	if p.MediaURL != "" {
		u, err := url.Parse(p.MediaURL)
		if err != nil || len(p.MediaURL) > MaxMediaURL || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return hall.Errorf(hall.EINVALID, "place.mediaUrl", "place.mediaUrl must be an http(s) URL of at most %d bytes", MaxMediaURL)
		}
	}
	return nil
}

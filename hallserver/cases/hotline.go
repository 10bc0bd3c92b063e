package cases

import (
	"onedoor/hallserver/hall"
)

// The hotline desk's policy (the 24-hour hotline, role hotline). An operator on the phone:
//
//   - opens cases for callers (MayOpen: the hotline channel, no hall, no ticket);
//   - looks up a caller's earlier cases by phone number and reads a case's reply back, both in
//     the requester's view (HotlineView: what the follow page shows, without its token), so
//     the desk never sees a department's internal notes, co-handling or staff names;
//   - calls back (回访) the callers of hotline cases that were replied to, and records their
//     rating by phone (CanCallBack).
//
// The supervising office may use the desk too; department handlers and counters may not.

// WorksHotline reports whether the principal may use the hotline desk: hotline operators and
// the supervising office.
func WorksHotline(p *hall.Principal) bool {
	return p != nil && !p.Device && (p.Role == hall.RoleHotline || SeesAll(p))
}

// CheckWorksHotline is WorksHotline as an error: EFORBIDDEN for anyone else.
func CheckWorksHotline(p *hall.Principal) error {
	if !WorksHotline(p) {
		return hall.Errorf(hall.EFORBIDDEN, "", "the hotline desk is for hotline operators and the supervising office")
	}
	return nil
}

// HotlineView is a case as the hotline desk sees it: the requester's public view (public
// timeline entries only) without the follow token, which would let the desk act in the
// requester's name outside a callback. The contact is masked, except on the desk's own
// (hotline) cases: the desk took it down from the caller and calls back on it.
func HotlineView(c *hall.Case) hall.Case {
	v := c.Public()
	v.Token = ""
	if c.Channel == hall.ChannelHotline {
		v.Requester = c.Requester
	}
	return v
}

// AwaitsCallback reports whether the case is on the hotline desk's callback list: a hotline
// case (the caller has no follow link) whose reply is out and not yet rated in this round.
func AwaitsCallback(c *hall.Case) bool {
	if c.Channel != hall.ChannelHotline || c.State != hall.CaseReplied {
		return false
	}
	rp, rt := c.LastReply(), c.LastRating()
	return rp != nil && (rt == nil || rt.Round < rp.Round)
}

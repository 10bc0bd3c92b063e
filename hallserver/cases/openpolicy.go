package cases

import (
	"slices"
	"strings"

	"onedoor/hallserver/hall"
)

// MayOpen is the policy of who may open a case, in which hall and through which channel. It
// fills the defaults in place (a kiosk's own hall when it has one; the kiosk channel for a kiosk,
// the counter channel for a counter, the hotline for other staff) and returns EFORBIDDEN naming
// the field that is not allowed:
//
//   - a kiosk opens cases in its halls, through the kiosk channel, choosing a topic (category),
//     never a department;
//   - other devices (displays) open none;
//   - a counter opens cases in its halls;
//   - the hotline desk opens cases in no hall, for no ticket, through the hotline channel;
//   - handlers, supervisors and admins open cases anywhere; only whoever may work the hall's
//     counters attaches a request to a ticket (the holder does it from the follow page);
//   - staff cases carry the channel they came through (staffChannels): web is the ticket
//     holder's own page, kiosk the hall's kiosks.
func MayOpen(p *hall.Principal, hallCode *string, channel *hall.Channel, department, ticketID string) error {
	var err error
	switch {
	case p.Role == hall.RoleKiosk:
		if *hallCode == "" && len(p.Halls) == 1 {
			*hallCode = p.Halls[0]
		}
		switch {
		case !p.InHall(*hallCode):
			err = hall.Errorf(hall.EFORBIDDEN, "hall", "kiosk %q may not open cases in hall %q", p.Subject, *hallCode)
		case *channel != "" && *channel != hall.ChannelKiosk:
			err = hall.Errorf(hall.EFORBIDDEN, "channel", "a kiosk opens cases through the kiosk channel")
		case department != "":
			err = hall.Errorf(hall.EFORBIDDEN, "department", "a kiosk chooses a topic (category), not a department")
		}
		*channel = hall.ChannelKiosk
		return err
	case p.Device:
		return hall.Errorf(hall.EFORBIDDEN, "", "%s devices may not open cases", p.Role)
	case p.Role == hall.RoleHotline:
		// The hotline desk enters callers' cases, in no hall and for no ticket, through the
		// hotline channel only.
		switch {
		case ticketID != "":
			err = hall.Errorf(hall.EFORBIDDEN, "ticketId", "the hotline desk may not attach a request to a ticket")
		case *hallCode != "":
			err = hall.Errorf(hall.EFORBIDDEN, "hall", "hotline cases belong to no hall")
		}
	case p.Role == hall.RoleCounter:
		if *hallCode != "" && !p.InHall(*hallCode) {
			err = hall.Errorf(hall.EFORBIDDEN, "hall", "%q may not open cases in hall %q", p.Subject, *hallCode)
		}
	case p.Role == hall.RoleHandler || p.Role == hall.RoleSupervisor || p.Role == hall.RoleAdmin:
		if ticketID != "" && !p.CanWorkCounter(*hallCode) {
			err = hall.Errorf(hall.EFORBIDDEN, "ticketId", "%s %q may not attach a request to a ticket: its holder, or a kiosk or counter of its hall, may", p.Role, p.Subject)
		}
	default:
		return hall.Errorf(hall.EFORBIDDEN, "", "%s %q may not open cases", p.Role, p.Subject)
	}
	allowed := staffChannels(p.Role)
	if *channel == "" {
		*channel = allowed[0]
	}
	if err == nil && !slices.Contains(allowed, *channel) {
		names := make([]string, len(allowed))
		for i, c := range allowed {
			names[i] = string(c)
		}
		err = hall.Errorf(hall.EFORBIDDEN, "channel", "%s %q enters cases through the %s channel, not %q", p.Role, p.Subject,
			strings.Join(names, " or "), *channel)
	}
	return err
}

// staffChannels are the channels a staff role enters cases through (the first is its default): a
// counter its counter and the phone; handlers and supervisors the hotline and other systems
// (api); admins, who may also work the counters, all three. Never web (the ticket holder's own
// page) nor kiosk (the hall's kiosks).
func staffChannels(r hall.Role) []hall.Channel {
	switch r {
	case hall.RoleCounter:
		return []hall.Channel{hall.ChannelCounter, hall.ChannelHotline}
	case hall.RoleAdmin:
		return []hall.Channel{hall.ChannelHotline, hall.ChannelCounter, hall.ChannelAPI}
	case hall.RoleHotline:
		return []hall.Channel{hall.ChannelHotline}
	}
	return []hall.Channel{hall.ChannelHotline, hall.ChannelAPI}
}

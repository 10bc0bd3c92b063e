package queue

import (
	"slices"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// Limits of the hall's notice line and device reports.
const (
	// MaxNotices is how many announcements a hall shows at once.
	MaxNotices = 10
	// MaxNoticeRunes is the longest announcement, per language.
	MaxNoticeRunes = 200
	// MaxDeviceMessage is the longest detail a device may report.
	MaxDeviceMessage = 200
)

// ReportDevice records a device's report about one of its parts (a kiosk's printer or request
// storage). It validates the report; a report equal to the device's last one (same state and
// message) returns an empty Change, so a kiosk that reports on every poll does not fill the log.
func (e *Engine) ReportDevice(now time.Time, device string, r hall.DeviceReport) (*hall.DeviceStatus, Change, error) {
	if device == "" {
		return nil, Change{}, hall.Errorf(hall.EINVALID, "device", "device is required")
	}
	if !slices.Contains(hall.DeviceKinds, r.Kind) {
		return nil, Change{}, hall.Errorf(hall.EINVALID, "kind", "unknown device kind %q (want one of %v)", r.Kind, hall.DeviceKinds)
	}
	if !slices.Contains(hall.DeviceStates, r.State) {
		return nil, Change{}, hall.Errorf(hall.EINVALID, "state", "unknown state %q (want one of %v)", r.State, hall.DeviceStates)
	}
	if utf8.RuneCountInString(r.Message) > MaxDeviceMessage || !utf8.ValidString(r.Message) {
		return nil, Change{}, hall.Errorf(hall.EINVALID, "message", "message must be valid text of at most %d characters", MaxDeviceMessage)
	}
	i := slices.IndexFunc(e.devices, func(d hall.DeviceStatus) bool { return d.Device == device && d.Kind == r.Kind })
	if i >= 0 && e.devices[i].State == r.State && e.devices[i].Message == r.Message {
		e.soft(device, now).seen = now
		d := e.devices[i]
		return &d, Change{}, nil
	}
	_, ch, err := e.run(now, func(map[string]*hall.Ticket) (*hall.Ticket, error) {
		e.soft(device, now).seen = now
		e.setDevice(now, device, r)
		e.checkHealth(now, device)
		return nil, nil
	})
	if err != nil {
		return nil, Change{}, err
	}
	i = slices.IndexFunc(e.devices, func(d hall.DeviceStatus) bool { return d.Device == device && d.Kind == r.Kind })
	st := e.devices[i]
	return &st, ch, nil
}

// PublishNotice adds an announcement with the given ID to the notice line (the oldest one goes
// when there are MaxNotices).
func (e *Engine) PublishNotice(now time.Time, id string, text hall.Text, by string) (*hall.Notice, Change, error) {
	if id == "" {
		return nil, Change{}, hall.Errorf(hall.EINVALID, "id", "notice ID is required")
	}
	if text.Zh == "" && text.En == "" {
		return nil, Change{}, hall.Errorf(hall.EINVALID, "text", "a notice needs text in Chinese or English")
	}
	for field, s := range map[string]string{"text.zh": text.Zh, "text.en": text.En} {
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxNoticeRunes {
			return nil, Change{}, hall.Errorf(hall.EINVALID, field, "notice text must be valid text of at most %d characters", MaxNoticeRunes)
		}
	}
	if slices.ContainsFunc(e.notices, func(n hall.Notice) bool { return n.ID == id }) {
		return nil, Change{}, hall.Errorf(hall.ECONFLICT, "id", "notice %q exists", id)
	}
	n := hall.Notice{ID: id, Text: text, At: now.UTC(), By: by}
	_, ch, err := e.run(now, func(map[string]*hall.Ticket) (*hall.Ticket, error) {
		ns := append(slices.Clone(e.notices), n)
		if len(ns) > MaxNotices {
			ns = ns[len(ns)-MaxNotices:]
		}
		e.notices = ns
		e.event(now, hall.EventNotice, by, nil, nil)
		e.ch.Events[len(e.ch.Events)-1].Notice = &n
		return nil, nil
	})
	if err != nil {
		return nil, Change{}, err
	}
	return &n, ch, nil
}

// WithdrawNotice removes an announcement from the notice line.
func (e *Engine) WithdrawNotice(now time.Time, id, by string) (Change, error) {
	i := slices.IndexFunc(e.notices, func(n hall.Notice) bool { return n.ID == id })
	if i < 0 {
		return Change{}, hall.Errorf(hall.ENOTFOUND, "id", "no notice %q", id)
	}
	n := e.notices[i]
	_, ch, err := e.run(now, func(map[string]*hall.Ticket) (*hall.Ticket, error) {
		e.notices = slices.Delete(slices.Clone(e.notices), i, i+1)
		e.event(now, hall.EventNoticeGone, by, nil, nil)
		e.ch.Events[len(e.ch.Events)-1].Notice = &n
		return nil, nil
	})
	return ch, err
}

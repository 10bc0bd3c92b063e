package queue

import (
	"cmp"
	"slices"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// Device health. Kiosks and displays send heartbeats (hall.DeviceHeartbeat); the engine keeps
// what they said in memory (Engine.health: soft state, lost on restart) and derives alerts from
// it and from the durable device reports (Engine.devices):
//
//   - printer: the device's last printer state is not ok (any path: heartbeat or device report);
//   - storage: the kiosk's last storage report is an error;
//   - silent: a device of the roster sent nothing for SilentAfter (after a restart the limit
//     runs from the first tick: every device starts unknown);
//   - outbox: a kiosk's outbox has requests and has not shrunk for OutboxStuckAfter, or its
//     oldest request is older than that.
//
// Each raise and clear is a device.alert event in the hall's log; the roster and the active
// alerts are in Meta, so a restart keeps them (an alert stays until its device says it
// recovered, or it is forgotten).

// Health limits.
const (
	// SilentAfter is how long a device may send nothing before it is reported silent.
	SilentAfter = 60 * time.Second
	// OutboxStuckAfter is how long a kiosk's outbox may keep requests without draining.
	OutboxStuckAfter = 5 * time.Minute
	// MaxRoster is how many devices a hall watches at most (only enrolled devices send
	// heartbeats; the bound keeps Meta small whatever happens).
	MaxRoster = 256
	// MaxVersion is the longest software version a heartbeat may carry.
	MaxVersion = 64
	// maxOutbox bounds the outbox figures a heartbeat may carry.
	maxOutbox = 1 << 24
)

// deviceHealth is the soft state of one device since the engine was loaded.
type deviceHealth struct {
	seen     time.Time // last heartbeat or report (zero: none since load)
	watch    time.Time // when the engine started watching it (silence runs from here without seen)
	version  string
	outbox   *hall.OutboxHealth // last outbox report (nil: none)
	outboxAt time.Time          // when it was reported
	drained  time.Time          // when the outbox last shrank, emptied or started filling
}

// soft returns the device's soft state, starting to watch it now.
func (e *Engine) soft(id string, now time.Time) *deviceHealth {
	d := e.health[id]
	if d == nil {
		d = &deviceHealth{watch: now}
		e.health[id] = d
	}
	return d
}

// validHeartbeat checks a heartbeat's fields.
func validHeartbeat(dev hall.DeviceRef, hb hall.DeviceHeartbeat) error {
	if dev.ID == "" {
		return hall.Errorf(hall.EINVALID, "device", "device is required")
	}
	if !dev.Role.Device() {
		return hall.Errorf(hall.EFORBIDDEN, "role", "only kiosks and displays send heartbeats")
	}
	if !utf8.ValidString(hb.Version) || utf8.RuneCountInString(hb.Version) > MaxVersion {
		return hall.Errorf(hall.EINVALID, "version", "version must be valid text of at most %d characters", MaxVersion)
	}
	if hb.Printer != "" && !slices.Contains(hall.DeviceStates, hb.Printer) {
		return hall.Errorf(hall.EINVALID, "printer", "unknown printer state %q (want one of %v)", hb.Printer, hall.DeviceStates)
	}
	if hb.Printer == "" && hb.PrinterMessage != "" {
		return hall.Errorf(hall.EINVALID, "printerMessage", "a printer message needs a printer state")
	}
	if !utf8.ValidString(hb.PrinterMessage) || utf8.RuneCountInString(hb.PrinterMessage) > MaxDeviceMessage {
		return hall.Errorf(hall.EINVALID, "printerMessage", "printer message must be valid text of at most %d characters", MaxDeviceMessage)
	}
	if o := hb.Outbox; o != nil {
		if o.Pending < 0 || o.Pending > maxOutbox {
			return hall.Errorf(hall.EINVALID, "outbox.pending", "pending must be between 0 and %d", maxOutbox)
		}
		if o.OldestSeconds < 0 || o.OldestSeconds > maxOutbox*16 {
			return hall.Errorf(hall.EINVALID, "outbox.oldestSeconds", "oldestSeconds must be between 0 and %d", maxOutbox*16)
		}
	}
	return nil
}

// Heartbeat records a device's heartbeat: its soft state, its printer state (a device.status
// event when it changed, as a device report makes) and the alerts that follow from them.
func (e *Engine) Heartbeat(now time.Time, dev hall.DeviceRef, hb hall.DeviceHeartbeat) (hall.DeviceHealth, Change, error) {
	if err := validHeartbeat(dev, hb); err != nil {
		return hall.DeviceHealth{}, Change{}, err
	}
	i := slices.IndexFunc(e.roster, func(r hall.DeviceRef) bool { return r.ID == dev.ID })
	if i < 0 && len(e.roster) >= MaxRoster {
		return hall.DeviceHealth{}, Change{}, hall.Errorf(hall.ECONFLICT, "device", "hall %s watches %d devices already", e.h.Code, MaxRoster)
	}
	_, ch, err := e.run(now, func(map[string]*hall.Ticket) (*hall.Ticket, error) {
		if i < 0 || e.roster[i] != dev {
			r := slices.Clone(e.roster) // copy-on-write: Meta copies share the old slice
			if i < 0 {
				r = append(r, dev)
			} else {
				r[i] = dev
			}
			e.roster = r
		}
		d := e.soft(dev.ID, now)
		d.seen, d.version = now, hb.Version
		if o := hb.Outbox; o != nil {
			if o.Pending == 0 || d.outbox == nil || d.outbox.Pending == 0 || o.Pending < d.outbox.Pending {
				d.drained = now
			}
			oc := *o
			d.outbox, d.outboxAt = &oc, now
		} else {
			d.outbox = nil
		}
		if hb.Printer != "" {
			e.setDevice(now, dev.ID, hall.DeviceReport{Kind: hall.DevicePrinter, State: hb.Printer, Message: hb.PrinterMessage})
		}
		e.checkHealth(now, dev.ID)
		return nil, nil
	})
	if err != nil {
		return hall.DeviceHealth{}, Change{}, err
	}
	return e.deviceHealth(dev, now), ch, nil
}

// ForgetDevice stops watching a device (it was revoked): its alerts are cleared, its reports
// and soft state dropped. A device the hall does not know changes nothing.
func (e *Engine) ForgetDevice(now time.Time, id string) Change {
	known := slices.ContainsFunc(e.roster, func(r hall.DeviceRef) bool { return r.ID == id }) ||
		slices.ContainsFunc(e.devices, func(d hall.DeviceStatus) bool { return d.Device == id }) ||
		slices.ContainsFunc(e.alerts, func(a hall.DeviceAlert) bool { return a.Device == id })
	if !known {
		delete(e.health, id)
		return Change{}
	}
	_, ch, _ := e.run(now, func(map[string]*hall.Ticket) (*hall.Ticket, error) {
		for _, a := range e.alerts {
			if a.Device == id {
				e.clearAlert(now, a)
			}
		}
		e.roster = slices.DeleteFunc(slices.Clone(e.roster), func(r hall.DeviceRef) bool { return r.ID == id })
		e.devices = slices.DeleteFunc(slices.Clone(e.devices), func(d hall.DeviceStatus) bool { return d.Device == id })
		delete(e.health, id)
		return nil, nil
	})
	return ch
}

// setDevice records a device report (inside run): a device.status event when it differs from
// the device's last report of that kind.
func (e *Engine) setDevice(now time.Time, device string, r hall.DeviceReport) {
	i := slices.IndexFunc(e.devices, func(d hall.DeviceStatus) bool { return d.Device == device && d.Kind == r.Kind })
	if i >= 0 && e.devices[i].State == r.State && e.devices[i].Message == r.Message {
		return
	}
	st := hall.DeviceStatus{Device: device, Kind: r.Kind, State: r.State, Message: r.Message, At: now.UTC()}
	devs := slices.Clone(e.devices) // copy-on-write: earlier Meta copies share the old slice
	if i >= 0 {
		devs[i] = st
	} else {
		devs = append(devs, st)
	}
	e.devices = devs
	e.event(now, hall.EventDevice, device, nil, nil)
	e.ch.Events[len(e.ch.Events)-1].Device = &st
}

// ref returns the roster's entry for a device (a kiosk when it only sent reports).
func (e *Engine) ref(id string) hall.DeviceRef {
	if i := slices.IndexFunc(e.roster, func(r hall.DeviceRef) bool { return r.ID == id }); i >= 0 {
		return e.roster[i]
	}
	return hall.DeviceRef{ID: id, Role: hall.RoleKiosk}
}

// checkHealth (inside run) raises and clears the alerts of one device, or of every device the
// hall knows when only is empty.
func (e *Engine) checkHealth(now time.Time, only string) {
	var ids []string
	add := func(id string) {
		if (only == "" || id == only) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, r := range e.roster {
		add(r.ID)
	}
	for _, d := range e.devices {
		add(d.Device)
	}
	for _, a := range e.alerts {
		add(a.Device)
	}
	for _, id := range ids {
		e.checkDevice(now, id)
	}
}

// checkDevice brings one device's active alerts in line with what is known of it now. A rule
// with nothing to go on since the engine was loaded (no outbox report yet) leaves its alert as
// it is.
func (e *Engine) checkDevice(now time.Time, id string) {
	ref := e.ref(id)
	want := map[string]hall.DeviceAlert{}
	decided := map[string]bool{hall.AlertPrinter: true, hall.AlertStorage: true}
	for _, d := range e.devices {
		if d.Device != id || d.State == hall.DeviceOK {
			continue
		}
		switch d.Kind {
		case hall.DevicePrinter:
			want[hall.AlertPrinter] = hall.DeviceAlert{Detail: d.State}
		case hall.DeviceStorage:
			want[hall.AlertStorage] = hall.DeviceAlert{Detail: d.Message}
		}
	}
	inRoster := slices.ContainsFunc(e.roster, func(r hall.DeviceRef) bool { return r.ID == id })
	if inRoster {
		d := e.soft(id, now)
		last := d.seen
		if last.IsZero() {
			last = d.watch
		}
		decided[hall.AlertSilent] = true
		if now.Sub(last) >= SilentAfter {
			want[hall.AlertSilent] = hall.DeviceAlert{}
		}
		if o := d.outbox; o != nil {
			decided[hall.AlertOutbox] = true
			oldest := o.OldestSeconds + int(now.Sub(d.outboxAt)/time.Second)
			if o.Pending > 0 && (now.Sub(d.drained) >= OutboxStuckAfter || oldest >= int(OutboxStuckAfter/time.Second)) {
				want[hall.AlertOutbox] = hall.DeviceAlert{Pending: o.Pending, OldestSeconds: oldest}
			}
		} else if !d.seen.IsZero() {
			decided[hall.AlertOutbox] = true // it reported and has no outbox (a display)
		}
	} else {
		decided[hall.AlertSilent], decided[hall.AlertOutbox] = true, true
	}
	for _, a := range e.alerts {
		if a.Device != id || !decided[a.Kind] {
			continue
		}
		if _, ok := want[a.Kind]; !ok {
			e.clearAlert(now, a)
		}
	}
	for _, kind := range hall.AlertKinds {
		w, ok := want[kind]
		if !ok {
			continue
		}
		i := slices.IndexFunc(e.alerts, func(a hall.DeviceAlert) bool { return a.Device == id && a.Kind == kind })
		if i >= 0 && e.alerts[i].Detail == w.Detail && e.alerts[i].Role == ref.Role && e.alerts[i].Name == ref.Name {
			continue // raised already (the outbox figures are those of the raise)
		}
		a := hall.DeviceAlert{Device: id, Role: ref.Role, Name: ref.Name, Kind: kind, State: hall.AlertRaised,
			Detail: w.Detail, Pending: w.Pending, OldestSeconds: w.OldestSeconds, Since: now.UTC()}
		if i >= 0 {
			a.Since = e.alerts[i].Since
		}
		e.raiseAlert(now, a)
	}
}

// raiseAlert adds or replaces an active alert and writes its device.alert event.
func (e *Engine) raiseAlert(now time.Time, a hall.DeviceAlert) {
	as := slices.DeleteFunc(slices.Clone(e.alerts), func(o hall.DeviceAlert) bool { return o.Device == a.Device && o.Kind == a.Kind })
	e.alerts = append(as, a)
	e.alertEvent(now, a)
}

// clearAlert removes an active alert and writes its device.alert event (state cleared).
func (e *Engine) clearAlert(now time.Time, a hall.DeviceAlert) {
	e.alerts = slices.DeleteFunc(slices.Clone(e.alerts), func(o hall.DeviceAlert) bool { return o.Device == a.Device && o.Kind == a.Kind })
	a.State = hall.AlertCleared
	e.alertEvent(now, a)
}

func (e *Engine) alertEvent(now time.Time, a hall.DeviceAlert) {
	e.event(now, hall.EventDeviceAlert, a.Device, nil, nil)
	e.ch.Events[len(e.ch.Events)-1].Alert = &a
}

// DeviceHealth lists every device the hall knows (its roster, and kiosks that only sent device
// reports), kiosks first, then by name and ID.
func (e *Engine) DeviceHealth(now time.Time) []hall.DeviceHealth {
	var refs []hall.DeviceRef
	seen := map[string]bool{}
	for _, r := range e.roster {
		refs, seen[r.ID] = append(refs, r), true
	}
	for _, d := range e.devices {
		if !seen[d.Device] {
			refs, seen[d.Device] = append(refs, e.ref(d.Device)), true
		}
	}
	for _, a := range e.alerts {
		if !seen[a.Device] {
			refs, seen[a.Device] = append(refs, hall.DeviceRef{ID: a.Device, Role: a.Role, Name: a.Name}), true
		}
	}
	slices.SortFunc(refs, func(a, b hall.DeviceRef) int {
		return cmp.Or(cmp.Compare(roleRank(a.Role), roleRank(b.Role)), cmp.Compare(a.Role, b.Role),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	out := make([]hall.DeviceHealth, 0, len(refs))
	for _, r := range refs {
		out = append(out, e.deviceHealth(r, now))
	}
	return out
}

// deviceHealth returns what is known of one device.
func (e *Engine) deviceHealth(r hall.DeviceRef, now time.Time) hall.DeviceHealth {
	h := hall.DeviceHealth{Device: r.ID, Role: r.Role, Name: r.Name, State: hall.HealthUnknown, Alerts: []hall.DeviceAlert{}}
	for _, a := range e.alerts {
		if a.Device == r.ID {
			h.Alerts = append(h.Alerts, a)
		}
	}
	for _, d := range e.devices {
		if d.Device == r.ID && d.Kind == hall.DevicePrinter {
			h.Printer, h.PrinterMessage = d.State, d.Message
		}
	}
	if d := e.health[r.ID]; d != nil && !d.seen.IsZero() {
		seen := d.seen.UTC()
		h.LastSeen, h.Version, h.State = &seen, d.version, hall.HealthOK
		if o := d.outbox; o != nil {
			h.Outbox = &hall.OutboxHealth{Pending: o.Pending, OldestSeconds: o.OldestSeconds}
			if o.Pending > 0 {
				h.Outbox.OldestSeconds += int(now.Sub(d.outboxAt) / time.Second)
			}
		}
	}
	if len(h.Alerts) > 0 {
		h.State = hall.HealthAlert
	}
	return h
}

// roleRank orders kiosks before other devices.
func roleRank(r hall.Role) int {
	if r == hall.RoleKiosk {
		return 0
	}
	return 1
}

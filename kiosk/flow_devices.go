package kiosk

import (
	"context"
	"strings"
	"time"

	"onedoor/hallserver/hall"
)

// deviceReports is what the flow reports about its devices.
type deviceReports struct {
	storage hall.DeviceReport // the outbox's last write: "" none yet, ok or error
	parts   map[string]*partReport
}

// DeviceReporter tells the hall server about the kiosk's printer and request storage.
type DeviceReporter interface {
	ReportDevice(ctx context.Context, hall string, r hall.DeviceReport) error
}

// ReporterFunc adapts a function to DeviceReporter.
type ReporterFunc func(ctx context.Context, hall string, r hall.DeviceReport) error

// ReportDevice implements DeviceReporter.
func (f ReporterFunc) ReportDevice(ctx context.Context, hall string, r hall.DeviceReport) error {
	return f(ctx, hall, r)
}

// SetPrinter records the printer's condition (from a print or a status poll).
func (f *Flow) SetPrinter(st PrinterStatus) {
	f.update(func() { f.setPrinterLocked(st) })
}

func (f *Flow) setPrinterLocked(st PrinterStatus) {
	if st.State == "" {
		return
	}
	if st.State != f.st.Printer.State {
		f.st.Rev++
	}
	f.st.Printer = st
	f.maybeReportLocked(f.cfg.Now())
}

// partReport is the reporting state of one device part (printer, storage).
type partReport struct {
	reported  string // the state the server last acknowledged
	reporting bool
	after     time.Time // no attempt before (backoff after a failure)
	wait      time.Duration
}

// maxReportMessage bounds a report's message (the server takes at most 200 characters).
const maxReportMessage = 200

// setStorageLocked records the result of a spool write: an error makes the storage state
// error (reported to the server), a success after an error makes it ok again.
func (f *Flow) setStorageLocked(err error) {
	switch {
	case err != nil:
		msg := []rune(strings.ToValidUTF8("outbox write failed: "+err.Error(), "?"))
		f.devices.storage = hall.DeviceReport{Kind: hall.DeviceStorage, State: hall.DeviceError, Message: string(msg[:min(len(msg), maxReportMessage)])}
	case f.devices.storage.State != "":
		f.devices.storage = hall.DeviceReport{Kind: hall.DeviceStorage, State: hall.DeviceOK}
	default:
		return // storage never failed: nothing to report
	}
	f.maybeReportLocked(f.cfg.Now())
}

// maybeReportLocked sends the printer's and the storage's states to the server when they
// changed since the last successful report, retrying each with backoff.
func (f *Flow) maybeReportLocked(now time.Time) {
	if f.cfg.Reporter == nil {
		return
	}
	pr := f.st.Printer
	f.reportLocked(now, hall.DeviceReport{Kind: hall.DevicePrinter, State: pr.State, Message: pr.Message})
	f.reportLocked(now, f.devices.storage)
}

// reportLocked sends one part's report unless it is what the server has, is on its way, or
// waits out a backoff.
func (f *Flow) reportLocked(now time.Time, r hall.DeviceReport) {
	if r.State == "" {
		return
	}
	p := f.devices.parts[r.Kind]
	if p == nil {
		p = &partReport{}
		f.devices.parts[r.Kind] = p
	}
	if p.reporting || r.State == p.reported || now.Before(p.after) {
		return
	}
	p.reporting = true
	f.spawn(func(ctx context.Context) {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f.cfg.Reporter.ReportDevice(c, f.cfg.Hall, r)
		cancel()
		f.update(func() {
			p.reporting = false
			if err != nil {
				f.log.Warn("device state not reported", "kind", r.Kind, "state", r.State, "err", err)
				p.wait = min(max(2*p.wait, time.Second), time.Minute)
				p.after = f.cfg.Now().Add(p.wait)
				return
			}
			p.wait = 0
			p.reported = r.State
		})
	})
}

// Heartbeat returns what the kiosk's heartbeat says now: its version, its printer's state and
// its outbox (the spool's requests not yet delivered and the age of the oldest). Run sends it
// every 15 s and when it changes.
func (f *Flow) Heartbeat() hall.DeviceHeartbeat {
	st := f.State()
	hb := hall.DeviceHeartbeat{Version: f.cfg.Version, Printer: st.Printer.State}
	if hb.Printer != "" {
		msg := []rune(strings.ToValidUTF8(st.Printer.Message, "?"))
		hb.PrinterMessage = string(msg[:min(len(msg), maxReportMessage)])
	}
	if n, oldest, err := f.cfg.Spool.Backlog(f.cfg.Now()); err != nil {
		f.log.Warn("heartbeat: outbox not readable", "err", err)
	} else {
		hb.Outbox = &hall.OutboxHealth{Pending: n, OldestSeconds: int(oldest / time.Second)}
	}
	return hb
}

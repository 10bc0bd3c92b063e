package kiosk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"onedoor/drivers/escpos"
	"onedoor/drivers/printer"
	"onedoor/hallserver/hall"
)

// PrinterStatus is the printer's condition in the words the hall server uses: State is one of
// hall.DeviceStates (ok, paper_near_end, paper_out, cover_open, offline, error).
type PrinterStatus struct {
	State   string
	Message string // detail for staff
}

// Failed reports whether the state stops printing.
func (s PrinterStatus) Failed() bool {
	return s.State != hall.DeviceOK && s.State != hall.DevicePaperNearEnd && s.State != ""
}

// Printer prints tickets and case receipts. A nil error means printed; the returned status is
// the printer's condition afterwards (paper near end, say) or the reason it did not print.
type Printer interface {
	PrintTicket(ctx context.Context, t escpos.TicketData) (PrinterStatus, error)
	PrintCaseReceipt(ctx context.Context, c escpos.CaseReceiptData) (PrinterStatus, error)
	// Check asks the printer for its condition without printing.
	Check(ctx context.Context) PrinterStatus
}

// DriverPrinter is a Printer on drivers/printer: serial, TCP 9100, a device file, or the
// in-process virtual printer (sim:DIR). It opens the printer lazily and opens it again after a
// failure that leaves the connection unusable (unplugged, write failed, no reply).
type DriverPrinter struct {
	Spec    string
	Profile escpos.Profile
	// Open opens the printer (printer.Open when nil).
	Open func(ctx context.Context, spec string, prof escpos.Profile) (printer.Printer, error)
	// Sim is the virtual printer of a sim:DIR spec (nil for real printers): tests and the demo
	// set its status and read its pages.
	Sim *printer.Sim

	mu sync.Mutex
	p  printer.Printer
}

// NewDriverPrinter returns a printer for the spec (tcp:HOST:PORT, serial:DEV?baud=N, file:PATH,
// or sim:DIR for a virtual printer in the process that writes each cut as DIR/page-NNNN.png)
// and the profile name (80mm, 58mm…).
func NewDriverPrinter(spec, profile string) (*DriverPrinter, error) {
	prof, err := escpos.LookupProfile(profile)
	if err != nil {
		return nil, err
	}
	if printer.IsSimSpec(spec) {
		dir, err := printer.ParseSimSpec(spec)
		if err != nil {
			return nil, err
		}
		sim, err := printer.NewSim(printer.SimConfig{Dir: dir, Profile: prof})
		if err != nil {
			return nil, err
		}
		return &DriverPrinter{Spec: spec, Profile: prof, Sim: sim,
			Open: func(ctx context.Context, _ string, _ escpos.Profile) (printer.Printer, error) { return sim.Open(ctx) }}, nil
	}
	if _, err := printer.ParseSpec(spec); err != nil {
		return nil, err
	}
	return &DriverPrinter{Spec: spec, Profile: prof}, nil
}

// conn returns the open printer, opening it when needed; fresh says it was just opened.
func (d *DriverPrinter) conn(ctx context.Context) (p printer.Printer, fresh bool, err error) {
	if d.p != nil {
		return d.p, false, nil
	}
	open := d.Open
	if open == nil {
		open = printer.Open
	}
	p, err = open(ctx, d.Spec, d.Profile)
	if err != nil {
		return nil, false, err
	}
	d.p = p
	return p, true, nil
}

// drop closes the connection after a failure that leaves it unusable.
func (d *DriverPrinter) drop(err error) {
	if d.p != nil && (errors.Is(err, printer.ErrWriteFailed) || errors.Is(err, printer.ErrNoReply) ||
		errors.Is(err, printer.ErrClosed)) {
		_ = d.p.Close()
		d.p = nil
	}
}

// status asks for the status, opening again once when a kept connection turned out dead (a
// printer switched off and on: nothing was sent yet, so trying again is safe).
func (d *DriverPrinter) status(ctx context.Context) (escpos.Status, error) {
	for try := 0; ; try++ {
		p, fresh, err := d.conn(ctx)
		if err != nil {
			return escpos.Status{}, err
		}
		st, err := p.Status(ctx)
		if errors.Is(err, printer.ErrNoStatus) {
			return st, nil
		}
		if err != nil {
			d.drop(err)
			if !fresh && try == 0 && ctx.Err() == nil {
				continue
			}
			return st, err
		}
		return st, printer.StatusError(st)
	}
}

// print checks the status, writes the job and checks again.
func (d *DriverPrinter) print(ctx context.Context, job []byte) (PrinterStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.status(ctx); err != nil {
		return classify(escpos.Status{}, err), err
	}
	if err := d.p.Write(ctx, job); err != nil {
		d.drop(err)
		return classify(escpos.Status{}, err), err
	}
	st, err := d.status(ctx)
	if err != nil {
		// The job went out but the printer then failed: whether the ticket is whole is unknown,
		// so the caller shows it on screen as if it had not printed.
		return classify(st, err), err
	}
	return classify(st, nil), nil
}

// PrintTicket implements Printer.
func (d *DriverPrinter) PrintTicket(ctx context.Context, t escpos.TicketData) (PrinterStatus, error) {
	job, err := escpos.Ticket(d.Profile, t)
	if err != nil {
		return PrinterStatus{State: hall.DeviceError, Message: err.Error()}, err
	}
	return d.print(ctx, job)
}

// PrintCaseReceipt implements Printer.
func (d *DriverPrinter) PrintCaseReceipt(ctx context.Context, c escpos.CaseReceiptData) (PrinterStatus, error) {
	job, err := escpos.CaseReceipt(d.Profile, c)
	if err != nil {
		return PrinterStatus{State: hall.DeviceError, Message: err.Error()}, err
	}
	return d.print(ctx, job)
}

// Check implements Printer.
func (d *DriverPrinter) Check(ctx context.Context) PrinterStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, err := d.status(ctx)
	return classify(st, err)
}

// Close closes the connection.
func (d *DriverPrinter) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p == nil {
		return nil
	}
	err := d.p.Close()
	d.p = nil
	return err
}

// classify turns a status and a printer error into the state reported to the server.
func classify(st escpos.Status, err error) PrinterStatus {
	switch {
	case err == nil && st.PaperNearEnd:
		return PrinterStatus{State: hall.DevicePaperNearEnd, Message: "paper near end"}
	case err == nil:
		return PrinterStatus{State: hall.DeviceOK}
	case errors.Is(err, printer.ErrPaperOut):
		return PrinterStatus{State: hall.DevicePaperOut, Message: msg(err)}
	case errors.Is(err, printer.ErrCoverOpen):
		return PrinterStatus{State: hall.DeviceCoverOpen, Message: msg(err)}
	case errors.Is(err, printer.ErrOffline), errors.Is(err, printer.ErrNoReply),
		errors.Is(err, printer.ErrWriteFailed), errors.Is(err, printer.ErrClosed):
		return PrinterStatus{State: hall.DeviceOffline, Message: msg(err)}
	}
	return PrinterStatus{State: hall.DeviceError, Message: msg(err)}
}

// msg bounds an error text to what the server accepts (200 characters).
func msg(err error) string {
	s := err.Error()
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200])
	}
	return s
}

// NoPrinter is the Printer of a kiosk without one: every print fails as offline.
type NoPrinter struct{}

var errNoPrinter = fmt.Errorf("no printer configured: %w", printer.ErrOffline)

// PrintTicket implements Printer.
func (NoPrinter) PrintTicket(context.Context, escpos.TicketData) (PrinterStatus, error) {
	return PrinterStatus{State: hall.DeviceOffline, Message: errNoPrinter.Error()}, errNoPrinter
}

// PrintCaseReceipt implements Printer.
func (NoPrinter) PrintCaseReceipt(context.Context, escpos.CaseReceiptData) (PrinterStatus, error) {
	return PrinterStatus{State: hall.DeviceOffline, Message: errNoPrinter.Error()}, errNoPrinter
}

// Check implements Printer.
func (NoPrinter) Check(context.Context) PrinterStatus {
	return PrinterStatus{State: hall.DeviceOffline, Message: errNoPrinter.Error()}
}

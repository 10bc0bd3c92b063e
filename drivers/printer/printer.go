// Package printer moves ESC/POS bytes to a thermal printer over a serial
// line (github.com/tarm/serial), TCP (raw port 9100) or a device file, and
// polls its real-time status (DLE EOT).
//
// Every operation runs under a deadline and honours its context: a printer
// unplugged mid-ticket makes Write or Status return an error, never hang the
// kiosk. Errors carry a kind (ErrPaperOut, ErrCoverOpen, ErrOffline,
// ErrNoReply, ErrWriteFailed…) usable with errors.Is.
//
// Serial lines have no flow control, so writes are paced by the profile's
// escpos.Pacing rule; TCP and USB device files have flow control of their
// own and are not paced.
package printer

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"onedoor/drivers/escpos"
)

// Printer is one opened printer. Its methods are safe for concurrent use;
// operations are serialised.
type Printer interface {
	// Write sends p, paced for serial lines. After a failed Write the
	// connection is unusable: Close it and Open again.
	Write(ctx context.Context, p []byte) error
	// Status asks the printer for its real-time status: DLE EOT 1, then 2
	// and 3 if it is offline, and 4 (paper sensor). The returned error is
	// about the asking (ErrNoReply, ErrNoStatus…); use StatusError to turn a
	// status into an error.
	Status(ctx context.Context) (escpos.Status, error)
	// Close releases the connection. It does not wait for a blocked write.
	Close() error
}

// Timeouts bound each operation; the context may shorten them further.
type Timeouts struct {
	// Reply is how long to wait for each DLE EOT reply.
	Reply time.Duration
	// WriteSlack is added to a chunk's line time (bytes × 10 / baud) to
	// give the write deadline; for TCP and files it is the whole deadline.
	WriteSlack time.Duration
	// Dial bounds opening a TCP connection.
	Dial time.Duration
}

// DefaultTimeouts are used by Open.
func DefaultTimeouts() Timeouts {
	return Timeouts{Reply: 500 * time.Millisecond, WriteSlack: 2 * time.Second, Dial: 3 * time.Second}
}

// Open parses spec and opens the printer it names, for profile prof (which
// supplies the default baud rate and the pacing rule).
func Open(ctx context.Context, spec string, prof escpos.Profile) (Printer, error) {
	return OpenTimeouts(ctx, spec, prof, DefaultTimeouts())
}

// OpenTimeouts is Open with explicit timeouts.
func OpenTimeouts(ctx context.Context, spec string, prof escpos.Profile, to Timeouts) (Printer, error) {
	s, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	d := &device{spec: s, name: s.String(), to: to, sem: make(chan struct{}, 1)}
	var l link
	switch s.Transport {
	case TransportSerial:
		d.baud = s.Baud
		if d.baud == 0 {
			d.baud = prof.Baud
		}
		if d.baud == 0 {
			d.baud = 9600
		}
		d.pacer = escpos.NewPacer(prof.Pacing)
		l, err = openSerial(s.Path, d.baud)
	case TransportTCP:
		l, err = dialTCP(ctx, s.Addr, to.Dial)
	case TransportFile:
		l, err = openFile(s.Path, s.Status, s.Create)
	}
	if err != nil {
		return nil, &Error{Kind: ErrOffline, Op: "open", Spec: d.name, Err: err}
	}
	d.link = l
	return d, nil
}

// link is one transport's byte pipe.
type link interface {
	// write may block; abort unblocks it.
	write(p []byte) (int, error)
	// readByte waits up to timeout for one byte; ok is false on timeout.
	readByte(timeout time.Duration) (b byte, ok bool, err error)
	// abort makes a blocked write return (discarding unsent data).
	abort()
	close() error
}

// device implements Printer over a link.
type device struct {
	spec  Spec
	name  string
	link  link
	to    Timeouts
	baud  int           // serial only
	pacer *escpos.Pacer // serial only

	sem    chan struct{} // held during an operation; guards broken and stale
	broken error         // set when a write failed; the link is unusable
	stale  bool          // a status reply may still arrive
	closed atomic.Bool
}

func (d *device) acquire(ctx context.Context, op string) error {
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return &Error{Kind: kindOf(op), Op: op, Spec: d.name, Err: ctx.Err()}
	}
	if d.closed.Load() {
		<-d.sem
		return &Error{Kind: ErrClosed, Op: op, Spec: d.name}
	}
	if d.broken != nil {
		<-d.sem
		return &Error{Kind: kindOf(op), Op: op, Spec: d.name, Err: fmt.Errorf("connection unusable after earlier failure: %w", d.broken)}
	}
	return nil
}

func (d *device) release() { <-d.sem }

func kindOf(op string) error {
	if op == "write" {
		return ErrWriteFailed
	}
	return ErrNoReply
}

// abortGrace is how long a timed-out operation waits for the blocked call
// to return after abort before giving up on it.
const abortGrace = 200 * time.Millisecond

// run calls f under ctx and timeout. If the deadline passes first it
// aborts the link and returns the context error; f may still be running (it
// holds no caller memory: callers pass copies).
func (d *device) run(ctx context.Context, timeout time.Duration, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		d.link.abort()
		select {
		case <-done:
		case <-time.After(abortGrace):
		}
		return fmt.Errorf("no progress within %v: %w", timeout, ctx.Err())
	}
}

// Write implements Printer.
func (d *device) Write(ctx context.Context, p []byte) error {
	if err := d.acquire(ctx, "write"); err != nil {
		return err
	}
	defer d.release()
	chunk := len(p)
	if d.pacer != nil {
		chunk = d.pacer.ChunkBytes()
	}
	chunk = max(chunk, 1)
	for off := 0; off < len(p); off += chunk {
		piece := append([]byte(nil), p[off:min(off+chunk, len(p))]...)
		if d.pacer != nil {
			if wait := d.pacer.Reserve(len(piece), time.Now()); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					// Nothing of this chunk was sent: the link stays usable,
					// but the printer holds a partial job.
					return &Error{Kind: ErrWriteFailed, Op: "write", Spec: d.name,
						Err: fmt.Errorf("after %d of %d bytes: %w", off, len(p), ctx.Err())}
				}
			}
		}
		timeout := d.to.WriteSlack + 2*escpos.LineTime(len(piece), d.baud)
		err := d.run(ctx, timeout, func() error {
			for n := 0; n < len(piece); {
				m, err := d.link.write(piece[n:])
				if err != nil {
					return err
				}
				n += m
			}
			return nil
		})
		if err != nil {
			d.broken = err
			return &Error{Kind: ErrWriteFailed, Op: "write", Spec: d.name,
				Err: fmt.Errorf("after %d of %d bytes: %w", off, len(p), err)}
		}
	}
	return nil
}

// Status implements Printer.
func (d *device) Status(ctx context.Context) (escpos.Status, error) {
	var st escpos.Status
	if !d.spec.Status {
		return st, &Error{Kind: ErrNoStatus, Op: "status", Spec: d.name}
	}
	if err := d.acquire(ctx, "status"); err != nil {
		return st, err
	}
	defer d.release()
	if d.stale {
		// A late reply to an earlier request may be waiting: drop it.
		for {
			if _, ok, err := d.link.readByte(50 * time.Millisecond); err != nil || !ok {
				break
			}
		}
		d.stale = false
	}
	if err := d.query(ctx, &st, escpos.StatusPrinter); err != nil {
		return st, err
	}
	if st.Offline {
		if err := d.query(ctx, &st, escpos.StatusOffline); err != nil {
			return st, err
		}
		if st.ErrorOccurred {
			if err := d.query(ctx, &st, escpos.StatusError); err != nil {
				return st, err
			}
		}
	}
	// Paper sensor: some clones do not answer n = 4; a printer that
	// answered n = 1 is there, so a missing answer only leaves Have[4] unset.
	if err := d.query(ctx, &st, escpos.StatusPaper); err != nil {
		if !errors.Is(err, ErrNoReply) || ctx.Err() != nil || d.broken != nil {
			return st, err
		}
	}
	return st, nil
}

// query sends DLE EOT kind and merges the first valid reply byte.
func (d *device) query(ctx context.Context, st *escpos.Status, kind escpos.StatusKind) error {
	req := escpos.StatusRequest(kind)
	if d.pacer != nil {
		// Real-time commands are executed on receipt, but they still pass
		// through the line: account for their bytes.
		d.pacer.Reserve(len(req), time.Now())
	}
	err := d.run(ctx, d.to.WriteSlack+escpos.LineTime(len(req), d.baud), func() error {
		_, err := d.link.write(req)
		return err
	})
	if err != nil {
		d.broken = err
		return &Error{Kind: ErrNoReply, Op: "status", Spec: d.name, Err: fmt.Errorf("sending DLE EOT %d: %w", kind, err)}
	}
	deadline := time.Now().Add(d.to.Reply)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	for {
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			d.stale = true
			cause := ctx.Err()
			if cause == nil {
				cause = fmt.Errorf("no answer to DLE EOT %d within %v", kind, d.to.Reply)
			}
			return &Error{Kind: ErrNoReply, Op: "status", Spec: d.name, Err: cause}
		}
		c, ok, err := d.link.readByte(left)
		if err != nil {
			return &Error{Kind: ErrNoReply, Op: "status", Spec: d.name, Err: fmt.Errorf("reading DLE EOT %d reply: %w", kind, err)}
		}
		if ok && escpos.ValidStatusByte(c) {
			return st.Merge(kind, c)
		}
		// Not a status byte (noise, XON/XOFF, ASB): keep waiting.
	}
}

// String returns the printer's spec.
func (d *device) String() string { return d.name }

// closeGrace bounds Close. Closing a serial port whose write is stuck in
// the kernel (a pty nobody reads, a wedged USB adapter) waits for that
// write; Close gives up after closeGrace and lets it finish in the
// background.
const closeGrace = time.Second

// Close implements Printer.
func (d *device) Close() error {
	select {
	case d.sem <- struct{}{}:
		defer d.release()
	case <-time.After(abortGrace):
		// An operation is stuck; abort it and close anyway.
		d.link.abort()
	}
	if d.closed.Swap(true) {
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- d.link.close() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("closing printer %s: %w", d.name, err)
		}
		return nil
	case <-time.After(closeGrace):
		return fmt.Errorf("closing printer %s: a stuck write holds the device; it is released when the write ends", d.name)
	}
}

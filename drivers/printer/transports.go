package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/tarm/serial"
)

// serialReadTimeout is tarm/serial's ReadTimeout (VTIME, 100 ms steps). It
// must not be 0: with 0 a Read blocks until a byte arrives, and Close from
// another goroutine then hangs with it.
const serialReadTimeout = 100 * time.Millisecond

type serialLink struct {
	port *serial.Port
}

func openSerial(path string, baud int) (*serialLink, error) {
	p, err := serial.OpenPort(&serial.Config{Name: path, Baud: baud, ReadTimeout: serialReadTimeout})
	if err != nil {
		return nil, fmt.Errorf("opening serial port %s at %d baud: %w", path, baud, err)
	}
	return &serialLink{port: p}, nil
}

func (l *serialLink) write(p []byte) (int, error) { return l.port.Write(p) }

func (l *serialLink) readByte(timeout time.Duration) (byte, bool, error) {
	var b [1]byte
	deadline := time.Now().Add(timeout)
	for {
		n, err := l.port.Read(b[:])
		if n == 1 {
			return b[0], true, nil
		}
		// tarm/serial: a Read that times out returns (0, io.EOF). That
		// means "no data yet", not a closed port.
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, false, err
		}
		if !time.Now().Before(deadline) {
			return 0, false, nil
		}
	}
}

// abort discards the output queue (TCIOFLUSH), which lets a write blocked
// on a full queue return.
func (l *serialLink) abort() { _ = l.port.Flush() }

func (l *serialLink) close() error { return l.port.Close() }

type tcpLink struct {
	conn net.Conn
}

func dialTCP(ctx context.Context, addr string, timeout time.Duration) (*tcpLink, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	return &tcpLink{conn: c}, nil
}

func (l *tcpLink) write(p []byte) (int, error) { return l.conn.Write(p) }

func (l *tcpLink) readByte(timeout time.Duration) (byte, bool, error) {
	var b [1]byte
	if err := l.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return 0, false, err
	}
	n, err := l.conn.Read(b[:])
	if n == 1 {
		return b[0], true, nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return 0, false, nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return 0, false, err
}

func (l *tcpLink) abort() { _ = l.conn.SetDeadline(time.Now()) }

func (l *tcpLink) close() error { return l.conn.Close() }

type fileLink struct {
	f *os.File
}

func openFile(path string, status, create bool) (*fileLink, error) {
	flag := os.O_WRONLY
	if status {
		flag = os.O_RDWR
	}
	if create {
		flag |= os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening printer file %s: %w", path, err)
	}
	return &fileLink{f: f}, nil
}

func (l *fileLink) write(p []byte) (int, error) { return l.f.Write(p) }

func (l *fileLink) readByte(timeout time.Duration) (byte, bool, error) {
	var b [1]byte
	if err := l.f.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		// Not pollable (a regular file): nothing will ever answer.
		return 0, false, fmt.Errorf("device cannot answer status: %w", err)
	}
	n, err := l.f.Read(b[:])
	if n == 1 {
		return b[0], true, nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, false, nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return 0, false, err
}

// abort unblocks a write on a pollable device; a blocking device write is
// left to finish (the caller has already given up on it).
func (l *fileLink) abort() { _ = l.f.SetDeadline(time.Now()) }

func (l *fileLink) close() error { return l.f.Close() }

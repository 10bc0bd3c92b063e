package printersim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Serve feeds the bytes read from conn to the printer as they arrive and writes its replies
// (DLE EOT status and the like) back at once. It returns nil at the end of the stream
// (io.EOF) or when ctx is done, else the read or write error. The printer is not ended:
// call End to flush the last page.
func Serve(ctx context.Context, conn io.ReadWriter, p *Printer) error {
	stop := context.AfterFunc(ctx, func() {
		// Unblock the Read: a deadline when the connection has one, else close it.
		if d, ok := conn.(interface{ SetReadDeadline(time.Time) error }); ok {
			if d.SetReadDeadline(time.Unix(1, 0)) == nil {
				return
			}
		}
		if c, ok := conn.(io.Closer); ok {
			_ = c.Close()
		}
	})
	defer stop()
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			if reply := p.Process(buf[:n]); len(reply) > 0 {
				if _, werr := conn.Write(reply); werr != nil {
					if ctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("printersim: write reply: %w", werr)
				}
			}
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("printersim: read: %w", err)
		}
	}
}

// PTY is a pseudo-terminal standing in for a printer's serial port. Programs open Path like
// a real port (tarm/serial included); the simulator reads the other side.
type PTY struct {
	master *os.File
	slave  *os.File
	once   sync.Once
}

// OpenPTY creates a pseudo-terminal in raw mode (no echo, no CR/LF translation, 8-bit
// clean), so bytes pass unchanged as on a serial line.
func OpenPTY() (*PTY, error) {
	master, slave, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("printersim: open pty: %w", err)
	}
	if err := makeRaw(int(slave.Fd())); err != nil {
		_ = master.Close()
		_ = slave.Close()
		return nil, fmt.Errorf("printersim: pty %s raw mode: %w", slave.Name(), err)
	}
	// pty.Open called master.Fd(), which leaves the file in blocking mode: reads could then
	// be neither timed out nor interrupted by Close. Reopen it through the runtime poller.
	pm, err := pollable(master)
	if err != nil {
		_ = slave.Close()
		return nil, fmt.Errorf("printersim: pty %s: %w", slave.Name(), err)
	}
	return &PTY{master: pm, slave: slave}, nil
}

// pollable returns a non-blocking duplicate of f registered with the runtime poller, so that
// deadlines and Close interrupt a Read, and closes f.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return nil, fmt.Errorf("dup: %w", err)
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("set non-blocking: %w", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// makeRaw sets the terminal fd to raw mode, as cfmakeraw(3) does.
func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("get termios: %w", err)
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR |
		unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("set termios: %w", err)
	}
	return nil
}

// Path is the terminal device to open as the printer's serial port, e.g. /dev/pts/3.
func (t *PTY) Path() string { return t.slave.Name() }

// Serve runs the printer on the pseudo-terminal until ctx is done. Clients may open and
// close Path any number of times: the simulator keeps its side open.
func (t *PTY) Serve(ctx context.Context, p *Printer) error {
	err := Serve(ctx, t.master, p)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("printersim: pty %s: %w", t.Path(), err)
	}
	return nil
}

// Close releases both sides of the pseudo-terminal.
func (t *PTY) Close() error {
	var err error
	t.once.Do(func() {
		err = errors.Join(t.master.Close(), t.slave.Close())
	})
	if err != nil {
		return fmt.Errorf("printersim: close pty: %w", err)
	}
	return nil
}

// ServeTCP accepts connections on ln one at a time, as a printer's raw port 9100 does, and
// serves each with Serve until it closes. It returns when ctx is done (closing ln) or
// Accept fails.
func ServeTCP(ctx context.Context, ln net.Listener, p *Printer) error {
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("printersim: accept: %w", err)
		}
		err = Serve(ctx, conn, p)
		_ = conn.Close()
		if err != nil && ctx.Err() == nil {
			// One broken client does not stop the printer.
			p.mu.Lock()
			p.warn(-1, fmt.Sprintf("connection %s: %v", conn.RemoteAddr(), err))
			p.mu.Unlock()
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

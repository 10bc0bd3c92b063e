// Package mailer sends e-mail notices through an SMTP relay with STARTTLS (net/smtp): one
// connection per message, a context deadline on the whole exchange, PLAIN auth only over TLS.
package mailer

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// Config configures a Mailer.
type Config struct {
	Addr string // host:port of the relay
	From string // sender address
	// User and Password, when User is set, authenticate with PLAIN (after STARTTLS).
	User, Password string
	// TLS is the STARTTLS configuration (default: the relay's host name, the system roots).
	TLS *tls.Config
	// Timeout bounds one message's exchange (default 30 s).
	Timeout time.Duration
	// Now stamps the Date header (default time.Now).
	Now func() time.Time
}

// Mailer sends e-mail. It is safe for concurrent use.
type Mailer struct{ cfg Config }

// New checks the configuration.
func New(cfg Config) (*Mailer, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mailer: address %q: %w", cfg.Addr, err)
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("mailer: sender %q: %w", cfg.From, err)
	}
	if cfg.TLS == nil {
		cfg.TLS = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Mailer{cfg: cfg}, nil
}

// SendMail sends one plain-text message; id becomes its Message-ID (<id@onedoor>), the same for
// every attempt of one notice, so a receiving system can drop a repeat.
func (m *Mailer) SendMail(ctx context.Context, to, subject, body, id string) error {
	addr, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("mailer: recipient %q: %w", to, err)
	}
	from, _ := mail.ParseAddress(m.cfg.From)
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("mailer: dial: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	host, _, _ := net.SplitHostPort(m.cfg.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("mailer: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("onedoor"); err != nil {
		return fmt.Errorf("mailer: EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return errors.New("mailer: the relay does not offer STARTTLS")
	}
	if err := c.StartTLS(m.cfg.TLS); err != nil {
		return fmt.Errorf("mailer: STARTTLS: %w", err)
	}
	if m.cfg.User != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.User, m.cfg.Password, host)); err != nil {
			return fmt.Errorf("mailer: AUTH: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("mailer: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(addr.Address); err != nil {
		return fmt.Errorf("mailer: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mailer: DATA: %w", err)
	}
	if _, err := w.Write(m.message(from, addr, subject, body, id)); err != nil {
		return fmt.Errorf("mailer: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mailer: end of data: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("mailer: QUIT: %w", err)
	}
	return nil
}

func (m *Mailer) message(from, to *mail.Address, subject, body, id string) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from.String())
	hdr("To", to.String())
	hdr("Subject", mime.BEncoding.Encode("UTF-8", subject))
	hdr("Date", m.cfg.Now().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+strings.NewReplacer("/", ".", "<", "", ">", "", " ", "").Replace(id)+"@onedoor>")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=UTF-8")
	hdr("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

// Package smtpfake is a local SMTP server for tests: ESMTP with STARTTLS (a self-signed
// certificate for 127.0.0.1 made at start), AUTH PLAIN after TLS, and the messages it took kept
// in memory. It speaks just enough of RFC 5321 for net/smtp.
package smtpfake

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// Message is a message the server took.
type Message struct {
	From string
	To   []string
	Data string // headers and body as sent (dot-unstuffed, CRLF line ends)
	TLS  bool   // the session was encrypted when DATA came
	Auth string // the authenticated user, if any
}

// Config configures a Server.
type Config struct {
	// NoStartTLS leaves STARTTLS out of the EHLO answer (a relay a client must refuse).
	NoStartTLS bool
	// User and Password, when User is set, are the only credentials AUTH PLAIN takes.
	User, Password string
}

// Server is the fake relay. Addr is its host:port.
type Server struct {
	Addr string
	cfg  Config
	ln   net.Listener
	cert tls.Certificate
	pool *x509.CertPool

	mu   sync.Mutex
	msgs []Message
	wg   sync.WaitGroup
}

// New starts a fake relay on a loopback port.
func New(cfg Config) (*Server, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtpfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), cfg: cfg, ln: ln, pool: pool,
		cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// ClientTLS returns a TLS configuration that trusts the fake's certificate.
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Close stops the server.
func (s *Server) Close() {
	s.ln.Close()
	s.wg.Wait()
}

// Messages returns the messages taken so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(time.Minute))
			s.session(c)
		}()
	}
}

func (s *Server) session(c net.Conn) {
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(format string, args ...any) {
		fmt.Fprintf(w, format+"\r\n", args...)
		w.Flush()
	}
	say("220 smtpfake ESMTP")
	secure := false
	var m Message
	auth := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"smtpfake"}
			if !secure && !s.cfg.NoStartTLS {
				ext = append(ext, "STARTTLS")
			}
			if secure {
				ext = append(ext, "AUTH PLAIN")
			}
			ext = append(ext, "8BITMIME")
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				fmt.Fprintf(w, "250%s%s\r\n", sep, e)
			}
			w.Flush()
		case "STARTTLS":
			if secure || s.cfg.NoStartTLS {
				say("502 not now")
				continue
			}
			say("220 go ahead")
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12})
			if err := tc.Handshake(); err != nil {
				return
			}
			c, secure, m = tc, true, Message{}
			r, w = bufio.NewReader(c), bufio.NewWriter(c)
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if !secure || !strings.EqualFold(mech, "PLAIN") {
				say("504 PLAIN over TLS only")
				continue
			}
			b, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(b), "\x00")
			if err != nil || len(parts) != 3 || (s.cfg.User != "" && (parts[1] != s.cfg.User || parts[2] != s.cfg.Password)) {
				say("535 authentication failed")
				continue
			}
			auth = parts[1]
			say("235 ok")
		case "MAIL":
			if s.cfg.User != "" && auth == "" {
				say("530 authentication required")
				continue
			}
			m = Message{From: pathOf(arg), Auth: auth}
			say("250 ok")
		case "RCPT":
			m.To = append(m.To, pathOf(arg))
			say("250 ok")
		case "DATA":
			say("354 end with .")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			m.Data, m.TLS = data.String(), secure
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			say("250 queued")
		case "RSET", "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("500 unknown command")
		}
	}
}

// pathOf returns the address of "FROM:<a@b> SIZE=1" or "TO:<a@b>".
func pathOf(arg string) string {
	_, p, _ := strings.Cut(arg, ":")
	p, _, _ = strings.Cut(strings.TrimSpace(p), " ")
	return strings.Trim(p, "<>")
}

package mailer_test

import (
	"context"
	"encoding/base64"
	"net/mail"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/mailer"
	"onedoor/hallserver/mailer/smtpfake"
)

// TestSendOverStartTLS: a notice goes over STARTTLS with PLAIN auth; the recipient's mail has the
// Chinese subject, the body, and the notice's dedupe key as Message-ID.
func TestSendOverStartTLS(t *testing.T) {
	s, err := smtpfake.New(smtpfake.Config{User: "onedoor", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := mailer.New(mailer.Config{Addr: s.Addr, From: "OneDoor <onedoor@example.edu>", User: "onedoor", Password: "pw", TLS: s.ClientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SendMail(context.Background(), "h-library@example.edu", "新案件 JS20261204-0001", "图书馆有人占座\nhttp://hall/cases?case=JS20261204-0001", "12/email/h-library"); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].Auth != "onedoor" || msgs[0].To[0] != "h-library@example.edu" {
		t.Fatalf("messages %+v", msgs)
	}
	parsed, err := mail.ReadMessage(strings.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := new(mimeDecoder).decode(parsed.Header.Get("Subject"))
	body, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(readAll(t, parsed), "\r\n", ""))
	if subj != "新案件 JS20261204-0001" || !strings.Contains(string(body), "图书馆有人占座") ||
		parsed.Header.Get("Message-Id") != "<12.email.h-library@onedoor>" {
		t.Fatalf("subject %q, body %q, headers %v", subj, body, parsed.Header)
	}
}

// TestRefusesRelayWithoutStartTLS: a relay that does not offer STARTTLS gets nothing.
func TestRefusesRelayWithoutStartTLS(t *testing.T) {
	s, err := smtpfake.New(smtpfake.Config{NoStartTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := mailer.New(mailer.Config{Addr: s.Addr, From: "onedoor@example.edu", TLS: s.ClientTLS(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SendMail(context.Background(), "a@example.edu", "x", "y", "k"); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err %v", err)
	}
	if n := len(s.Messages()); n != 0 {
		t.Fatalf("%d messages sent in the clear", n)
	}
	if _, err := mailer.New(mailer.Config{Addr: "no-port", From: "a@example.edu"}); err == nil {
		t.Fatal("address without a port accepted")
	}
}

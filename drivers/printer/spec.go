package printer

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Transport names used in specs.
const (
	TransportSerial = "serial"
	TransportTCP    = "tcp"
	TransportFile   = "file"
)

// DefaultTCPPort is the raw printing port of network printers.
const DefaultTCPPort = "9100"

// Spec is a parsed printer spec:
//
//	serial:/dev/ttyUSB0?baud=19200   serial line (baud defaults to the profile's)
//	tcp:192.0.2.10:9100              network printer (port defaults to 9100)
//	file:/dev/usb/lp0                device file; add ?status=1 if the device
//	                                 answers DLE EOT (usblp does), ?create=1 to
//	                                 create a missing regular file
type Spec struct {
	Transport string
	Path      string // serial device or file path
	Addr      string // tcp host:port
	Baud      int    // serial only; 0 = the profile's baud rate
	Status    bool   // the device answers DLE EOT (serial, tcp: always)
	Create    bool   // file only: create the file if missing
}

// String formats s back into spec syntax; ParseSpec(s.String()) == s.
func (s Spec) String() string {
	switch s.Transport {
	case TransportSerial:
		if s.Baud > 0 {
			return fmt.Sprintf("serial:%s?baud=%d", s.Path, s.Baud)
		}
		return "serial:" + s.Path
	case TransportTCP:
		return "tcp:" + s.Addr
	case TransportFile:
		var q []string
		if s.Status {
			q = append(q, "status=1")
		}
		if s.Create {
			q = append(q, "create=1")
		}
		if len(q) > 0 {
			return "file:" + s.Path + "?" + strings.Join(q, "&")
		}
		return "file:" + s.Path
	}
	return s.Transport + ":?"
}

// validBauds lists the rates printers use (and tarm/serial accepts).
const validBauds = "1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600"

// ParseSpec parses a printer spec. Errors wrap ErrBadSpec and say what was
// expected.
func ParseSpec(spec string) (Spec, error) {
	bad := func(format string, args ...any) (Spec, error) {
		return Spec{}, fmt.Errorf("printer spec %q: %s: %w", spec, fmt.Sprintf(format, args...), ErrBadSpec)
	}
	transport, rest, ok := strings.Cut(strings.TrimSpace(spec), ":")
	if !ok {
		return bad("want serial:/dev/ttyUSB0?baud=19200, tcp:host:9100 or file:/dev/usb/lp0")
	}
	rest, rawQuery, _ := strings.Cut(rest, "?")
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return bad("query: %v", err)
	}
	allowed := map[string]bool{}
	s := Spec{Transport: strings.ToLower(transport)}
	switch s.Transport {
	case TransportSerial:
		allowed["baud"] = true
		if !strings.HasPrefix(rest, "/") {
			return bad("serial device must be an absolute path such as /dev/ttyUSB0")
		}
		s.Path, s.Status = rest, true
		if v := query.Get("baud"); v != "" {
			b, err := strconv.Atoi(v)
			if err != nil || !validBaud(b) {
				return bad("baud %q (want one of %s)", v, validBauds)
			}
			s.Baud = b
		}
	case TransportTCP:
		if rest == "" || strings.Contains(rest, "/") {
			return bad("want tcp:host:port")
		}
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			// No port given: host alone (IPv6 in brackets).
			host, port = strings.TrimSuffix(strings.TrimPrefix(rest, "["), "]"), DefaultTCPPort
			if strings.ContainsAny(host, "[]") || (strings.Contains(host, ":") && !strings.HasPrefix(rest, "[")) {
				return bad("want tcp:host:port (IPv6 in brackets)")
			}
		}
		if host == "" {
			return bad("missing host")
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return bad("port %q", port)
		}
		s.Addr, s.Status = net.JoinHostPort(host, port), true
	case TransportFile:
		allowed["status"], allowed["create"] = true, true
		if !strings.HasPrefix(rest, "/") {
			return bad("file path must be absolute")
		}
		s.Path = rest
		for _, k := range []string{"status", "create"} {
			if v := query.Get(k); v != "" {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return bad("%s=%q (want 1 or 0)", k, v)
				}
				if k == "status" {
					s.Status = b
				} else {
					s.Create = b
				}
			}
		}
	default:
		return bad("unknown transport %q (want serial, tcp or file)", transport)
	}
	for k := range query {
		if !allowed[k] {
			return bad("unknown option %q for %s", k, s.Transport)
		}
	}
	if strings.ContainsAny(s.Path, "\x00\n") {
		return bad("path contains control characters")
	}
	return s, nil
}

func validBaud(b int) bool {
	switch b {
	case 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600:
		return true
	}
	return false
}

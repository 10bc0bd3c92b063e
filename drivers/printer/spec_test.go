package printer

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
	}{
		{"serial:/dev/ttyUSB0?baud=19200", Spec{Transport: "serial", Path: "/dev/ttyUSB0", Baud: 19200, Status: true}},
		{"serial:/dev/ttyS0", Spec{Transport: "serial", Path: "/dev/ttyS0", Status: true}},
		{"tcp:192.0.2.10:9100", Spec{Transport: "tcp", Addr: "192.0.2.10:9100", Status: true}},
		{"tcp:printer.hall.local", Spec{Transport: "tcp", Addr: "printer.hall.local:9100", Status: true}},
		{"tcp:[2001:db8::1]:9100", Spec{Transport: "tcp", Addr: "[2001:db8::1]:9100", Status: true}},
		{"tcp:[2001:db8::1]", Spec{Transport: "tcp", Addr: "[2001:db8::1]:9100", Status: true}},
		{"file:/dev/usb/lp0", Spec{Transport: "file", Path: "/dev/usb/lp0"}},
		{"file:/dev/usb/lp0?status=1", Spec{Transport: "file", Path: "/dev/usb/lp0", Status: true}},
		{"FILE:/tmp/out.bin?create=true", Spec{Transport: "file", Path: "/tmp/out.bin", Create: true}},
	}
	for _, tt := range tests {
		got, err := ParseSpec(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%q: got %+v, want %+v", tt.in, got, tt.want)
		}
	}
	bad := map[string]string{
		"":                               "want serial:",
		"/dev/ttyUSB0":                   "want serial:",
		"usb:1":                          "unknown transport",
		"serial:ttyUSB0":                 "absolute path",
		"serial:/dev/ttyUSB0?baud=12345": "baud",
		"serial:/dev/ttyUSB0?baud=fast":  "baud",
		"serial:/dev/ttyUSB0?speed=9600": "unknown option",
		"tcp:":                           "want tcp:host:port",
		"tcp:host:0":                     "port",
		"tcp:host:70000":                 "port",
		"tcp::9100":                      "missing host",
		"tcp:2001:db8::1":                "IPv6 in brackets",
		"file:lp0":                       "absolute",
		"file:/dev/usb/lp0?status=maybe": "status",
		"file:/dev/usb/lp0?baud=9600":    "unknown option",
		"serial:/dev/ttyUSB0?baud=%zz":   "query",
	}
	for in, msg := range bad {
		_, err := ParseSpec(in)
		if !errors.Is(err, ErrBadSpec) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: got %v, want ErrBadSpec mentioning %q", in, err, msg)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzParseSpec.
	f.Add("serial:/dev/ttyUSB0?baud=19200")
	f.Add("tcp:192.0.2.10:9100")
	f.Add("file:/dev/usb/lp0?status=1&create=1")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSpec(in)
		if err != nil {
			if !errors.Is(err, ErrBadSpec) {
				t.Fatalf("%q: error %v does not wrap ErrBadSpec", in, err)
			}
			return
		}
		// A parsed spec formats to a string that parses to the same spec.
		again, err := ParseSpec(s.String())
		if err != nil {
			t.Fatalf("%q → %q: %v", in, s.String(), err)
		}
		if again != s {
			t.Fatalf("%q → %+v → %q → %+v", in, s, s.String(), again)
		}
	})
}

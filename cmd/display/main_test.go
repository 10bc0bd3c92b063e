package main

import (
	"io"
	"testing"
	"time"

	"onedoor/display"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-server", "http://h:1", "-hall", "teachers", "-token", "t", "-portrait", "-voice", "off", "-player", "paplay"}, io.Discard)
	if err != nil || c.server != "http://h:1" || c.hall != "teachers" || c.token != "t" || !c.portrait || c.voice != "off" || c.player != "paplay" {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = parseFlags([]string{"-server", "http://a:8080, http://b:8080"}, io.Discard)
	if err != nil || c.server != "http://a:8080, http://b:8080" {
		t.Fatalf("two servers: %+v %v", c, err)
	}
	if _, err := parseFlags([]string{"-server", "http://a:8080,b:8080"}, io.Discard); err == nil {
		t.Fatal("-server with a second server that is no URL accepted")
	}
	if _, err := parseFlags([]string{"-voice", "loud"}, io.Discard); err == nil {
		t.Fatal("-voice loud accepted")
	}
	if q := speaker(config{voice: "off"}, nil); q != nil {
		t.Fatal("voice off still speaks")
	}
}

// TestClockIsInTheCampusZone: the clock shows the campus zone of -tz (Asia/Shanghai by
// default), whatever the machine's own zone is; a zone that is not a campus zone ("", Local,
// a typo) is refused at start.
func TestClockIsInTheCampusZone(t *testing.T) {
	saved := time.Local
	time.Local = time.FixedZone("machine", -5*3600) // a PC left on New York time
	t.Cleanup(func() { time.Local = saved })
	t.Setenv("TZ", "America/New_York")

	at := time.Date(2026, 12, 4, 1, 30, 0, 0, time.UTC) // 09:30 in Shanghai, 20:30 the day before on the PC
	clock := func(args ...string) string {
		t.Helper()
		c, err := parseFlags(args, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		ctrl := display.NewController(display.Config{Hall: "students", Location: c.loc, Now: func() time.Time { return at }})
		v := ctrl.View()
		return v.Clock + " " + v.Date
	}
	if got := clock(); got[:5] != "09:30" || got[6:] != "2026年12月4日 星期五 · Fri 4 Dec" {
		t.Errorf("default zone: %q, want 09:30 on Friday 4 December (Asia/Shanghai)", got)
	}
	if got := clock("-tz", "Asia/Urumqi"); got[:5] != "07:30" {
		t.Errorf("-tz Asia/Urumqi: %q", got)
	}
	for _, bad := range []string{"", "Local", "Asia/Shanghia"} {
		if _, err := parseFlags([]string{"-tz", bad}, io.Discard); err == nil {
			t.Errorf("-tz %q accepted", bad)
		}
	}
	// The display package on its own (no -tz): the campus zone too, not the machine's.
	ctrl := display.NewController(display.Config{Hall: "students", Now: func() time.Time { return at }})
	if v := ctrl.View(); v.Clock != "09:30" {
		t.Errorf("controller without a zone shows %q", v.Clock)
	}
}

// TestPprofListensOnLoopbackOnly: -pprof takes a loopback address and refuses any other.
func TestPprofListensOnLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:6061", "[::1]:6061", "localhost:6061"} {
		if _, err := parseFlags([]string{"-pprof", ok}, io.Discard); err != nil {
			t.Errorf("-pprof %s: %v", ok, err)
		}
	}
	for _, bad := range []string{":6061", "0.0.0.0:6061", "10.1.2.3:6061", "example.com:6061", "6061"} {
		if _, err := parseFlags([]string{"-pprof", bad}, io.Discard); err == nil {
			t.Errorf("-pprof %s accepted", bad)
		}
	}
}

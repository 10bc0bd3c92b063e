package main

import (
	"io"
	"testing"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-server", "http://h:1", "-hall", "teachers", "-token", "t", "-portrait", "-voice", "off", "-player", "paplay"}, io.Discard)
	if err != nil || c.server != "http://h:1" || c.hall != "teachers" || c.token != "t" || !c.portrait || c.voice != "off" || c.player != "paplay" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := parseFlags([]string{"-voice", "loud"}, io.Discard); err == nil {
		t.Fatal("-voice loud accepted")
	}
	if q := speaker(config{voice: "off"}, nil); q != nil {
		t.Fatal("voice off still speaks")
	}
}

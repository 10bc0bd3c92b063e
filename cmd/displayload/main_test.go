package main

import (
	"io"
	"os"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-calls", "10000", "-every", "0", "-idle", "2m"}, io.Discard)
	if err != nil || c.calls != 10000 || c.every != 0 || c.idle != 2*time.Minute || !c.pprof || c.displayBin != "bin/display" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := parseFlags([]string{"-every", "-1s"}, io.Discard); err == nil {
		t.Fatal("negative -every accepted")
	}
}

// TestReadProc reads this test's own memory and CPU time as it reads the display's.
func TestReadProc(t *testing.T) {
	buf := make([]byte, 32<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	rss, ticks, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss < 32<<10 || ticks < 0 {
		t.Fatalf("rss %d kB (32 MB touched), ticks %d", rss, ticks)
	}
	_ = buf[len(buf)-1]
}

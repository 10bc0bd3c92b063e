package profiling

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestLoopbackOnly: profiles are served on loopback addresses and refused anywhere else.
func TestLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:6061", "127.1.2.3:6061", "[::1]:6061", "localhost:6061"} {
		if err := Loopback(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{":6061", "0.0.0.0:6061", "[::]:6061", "10.1.2.3:6061", "example.com:6061", "6061"} {
		if err := Loopback(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
		if _, stop, err := Serve(bad, 0, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
			stop()
			t.Errorf("Serve(%s) listened", bad)
		}
	}
}

// TestServeAnswersAndStops: the index lists the profiles; after stop nothing answers.
func TestServeAnswersAndStops(t *testing.T) {
	addr, stop, err := Serve("127.0.0.1:0", 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("index: %d %.200s", resp.StatusCode, body)
	}
	stop()
	if resp, err := http.Get("http://" + addr + "/debug/pprof/"); err == nil {
		resp.Body.Close()
		t.Fatal("still answering after stop")
	}
}

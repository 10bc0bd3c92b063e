package main

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/wecom/wecomfake"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-cases", "20", "-every", "100ms", "-department", "library"}, io.Discard)
	if err != nil || c.cases != 20 || c.every != 100*time.Millisecond || c.concurrency != 4 || c.serverBin != "bin/hallserver" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range [][]string{{"-cases", "0"}, {"-every", "-1s"}, {"-concurrency", "0"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestQuantile(t *testing.T) {
	r := result{}
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	if r.quantile(0.5) != 50*time.Millisecond || r.quantile(0.99) != 99*time.Millisecond || r.quantile(1) != 100*time.Millisecond {
		t.Fatalf("p50 %v p99 %v p100 %v", r.quantile(0.5), r.quantile(0.99), r.quantile(1))
	}
}

// TestAskloadAgainstTheRealServer builds the hall server, and runs the command on 20 cases: each
// is opened through /ask (201) and reaches a WeChat Work user of the department at the fake.
func TestAskloadAgainstTheRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the hall server")
	}
	bin := filepath.Join(t.TempDir(), "hallserver")
	if out, err := exec.Command("go", "build", "-o", bin, "onedoor/cmd/hallserver").CombinedOutput(); err != nil {
		t.Fatalf("build hallserver: %v\n%s", err, out)
	}
	var out strings.Builder
	res, err := run(context.Background(), config{serverBin: bin, fakeAddr: "127.0.0.1:0", cases: 20, concurrency: 4,
		department: "library", wait: time.Minute, data: filepath.Join(t.TempDir(), "onedoor.db")}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.Posted != 20 || len(res.Latencies) != 20 || len(res.Missing) != 0 {
		t.Fatalf("posted %d, reached %d, missing %v\n%s", res.Posted, len(res.Latencies), res.Missing, out.String())
	}
	if !strings.Contains(out.String(), "p99") {
		t.Fatalf("no figures printed:\n%s", out.String())
	}
	t.Log(out.String())

	// A running server (-server), started with -wecom-api at the address the fake will take.
	fakeAddr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	var sout strings.Builder
	stop, addr, err := startServer(context.Background(), config{serverBin: bin, data: filepath.Join(t.TempDir(), "onedoor.db")},
		wecomfake.Handler(wecomfake.Config{}).Config(), "http://"+fakeAddr, &sout)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	out.Reset()
	res, err = run(context.Background(), config{server: "http://" + addr, fakeAddr: fakeAddr, cases: 5, concurrency: 2,
		department: "library", wait: time.Minute}, &out)
	if err != nil || len(res.Latencies) != 5 {
		t.Fatalf("against a running server: %v, %d reached\n%s", err, len(res.Latencies), out.String())
	}
}

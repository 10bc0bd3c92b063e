package main

import (
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

// TestGCFlags: the collector's target and the soft memory limit default to 400 % and 1 GiB,
// come from the flags or ONEDOOR_GC_PERCENT / ONEDOOR_MEMORY_LIMIT_MB, and nonsense is refused
// with a message naming the flag.
func TestGCFlags(t *testing.T) {
	noEnv := func(string) string { return "" }
	c, err := parseFlags([]string{"-demo"}, noEnv, io.Discard)
	if err != nil || c.gcPercent != 400 || c.memoryLimitMB != 1024 {
		t.Fatalf("defaults: gc %d limit %d err %v, want 400 and 1024", c.gcPercent, c.memoryLimitMB, err)
	}
	env := func(k string) string {
		return map[string]string{"ONEDOOR_GC_PERCENT": "200", "ONEDOOR_MEMORY_LIMIT_MB": "0"}[k]
	}
	if c, err = parseFlags([]string{"-demo"}, env, io.Discard); err != nil || c.gcPercent != 200 || c.memoryLimitMB != 0 {
		t.Fatalf("from the environment: gc %d limit %d err %v, want 200 and 0", c.gcPercent, c.memoryLimitMB, err)
	}
	if c, err = parseFlags([]string{"-demo", "-gc-percent", "0", "-memory-limit-mb", "512"}, env, io.Discard); err != nil || c.gcPercent != 0 || c.memoryLimitMB != 512 {
		t.Fatalf("flags over the environment: gc %d limit %d err %v, want 0 and 512", c.gcPercent, c.memoryLimitMB, err)
	}
	for _, args := range [][]string{{"-gc-percent", "-2"}, {"-gc-percent", "20000"}, {"-memory-limit-mb", "-1"}} {
		_, err := parseFlags(append([]string{"-demo"}, args...), noEnv, io.Discard)
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: err %v, want a message naming %s", args, err, args[0])
		}
	}
}

// TestTuneGC: tuneGC sets the runtime's target and limit, and leaves each alone when GOGC or
// GOMEMLIMIT chose it (or when the value is 0).
func TestTuneGC(t *testing.T) {
	pct, lim := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(pct); debug.SetMemoryLimit(lim) })
	log := slog.New(slog.DiscardHandler)

	tuneGC(400, 1024, func(string) string { return "" }, log)
	if got := debug.SetGCPercent(100); got != 400 {
		t.Errorf("target %d, want 400", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != 1024<<20 {
		t.Errorf("limit %d, want %d", got, 1024<<20)
	}
	tuneGC(400, 1024, func(k string) string { return map[string]string{"GOGC": "150", "GOMEMLIMIT": "2GiB"}[k] }, log)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set: target %d, want it left at 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set: limit %d, want it left alone", got)
	}
	tuneGC(0, 0, func(string) string { return "" }, log)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("-gc-percent 0: target %d, want Go's own 100 left", got)
	}
}

package main

import (
	"fmt"
	"log/slog"
	"runtime/debug"
)

// Garbage collector defaults of the server (-gc-percent, -memory-limit-mb). The server's live
// heap is small (today's open tickets, the stream subscribers: tens of MB), and the collector's
// work per request grows with what a request allocates divided by GOGC: at Go's default of 100
// the collector took about a tenth of the server's CPU under a burst of issues
// (docs/PERFORMANCE.md). 400 lets the heap grow to five times the live data before a cycle,
// a quarter of the collector's work; the soft limit keeps the whole still bounded when the live
// data is large (the collector then runs more often instead).
const (
	defaultGCPercent     = 400
	defaultMemoryLimitMB = 1024
)

// tuneGC sets the collector's target (percent of the live heap allocated before the next cycle)
// and the soft memory limit of the Go runtime, each unless the GOGC or GOMEMLIMIT environment
// variable already set it (the runtime read those at start) or the value is 0 (leave Go's own).
// It logs what it set.
func tuneGC(percent int, limitMB int64, getenv func(string) string, log *slog.Logger) {
	if percent != 0 && getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
		log.Debug("garbage collector target set", "percent", percent)
	}
	if limitMB > 0 && getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limitMB << 20)
		log.Debug("soft memory limit set", "MiB", limitMB)
	}
}

// checkGCFlags refuses a -gc-percent or -memory-limit-mb that makes no sense.
func checkGCFlags(percent int, limitMB int64) error {
	if percent < -1 || percent > 10000 {
		return fmt.Errorf("-gc-percent must be -1 (collector off), 0 (Go's default) or 1 to 10000, not %d", percent)
	}
	if limitMB < 0 || limitMB > 1<<30 {
		return fmt.Errorf("-memory-limit-mb must be 0 (none) or at most %d, not %d", 1<<30, limitMB)
	}
	return nil
}

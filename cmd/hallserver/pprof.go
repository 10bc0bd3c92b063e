package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"strconv"
	"time"
)

// servePprof serves Go's runtime profiles (net/http/pprof: CPU, heap, goroutines, block and mutex
// contention) on addr, which must be a loopback address: profiles show request data and stacks,
// so they never go on the network. It enables block and mutex sampling (rate: one sampled event
// per rate nanoseconds blocked, one in rate contention events) and returns a function that stops
// the listener.
func servePprof(addr string, rate int, log *slog.Logger) (func(), error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("-pprof-addr: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-pprof-addr must be a loopback address (127.0.0.1:PORT or [::1]:PORT), not %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-pprof-addr: listen: %w", err)
	}
	if rate > 0 {
		runtime.SetBlockProfileRate(rate)
		runtime.SetMutexProfileFraction(rate)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Error("pprof listener stopped", "err", err)
		}
	}()
	log.Info("pprof listener (loopback only)", "addr", ln.Addr().String(), "block_mutex_rate", strconv.Itoa(rate))
	return func() { srv.Close() }, nil
}

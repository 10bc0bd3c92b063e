// Package profiling serves Go's runtime profiles (net/http/pprof: CPU, heap, goroutines, block
// and mutex contention, traces) for the commands that offer a -pprof flag. Profiles show request
// data, memory and stacks, so they are served on a loopback address only.
package profiling

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

// Loopback checks that addr (host:port) names a loopback address: 127.0.0.0/8, ::1 or
// localhost.
func Loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (127.0.0.1:PORT, [::1]:PORT or localhost:PORT)", addr)
	}
	return nil
}

// Serve listens on addr, which must be a loopback address, and serves the profiles under
// /debug/pprof/ until the returned stop function is called; bound is the address it listens on
// (the port chosen when addr's is 0). With rate > 0 it also samples
// blocking (one event per rate nanoseconds blocked) and mutex contention (one in rate events).
func Serve(addr string, rate int, log *slog.Logger) (bound string, stop func(), err error) {
	if err := Loopback(addr); err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen for profiles: %w", err)
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
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("profile listener stopped", "err", err)
		}
	}()
	log.Info("profiles served (loopback only)", "addr", ln.Addr().String(), "block_mutex_rate", rate)
	return ln.Addr().String(), func() { _ = srv.Close() }, nil
}

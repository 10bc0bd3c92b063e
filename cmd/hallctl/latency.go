package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"onedoor/hallserver/client"
)

// latencyCmd signs in and GETs each path n times, one after another, through the server's real
// HTTP stack, and prints the p50, p99 and largest answer time and the answer's size per path
// (docs/PERFORMANCE.md: the hall snapshot, the inbox list and the supervision page with a year
// of history).
func latencyCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("latency", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "hall server URL")
	user := fs.String("username", "supervisor", "staff account to sign in with (password on stdin; none: anonymous)")
	n := fs.Int("n", 100, "requests per path")
	pid := fs.Int("pid", 0, "the server's process ID on this machine: also print its CPU time per request and its resident memory (from /proc)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 || *n < 1 {
		return errors.New("latency needs -n ≥ 1 and at least one path, e.g. /api/v1/halls/students/snapshot")
	}
	token := ""
	if *user != "" {
		pw, err := io.ReadAll(io.LimitReader(stdin, 1024))
		if err != nil {
			return fmt.Errorf("read password from stdin: %w", err)
		}
		c := &client.Client{BaseURL: *server}
		if _, err := c.Login(ctx, *user, strings.TrimRight(string(pw), "\r\n")); err != nil {
			return fmt.Errorf("sign in as %s: %w", *user, err)
		}
		token = c.Token
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	for _, path := range fs.Args() {
		ds := make([]time.Duration, 0, *n)
		size := 0
		cpu0, _ := procCPU(*pid)
		for range *n {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(*server, "/")+path, nil)
			if err != nil {
				return err
			}
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			t0 := time.Now()
			resp, err := hc.Do(req)
			if err != nil {
				return fmt.Errorf("GET %s: %w", path, err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			d := time.Since(t0)
			if err != nil {
				return fmt.Errorf("GET %s: %w", path, err)
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET %s: %s: %.200s", path, resp.Status, b)
			}
			ds = append(ds, d)
			size = len(b)
		}
		slices.Sort(ds)
		q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
		ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
		server := ""
		if *pid > 0 {
			cpu1, err := procCPU(*pid)
			if err != nil {
				return err
			}
			rss, _ := procRSS(*pid)
			server = fmt.Sprintf(", server CPU %.1f ms/request, RSS %d MiB", float64((cpu1-cpu0).Microseconds())/1000/float64(len(ds)), rss>>20)
		}
		fmt.Fprintf(stdout, "%s: n=%d p50 %s p99 %s max %s, %d bytes%s\n", path, len(ds), ms(q(0.50)), ms(q(0.99)), ms(ds[len(ds)-1]), size, server)
	}
	return nil
}

// procCPU returns the user and system CPU time a process has used (Linux /proc; 0 for pid 0).
func procCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read the server's CPU time: %w", err)
	}
	// The fields after the command name (in parentheses, which may hold spaces): utime and
	// stime are the 14th and 15th fields of the line, in clock ticks (100 per second on Linux).
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("read the server's CPU time: unexpected /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("read the server's CPU time: unexpected /proc/%d/stat", pid)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// procRSS returns a process's resident memory in bytes (VmRSS of /proc/pid/status).
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS")
}

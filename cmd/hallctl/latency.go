package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
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
		fmt.Fprintf(stdout, "%s: n=%d p50 %s p99 %s max %s, %d bytes\n", path, len(ds), ms(q(0.50)), ms(q(0.99)), ms(ds[len(ds)-1]), size)
	}
	return nil
}

// Command askload measures how fast a case opened through the public portal (POST /api/v1/ask)
// reaches the department's WeChat Work user through the real hall server (issue 15's figure:
// ≤ 2 s, p99 over 1,000 cases). It starts the fake WeChat Work API (wecomfake) on loopback and
// the real `hallserver -demo` with -wecom-api pointing at it (or uses a running server), posts
// the cases, and per case takes the time from the 201 to the fake receiving the first textcard
// naming that case number; it prints p50, p99 and max.
//
//	go build -o bin/ ./cmd/hallserver ./cmd/askload
//	bin/askload                                  # 1,000 cases, 4 posters, back to back
//	bin/askload -cases 1000 -every 100ms         # one case every 100 ms
//
// The portal's abuse limits (6 requests a minute per address, 5 a second over all) would refuse
// a load from one address: the server it starts runs with them raised by the -ask-* flags
// (-ask-rate, -ask-burst, -ask-global-rate, -ask-dup-global); every case has its own text, so
// the duplicate check never answers. To measure a running server instead, start it with those
// flags and -wecom-api http://FAKE-ADDR (corp, secret and agent of wecomfake's defaults), then
// give askload -server URL -fake-addr FAKE-ADDR.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"onedoor/hallserver/wecom/wecomfake"
)

type config struct {
	serverBin   string
	server      string // a running server's base URL ("": start serverBin)
	fakeAddr    string
	cases       int
	concurrency int
	every       time.Duration
	department  string
	wait        time.Duration
	data        string
	serverLog   string
	trace       string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("askload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.serverBin, "hallserver", "bin/hallserver", "cmd/hallserver binary to start (with -demo, -wecom-* at the fake and the -ask-* limits raised)")
	fs.StringVar(&c.server, "server", "", "base URL of a running hall server to measure instead (started with -wecom-api http://<-fake-addr> and raised -ask-* limits)")
	fs.StringVar(&c.fakeAddr, "fake-addr", "127.0.0.1:0", "loopback address of the fake WeChat Work API")
	fs.IntVar(&c.cases, "cases", 1000, "cases to open through POST /api/v1/ask")
	fs.IntVar(&c.concurrency, "concurrency", 4, "posters in parallel")
	fs.DurationVar(&c.every, "every", 0, "time between the starts of two posts (0: each poster posts again at once)")
	fs.StringVar(&c.department, "department", "library", "department the cases pick (@相关部门); its handlers get the textcards")
	fs.DurationVar(&c.wait, "wait", time.Minute, "how long to wait for the last textcards after the last post")
	fs.StringVar(&c.data, "data", "", "bbolt data file of the server it starts (default: one in a temporary directory, removed)")
	fs.StringVar(&c.trace, "trace", "", "write one line per case to this file: number, seconds from the first post to its 201, 201 → textcard in ms")
	fs.StringVar(&c.serverLog, "server-log", "", "write the log of the server it starts to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.cases <= 0 || c.concurrency <= 0 || c.every < 0 || c.wait <= 0 {
		return c, errors.New("-cases, -concurrency and -wait must be positive, -every not negative")
	}
	return c, nil
}

func main() {
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "askload:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "askload:", err)
		os.Exit(1)
	}
}

// result is a run's outcome: the latency of every case that reached WeChat Work, and the cases
// that did not.
type result struct {
	Posted    int
	Latencies []time.Duration // sorted
	Missing   []string
	Posts     []time.Duration // the posts' times to the 201, sorted
	Elapsed   time.Duration   // from the first post to the last 201
}

// quantile returns the q-quantile (nearest rank) of the sorted latencies.
func (r result) quantile(q float64) time.Duration { return quantile(r.Latencies, q) }

// quantile returns the q-quantile (nearest rank) of sorted durations.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(q*float64(len(ds))+0.999999) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// watcher records when the fake first received a textcard naming each case number.
type watcher struct {
	f     *wecomfake.Server
	mu    sync.Mutex
	first map[string]time.Time
}

func (w *watcher) run(ctx context.Context) {
	seen := 0
	for {
		changed := w.f.Changed()
		msgs := w.f.Messages()
		w.mu.Lock()
		for _, m := range msgs[seen:] {
			if m.MsgType != "textcard" {
				continue
			}
			// The card's title ends with the case number ("新案件 JS20261204-0001").
			fs := strings.Fields(m.Title)
			if len(fs) == 0 {
				continue
			}
			if _, ok := w.first[fs[len(fs)-1]]; !ok {
				w.first[fs[len(fs)-1]] = m.Received
			}
		}
		w.mu.Unlock()
		seen = len(msgs)
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

func (w *watcher) at(number string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.first[number]
	return t, ok
}

// run starts the fake (and the server unless -server), posts the cases and measures.
func run(ctx context.Context, c config, out io.Writer) (result, error) {
	fake := wecomfake.Handler(wecomfake.Config{})
	ln, err := net.Listen("tcp", c.fakeAddr)
	if err != nil {
		return result{}, fmt.Errorf("fake WeChat Work API: %w", err)
	}
	fsrv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	go fsrv.Serve(ln)
	defer fsrv.Close()
	fakeURL := "http://" + ln.Addr().String()
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	w := &watcher{f: fake, first: map[string]time.Time{}}
	go w.run(wctx)

	base := strings.TrimRight(c.server, "/")
	if base == "" {
		stop, addr, err := startServer(ctx, c, fake.Config(), fakeURL, out)
		if err != nil {
			return result{}, err
		}
		defer stop()
		base = "http://" + addr
	}
	fmt.Fprintf(out, "# server %s, fake WeChat Work API %s, %d cases to %s, %d posters, every %v\n", base, fakeURL, c.cases, c.department, c.concurrency, c.every)

	type posted struct {
		number string
		at     time.Time
		took   time.Duration
	}
	var (
		mu    sync.Mutex
		cases []posted
		errs  []error
	)
	hc := &http.Client{Timeout: 30 * time.Second}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range c.concurrency {
		wg.Go(func() {
			for i := range jobs {
				t0 := time.Now()
				number, err := postAsk(ctx, hc, base, c.department, i)
				at := time.Now()
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					cases = append(cases, posted{number, at, at.Sub(t0)})
				}
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	var tick *time.Ticker
	if c.every > 0 {
		tick = time.NewTicker(c.every)
		defer tick.Stop()
	}
feed:
	for i := range c.cases {
		if tick != nil && i > 0 {
			select {
			case <-ctx.Done():
				break feed
			case <-tick.C:
			}
		}
		select {
		case <-ctx.Done():
			break feed
		case jobs <- i:
		}
	}
	close(jobs)
	wg.Wait()
	res := result{Posted: len(cases), Elapsed: time.Since(start)}
	if len(errs) > 0 {
		return res, fmt.Errorf("%d of %d posts failed, the first: %w", len(errs), c.cases, errs[0])
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	// Wait for the last textcards.
	deadline := time.Now().Add(c.wait)
	for {
		missing := 0
		for _, p := range cases {
			if _, ok := w.at(p.number); !ok {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var trace bytes.Buffer
	for _, p := range cases {
		if t, ok := w.at(p.number); ok {
			fmt.Fprintf(&trace, "%s %.3f %.1f\n", p.number, p.at.Sub(start).Seconds(), float64(t.Sub(p.at))/float64(time.Millisecond))
		}
	}
	if c.trace != "" {
		if err := os.WriteFile(c.trace, trace.Bytes(), 0o644); err != nil {
			return res, fmt.Errorf("-trace: %w", err)
		}
	}
	for _, p := range cases {
		res.Posts = append(res.Posts, p.took)
		t, ok := w.at(p.number)
		if !ok {
			res.Missing = append(res.Missing, p.number)
			continue
		}
		// The server may send before the client has read its 201: that counts as no delay.
		res.Latencies = append(res.Latencies, max(t.Sub(p.at), 0))
	}
	slices.Sort(res.Latencies)
	slices.Sort(res.Posts)
	fmt.Fprintf(out, "posted %d in %.1f s (%.0f/s), load avg %s; post → 201: p50 %v  p99 %v  max %v\n", res.Posted, res.Elapsed.Seconds(),
		float64(res.Posted)/res.Elapsed.Seconds(), loadavg(), quantile(res.Posts, 0.5).Round(time.Millisecond),
		quantile(res.Posts, 0.99).Round(time.Millisecond), quantile(res.Posts, 1).Round(time.Millisecond))
	if len(res.Latencies) > 0 {
		fmt.Fprintf(out, "201 → textcard at the fake: p50 %v  p99 %v  max %v  (%d cases; %d textcards, %d message/send calls)\n",
			res.quantile(0.5).Round(time.Millisecond), res.quantile(0.99).Round(time.Millisecond), res.Latencies[len(res.Latencies)-1].Round(time.Millisecond),
			len(res.Latencies), len(fake.Messages()), fake.Calls("/cgi-bin/message/send"))
	}
	if len(res.Missing) > 0 {
		return res, fmt.Errorf("%d cases reached no WeChat Work user within %v after the last post, e.g. %s", len(res.Missing), c.wait, res.Missing[0])
	}
	return res, nil
}

// postAsk opens case i through the portal and returns its number.
func postAsk(ctx context.Context, hc *http.Client, base, dept string, i int) (string, error) {
	body, _ := json.Marshal(map[string]any{"kind": "complaint", "department": dept,
		"text": fmt.Sprintf("图书馆三楼自习室座位被长期占用（压测第 %d 件）", i+1)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/ask", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("ask %d: %w", i+1, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("ask %d: %w", i+1, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("ask %d: HTTP %d: %s", i+1, resp.StatusCode, bytes.TrimSpace(b))
	}
	var ans struct {
		Number string `json:"number"`
	}
	if err := json.Unmarshal(b, &ans); err != nil || ans.Number == "" {
		return "", fmt.Errorf("ask %d: no case number in %s", i+1, b)
	}
	return ans.Number, nil
}

// startServer starts `hallserver -demo` with WeChat Work at the fake and the portal's limits
// raised; it returns a function that stops it (SIGTERM, then SIGKILL after 10 s) and its address.
func startServer(ctx context.Context, c config, fc wecomfake.Config, fakeURL string, out io.Writer) (func(), string, error) {
	data := c.data
	cleanup := func() {}
	if data == "" {
		dir, err := os.MkdirTemp("", "askload-")
		if err != nil {
			return nil, "", fmt.Errorf("data directory: %w", err)
		}
		data, cleanup = filepath.Join(dir, "onedoor.db"), func() { os.RemoveAll(dir) }
	}
	addr, err := freeAddr()
	if err != nil {
		cleanup()
		return nil, "", err
	}
	args := []string{"-demo", "-addr", addr, "-data", data,
		"-wecom-api", fakeURL, "-wecom-corp", fc.CorpID, "-wecom-secret", fc.Secret, "-wecom-agent", fmt.Sprint(fc.AgentID),
		// One address posts everything: the per-address and global limits out of the way.
		"-ask-rate", "1000000000", "-ask-burst", "1000000", "-ask-global-rate", "1000000", "-ask-dup-global", "1000000"}
	cmd := exec.Command(c.serverBin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if c.serverLog != "" {
		f, err := os.Create(c.serverLog)
		if err != nil {
			cleanup()
			return nil, "", fmt.Errorf("-server-log: %w", err)
		}
		defer f.Close() // the child has its own descriptor
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		cleanup()
		return nil, "", fmt.Errorf("start %s: %w", c.serverBin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		cleanup()
	}
	// The first start hashes the demo accounts: on a loaded machine it has taken over 20 s.
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				fmt.Fprintf(out, "# %s %s\n", c.serverBin, strings.Join(args, " "))
				return stop, addr, nil
			}
		}
		select {
		case <-exited:
			cleanup()
			return nil, "", fmt.Errorf("hallserver exited: %s", logs.String())
		case <-ctx.Done():
			stop()
			return nil, "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, "", fmt.Errorf("hallserver not healthy after 90 s: %s", logs.String())
		}
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

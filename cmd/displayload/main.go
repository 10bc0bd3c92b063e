// Command displayload measures the real Fyne hall display (cmd/display) under load: it starts
// Xvfb (software GL), a demo hall server and the display, then issues and calls tickets through
// the API at a given rate while it samples the display's resident memory (VmRSS of
// /proc/<pid>/status) and CPU time (utime+stime of /proc/<pid>/stat), and keeps sampling while
// the hall is idle afterwards.
//
//	make displayload                                     # builds bin/, then the defaults below
//	displayload -calls 10000 -every 0 -idle 120s         # as fast as the server calls
//	displayload -calls 120 -every 5s -idle 60s           # a busy hall: one call every 5 s
//
// It prints one line per sample (seconds, phase, calls so far, RSS MB, CPU % of one core over
// the sample) and a summary; -heap writes the display's heap profile (it runs with -pprof on a
// loopback port) at the end.
package main

import (
	"bufio"
	"bytes"
	"context"
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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// clockTicks is the kernel's USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on
// every Linux architecture Go supports).
const clockTicks = 100

type config struct {
	displayBin, serverBin string
	calls                 int
	every                 time.Duration
	warmup, idle, sample  time.Duration
	screen                string
	notice                string
	voice                 bool
	portrait              bool
	heap, cpuCalls        string
	cpuIdle               string
	hall                  string
	pprof                 bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("displayload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.displayBin, "display", "bin/display", "cmd/display binary")
	fs.StringVar(&c.serverBin, "hallserver", "bin/hallserver", "cmd/hallserver binary")
	fs.IntVar(&c.calls, "calls", 1000, "tickets to issue and call")
	fs.DurationVar(&c.every, "every", time.Second, "time between calls (0: one after the other, as fast as the server answers)")
	fs.DurationVar(&c.warmup, "warmup", 15*time.Second, "sampling before the first call (the display starts, connects and settles)")
	fs.DurationVar(&c.idle, "idle", 60*time.Second, "sampling after the last call")
	fs.DurationVar(&c.sample, "sample", time.Second, "sampling period")
	fs.StringVar(&c.screen, "screen", "1920x1080x24", "Xvfb screen")
	fs.StringVar(&c.notice, "notice", "温馨提示：大厅办理时间为工作日 8:30–11:30、14:00–17:00；请携带校园卡及相关材料，按叫号顺序到指定窗口办理。  Opening hours: weekdays 8:30–11:30 and 14:00–17:00. Please bring your campus card and go to the counter shown when your number is called.",
		"notice published before the calls (\"\": none)")
	fs.BoolVar(&c.voice, "voice", true, "announce calls (espeak-ng renders each; the player is dd to /dev/null)")
	fs.BoolVar(&c.portrait, "portrait", false, "portrait display")
	fs.StringVar(&c.heap, "heap", "", "write the display's heap profile here at the end")
	fs.StringVar(&c.cpuCalls, "cpu-calls", "", "write a CPU profile of the display over the first 30 s of the calls here")
	fs.StringVar(&c.cpuIdle, "cpu-idle", "", "write a CPU profile of the display over the first 30 s of the idle phase here")
	fs.BoolVar(&c.pprof, "pprof", true, "run the display with -pprof on a loopback port (false for a display built before the flag)")
	fs.StringVar(&c.hall, "hall", "students", "demo hall")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.calls < 0 || c.every < 0 || c.sample <= 0 {
		return c, errors.New("-calls and -every must not be negative, -sample must be positive")
	}
	return c, nil
}

func main() {
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "displayload:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "displayload:", err)
		os.Exit(1)
	}
}

// procs are the processes the run started, stopped in reverse order at the end.
type procs struct{ cmds []*exec.Cmd }

func (p *procs) start(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p.cmds = append(p.cmds, cmd)
	return nil
}

func (p *procs) stop() {
	for i := len(p.cmds) - 1; i >= 0; i-- {
		cmd := p.cmds[i]
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startXvfb starts Xvfb on the first free display number from 99 and returns ":N".
func startXvfb(ctx context.Context, p *procs, screen string) (string, error) {
	for n := 99; n < 199; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		if _, err := os.Stat(sock); err == nil {
			continue
		}
		cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", screen, "-nolisten", "tcp")
		if err := p.start(cmd); err != nil {
			return "", err
		}
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(sock); err == nil {
				return fmt.Sprintf(":%d", n), nil
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
		return "", fmt.Errorf("Xvfb :%d did not start", n)
	}
	return "", errors.New("no free X display number in 99–198")
}

// sample is one reading of the display process.
type sample struct {
	at    time.Duration
	phase string
	calls int
	rssKB int64
	ticks int64 // utime+stime
}

func readProc(pid int) (rssKB, ticks int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read status: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rssKB, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	b, err = os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read stat: %w", err)
	}
	// Fields after the command name (which may hold spaces) start at state (field 3).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, 0, errors.New("short /proc stat")
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return rssKB, u + s, nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// sampler reads the display's /proc files every period and prints each reading.
type sampler struct {
	mu      sync.Mutex
	pid     int
	t0      time.Time
	phase   string
	calls   int
	samples []sample
	out     io.Writer
}

func (s *sampler) set(phase string, calls int) {
	s.mu.Lock()
	s.phase, s.calls = phase, calls
	s.mu.Unlock()
}

func (s *sampler) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	s.take()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !s.take() {
				return
			}
		}
	}
}

func (s *sampler) take() bool {
	rss, ticks, err := readProc(s.pid)
	if err != nil {
		fmt.Fprintln(s.out, "# display gone:", err)
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x := sample{at: time.Since(s.t0), phase: s.phase, calls: s.calls, rssKB: rss, ticks: ticks}
	cpu := 0.0
	if n := len(s.samples); n > 0 {
		p := s.samples[n-1]
		cpu = float64(x.ticks-p.ticks) / clockTicks / (x.at - p.at).Seconds() * 100
	}
	s.samples = append(s.samples, x)
	fmt.Fprintf(s.out, "%7.1f s  %-6s calls %6d  rss %7.1f MB  cpu %5.1f %%\n", x.at.Seconds(), x.phase, x.calls, float64(rss)/1024, cpu)
	return true
}

// phaseStats returns the first and last sample of a phase, the highest RSS in it and its CPU
// (% of one core over the phase).
func (s *sampler) phaseStats(phase string) (first, last sample, peakKB int64, cpu float64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var prev *sample
	for i := range s.samples {
		x := s.samples[i]
		if x.phase != phase {
			if !ok {
				prev = &s.samples[i]
			}
			continue
		}
		if !ok {
			first, ok = x, true
			if prev != nil {
				first = *prev // CPU from the phase's start
			}
		}
		last = x
		peakKB = max(peakKB, x.rssKB)
	}
	if ok && last.at > first.at {
		cpu = float64(last.ticks-first.ticks) / clockTicks / (last.at - first.at).Seconds() * 100
	}
	return first, last, peakKB, cpu, ok
}

// driver issues tickets and calls them at the hall's counters in turn.
type driver struct {
	hall     string
	kiosk    *client.Client
	staff    *client.Client
	counters []wire.Counter
	current  map[int]bool // counters with a called ticket to finish first
}

func (d *driver) setup(ctx context.Context) error {
	h, err := d.kiosk.Hall(ctx, d.hall)
	if err != nil {
		return fmt.Errorf("hall %s: %w", d.hall, err)
	}
	d.counters = h.Counters
	if len(d.counters) == 0 {
		return fmt.Errorf("hall %s has no counters", d.hall)
	}
	d.current = map[int]bool{}
	for _, k := range d.counters {
		if _, err := d.staff.Act(ctx, d.hall, k.Number, hall.ActOpen, nil); err != nil && client.Code(err) != hall.ECONFLICT {
			return fmt.Errorf("open counter %d: %w", k.Number, err)
		}
	}
	return nil
}

// call issues a ticket for the counter's first service and calls the next ticket there.
func (d *driver) call(ctx context.Context, i int) error {
	k := d.counters[i%len(d.counters)]
	if d.current[k.Number] {
		if _, err := d.staff.Act(ctx, d.hall, k.Number, hall.ActFinish, nil); err != nil {
			return fmt.Errorf("finish at counter %d: %w", k.Number, err)
		}
		d.current[k.Number] = false
	}
	if _, err := d.kiosk.Issue(ctx, d.hall, wire.IssueRequest{Service: k.Services[0]}, ""); err != nil {
		return fmt.Errorf("issue %s: %w", k.Services[0], err)
	}
	r, err := d.staff.Act(ctx, d.hall, k.Number, hall.ActCallNext, nil)
	if err != nil {
		return fmt.Errorf("call next at counter %d: %w", k.Number, err)
	}
	d.current[k.Number] = r.Ticket != nil
	return nil
}

func waitHealthy(ctx context.Context, c *client.Client) error {
	for i := 0; ; i++ {
		if err := c.Health(ctx); err == nil {
			return nil
		} else if i > 200 {
			return fmt.Errorf("hall server not healthy: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func run(ctx context.Context, c config, out io.Writer) error {
	for _, bin := range []string{c.displayBin, c.serverBin} {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("%w (make build, or -display/-hallserver)", err)
		}
	}
	dir, err := os.MkdirTemp("", "displayload-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	var p procs
	defer p.stop()

	xdisplay, err := startXvfb(ctx, &p, c.screen)
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	pprofPort, err := freePort()
	if err != nil {
		return err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	srvLog, err := os.Create(filepath.Join(dir, "hallserver.log"))
	if err != nil {
		return fmt.Errorf("server log: %w", err)
	}
	defer srvLog.Close()
	srv := exec.Command(c.serverBin, "-demo", "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-data", filepath.Join(dir, "onedoor.db"), "-log-level", "warn")
	srv.Stdout, srv.Stderr = srvLog, srvLog
	if err := p.start(srv); err != nil {
		return err
	}
	kiosk := client.New(base, "demo-kiosk-"+c.hall)
	if err := waitHealthy(ctx, kiosk); err != nil {
		return err
	}
	staff := client.New(base, "")
	if _, err := staff.Login(ctx, "admin", "demo"); err != nil {
		return fmt.Errorf("login admin: %w", err)
	}
	if c.notice != "" {
		zh, en, _ := strings.Cut(c.notice, "  ")
		if _, err := staff.PublishNotice(ctx, c.hall, hall.Text{Zh: strings.TrimSpace(zh), En: strings.TrimSpace(en)}); err != nil {
			return fmt.Errorf("publish notice: %w", err)
		}
	}
	d := &driver{hall: c.hall, kiosk: kiosk, staff: staff}
	if err := d.setup(ctx); err != nil {
		return err
	}

	voice := "off"
	if c.voice {
		voice = "on"
	}
	args := []string{"-server", base, "-hall", c.hall, "-token", "demo-display-" + c.hall, "-voice", voice,
		"-player", "dd of=/dev/null status=none"}
	if c.pprof {
		args = append(args, "-pprof", fmt.Sprintf("127.0.0.1:%d", pprofPort))
	}
	if c.portrait {
		args = append(args, "-portrait")
	}
	disp := exec.Command(c.displayBin, args...)
	disp.Env = append(os.Environ(), "DISPLAY="+xdisplay)
	dispLog, err := os.Create(filepath.Join(dir, "display.log"))
	if err != nil {
		return fmt.Errorf("display log: %w", err)
	}
	defer dispLog.Close()
	disp.Stdout, disp.Stderr = dispLog, dispLog
	if err := p.start(disp); err != nil {
		return err
	}

	host, _ := os.Hostname()
	fmt.Fprintf(out, "# displayload %s  host %s  %s  Xvfb %s %s\n", time.Now().UTC().Format(time.RFC3339), host, cpuModel(), xdisplay, c.screen)
	fmt.Fprintf(out, "# %d calls every %v, warm-up %v, idle %v, voice %s, notice %t, load average %s\n", c.calls, c.every, c.warmup, c.idle, voice, c.notice != "", loadavg())
	s := &sampler{pid: disp.Process.Pid, t0: time.Now(), phase: "warmup", out: out}
	sctx, cancelSampling := context.WithCancel(ctx)
	defer cancelSampling()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.run(sctx, c.sample) }()

	if err := sleep(ctx, c.warmup); err != nil {
		return err
	}
	pprofBase := fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", pprofPort)
	var profiles sync.WaitGroup
	defer profiles.Wait()
	profile := func(path string, d time.Duration) {
		if path == "" {
			return
		}
		secs := max(1, int(min(d, 30*time.Second).Seconds()))
		profiles.Add(1)
		go func() {
			defer profiles.Done()
			if err := fetch(ctx, fmt.Sprintf("%sprofile?seconds=%d", pprofBase, secs), path); err != nil {
				fmt.Fprintln(out, "# cpu profile:", err)
			}
		}()
	}
	s.set("calls", 0)
	callsTake := time.Duration(c.calls) * c.every
	if c.every == 0 {
		callsTake = 30 * time.Second
	}
	profile(c.cpuCalls, callsTake)
	start := time.Now()
	next := start
	for i := 0; i < c.calls; i++ {
		if err := d.call(ctx, i); err != nil {
			return err
		}
		s.set("calls", i+1)
		if c.every > 0 {
			next = next.Add(c.every)
			if err := sleep(ctx, time.Until(next)); err != nil {
				return err
			}
		}
	}
	took := time.Since(start)
	s.set("idle", c.calls)
	profile(c.cpuIdle, c.idle)
	if err := sleep(ctx, c.idle); err != nil {
		return err
	}
	s.take()
	cancelSampling()
	wg.Wait()

	fmt.Fprintf(out, "# summary: %d calls in %.1f s (%.1f calls/s); load average %s\n", c.calls, took.Seconds(), float64(c.calls)/took.Seconds(), loadavg())
	for _, ph := range []string{"warmup", "calls", "idle"} {
		first, last, peak, cpu, ok := s.phaseStats(ph)
		if !ok {
			continue
		}
		fmt.Fprintf(out, "# %-6s rss %6.1f → %6.1f MB (peak %6.1f MB), cpu %5.1f %% of one core over %.0f s\n",
			ph, float64(first.rssKB)/1024, float64(last.rssKB)/1024, float64(peak)/1024, cpu, (last.at - first.at).Seconds())
	}
	if !c.pprof {
		return nil
	}
	if ms, err := memStats(ctx, pprofBase); err == nil {
		fmt.Fprintln(out, "# display Go runtime:", ms)
	}
	if c.heap != "" {
		if err := fetch(ctx, pprofBase+"heap", c.heap); err != nil {
			return err
		}
		fmt.Fprintln(out, "# heap profile:", c.heap)
	}
	return nil
}

// memStats returns the display's Go heap figures from its pprof page.
func memStats(ctx context.Context, base string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"heap?debug=1", nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("heap stats: %w", err)
	}
	defer res.Body.Close()
	var parts []string
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []string{"# HeapInuse = ", "# HeapSys = ", "# HeapReleased = ", "# Sys = ", "# NumGC = "} {
			if v, ok := strings.CutPrefix(line, k); ok {
				name := strings.TrimSuffix(strings.TrimPrefix(k, "# "), " = ")
				if n, err := strconv.ParseInt(v, 10, 64); err == nil && name != "NumGC" {
					v = fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
				}
				parts = append(parts, name+" "+v)
			}
		}
	}
	return strings.Join(parts, ", "), sc.Err()
}

func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	n := 0
	model := ""
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "processor") {
			n++
		}
		if v, ok := strings.CutPrefix(line, "model name"); ok && model == "" {
			model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return fmt.Sprintf("%d × %s", n, model)
}

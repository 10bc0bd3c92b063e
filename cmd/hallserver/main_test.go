package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"onedoor/internal/testtool"
)

// hallserverBin is the binary built once for the tests that run the real process.
var hallserverBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hallserver-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hallserverBin = filepath.Join(dir, "hallserver")
	out, err := exec.Command("go", "build", "-o", hallserverBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build hallserver: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a hallserver child process.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	data string
	// wrap, when set, runs the binary under another command (e.g. prlimit) given as its argv.
	wrap []string
	log  testtool.SyncBuffer // the child's stdout and stderr
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startProc(t *testing.T, data string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, addr: freeAddr(t), data: data}
	p.start(args...)
	t.Cleanup(p.kill)
	return p
}

func (p *proc) start(args ...string) {
	p.t.Helper()
	all := append([]string{"-demo", "-addr", p.addr, "-data", p.data}, args...)
	if len(p.wrap) > 0 {
		p.cmd = exec.Command(p.wrap[0], append(append(p.wrap[1:len(p.wrap):len(p.wrap)], hallserverBin), all...)...)
	} else {
		p.cmd = exec.Command(hallserverBin, all...)
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	// Generous: on a shared machine at load 20+ the first start (hashing the demo accounts) has
	// taken over 20 s.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + p.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.kill()
	p.t.Fatalf("hallserver did not become healthy; log:\n%s", p.logs())
}

func (p *proc) logs() string { return p.log.String() }

// kill sends SIGKILL: no chance to flush or close anything.
func (p *proc) kill() {
	if p.cmd != nil && p.cmd.Process != nil && p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
	}
}

var client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func (p *proc) do(method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+p.addr+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

type issued struct {
	Number string `json:"number"`
	Token  string `json:"token"`
}

// TestKill9LosesNothing issues tickets from 16 concurrent kiosks while the server process is
// killed with SIGKILL, several times over. Every ticket the server acknowledged must be followable
// after each restart, and no number may ever be issued twice.
func TestKill9LosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary through kill -9 rounds")
	}
	data := filepath.Join(t.TempDir(), "onedoor.db")
	p := startProc(t, data)
	var mu sync.Mutex
	acked := map[string]string{} // token → number
	byNumber := map[string]string{}
	var dups []string
	for round := 0; round < 4; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for k := 0; k < 16; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					code, b, err := p.do("POST", "/api/v1/halls/students/tickets", "demo-kiosk-students", map[string]string{"service": "B"})
					if err != nil || code != 201 {
						continue
					}
					var tk issued
					if json.Unmarshal(b, &tk) != nil || tk.Token == "" {
						continue
					}
					mu.Lock()
					if prev, ok := byNumber[tk.Number]; ok && prev != tk.Token {
						dups = append(dups, tk.Number)
					}
					byNumber[tk.Number] = tk.Token
					acked[tk.Token] = tk.Number
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(200+150*round) * time.Millisecond)
		p.kill()
		cancel()
		wg.Wait()
		p.start()
	}
	if len(acked) == 0 {
		t.Fatalf("no ticket was acknowledged; log:\n%s", p.logs())
	}
	if len(dups) > 0 {
		t.Errorf("numbers issued twice across kill -9: %v", dups)
	}
	lost := 0
	for tok, num := range acked {
		code, b, err := p.do("GET", "/api/v1/follow/"+tok, "", nil)
		if err != nil || code != 200 || !bytes.Contains(b, []byte(num)) {
			lost++
			if lost <= 3 {
				t.Errorf("acknowledged ticket %s lost after kill -9: status %d %v %.100s", num, code, err, b)
			}
		}
	}
	t.Logf("%d tickets acknowledged over 4 kill -9 rounds, %d lost, %d duplicate numbers", len(acked), lost, len(dups))
	// The next number continues after the highest acknowledged one.
	code, b, _ := p.do("POST", "/api/v1/halls/students/tickets", "demo-kiosk-students", map[string]string{"service": "B"})
	var next issued
	json.Unmarshal(b, &next)
	if code != 201 || byNumber[next.Number] != "" {
		t.Errorf("after the crashes the next ticket is %s (status %d): reused or failed", next.Number, code)
	}
}

// TestDemoFlow runs the demo as a new user would: issue at the kiosk, call at a counter, follow
// the ticket, see the call on the stream.
func TestDemoFlow(t *testing.T) {
	p := startProc(t, filepath.Join(t.TempDir(), "onedoor.db"))
	code, b, err := p.do("POST", "/api/v1/session", "", map[string]string{"username": "counter1", "password": "demo"})
	if err != nil || code != 200 {
		t.Fatalf("login counter1: %d %v %s", code, err, b)
	}
	var sess struct {
		Token string `json:"token"`
	}
	json.Unmarshal(b, &sess)
	var first issued
	for i := 1; i <= 2; i++ {
		code, b, err = p.do("POST", "/api/v1/halls/students/tickets", "demo-kiosk-students", map[string]string{"service": "A"})
		if err != nil || code != 201 {
			t.Fatalf("issue: %d %v %s", code, err, b)
		}
		var tk issued
		json.Unmarshal(b, &tk)
		if want := fmt.Sprintf("A%03d", i); tk.Number != want {
			t.Fatalf("ticket %d is %s, want %s", i, tk.Number, want)
		}
		if i == 1 {
			first = tk
		}
	}
	if code, b, _ = p.do("POST", "/api/v1/halls/students/counters/1/open", sess.Token, nil); code != 200 {
		t.Fatalf("open counter: %d %s", code, b)
	}
	code, b, _ = p.do("POST", "/api/v1/halls/students/counters/1/call-next", sess.Token, nil)
	if code != 200 || !bytes.Contains(b, []byte(`"A001"`)) {
		t.Fatalf("call-next: %d %s", code, b)
	}
	code, b, _ = p.do("GET", "/api/v1/follow/"+first.Token, "", nil)
	if code != 200 || !bytes.Contains(b, []byte(`"called"`)) {
		t.Fatalf("follow after call: %d %s", code, b)
	}
	code, b, _ = p.do("GET", "/t/"+first.Token, "", nil)
	if code != 200 || !bytes.Contains(b, []byte("A001")) {
		t.Fatalf("follow page: %d, shows A001: %v", code, bytes.Contains(b, []byte("A001")))
	}
	code, b, _ = p.do("GET", "/api/v1/halls/students/snapshot", "", nil)
	if code != 200 || !strings.Contains(string(b), `"A001"`) {
		t.Fatalf("snapshot after call: %d %s", code, b)
	}
}

// TestOnlineBackup takes a backup with hallctl from the running server while kiosks issue.
func TestOnlineBackup(t *testing.T) {
	p := startProc(t, filepath.Join(t.TempDir(), "onedoor.db"))
	code, b, _ := p.do("POST", "/api/v1/session", "", map[string]string{"username": "admin", "password": "demo"})
	var sess struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(b, &sess); code != 200 || sess.Token == "" {
		t.Fatalf("login admin: %d %s", code, b)
	}
	var before []issued
	for i := 0; i < 5; i++ {
		_, b, _ := p.do("POST", "/api/v1/halls/students/tickets", "demo-kiosk-students", map[string]string{"service": "C"})
		var tk issued
		json.Unmarshal(b, &tk)
		before = append(before, tk)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // keep issuing during the backup
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				p.do("POST", "/api/v1/halls/students/tickets", "demo-kiosk-students", map[string]string{"service": "D"})
			}
		}
	}()
	out := filepath.Join(t.TempDir(), "backup.db")
	cmd := exec.Command("go", "run", "../hallctl", "backup", "-server", "http://"+p.addr, "-token", sess.Token, "-o", out)
	res, err := cmd.CombinedOutput()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("hallctl backup: %v\n%s", err, res)
	}
	// Restore the copy into a new data file and serve it: every ticket issued before is there.
	restored := filepath.Join(t.TempDir(), "restored.db")
	if res, err := exec.Command("go", "run", "../hallctl", "restore", "-data", restored, out).CombinedOutput(); err != nil {
		t.Fatalf("hallctl restore: %v\n%s", err, res)
	}
	q := startProc(t, restored)
	for _, tk := range before {
		code, b, _ := q.do("GET", "/api/v1/follow/"+tk.Token, "", nil)
		if code != 200 || !bytes.Contains(b, []byte(tk.Number)) {
			t.Errorf("ticket %s missing from the restored backup: %d %s", tk.Number, code, b)
		}
	}
}

func TestFlagsNeedACampus(t *testing.T) {
	_, err := parseFlags(nil, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-campus") {
		t.Fatalf("no -demo and no -campus: err %v, want a message naming -campus", err)
	}
	c, err := parseFlags(nil, func(k string) string {
		if k == "ONEDOOR_DEMO" {
			return "1"
		}
		return ""
	}, io.Discard)
	if err != nil || !c.demo || c.addr != "127.0.0.1:8080" || c.data != "./data/onedoor.db" {
		t.Fatalf("ONEDOOR_DEMO=1: %+v %v", c, err)
	}
}

// TestFlagTrustedProxy: -trusted-proxy (or ONEDOOR_TRUSTED_PROXY) takes IPs and CIDRs; anything
// else stops the start with a message naming the flag.
func TestFlagTrustedProxy(t *testing.T) {
	env := func(k string) string {
		if k == "ONEDOOR_TRUSTED_PROXY" {
			return "10.0.0.0/8, 192.168.1.5"
		}
		return ""
	}
	c, err := parseFlags([]string{"-demo"}, env, io.Discard)
	if err != nil || len(c.trustedProxies) != 2 || c.trustedProxies[1].String() != "192.168.1.5/32" {
		t.Fatalf("ONEDOOR_TRUSTED_PROXY: %v %v", c.trustedProxies, err)
	}
	if _, err := parseFlags([]string{"-demo", "-trusted-proxy", "proxy.example"}, env, io.Discard); err == nil || !strings.Contains(err.Error(), "-trusted-proxy") {
		t.Fatalf("a host name: err %v", err)
	}
}

// TestMetricsOutsideDemo: a real campus (not -demo) serves /metrics on the main address only to
// the -metrics-token bearer (or an admin), and without a token on -metrics-addr, which serves
// nothing else; in demo mode /metrics stays open.
func TestMetricsOutsideDemo(t *testing.T) {
	const token = "scrape-0123456789abcdef0123456789"
	maddr := freeAddr(t)
	p := startProc(t, filepath.Join(t.TempDir(), "onedoor.db"), "-demo=false", "-campus", "../../hallserver/campus/demo.yaml",
		"-metrics-token", token, "-metrics-addr", maddr)
	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://"+p.addr+"/metrics", ""); code != 401 || strings.Contains(body, "onedoor_") {
		t.Errorf("main address, no token: %d %.200s", code, body)
	}
	if code, body := get("http://"+p.addr+"/metrics", "wrong"); code != 401 {
		t.Errorf("main address, wrong token: %d %.200s", code, body)
	}
	if code, body := get("http://"+p.addr+"/metrics", token); code != 200 || !strings.Contains(body, "onedoor_http_requests_total") {
		t.Errorf("main address, metrics token: %d %.200s", code, body)
	}
	if code, body := get("http://"+maddr+"/metrics", ""); code != 200 || !strings.Contains(body, "onedoor_http_requests_total") {
		t.Errorf("-metrics-addr: %d %.200s", code, body)
	}
	if code, _ := get("http://"+maddr+"/api/v1/halls", ""); code != 404 {
		t.Errorf("-metrics-addr serves the API: %d", code)
	}

	demo := startProc(t, filepath.Join(t.TempDir(), "onedoor.db"))
	if code, body := get("http://"+demo.addr+"/metrics", ""); code != 200 || !strings.Contains(body, "onedoor_http_requests_total") {
		t.Errorf("demo: %d %.200s", code, body)
	}
}

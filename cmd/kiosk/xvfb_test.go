package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
	"onedoor/internal/testtool"
)

// TestXvfbScreenshots (make screenshots-kiosk-xvfb) photographs the real kiosk binary: for
// 1920×1080 landscape and 1080×1920 portrait it starts `Xvfb :N -screen 0 WxHx24 -nolisten tcp`,
// the demo hall server (cmd/hallserver -demo on a fresh file, with people waiting, two counters
// open and a notice on the line), and cmd/kiosk full screen on the in-process virtual printer
// (sim:DIR) with -demo-script, which steps through home, options, ticket result and the
// walk-in request screens in Chinese and English. Each screen is captured with
// `import -window root` as $KIOSK_XVFB_SCREENSHOTS/kiosk-xvfb-<screen>-<lang>-<orientation>.png.
// The printed pages are checked too (a ticket's QR decodes to a follow URL). Without the
// variable the test is skipped.
func TestXvfbScreenshots(t *testing.T) {
	out := os.Getenv("KIOSK_XVFB_SCREENSHOTS")
	if out == "" {
		t.Skip("set KIOSK_XVFB_SCREENSHOTS=DIR to photograph the kiosk under Xvfb")
	}
	testtool.Path(t, "Xvfb")
	testtool.Path(t, "import")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(gobin, "build", "-o", bin, "onedoor/cmd/kiosk", "onedoor/cmd/hallserver")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	for _, o := range []struct {
		name string
		w, h int
	}{{"landscape", 1920, 1080}, {"portrait", 1080, 1920}} {
		t.Run(o.name, func(t *testing.T) {
			display := startXvfb(t, o.w, o.h)
			server := startDemoServer(t, bin)
			seedDemo(t, server)
			work := t.TempDir()
			printerDir := filepath.Join(work, "printer")
			shots := runDemoScript(t, bin, display, server, printerDir, func(step string) string {
				return filepath.Join(out, fmt.Sprintf("kiosk-xvfb-%s-%s.png", step, o.name))
			})
			if len(shots) != 14 {
				t.Fatalf("%d screenshots: %v", len(shots), shots)
			}
			pages, _ := filepath.Glob(filepath.Join(printerDir, "page-*.png"))
			if len(pages) != 4 { // two tickets, two case receipts
				t.Fatalf("virtual printer pages: %v", pages)
			}
			b, err := exec.Command(testtool.Path(t, "zbarimg"), "--raw", "-q", "-Sbinary", pages[0]).Output()
			if err != nil || !strings.HasPrefix(string(b), server+"/") {
				t.Fatalf("first printed page's QR: %q %v", b, err)
			}
		})
	}
}

// startXvfb starts a virtual X screen of w×h on the first free display from :99 and returns
// its name (":99").
func startXvfb(t *testing.T, w, h int) string {
	t.Helper()
	n := 99
	for ; n < 199; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); os.IsNotExist(err) {
			break
		}
	}
	display := fmt.Sprintf(":%d", n)
	var logs bytes.Buffer
	cmd := exec.Command("Xvfb", display, "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			return display
		}
		if i == 100 {
			t.Fatalf("Xvfb %s did not start: %s", display, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startDemoServer runs cmd/hallserver -demo on a free port and a fresh file; it returns the URL.
func startDemoServer(t *testing.T, bin string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs bytes.Buffer
	cmd := exec.Command(filepath.Join(bin, "hallserver"), "-demo", "-addr", addr, "-data", filepath.Join(t.TempDir(), "onedoor.db"), "-log-level", "warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	url := "http://" + addr
	cl := client.New(url, "")
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := cl.Health(ctx)
		cancel()
		if err == nil {
			return url
		}
		if i == 200 {
			t.Fatalf("hall server did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// seedDemo makes the demo hall look like a working morning: people waiting, two counters
// open, a notice on the line.
func seedDemo(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k := client.New(url, "demo-kiosk-students")
	for i, svc := range []string{"A", "A", "A", "A", "B", "C", "C", "D"} {
		if _, err := k.Issue(ctx, "students", wire.IssueRequest{Service: svc, Lang: "zh"}, fmt.Sprintf("seed-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int{1, 2} {
		c := client.New(url, "")
		if _, err := c.Login(ctx, fmt.Sprintf("counter%d", n), "demo"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Act(ctx, "students", n, hall.ActOpen, nil); err != nil {
			t.Fatal(err)
		}
	}
	admin := client.New(url, "")
	if _, err := admin.Login(ctx, "admin", "demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PublishNotice(ctx, "students", hall.Text{
		Zh: "今天下午 14:00–16:00 3号窗口暂停服务，财务缴费请到1号窗口办理；校园卡补办请携带身份证或学生证。",
		En: "Counter 3 is closed 14:00–16:00 today: fees at counter 1. Bring an ID or student card to replace a campus card.",
	}); err != nil {
		t.Fatal(err)
	}
}

// runDemoScript runs the kiosk with -demo-script on the display and captures each step with
// import; it returns the files written.
func runDemoScript(t *testing.T, bin, display, server, printerDir string, file func(step string) string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "kiosk"), "-server", server, "-hall", "students",
		"-token", "demo-kiosk-students", "-printer", "sim:"+printerDir, "-profile", "80mm",
		"-outbox", filepath.Join(t.TempDir(), "outbox.db"), "-pin", "0000", "-demo-script", "-demo-settle", demoSettle())
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "LANG=C.UTF-8")
	cmd.Stderr = &logs
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var shots []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		step, ok := strings.CutPrefix(sc.Text(), "DEMO-STEP ")
		if !ok {
			continue
		}
		f := file(step)
		if b, err := exec.CommandContext(ctx, "import", "-display", display, "-window", "root", f).CombinedOutput(); err != nil {
			t.Fatalf("import %s: %v\n%s", f, err, b)
		}
		shots = append(shots, f)
		if _, err := fmt.Fprintln(stdin, "ok"); err != nil {
			t.Fatal(err)
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("kiosk: %v\n%s", err, logs.String())
	}
	if strings.Contains(logs.String(), "demo script") {
		t.Fatalf("kiosk log:\n%s", logs.String())
	}
	return shots
}

// demoSettle is how long each screen is given to draw before it is photographed:
// KIOSK_XVFB_SETTLE (a Go duration), 3 s by default (at 1 s a loaded machine photographed the
// previous screen, or a black one).
func demoSettle() string {
	if v := os.Getenv("KIOSK_XVFB_SETTLE"); v != "" {
		return v
	}
	return "3s"
}

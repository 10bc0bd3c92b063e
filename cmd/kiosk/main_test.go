package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor/kiosk"
)

// envOf returns a getenv over the map.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestParseFlagsSeveralServers: -server takes the hall servers of one etcd cluster separated by
// commas; the QR codes of requests printed offline point to the first unless -public-url says.
func TestParseFlagsSeveralServers(t *testing.T) {
	c, err := parseFlags([]string{"-token", "t", "-server", "http://a:8080,http://b:8080"}, envOf(nil), io.Discard)
	if err != nil || c.server != "http://a:8080,http://b:8080" || c.publicURL != "http://a:8080" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestParseFlagsDefaultsAndEnv(t *testing.T) {
	c, err := parseFlags([]string{"-token", "t1"}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{server: "http://127.0.0.1:8080", publicURL: "http://127.0.0.1:8080", hall: "students", token: "t1", printer: "tcp:127.0.0.1:9100",
		profile: "80mm", outbox: "data/kiosk-outbox.db", lang: "zh", tz: "Asia/Shanghai", demoSettle: time.Second}
	if c != want {
		t.Fatalf("defaults\n got %+v\nwant %+v", c, want)
	}
	env := map[string]string{
		"ONEDOOR_KIOSK_SERVER": "https://hall.example.edu.cn", "ONEDOOR_KIOSK_HALL": "teachers",
		"ONEDOOR_KIOSK_TOKEN": "t2", "ONEDOOR_KIOSK_PRINTER": "sim:data/printer", "ONEDOOR_KIOSK_PROFILE": "58mm",
		"ONEDOOR_KIOSK_OUTBOX": "/var/lib/kiosk/outbox.db", "ONEDOOR_KIOSK_PIN": "2468",
		"ONEDOOR_KIOSK_LANG_DEFAULT": "en", "ONEDOOR_KIOSK_TOPICS": "/etc/kiosk/topics.json",
		"ONEDOOR_KIOSK_TZ": "UTC", "ONEDOOR_KIOSK_WINDOWED": "1", "ONEDOOR_KIOSK_DEMO_SCRIPT": "1",
		"ONEDOOR_KIOSK_PUBLIC_URL": "https://follow.example.edu.cn",
	}
	c, err = parseFlags(nil, envOf(env), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want = config{server: "https://hall.example.edu.cn", publicURL: "https://follow.example.edu.cn", hall: "teachers", token: "t2", printer: "sim:data/printer",
		profile: "58mm", outbox: "/var/lib/kiosk/outbox.db", pin: "2468", lang: "en", topics: "/etc/kiosk/topics.json",
		tz: "UTC", windowed: true, demoScript: true, demoSettle: time.Second}
	if c != want {
		t.Fatalf("from the environment\n got %+v\nwant %+v", c, want)
	}
	// Flags win over the environment.
	c, err = parseFlags([]string{"-printer", "serial:/dev/ttyUSB0?baud=19200", "-lang", "zh", "-windowed=false"}, envOf(env), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.printer != "serial:/dev/ttyUSB0?baud=19200" || c.lang != "zh" || c.windowed || c.token != "t2" {
		t.Fatalf("flags over env: %+v", c)
	}
	for _, p := range []string{"none", "", "tcp:192.0.2.10:9100", "file:/dev/usb/lp0?status=1", "sim:/tmp/printer"} {
		c, err := parseFlags([]string{"-token", "t", "-printer", p}, envOf(nil), io.Discard)
		if err != nil {
			t.Errorf("printer %q: %v", p, err)
		}
		if p == "" && c.printer != "none" {
			t.Errorf("empty printer is %q, want none", c.printer)
		}
	}
}

// TestParseFlagsErrors: every bad value is refused before anything opens, with a message that
// names the flag, its environment variable and the value.
func TestParseFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want []string // substrings of the error
	}{
		{nil, nil, []string{"-token", "ONEDOOR_KIOSK_TOKEN"}},
		{[]string{"-printer", "usb:lp0"}, nil, []string{`-printer "usb:lp0"`, "ONEDOOR_KIOSK_PRINTER", "unknown transport"}},
		{[]string{"-printer", "tcp:"}, nil, []string{`-printer "tcp:"`, "host"}},
		{[]string{"-printer", "serial:ttyUSB0"}, nil, []string{`-printer "serial:ttyUSB0"`, "absolute"}},
		{[]string{"-printer", "sim:"}, nil, []string{`-printer "sim:"`, "directory"}},
		{nil, map[string]string{"ONEDOOR_KIOSK_PRINTER": "lp0"}, []string{`-printer "lp0"`, "ONEDOOR_KIOSK_PRINTER"}},
		{[]string{"-profile", "99mm"}, nil, []string{`-profile "99mm"`, "ONEDOOR_KIOSK_PROFILE", "80mm", "58mm"}},
		{nil, map[string]string{"ONEDOOR_KIOSK_PROFILE": "tm-t99"}, []string{`-profile "tm-t99"`, "known:"}},
		{[]string{"-lang", "fr"}, nil, []string{`-lang "fr"`, "ONEDOOR_KIOSK_LANG_DEFAULT", "zh or en"}},
		{[]string{"-server", "127.0.0.1:8080"}, nil, []string{`-server "127.0.0.1:8080"`, "http://"}},
		{[]string{"-server", "http://a:8080,b:8080"}, nil, []string{`-server "http://a:8080,b:8080"`, "separated by commas"}},
		{[]string{"-public-url", "hall.example.edu.cn"}, nil, []string{`-public-url "hall.example.edu.cn"`, "ONEDOOR_KIOSK_PUBLIC_URL"}},
		{[]string{"-tz", "Mars/Olympus"}, nil, []string{`-tz "Mars/Olympus"`, "ONEDOOR_KIOSK_TZ"}},
		{[]string{"-hall", ""}, nil, []string{"-hall", "empty"}},
		{[]string{"-outbox", ""}, nil, []string{"-outbox", "file"}},
		{[]string{"extra"}, nil, []string{"unexpected arguments"}},
	} {
		env := map[string]string{"ONEDOOR_KIOSK_TOKEN": "t"}
		if tc.want[0] == "-token" {
			env = map[string]string{}
		}
		for k, v := range tc.env {
			env[k] = v
		}
		_, err := parseFlags(tc.args, envOf(env), io.Discard)
		if err == nil {
			t.Errorf("%v %v: accepted", tc.args, tc.env)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v %v: error %q lacks %q", tc.args, tc.env, err, w)
			}
		}
	}
	var usage bytes.Buffer
	if _, err := parseFlags([]string{"-printr", "x"}, envOf(nil), &usage); err == nil ||
		!strings.Contains(usage.String(), "sim:DIR") {
		t.Fatalf("unknown flag: %v; usage %q", err, usage.String())
	}
}

// TestRunStopsOnBadFiles: errors found when opening (topics file) name the flag too, and come
// before any window opens.
func TestRunStopsOnBadFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "topics.json")
	if err := os.WriteFile(bad, []byte(`{"topics": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	err := run([]string{"-token", "t", "-printer", "none", "-topics", bad, "-outbox", filepath.Join(dir, "o.db")}, envOf(nil), &stderr)
	if err == nil || !strings.Contains(err.Error(), "-topics") || !strings.Contains(err.Error(), "no topics") {
		t.Fatalf("bad topics: %v", err)
	}
	err = run([]string{"-token", "t", "-printer", "none", "-topics", filepath.Join(dir, "missing.json")}, envOf(nil), &stderr)
	if err == nil || !strings.Contains(err.Error(), "-topics") {
		t.Fatalf("missing topics: %v", err)
	}
}

// TestDemoScriptStopsWithoutServer: the screenshot driver gives up (context) rather than hang
// when the kiosk never reaches its home screen.
func TestDemoScriptStopsWithoutServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := demoScript(ctx, newOfflineFlow(t), strings.NewReader(""), io.Discard, 0)
	if err == nil {
		t.Fatal("demo script succeeded without a server")
	}
}

// newOfflineFlow is a flow that never hears from a server.
func newOfflineFlow(t *testing.T) *kiosk.Flow {
	t.Helper()
	return kiosk.NewFlow(kiosk.Config{Hall: "students"})
}

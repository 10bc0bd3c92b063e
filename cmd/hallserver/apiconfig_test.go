package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	hallhttp "onedoor/hallserver/http"
	"onedoor/internal/testtool"
)

// apiOf runs the server in this process with args until it has built its API configuration,
// and returns the configuration and a function that stops the server.
func apiOf(t *testing.T, args ...string) (hallhttp.Config, func()) {
	t.Helper()
	var log testtool.SyncBuffer
	cfg, err := parseFlags(args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan hallhttp.Config, 1)
	cfg.onAPI = func(_ string, hc hallhttp.Config) {
		select {
		case got <- hc:
		default:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runConfig(ctx, cfg, &log, time.Now()) }()
	stop := sync.OnceFunc(func() { cancel(); <-done })
	select {
	case hc := <-got:
		t.Cleanup(stop)
		return hc, stop
	case err := <-done:
		cancel()
		t.Fatalf("the server stopped before building its API: %v\n%s", err, log.String())
	case <-time.After(2 * time.Minute):
		stop()
		t.Fatalf("no API built; log:\n%s", log.String())
	}
	panic("unreachable")
}

// TestAPIConfigSameOnEtcd: every service of the API that the bbolt server configures is
// configured on the etcd owner too, unless apiConfigDiffers says why not (before the shared
// apiConfig, the etcd owner had lost the notifier, the CAS and WeChat Work sign-in, the
// requesters and the appointments); and what is left out answers 503 with a message on etcd.
func TestAPIConfigSameOnEtcd(t *testing.T) {
	endpoints, _ := haCluster(t)
	dir := t.TempDir()
	// Every optional service on: the CAS and WeChat Work sign-in (neither is contacted at start).
	common := []string{"-demo", "-addr", "127.0.0.1:0", "-cas-url", "https://cas.example.edu/cas",
		"-wecom-api", "http://127.0.0.1:1", "-wecom-corp", "corp", "-wecom-secret", "secret", "-wecom-agent", "1000002"}
	bb, stopBolt := apiOf(t, append(common, "-data", filepath.Join(dir, "bolt.db"))...)
	stopBolt()
	ec, _ := apiOf(t, append(common, "-data", filepath.Join(dir, "local.db"), "-etcd", endpoints)...)

	differs := apiConfigDiffers()
	vb, ve := reflect.ValueOf(bb), reflect.ValueOf(ec)
	typ := vb.Type()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		setB, setE := !vb.Field(i).IsZero(), !ve.Field(i).IsZero()
		_, listed := differs[f.Name]
		switch {
		case setB && !setE && !listed:
			t.Errorf("hallhttp.Config.%s is set by the bbolt server but not on etcd: set it in apiConfig, or list it in apiConfigDiffers with the reason", f.Name)
		case listed && (!setB || setE):
			t.Errorf("apiConfigDiffers lists %s, but it is set on bbolt %v, on etcd %v: take it off the list", f.Name, setB, setE)
		}
	}
	for _, name := range []string{"Notify", "CAS", "WeCom", "Requesters", "Appointments"} {
		if ve.FieldByName(name).IsZero() {
			t.Errorf("the etcd owner has no %s", name)
		}
	}

	// What the etcd owner leaves out answers 503 with a message, not a panic or a 404.
	p := &proc{t: t, addr: strings.TrimPrefix(ec.PublicURL, "http://")}
	code, b, err := p.do("POST", "/api/v1/session", "", map[string]string{"username": "admin", "password": "demo"})
	var sess struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(b, &sess); err != nil || code != 200 || sess.Token == "" {
		t.Fatalf("login admin on the etcd owner: %d %v %s", code, err, b)
	}
	for _, path := range []string{"/api/v1/reports/queue?hall=students", "/api/v1/admin/backup"} {
		code, b, err := p.do("GET", path, sess.Token, nil)
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err != nil || code != 503 || json.Unmarshal(b, &e) != nil || e.Error.Message == "" {
			t.Errorf("GET %s on the etcd owner: %d %v %s, want 503 with a message", path, code, err, b)
		}
	}
}

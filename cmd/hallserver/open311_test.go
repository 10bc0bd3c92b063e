package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOpen311Keys(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "keys")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keys, err := loadOpen311Keys(write("# clients\nwechat 0123456789abcdef0123\n\nhotline  fedcba9876543210fedc  \n"), true)
	if err != nil || len(keys) != 2 || keys["0123456789abcdef0123"] != "wechat" || keys["fedcba9876543210fedc"] != "hotline" {
		t.Fatalf("keys %v %v", keys, err)
	}
	for _, bad := range []string{"wechat short\n", "just-a-name\n", "a 0123456789abcdef0123\nb 0123456789abcdef0123\n", "we:chat 0123456789abcdef0123\n"} {
		if _, err := loadOpen311Keys(write(bad), false); err == nil {
			t.Fatalf("accepted %q", bad)
		}
	}
	if keys, _ := loadOpen311Keys("", true); keys["demo-open311"] != "demo" {
		t.Fatalf("demo keys %v", keys)
	}
	if keys, _ := loadOpen311Keys("", false); len(keys) != 0 {
		t.Fatalf("keys without a file %v", keys)
	}
}

// TestOpen311Demo submits through Open311 to the demo server with the demo key and reads the
// request back.
func TestOpen311Demo(t *testing.T) {
	p := startProc(t, filepath.Join(t.TempDir(), "onedoor.db"))
	form := url.Values{"api_key": {"demo-open311"}, "service_code": {"library-seats"}, "description": {"图书馆占座严重"}, "phone": {"13812345678"}}
	resp, err := http.Post("http://"+p.addr+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	var created []struct {
		ID string `json:"service_request_id"`
	}
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != 201 || len(created) != 1 || created[0].ID == "" {
		t.Fatalf("post: %d %v", resp.StatusCode, created)
	}
	code, b, err := p.do("GET", "/open311/v2/requests/"+created[0].ID+".json?api_key=demo-open311", "", nil)
	if err != nil || code != 200 || !strings.Contains(string(b), `"status":"open"`) || strings.Contains(string(b), "13812345678") {
		t.Fatalf("get: %d %v %s", code, err, b)
	}
}

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	hallhttp "onedoor/hallserver/http"
)

// TestOneWecomTokenForMessagesAndSignIn: the notifier's WeChat Work client and the WeChat Work
// sign-in share one access token: a token the client holds serves the sign-in without another
// gettoken, and a token WeChat Work stopped taking (40014) is renewed once, for both.
func TestOneWecomTokenForMessagesAndSignIn(t *testing.T) {
	var mu sync.Mutex
	token, gettokens := "T1", 0
	codes := map[string]string{"c1": "zhaoliu", "c2": "sunqi"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/gettoken", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		gettokens++
		json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
	})
	mux.HandleFunc("GET /cgi-bin/auth/getuserinfo", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Query().Get("access_token") != token {
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
			return
		}
		u, ok := codes[r.URL.Query().Get("code")]
		delete(codes, r.URL.Query().Get("code"))
		if !ok {
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40029, "errmsg": "invalid code"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "userid": u})
	})
	api := httptest.NewServer(mux)
	defer api.Close()

	cfg := config{wecomAPI: api.URL, wecomCorp: "wwcorp", wecomSecret: "s", wecomAgent: 1000002}
	cfg.identity = identityConfig{casVersion: 3, wecomAPI: api.URL, wecomCorp: "wwcorp", wecomSecret: "s"}
	wc, err := newWecomClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var hc hallhttp.Config
	if err := cfg.identity.wire(&hc, wc); err != nil || hc.WeCom == nil {
		t.Fatalf("wire: %v (WeCom %v)", err, hc.WeCom)
	}
	ctx := context.Background()
	if tok, err := wc.Token(ctx); err != nil || tok != "T1" { // the notifier's first send
		t.Fatalf("client token %q, %v", tok, err)
	}
	if id, err := hc.WeCom.UserInfo(ctx, "c1"); err != nil || id.ID != "zhaoliu" {
		t.Fatalf("sign-in: %+v, %v", id, err)
	}
	if gettokens != 1 {
		t.Fatalf("gettoken called %d times for a send and a sign-in, want 1 (one cache)", gettokens)
	}
	mu.Lock()
	token = "T2" // WeChat Work no longer takes T1
	mu.Unlock()
	if id, err := hc.WeCom.UserInfo(ctx, "c2"); err != nil || id.ID != "sunqi" {
		t.Fatalf("sign-in after the token changed: %+v, %v (want one refresh and a retry)", id, err)
	}
	if tok, err := wc.Token(ctx); err != nil || tok != "T2" || gettokens != 2 {
		t.Fatalf("the client's token after the sign-in refreshed it: %q, %v, gettoken %d times; want T2 after 2", tok, err, gettokens)
	}
}

package http

import (
	"strconv"
	"testing"
	"time"
)

// TestLoginThrottled: after five wrong passwords for one username from one address, the sixth
// attempt is refused with 429 (even with the right password) and Retry-After, while another
// username still signs in; once the window has passed the right password works again.
func TestLoginThrottled(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	e.srv.logins.now = func() time.Time { return now }
	for i := 0; i < loginMaxFailures; i++ {
		if r := e.do("POST", "/api/v1/session", "", map[string]string{"username": "admin", "password": "guess" + strconv.Itoa(i)}); r.status != 401 {
			t.Fatalf("failure %d: %d %s", i, r.status, r.body)
		}
	}
	r := e.do("POST", "/api/v1/session", "", map[string]string{"username": "admin", "password": "demo"})
	if r.status != 429 || r.apiError(t).Code != ETOOMANY {
		t.Fatalf("after %d failures: %d %s", loginMaxFailures, r.status, r.body)
	}
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > int(loginWindow.Seconds())+1 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if r := e.do("POST", "/api/v1/session", "", map[string]string{"username": "counter1", "password": "demo"}); r.status != 200 {
		t.Fatalf("other user: %d %s", r.status, r.body)
	}
	now = now.Add(loginWindow + time.Second)
	if r := e.do("POST", "/api/v1/session", "", map[string]string{"username": "admin", "password": "demo"}); r.status != 200 {
		t.Fatalf("after the window: %d %s", r.status, r.body)
	}
}

// TestLoginLimiterBounded: the limiter never remembers more than loginMaxTracked pairs.
func TestLoginLimiterBounded(t *testing.T) {
	l := newLoginLimiter()
	now := time.Now()
	l.now = func() time.Time { return now }
	for i := 0; i < loginMaxTracked+500; i++ {
		now = now.Add(time.Millisecond)
		l.fail("u" + strconv.Itoa(i))
	}
	if len(l.fails) > loginMaxTracked {
		t.Fatalf("%d pairs tracked", len(l.fails))
	}
	for i := 0; i < loginMaxFailures; i++ {
		l.fail("target")
	}
	if b, _ := l.blocked("target"); !b {
		t.Fatal("target not blocked")
	}
}

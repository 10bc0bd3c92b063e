package http

import (
	"crypto/sha256"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ETOOMANY is the error code of a request refused by a rate limit (429).
const ETOOMANY = "too_many_requests"

// Login throttling: after loginMaxFailures wrong passwords for one username from one client
// address within loginWindow, further attempts for that pair are refused (429) until the window
// that began with the first failure has passed. A success clears the pair.
const (
	loginMaxFailures = 5
	loginWindow      = 15 * time.Minute
	loginMaxTracked  = 10000 // pairs remembered at most (memory bound)
)

type loginFailures struct {
	n     int
	first time.Time
}

// loginLimiter counts recent login failures per username and client address.
type loginLimiter struct {
	mu    sync.Mutex
	now   func() time.Time
	fails map[string]loginFailures
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{now: time.Now, fails: map[string]loginFailures{}}
}

// loginKey is the limiter's key of a login attempt: the username and the client's address (the
// connection's, not a forwarded header a client could choose), at most a few dozen bytes.
func loginKey(r *http.Request, username string) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	sum := sha256.Sum256([]byte(strings.ToLower(username))) // a fixed size, however long the name
	return string(sum[:]) + host
}

// blocked reports whether the key may not try now, and for how long more.
func (l *loginLimiter) blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.fails[key]
	if !ok {
		return false, 0
	}
	left := loginWindow - l.now().Sub(f.first)
	if left <= 0 {
		delete(l.fails, key)
		return false, 0
	}
	return f.n >= loginMaxFailures, left
}

// fail records a failed attempt.
func (l *loginLimiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.fails[key]
	if !ok || now.Sub(f.first) >= loginWindow {
		f = loginFailures{first: now}
	}
	f.n++
	if !ok && len(l.fails) >= loginMaxTracked {
		// Full: forget expired pairs; if none, the pair whose window began first.
		var oldest string
		for k, v := range l.fails {
			if now.Sub(v.first) >= loginWindow {
				delete(l.fails, k)
			} else if oldest == "" || v.first.Before(l.fails[oldest].first) {
				oldest = k
			}
		}
		if len(l.fails) >= loginMaxTracked {
			delete(l.fails, oldest)
		}
	}
	l.fails[key] = f
}

// succeed forgets the key's failures.
func (l *loginLimiter) succeed(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

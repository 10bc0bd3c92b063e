package http

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"onedoor/hallserver/wire"

	"golang.org/x/time/rate"
)

// ETOOMANY is the error code of a request refused by a rate limit (429).
const ETOOMANY = wire.ETOOMANY

// Login throttling (see docs/WEB.md, "Signing in"):
//
//   - Per account: after loginMaxFailures wrong passwords in a row the account is locked for
//     strangers for loginBaseLock, doubling with every further failure up to loginMaxLock. A
//     locked account's attempts from strangers are refused (429) without a password check. The
//     failures are forgotten after a correct password (outside a lock) or loginForget of quiet.
//   - Known devices: a browser that has signed in to the account before carries a random device
//     cookie (HttpOnly, only sent to the sign-in endpoint) recorded for the account. Its correct
//     password is accepted while the account is locked for strangers, so nobody can lock the
//     staff out of their own PCs; its wrong passwords still count for the account, and lock that
//     device itself the same way.
//   - Per client address (clientAddr): strangers from one address get loginAddrMaxFailures wrong
//     passwords per loginAddrWindow across all usernames (password spraying).
//   - Overall: at most loginRate password checks per second (bcrypt is slow on purpose, unknown
//     usernames are checked against a dummy hash), with a separate smaller budget for known
//     devices that strangers cannot use up.
//
// All state is bounded: loginMaxTracked accounts and addresses, loginMaxKnown accounts with
// known devices, loginMaxDevices devices per account.
const (
	loginMaxFailures     = 5
	loginBaseLock        = time.Minute
	loginMaxLock         = 15 * time.Minute
	loginForget          = 24 * time.Hour
	loginAddrMaxFailures = 50
	loginAddrWindow      = 15 * time.Minute
	loginMaxTracked      = 10000 // accounts (and, separately, addresses) with failures remembered at most
	loginMaxKnown        = 10000 // accounts with known devices remembered at most
	loginMaxDevices      = 16    // known devices per account
	loginRate            = 10    // password checks per second for strangers…
	loginBurst           = 20
	loginKnownRate       = 5 // …and for known devices
	loginKnownBurst      = 10

	deviceCookie     = "onedoor_device"
	deviceCookiePath = "/api/v1/session"
	deviceCookieAge  = 365 * 24 * time.Hour
)

// backoff is a run of failures and the lock it earned.
type backoff struct {
	n     int       // failures in a row
	last  time.Time // the last failure
	until time.Time // locked until
}

// fail records a failure at now.
func (b *backoff) fail(now time.Time) {
	if now.Sub(b.last) >= loginForget {
		b.n = 0
	}
	b.n++
	b.last = now
	if b.n >= loginMaxFailures {
		d := loginBaseLock << min(b.n-loginMaxFailures, 10)
		b.until = now.Add(min(d, loginMaxLock))
	}
}

// wait is how long the lock still lasts at now (0: not locked).
func (b *backoff) wait(now time.Time) time.Duration { return max(0, b.until.Sub(now)) }

// addrFailures counts a client address's failures in a fixed window.
type addrFailures struct {
	n     int
	first time.Time
}

// knownDevice is a browser that signed in to an account.
type knownDevice struct {
	seen time.Time // last successful sign-in
	fail backoff
}

// loginLimiter holds the throttle state of sign-ins.
type loginLimiter struct {
	mu       sync.Mutex
	now      func() time.Time
	accounts map[string]*backoff                // account key → failures
	addrs    map[string]*addrFailures           // client address → stranger failures
	known    map[string]map[string]*knownDevice // account key → device key → device
	checks   *rate.Limiter                      // password checks of strangers
	knownChk *rate.Limiter                      // password checks of known devices
	addrMax  int                                // loginAddrMaxFailures (tests lower it)
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{
		now:      time.Now,
		accounts: map[string]*backoff{},
		addrs:    map[string]*addrFailures{},
		known:    map[string]map[string]*knownDevice{},
		checks:   rate.NewLimiter(loginRate, loginBurst),
		knownChk: rate.NewLimiter(loginKnownRate, loginKnownBurst),
		addrMax:  loginAddrMaxFailures,
	}
}

// accountKey is the limiter's key of a username: a hash of it, lower-cased, so the key has a
// fixed size however long the name.
func accountKey(username string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(username)))
	return string(sum[:])
}

// deviceKey is the limiter's key of a device cookie value (not kept itself).
func deviceKey(cookie string) string {
	if cookie == "" || len(cookie) > 64 {
		return ""
	}
	sum := sha256.Sum256([]byte(cookie))
	return string(sum[:16])
}

// newDeviceCookie returns a fresh random device cookie value (128 bits).
func newDeviceCookie() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// attempt is one sign-in being throttled.
type attempt struct {
	account string // accountKey
	device  string // deviceKey of the cookie sent ("" for none)
	addr    string // clientAddr
	known   bool   // the device signed in to the account before
}

// admit decides whether the attempt may have its password checked. When it may not, it returns
// how long to wait (for Retry-After) and whether the account (not the overall budget) is locked.
func (l *loginLimiter) admit(a *attempt) (wait time.Duration, locked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var dev *knownDevice
	if a.device != "" {
		dev = l.known[a.account][a.device]
	}
	a.known = dev != nil
	if a.known {
		if w := dev.fail.wait(now); w > 0 {
			return w, true
		}
		if r := l.knownChk.ReserveN(now, 1); r.OK() && r.DelayFrom(now) == 0 {
			return 0, false
		} else if r.OK() {
			r.CancelAt(now)
		}
		// The known devices' budget is spent: share the strangers'.
	} else {
		if b := l.accounts[a.account]; b != nil {
			if w := b.wait(now); w > 0 {
				return w, true
			}
		}
		if f := l.addrs[a.addr]; f != nil && f.n >= l.addrMax {
			if w := loginAddrWindow - now.Sub(f.first); w > 0 {
				return w, true
			}
		}
	}
	r := l.checks.ReserveN(now, 1)
	if !r.OK() {
		return time.Second, false
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, false
}

// fail records a wrong password (or unknown username) of an admitted attempt.
func (l *loginLimiter) fail(a *attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.accounts[a.account]
	if b == nil {
		if len(l.accounts) >= loginMaxTracked {
			l.evictAccount(now)
		}
		b = &backoff{}
		l.accounts[a.account] = b
	}
	b.fail(now)
	if a.known {
		if dev := l.known[a.account][a.device]; dev != nil {
			dev.fail.fail(now)
		}
		return
	}
	f := l.addrs[a.addr]
	if f == nil || now.Sub(f.first) >= loginAddrWindow {
		if f == nil && len(l.addrs) >= loginMaxTracked {
			l.evictAddr(now)
		}
		f = &addrFailures{first: now}
		l.addrs[a.addr] = f
	}
	f.n++
}

// evictAccount makes room for one more account: it forgets the forgotten ones, else the one
// that matters least (fewest failures, then the oldest), so that spraying usernames cannot push
// out a locked account cheaply.
func (l *loginLimiter) evictAccount(now time.Time) {
	var victim string
	var vb *backoff
	for k, b := range l.accounts {
		if now.Sub(b.last) >= loginForget && b.wait(now) == 0 {
			delete(l.accounts, k)
			continue
		}
		if vb == nil || b.n < vb.n || (b.n == vb.n && b.last.Before(vb.last)) {
			victim, vb = k, b
		}
	}
	if len(l.accounts) >= loginMaxTracked && vb != nil {
		delete(l.accounts, victim)
	}
}

// evictAddr makes room for one more address: expired windows, else the oldest window.
func (l *loginLimiter) evictAddr(now time.Time) {
	var victim string
	var vf *addrFailures
	for k, f := range l.addrs {
		if now.Sub(f.first) >= loginAddrWindow {
			delete(l.addrs, k)
		} else if vf == nil || f.first.Before(vf.first) {
			victim, vf = k, f
		}
	}
	if len(l.addrs) >= loginMaxTracked && vf != nil {
		delete(l.addrs, victim)
	}
}

// succeed records a correct password and returns the device cookie value to set: a new one
// every time (a value planted in the browser by someone else is never the recorded one for
// long), recorded as a known device of the account in place of the one sent. The account's
// failures are forgotten unless it is locked: a known device's sign-in during a lock leaves the
// lock to strangers running, so the owner signing in gives a guesser no fresh attempts.
func (l *loginLimiter) succeed(a *attempt) string {
	cookie := newDeviceCookie()
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if b := l.accounts[a.account]; b != nil && b.wait(now) == 0 {
		delete(l.accounts, a.account)
	}
	devs := l.known[a.account]
	if devs == nil {
		if len(l.known) >= loginMaxKnown {
			l.evictKnown()
		}
		devs = map[string]*knownDevice{}
		l.known[a.account] = devs
	}
	if a.device != "" {
		delete(devs, a.device)
	}
	if len(devs) >= loginMaxDevices {
		var victim string
		for k, d := range devs {
			if victim == "" || d.seen.Before(devs[victim].seen) {
				victim = k
			}
		}
		delete(devs, victim)
	}
	devs[deviceKey(cookie)] = &knownDevice{seen: now}
	return cookie
}

// evictKnown forgets the known devices of the account whose latest sign-in is the oldest.
func (l *loginLimiter) evictKnown() {
	var victim string
	var latest time.Time
	for k, devs := range l.known {
		var t time.Time
		for _, d := range devs {
			if d.seen.After(t) {
				t = d.seen
			}
		}
		if victim == "" || t.Before(latest) {
			victim, latest = k, t
		}
	}
	delete(l.known, victim)
}

package client

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
)

// Several servers (docs/HA.md): BaseURL may list hall servers separated by commas, all on one
// etcd cluster. The client uses one at a time and moves to the next when a server cannot be
// reached or answers 502, 503 or 504 (never on a 4xx: that answer is the API's).

// servers returns the servers of BaseURL, in order, without trailing slashes.
func (c *Client) servers() []string {
	var out []string
	for _, s := range strings.Split(c.BaseURL, ",") {
		if s = strings.TrimRight(strings.TrimSpace(s), "/"); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// current returns the index and URL of the server in use.
func (c *Client) current() (int, string) {
	s := c.servers()
	i := int(atomic.LoadInt32(&c.cur)) % len(s)
	return i, s[i]
}

// moveFrom makes the server after i the one in use, unless another call moved already.
func (c *Client) moveFrom(i int) {
	n := len(c.servers())
	atomic.CompareAndSwapInt32(&c.cur, int32(i), int32((i+1)%n))
}

// Server returns the URL of the server the client uses now (the first of BaseURL until a
// failover).
func (c *Client) Server() string {
	_, s := c.current()
	return s
}

// failoverStatus reports whether an answer's status means another server should be tried: a
// proxy or a follower without an owner (502, 504), a server that changed nothing (503).
func failoverStatus(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// notSent reports whether a transport error happened before the request left: the connection
// could not be made, so the server cannot have acted on it.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// idempotent reports whether a request may be sent again after an unknown outcome: a method
// that changes nothing or the same thing twice, or one carrying an Idempotency-Key (a retried
// issue gets the same ticket).
func idempotent(method string, hdr []string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if http.CanonicalHeaderKey(hdr[i]) == "Idempotency-Key" && hdr[i+1] != "" {
			return true
		}
	}
	return false
}

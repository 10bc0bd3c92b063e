package http

import (
	"net"
	"net/http"
)

// clientAddr is the address a request comes from, for per-address limits: the host part of
// r.RemoteAddr (the whole RemoteAddr when it has no port).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

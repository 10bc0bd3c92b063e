package http

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies parses a comma-separated list of IP addresses and CIDR prefixes (the
// -trusted-proxy flag): the reverse proxies whose X-Forwarded-For the server believes. An empty
// string trusts no proxy.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// clientAddrKey is the request-context key of the client address resolved by ServeHTTP.
type clientAddrKey struct{}

// clientAddr returns the address of the client that made the request: the connection's peer,
// or, when the peer is a trusted proxy (Config.TrustedProxies), the rightmost address of
// X-Forwarded-For that is not a trusted proxy. A client cannot choose it by sending the header
// itself: an untrusted peer's X-Forwarded-For is ignored, and a trusted proxy appends the peer
// it saw to whatever the client sent.
func clientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddrKey{}).(string); ok {
		return a
	}
	return peerHost(r)
}

// peerHost is the host part of the connection's remote address.
func peerHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// withClientAddr resolves the client address once per request (used by clientAddr) when the
// server trusts some proxy; without trusted proxies the peer is the client.
func (s *Server) withClientAddr(r *http.Request) *http.Request {
	if len(s.cfg.TrustedProxies) == 0 {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, forwardedClient(r, s.cfg.TrustedProxies)))
}

// forwardedClient walks from the peer leftwards through X-Forwarded-For while each hop is a
// trusted proxy, and returns the first address that is not (or the last valid one when all are).
func forwardedClient(r *http.Request, trusted []netip.Prefix) string {
	peer := peerHost(r)
	isTrusted := func(s string) (netip.Addr, bool) {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return netip.Addr{}, false
		}
		a = a.Unmap().WithZone("")
		for _, p := range trusted {
			if p.Contains(a) {
				return a, true
			}
		}
		return a, false
	}
	a, ok := isTrusted(peer)
	if !ok {
		return peer
	}
	client := a.String()
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := isTrusted(hops[i])
		if !a.IsValid() {
			break // not an address: stop at the last hop a trusted proxy vouched for
		}
		client = a.String()
		if !ok {
			break
		}
	}
	return client
}

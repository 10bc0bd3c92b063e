package http

import (
	"strings"
	"testing"
)

// TestRouteTableAuth walks the route table: every route is registered once (the OpenAPI test
// checks the registered routes against openapi.json), and a request without credentials gets
// 401 exactly on the routes whose auth column needs them.
func TestRouteTableAuth(t *testing.T) {
	e := newCaseEnv(t)
	open := map[string]bool{authAnyone: true, authToken: true, authPage: true}
	fill := strings.NewReplacer("{hall}", "students", "{n}", "1", "{token}", "no-such-token", "{id}", "no-such-id", "{file}", "no-such-file")
	registered := map[string]bool{}
	for _, p := range e.srv.Routes() {
		registered[p] = true
	}
	seen := map[string]bool{}
	for _, res := range e.srv.routeTable() {
		if res.name == "" || (len(res.routes) == 0) == (res.mount == nil) {
			t.Errorf("resource %q: routes or a mount, and a name", res.name)
		}
		for _, rt := range res.routes {
			key := rt.method + " " + rt.pattern
			if seen[key] || !registered[key] {
				t.Errorf("%s: listed twice or not registered", key)
			}
			seen[key] = true
			if rt.auth == "" || rt.handler == nil {
				t.Errorf("%s: no auth or handler", key)
				continue
			}
			path := fill.Replace(rt.pattern)
			if strings.HasSuffix(rt.pattern, "{action}") {
				path = strings.Replace(path, "{action}", map[bool]string{true: "call-next", false: "note"}[strings.Contains(rt.pattern, "counters")], 1)
			}
			var body any
			if rt.method != "GET" && rt.method != "DELETE" {
				body = "{}"
			}
			r := e.do(rt.method, path, "", body)
			if got := r.status == 401; got == open[rt.auth] {
				t.Errorf("%s (%s) without credentials: %d %.200s", key, rt.auth, r.status, r.body)
			}
		}
	}
	for p := range registered {
		if !seen[p] && !strings.HasPrefix(p, "GET /open311/") && !strings.HasPrefix(p, "POST /open311/") {
			t.Errorf("%s is registered outside the route table", p)
		}
	}
}

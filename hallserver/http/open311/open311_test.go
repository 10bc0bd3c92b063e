package open311

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// The full server's behaviour (schemas, auth with staff tokens, the real case service) is tested
// where it mounts the handler: hallserver/http/open311_test.go. These tests mount it alone.

func TestOpen311JoinName(t *testing.T) {
	for _, tc := range [][3]string{{"三", "张", "张三"}, {"John", "Smith", "John Smith"}, {"", "王", "王"}, {"Li", "", "Li"}, {"小明", "Wang", "小明 Wang"}} {
		if got := joinName(tc[0], tc[1]); got != tc[2] {
			t.Fatalf("joinName(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

// fakeCases is a case service of one category that keeps what it was asked.
type fakeCases struct {
	hall.CaseService // methods the handler must not call panic
	cases            map[string]*hall.Case
	filter           hall.CaseFilter
}

func (f *fakeCases) Catalogue(context.Context) (*hall.Catalogue, error) {
	return &hall.Catalogue{Categories: []hall.Category{{Code: "wifi", Department: "it", Name: hall.Text{Zh: "校园网", En: "Campus network"}}}}, nil
}

func (f *fakeCases) Open(_ context.Context, req hall.OpenCaseRequest) (*hall.Case, error) {
	c := &hall.Case{ID: "c1", Number: "JS20260302-0001", Token: "tok", Category: req.Category, Department: "it",
		Source: req.Source, Channel: req.Channel, Text: req.Text, Place: req.Place.Clone(), State: hall.CaseDispatched}
	f.cases[c.Number] = c
	return c, nil
}

func (f *fakeCases) Get(_ context.Context, id string) (*hall.Case, error) {
	if c, ok := f.cases[id]; ok {
		return c, nil
	}
	return nil, hall.Errorf(hall.ENOTFOUND, "", "no case %s", id)
}

func (f *fakeCases) List(_ context.Context, flt hall.CaseFilter) ([]hall.Case, error) {
	f.filter = flt
	var out []hall.Case
	for _, c := range f.cases {
		out = append(out, *c)
	}
	return out, nil
}

type fakeCampus struct{}

func (fakeCampus) Name() hall.Text { return hall.Text{Zh: "测试大学", En: "Test University"} }
func (fakeCampus) DepartmentName(code string) hall.Text {
	return hall.Text{Zh: "部门 " + code, En: "Dept " + code}
}
func (fakeCampus) Location() *time.Location { return time.FixedZone("CST", 8*3600) }

type noStaff struct{}

func (noStaff) Sees(*hall.Principal, *hall.Case) bool { return false }
func (noStaff) ListDepartment(*hall.Principal) string { return "" }

// Public publishes complaints only, showing their number, state and category.
func (noStaff) Public(c *hall.Case) (hall.Case, bool) {
	if c.Kind != hall.KindComplaint {
		return hall.Case{}, false
	}
	return hall.Case{Number: c.Number, State: c.State, Category: c.Category}, true
}

// testWire is a minimal answer convention: JSON bodies, the domain codes' statuses, 413 for "big" over 1 KiB.
func testWire() Wire {
	return Wire{
		JSON: func(w http.ResponseWriter, status int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		},
		Status: func(code string) int {
			return map[string]int{hall.EINVALID: 400, hall.EFORBIDDEN: 403, hall.ENOTFOUND: 404, hall.EUNAVAILABLE: 503, "big": 413}[code]
		},
		ClientGone: func(*http.Request, error) bool { return false },
		MaxBody:    1024, TooLarge: "big",
		Lang: func(l string) string { return l[:min(len(l), 2)] },
		When: func(v, field string, _ *time.Location, _ bool) (time.Time, error) {
			if v == "" {
				return time.Time{}, nil
			}
			return time.Parse(time.RFC3339, v)
		},
	}
}

// mount serves a handler on a plain ServeMux, as any server could mount it.
func mount(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	add := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, h) }
	New(cfg).Register(add, add)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func call(t *testing.T, method, u string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestOpen311MountedAlone opens a case through a handler mounted on a plain mux with fakes and reads
// it back: the package needs nothing of the server but its Config.
func TestOpen311MountedAlone(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cs := &fakeCases{cases: map[string]*hall.Case{}}
	ts := mount(t, Config{Cases: func() (hall.CaseService, error) { return cs, nil }, Keys: map[string]string{"key-of-the-app-0001": "app"},
		Campus: fakeCampus{}, Staff: noStaff{}, PublicURL: "https://onedoor.test", Wire: testWire(), Now: func() time.Time { return now }})

	code, body := call(t, "GET", ts.URL+"/open311/v2/services.json?locale=en", nil)
	if code != 200 || !strings.Contains(body, `"service_code":"wifi"`) || !strings.Contains(body, `"group":"Dept it"`) {
		t.Fatalf("services: %d %s", code, body)
	}
	code, body = call(t, "POST", ts.URL+"/open311/v2/requests.json", url.Values{"api_key": {"key-of-the-app-0001"},
		"service_code": {"wifi"}, "description": {"宿舍断网"}})
	if code != 201 || !strings.Contains(body, `"service_request_id":"JS20260302-0001"`) || !strings.Contains(body, `"follow_url":"https://onedoor.test/c/tok"`) {
		t.Fatalf("post: %d %s", code, body)
	}
	if c := cs.cases["JS20260302-0001"]; c.Source != "open311:app" || c.Channel != hall.ChannelAPI {
		t.Fatalf("opened %+v", c)
	}
	code, body = call(t, "GET", ts.URL+"/open311/v2/requests/JS20260302-0001.json?api_key=key-of-the-app-0001", nil)
	if code != 200 || !strings.Contains(body, `"status":"open"`) || !strings.Contains(body, `"agency_responsible":"部门 it"`) {
		t.Fatalf("get: %d %s", code, body)
	}
	// The default date range ends at the injected clock's now.
	if code, body = call(t, "GET", ts.URL+"/open311/v2/requests.json?api_key=key-of-the-app-0001", nil); code != 200 ||
		!cs.filter.Until.Equal(now) || !cs.filter.Since.Equal(now.Add(-maxSpan)) {
		t.Fatalf("list: %d %s, filter %v–%v", code, body, cs.filter.Since, cs.filter.Until)
	}

	// Errors in the Open311 form, with the statuses of the server's Wire.
	for _, tc := range []struct {
		name, method, path string
		form               url.Values
		status             int
	}{
		{"no key", "POST", "/open311/v2/requests.json", url.Values{"service_code": {"wifi"}}, 403},
		{"unknown key", "GET", "/open311/v2/requests.json?api_key=nope", nil, 403},
		{"staff token without Auth", "GET", "/open311/v2/requests.json?api_key=some-session-token", nil, 403},
		{"body over MaxBody", "POST", "/open311/v2/requests.json", url.Values{"description": {strings.Repeat("x", 1100)}}, 413},
		{"yaml", "GET", "/open311/v2/services/wifi.yaml.json", nil, 404},
		{"unknown service", "GET", "/open311/v2/services/nothing.json", nil, 404},
		{"unknown path", "GET", "/open311/v2/tokens/abc.json", nil, 404},
		{"other method", "DELETE", "/open311/v2/requests.json", nil, 405},
	} {
		code, body := call(t, tc.method, ts.URL+tc.path, tc.form)
		var errs []Error
		if code != tc.status || json.Unmarshal([]byte(body), &errs) != nil || len(errs) != 1 || errs[0].Code != tc.status {
			t.Errorf("%s: %d %s, want Open311 error %d", tc.name, code, body, tc.status)
		}
	}
	if len(cs.cases) != 1 {
		t.Fatalf("a refused request opened a case: %d cases", len(cs.cases))
	}

	// Without a case system every route answers 503.
	off := mount(t, Config{Cases: func() (hall.CaseService, error) {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "no case system")
	}, Campus: fakeCampus{}, Staff: noStaff{}, Wire: testWire()})
	if code, body := call(t, "GET", off.URL+"/open311/v2/services.json", nil); code != 503 {
		t.Fatalf("without a case system: %d %s", code, body)
	}
}

package http

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"onedoor/hallserver/campus"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// withLiveCampus serves the queue's live campus (GET/PUT /api/v1/admin/campus).
func withLiveCampus() envOption {
	return withConfig(func(c *Config) { c.CampusLive = c.Queue.(hall.CampusService) })
}

// getCampus reads the campus as the admin and returns it with its version.
func (e *env) getCampus(admin string) (hall.Campus, string) {
	e.t.Helper()
	r := e.do("GET", "/api/v1/admin/campus", admin, nil)
	if r.status != 200 {
		e.t.Fatalf("GET campus: %d %s", r.status, r.body)
	}
	var body wire.Campus
	r.decode(e.t, &body)
	if etag := r.header.Get("ETag"); etag != `"`+body.Version+`"` || body.Version == "" {
		e.t.Fatalf("ETag %q, version %q", etag, body.Version)
	}
	return body.Campus, body.Version
}

func (e *env) putCampus(admin, version string, c hall.Campus) response {
	e.t.Helper()
	return e.do("PUT", "/api/v1/admin/campus", admin, map[string]any{"campus": c}, "If-Match", `"`+version+`"`)
}

// withService returns c with service svc added to hall students and served by a new counter.
func withService(c hall.Campus, svc string, counter int) hall.Campus {
	c.Halls = slices.Clone(c.Halls)
	h := c.Halls[0]
	h.Services = append(slices.Clone(h.Services), hall.Service{Code: svc, Name: hall.Text{Zh: "新业务", En: "New"}, AvgMinutes: 4, Materials: []hall.Text{}})
	h.Counters = append(slices.Clone(h.Counters), hall.CounterConfig{Number: counter, Services: []string{svc}})
	c.Halls[0] = h
	return c
}

// The campus answer has exactly the keys of the campus YAML: the demo campus read from its YAML
// and through JSON gives the same document.
func TestCampusJSONKeysAreTheYAMLs(t *testing.T) {
	var fromYAML any
	if err := yaml.Unmarshal(campus.DemoYAML(), &fromYAML); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(campusForWire(campus.Demo()))
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON any
	json.Unmarshal(b, &fromJSON)
	var diff []string
	keysDiff("", fromYAML, fromJSON, &diff)
	if len(diff) > 0 {
		t.Fatalf("keys of the JSON campus differ from the YAML's: %v", diff)
	}
}

// keysDiff lists the object keys one document has and the other has not, recursively.
func keysDiff(path string, a, b any, out *[]string) {
	switch x := a.(type) {
	case map[string]any:
		y, _ := b.(map[string]any)
		for k, v := range x {
			if _, ok := y[k]; !ok {
				*out = append(*out, path+"."+k+" only in YAML")
				continue
			}
			keysDiff(path+"."+k, v, y[k], out)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				*out = append(*out, path+"."+k+" only in JSON")
			}
		}
	case []any:
		y, _ := b.([]any)
		for i := range min(len(x), len(y)) {
			keysDiff(path+"[]", x[i], y[i], out)
		}
	}
}

// A PUT takes effect at once: the new service is in the hall list, a kiosk issues it, the hall
// stream says campus.changed; the answers match openapi.json.
func TestPutCampusAppliesLive(t *testing.T) {
	e := newEnv(t, withLiveCampus())
	admin := e.login("admin")
	stream := e.dial("students", 0)
	read(t, stream, 2*time.Second) // snapshot
	c, v := e.getCampus(admin)
	c = withService(c, "K", 9)
	// Every field of the campus YAML round-trips, the limits of issue 13 too (the schema once
	// refused them).
	c.Halls[0].IssueOutsideHours = true
	for i := range c.Halls[0].Services {
		if s := &c.Halls[0].Services[i]; s.Code == "K" {
			s.Quota, s.From, s.Until, s.TargetWaitMinutes = 500, "2026-01-01", "2099-12-31", 20
		}
	}
	r := e.putCampus(admin, v, c)
	if r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	var put wire.Campus
	r.decode(t, &put)
	if put.Version == v || r.header.Get("ETag") != `"`+put.Version+`"` {
		t.Fatalf("new version %q (was %q), ETag %q", put.Version, v, r.header.Get("ETag"))
	}
	if _, v2 := e.getCampus(admin); v2 != put.Version {
		t.Fatalf("GET after PUT: version %s, want %s", v2, put.Version)
	}
	hallBody := e.do("GET", "/api/v1/halls/students", "", nil)
	if !strings.Contains(string(hallBody.body), `"code":"K"`) {
		t.Fatalf("hall without the new service: %s", hallBody.body)
	}
	if r := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "K"}); r.status != 201 {
		t.Fatalf("issue K: %d %s", r.status, r.body)
	}
	m := read(t, stream, 2*time.Second)
	if !strings.Contains(string(m.raw), `"type":"campus.changed"`) {
		t.Fatalf("stream got %s, want campus.changed", m.raw)
	}
	// The change is in the audit trail, by its administrator, once per hall (the campus.changed
	// event each hall's log wrote in the same commit).
	if l := e.auditPage(admin, url.Values{"kind": {string(hall.EventCampusChanged)}, "actor": {"admin"}}).Entries; !has(l, string(hall.EventCampusChanged), "admin", "students") {
		t.Fatalf("audit after a campus change: %+v", l)
	}
	s := loadSpec(t)
	s.checkSamples(t, []schemaSample{
		{"get campus", e.do("GET", "/api/v1/admin/campus", admin, nil).body, "CampusVersion"},
		{"put campus", r.body, "CampusVersion"},
		{"campus.changed", m.raw, "StreamEvent"},
	})
}

// Every error of an invalid campus is listed with its field path, and nothing is applied.
func TestPutCampusListsEveryError(t *testing.T) {
	e := newEnv(t, withLiveCampus())
	admin := e.login("admin")
	c, v := e.getCampus(admin)
	before := e.do("GET", "/api/v1/halls", "", nil).body
	bad := withService(c, "K", 9)
	bad.Halls[1].Counters = []hall.CounterConfig{{Number: 1, Services: []string{"J", "Z", "Y"}}}
	bad.Halls[0].Services[0].AvgMinutes = 0
	r := e.putCampus(admin, v, bad)
	if r.status != 422 {
		t.Fatalf("status %d %s, want 422", r.status, r.body)
	}
	ae := r.apiError(t)
	var fields []string
	for _, x := range ae.Errors {
		fields = append(fields, x.Field)
	}
	sort.Strings(fields)
	want := []string{"halls[0].services[0].avgMinutes", "halls[1].counters[0].services[1]", "halls[1].counters[0].services[2]"}
	if !reflect.DeepEqual(fields, want) {
		t.Fatalf("error fields %v, want %v (%s)", fields, want, r.body)
	}
	loadSpec(t).checkSamples(t, []schemaSample{{"invalid campus", r.body, "Error"}})
	if after := e.do("GET", "/api/v1/halls", "", nil).body; string(after) != string(before) {
		t.Fatal("an invalid campus changed the halls")
	}
	if _, v2 := e.getCampus(admin); v2 != v {
		t.Fatal("an invalid campus changed the version")
	}
}

// The contract's refusals: stale version 409, no If-Match 428, unknown field and wrong type 400
// naming the field, non-admins 403, devices 401/403, nobody 401; a change that leaves a waiting
// ticket without a counter 422 with the reason.
func TestPutCampusRefusals(t *testing.T) {
	e := newEnv(t, withLiveCampus())
	admin := e.login("admin")
	counter := e.login("counter1")
	c, v := e.getCampus(admin)
	if r := e.putCampus(admin, v, c); r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	if r := e.putCampus(admin, v, c); r.status != 409 {
		t.Fatalf("stale version: %d %s", r.status, r.body)
	}
	_, v = e.getCampus(admin)
	if r := e.do("PUT", "/api/v1/admin/campus", admin, map[string]any{"campus": c}); r.status != 428 || r.apiError(t).Field != "If-Match" {
		t.Fatalf("no If-Match: %d %s", r.status, r.body)
	}
	raw, _ := json.Marshal(map[string]any{"campus": c})
	withUnknown := strings.Replace(string(raw), `"avgMinutes":5`, `"avgMinutes":5,"avgMinutess":5`, 1)
	if r := e.do("PUT", "/api/v1/admin/campus", admin, withUnknown, "If-Match", `"`+v+`"`); r.status != 400 || r.apiError(t).Field != "halls[0].services[0].avgMinutess" {
		t.Fatalf("unknown field: %d %s", r.status, r.body)
	}
	wrongType := strings.Replace(string(raw), `"avgMinutes":5`, `"avgMinutes":"five"`, 1)
	if r := e.do("PUT", "/api/v1/admin/campus", admin, wrongType, "If-Match", `"`+v+`"`); r.status != 400 || r.apiError(t).Field != "halls[0].services[0].avgMinutes" {
		t.Fatalf("wrong type: %d %s", r.status, r.body)
	}
	for who, tok := range map[string]string{"counter": counter, "kiosk": kioskStudents, "display": displayStudents} {
		for _, m := range []string{"GET", "PUT"} {
			r := e.do(m, "/api/v1/admin/campus", tok, map[string]any{"campus": c}, "If-Match", `"`+v+`"`)
			if r.status != 403 && !(who != "counter" && r.status == 401) {
				t.Errorf("%s %s: %d, want 403", who, m, r.status)
			}
		}
	}
	if r := e.do("GET", "/api/v1/admin/campus", "", nil); r.status != 401 {
		t.Errorf("anonymous GET: %d", r.status)
	}
	// Counter 3 is the only one serving B besides counter 1; take B off both with B waiting.
	e.issue("B")
	noB := c
	noB.Halls = slices.Clone(c.Halls)
	h := noB.Halls[0]
	h.Counters = []hall.CounterConfig{{Number: 1, Services: []string{"A"}}, {Number: 2, Services: []string{"A"}}}
	noB.Halls[0] = h
	r := e.putCampus(admin, v, noB)
	if r.status != 422 || !strings.Contains(r.apiError(t).Message, "B001") || r.apiError(t).Field != "halls[0].services[1]" {
		t.Fatalf("unservable change: %d %s", r.status, r.body)
	}
	if _, v2 := e.getCampus(admin); v2 != v {
		t.Fatal("a refused change changed the version")
	}
}

// Concurrent PUTs from one version: one wins, the others get 409.
func TestPutCampusConcurrent(t *testing.T) {
	e := newEnv(t, withLiveCampus())
	admin := e.login("admin")
	c, v := e.getCampus(admin)
	var wg sync.WaitGroup
	codes := make([]int, 3)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.putCampus(admin, v, withService(c, string(rune('K'+i)), 9)).status
		}()
	}
	wg.Wait()
	slices.Sort(codes)
	if !reflect.DeepEqual(codes, []int{200, 409, 409}) {
		t.Fatalf("statuses %v, want one 200 and two 409", codes)
	}
}

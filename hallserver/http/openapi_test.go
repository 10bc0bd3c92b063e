package http

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/wire"
)

type spec struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]map[string]any `json:"schemas"`
	} `json:"components"`
}

func loadSpec(t *testing.T) spec {
	t.Helper()
	var s spec
	if err := json.Unmarshal(openapiJSON, &s); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return s
}

// TestOpenAPICoversRoutes: every registered route is in the spec with its method, and every
// operation in the spec is a registered route.
func TestOpenAPICoversRoutes(t *testing.T) {
	e := newEnv(t)
	s := loadSpec(t)
	var inSpec []string
	for p, ops := range s.Paths {
		for m := range ops {
			if m == "parameters" {
				continue
			}
			inSpec = append(inSpec, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(inSpec)
	routes := e.srv.Routes()
	if strings.Join(inSpec, "\n") != strings.Join(routes, "\n") {
		t.Fatalf("spec and routes differ\nspec:\n%s\nroutes:\n%s", strings.Join(inSpec, "\n"), strings.Join(routes, "\n"))
	}
	r := e.do("GET", "/api/v1/openapi.json", "", nil)
	if r.status != 200 || !json.Valid(r.body) {
		t.Fatalf("openapi.json: %d", r.status)
	}
}

// TestOpenAPIResponsesMatch checks sample answers of every JSON endpoint against the spec's
// schemas (types and required properties, recursively).
func TestOpenAPIResponsesMatch(t *testing.T) {
	e := newEnv(t)
	s := loadSpec(t)
	staff := e.login("counter1")
	login := e.do("POST", "/api/v1/session", "", map[string]string{"username": "admin", "password": "demo"})
	issued := e.do("POST", "/api/v1/halls/students/tickets", kioskStudents, map[string]any{"service": "A", "personId": "2023123456"})
	var tj wire.Ticket
	issued.decode(t, &tj)
	e.issue("B")
	opened := e.act(staff, 1, "open", nil, 200)
	called := e.act(staff, 1, "call-next", nil, 200)
	c := e.dial("students", 0)
	snapMsg := read(t, c, 2*time.Second)
	e.act(staff, 1, "recall", nil, 200)
	eventMsg := read(t, c, 2*time.Second)
	samples := []schemaSample{
		{"login", login.body, "Session"},
		{"me", e.do("GET", "/api/v1/me", staff, nil).body, "Principal"},
		{"halls", e.do("GET", "/api/v1/halls", "", nil).body, "HallList"},
		{"hall", e.do("GET", "/api/v1/halls/students", "", nil).body, "Hall"},
		{"issue", issued.body, "IssuedTicket"},
		{"open", opened.body, "CounterResult"},
		{"call-next", called.body, "Ticket"},
		{"snapshot", e.do("GET", "/api/v1/halls/students/snapshot", "", nil).body, "Snapshot"},
		{"waiting", e.do("GET", "/api/v1/halls/students/waiting", staff, nil).body, "WaitingList"},
		{"follow", e.do("GET", "/api/v1/follow/"+tj.Token, "", nil).body, "Follow"},
		{"health", e.do("GET", "/healthz", "", nil).body, "Health"},
		{"error", e.do("GET", "/api/v1/follow/nothing", "", nil).body, "Error"},
		{"stream snapshot", snapMsg.raw, "StreamSnapshot"},
		{"stream event", eventMsg.raw, "StreamEvent"},
	}
	// The checker itself catches a missing property and a wrong type.
	if s.check(map[string]any{"$ref": "#/components/schemas/IssuedTicket"}, map[string]any{"id": "x"}, "neg") == nil ||
		s.check(map[string]any{"$ref": "#/components/schemas/Health"}, map[string]any{"status": 1}, "neg") == nil {
		t.Fatal("schema checker accepts bad samples")
	}
	s.checkSamples(t, samples)
}

// schemaSample is an answer (or stream message) and the schema of openapi.json it must match.
type schemaSample struct {
	name   string
	body   []byte
	schema string
}

// checkSamples checks every sample against its schema in the spec.
func (s spec) checkSamples(t *testing.T, samples []schemaSample) {
	t.Helper()
	for _, sm := range samples {
		var v any
		if err := json.Unmarshal(sm.body, &v); err != nil {
			t.Fatalf("%s: %v: %s", sm.name, err, sm.body)
		}
		if err := s.check(map[string]any{"$ref": "#/components/schemas/" + sm.schema}, v, sm.name); err != nil {
			t.Errorf("%s does not match %s: %v\n%s", sm.name, sm.schema, err, sm.body)
		}
	}
}

// check validates v against a (small subset of) JSON schema: $ref, allOf, oneOf, type,
// required, properties, items, additionalProperties, nullable, enum.
func (s spec) check(sch map[string]any, v any, path string) error {
	if ref, ok := sch["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		def, ok := s.Components.Schemas[name]
		if !ok {
			return fmt.Errorf("%s: unknown schema %s", path, ref)
		}
		return s.check(def, v, path)
	}
	if all, ok := sch["allOf"].([]any); ok {
		for _, a := range all {
			if v == nil && sch["nullable"] == true {
				return nil
			}
			if err := s.check(a.(map[string]any), v, path); err != nil {
				return err
			}
		}
	}
	if one, ok := sch["oneOf"].([]any); ok {
		var errs []string
		for _, a := range one {
			err := s.check(a.(map[string]any), v, path)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: matches no alternative: %s", path, strings.Join(errs, "; "))
	}
	if v == nil {
		if sch["nullable"] == true || sch["type"] == nil {
			return nil
		}
		return fmt.Errorf("%s: null", path)
	}
	switch sch["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: not an object", path)
		}
		if req, ok := sch["required"].([]any); ok {
			for _, r := range req {
				if _, ok := m[r.(string)]; !ok {
					return fmt.Errorf("%s: lacks required %q", path, r)
				}
			}
		}
		props, _ := sch["properties"].(map[string]any)
		for k, pv := range m {
			if ps, ok := props[k].(map[string]any); ok {
				if err := s.check(ps, pv, path+"."+k); err != nil {
					return err
				}
			} else if ap, ok := sch["additionalProperties"].(map[string]any); ok {
				if err := s.check(ap, pv, path+"."+k); err != nil {
					return err
				}
			} else if sch["additionalProperties"] == false {
				return fmt.Errorf("%s: unexpected property %q", path, k)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: not an array", path)
		}
		if items, ok := sch["items"].(map[string]any); ok {
			for i, x := range a {
				if err := s.check(items, x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: not a string", path)
		}
		if enum, ok := sch["enum"].([]any); ok {
			found := false
			for _, x := range enum {
				found = found || x == str
			}
			if !found {
				return fmt.Errorf("%s: %q not in %v", path, str, enum)
			}
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			return fmt.Errorf("%s: not an integer", path)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("%s: not a number", path)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: not a boolean", path)
		}
	}
	return nil
}

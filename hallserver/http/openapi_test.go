package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"onedoor/hallserver/wire"
	"onedoor/internal/testtool"
)

// spec is openapi.json: its paths, and its schemas compiled for validation.
type spec struct {
	Paths    map[string]map[string]json.RawMessage `json:"paths"`
	compiler *jsonschema.Compiler
}

func loadSpec(t *testing.T) spec {
	t.Helper()
	var s spec
	if err := json.Unmarshal(openapiJSON, &s); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	c, err := compileSpec(openapiJSON)
	if err != nil {
		t.Fatal(err)
	}
	s.compiler = c
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
	// The validator itself catches a missing property and a wrong type.
	if s.validate("IssuedTicket", map[string]any{"id": "x"}) == nil ||
		s.validate("Health", map[string]any{"status": 1}) == nil {
		t.Fatal("schema validator accepts bad samples")
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
		if err := s.validate(sm.schema, v); err != nil {
			t.Errorf("%s does not match %s: %v\n%s", sm.name, sm.schema, err, sm.body)
		}
	}
}

// validate checks v (as encoding/json decodes it) against the schema name of openapi.json with a
// real JSON Schema validator (santhosh-tekuri/jsonschema: oneOf must match exactly one
// alternative, additionalProperties, enums, formats aside).
func (s spec) validate(name string, v any) error {
	sch, err := s.compiler.Compile(specURL + "#/components/schemas/" + name)
	if err != nil {
		return fmt.Errorf("compile %s: %w", name, err)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// specURL names openapi.json in the validator's compiler.
const specURL = "mem:///openapi.json"

// compileSpec loads openapi.json into a JSON Schema compiler. OpenAPI 3.0's nullable has no JSON
// Schema keyword: a schema with nullable: true becomes anyOf [the schema, null].
func compileSpec(raw []byte) (*jsonschema.Compiler, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(specURL, nullableToAnyOf(doc)); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	return c, nil
}

// nullableToAnyOf rewrites OpenAPI 3.0's nullable: true into JSON Schema, recursively.
func nullableToAnyOf(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = nullableToAnyOf(e)
		}
		if out["nullable"] == true {
			delete(out, "nullable")
			return map[string]any{"anyOf": []any{out, map[string]any{"type": "null"}}}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = nullableToAnyOf(e)
		}
		return out
	}
	return v
}

// TestOpenAPILintsClean runs Redocly's linter (@redocly/cli, pinned in scripts/deps.sh, its
// recommended rules) over openapi.json: no errors (it once found 28: public operations without
// security: [], a nullable without a type, required properties without properties).
func TestOpenAPILintsClean(t *testing.T) {
	redocly := testtool.Path(t, "redocly")
	root, err := testtool.Root()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(redocly, "lint", "--format=summary", filepath.Join(root, "hallserver", "http", "openapi.json"))
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_UPDATE_NOTIFIER=1")
	cmd.Dir = t.TempDir() // no redocly.yaml: the recommended rules
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redocly lint: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Your API description is valid") {
		t.Fatalf("redocly lint did not say the description is valid:\n%s", out)
	}
}

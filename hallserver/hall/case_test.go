package hall

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// publicEntryFields is the explicit list of what the requester may see of a timeline entry of
// each event type (JSON names; "public" is the flag itself). A type missing here fails the test:
// a new event type needs a decision. nil means the entry is not public at all.
var publicEntryFields = map[CaseEventType][]string{
	CaseEvReceived:           {"at", "type", "department"},
	CaseEvRouted:             {"at", "type", "department"},
	CaseEvTriaged:            {"at", "type", "department"},
	CaseEvDispatched:         {"at", "type", "department"},
	CaseEvSigned:             {"at", "type", "department"},
	CaseEvResponded:          {"at", "type", "department", "text"}, // the interim answer, to the requester
	CaseEvAsked:              {"at", "type", "department", "text"}, // the question, to the requester
	CaseEvDetails:            {"at", "type", "text"},               // the requester's own words
	CaseEvResumed:            {"at", "type", "department"},
	CaseEvReplied:            {"at", "type", "department", "text"}, // the reply
	CaseEvRated:              {"at", "type", "text"},               // the requester's own comment
	CaseEvReopened:           {"at", "type", "department"},
	CaseEvArchived:           {"at", "type", "department"},
	CaseEvDuplicate:          {"at", "type", "department"},
	CaseEvNotAccepted:        {"at", "type", "department", "text"}, // the reason, to the requester
	CaseEvReturned:           {"at", "type"},                       // "已退回重新分派"
	CaseEvInvited:            {"at", "type", "department"},         // "已请保卫处协办"
	CaseEvSupervised:         {"at", "type"},                       // "已列入督办"
	CaseEvPartDone:           nil,
	CaseEvExtensionRequested: nil,
	CaseEvExtensionDecided:   nil,
	CaseEvListed:             nil,
	CaseEvNoted:              nil,
	CaseEvAssigned:           nil, // who owns it is internal
	CaseEvWarned:             nil,
	CaseEvEscalated:          nil,
}

// declaredCaseEventTypes parses the package's source and returns every constant declared with
// the type CaseEventType: the list cannot be forgotten when a type is added.
func declaredCaseEventTypes(t *testing.T) []CaseEventType {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []CaseEventType
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, sp := range g.Specs {
					vs := sp.(*ast.ValueSpec)
					if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "CaseEventType" {
						continue
					}
					for _, v := range vs.Values {
						lit, ok := v.(*ast.BasicLit)
						if !ok {
							t.Fatalf("CaseEventType constant with a non-literal value at %s", fset.Position(v.Pos()))
						}
						out = append(out, CaseEventType(strings.Trim(lit.Value, `"`)))
					}
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("found no CaseEventType constants")
	}
	return out
}

// jsonKeys returns the keys of v's JSON object that hold something (not "", null, {} or []),
// sorted.
func jsonKeys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m))
	for k, v := range m {
		switch string(v) {
		case `""`, "null", "{}", "[]":
			continue // empty: shows nothing
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestEveryCaseEventTypeHasAPublicRule goes over every case event type declared in the package
// and checks the public view of its timeline entry and of its event against publicEntryFields.
func TestEveryCaseEventTypeHasAPublicRule(t *testing.T) {
	declared := declaredCaseEventTypes(t)
	for _, typ := range declared {
		if !slices.Contains(CaseEventTypes, typ) {
			t.Errorf("%s is declared but not in CaseEventTypes", typ)
		}
	}
	if len(CaseEventTypes) != len(declared) {
		t.Errorf("CaseEventTypes has %d types, the package declares %d", len(CaseEventTypes), len(declared))
	}
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	for _, typ := range declared {
		want, listed := publicEntryFields[typ]
		if !listed {
			t.Errorf("%s: no decision in publicEntryFields: say which fields the requester may see", typ)
			continue
		}
		if _, ok := typ.Visibility(); !ok {
			t.Errorf("%s: Visibility has no rule", typ)
			continue
		}
		entry := CaseEntry{At: at, Type: typ, Actor: "staff-zhang", Department: "security", Text: "处长张某某多次拖延", Public: true}
		c := Case{ID: "case-20261125-7", Number: "JS20261125-0003", Token: "tok", State: CaseInProgress, Timeline: []CaseEntry{entry}}
		p := c.Public()
		ev := CaseEvent{Seq: 9, Type: typ, At: at, Actor: "staff-zhang", Department: "security", Limit: "reply", Case: &c}
		pe, evShown := ev.Public()
		if want == nil {
			if len(p.Timeline) != 0 || evShown {
				t.Errorf("%s: internal, but public view has %+v (event shown %v)", typ, p.Timeline, evShown)
			}
			continue
		}
		if len(p.Timeline) != 1 {
			t.Errorf("%s: public, but the public timeline has %d entries", typ, len(p.Timeline))
			continue
		}
		got := jsonKeys(t, p.Timeline[0])
		wantKeys := append(append([]string(nil), want...), "public")
		sort.Strings(wantKeys)
		if !slices.Equal(got, wantKeys) {
			t.Errorf("%s: public entry has fields %v, want exactly %v", typ, got, wantKeys)
		}
		if !evShown {
			t.Errorf("%s: public entry but the event is not public", typ)
			continue
		}
		evWant := []string{"at", "case", "seq", "type"}
		if slices.Contains(want, "department") {
			evWant = append(evWant, "department")
		}
		sort.Strings(evWant)
		if got := jsonKeys(t, pe); !slices.Equal(got, evWant) {
			t.Errorf("%s: public event has fields %v, want exactly %v", typ, got, evWant)
		}
		if pe.Case == nil || len(pe.Case.Timeline) != 1 || !reflect.DeepEqual(pe.Case.Timeline[0], p.Timeline[0]) {
			t.Errorf("%s: the public event's case is not the public view", typ)
		}
		// an entry the workflow marked internal stays internal, whatever its type
		entry.Public = false
		c.Timeline = []CaseEntry{entry}
		if len(c.Public().Timeline) != 0 {
			t.Errorf("%s: an internal entry became public", typ)
		}
		if _, shown := ev.Public(); shown {
			t.Errorf("%s: the event of an internal entry is public", typ)
		}
	}
	if _, ok := CaseEventType("case.made_up").Visibility(); ok {
		t.Error("an unknown event type has a rule")
	}
}

// fill sets every field of v (recursively) to a non-zero value: strings name their field, so a
// leak says what leaked.
func fill(v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x-" + name)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint64:
		v.SetUint(7)
	case reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), name)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), name)
		v.Set(s)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), v.Type().Field(i).Name)
			}
		}
	}
}

// TestCasePublicFields fills every field of a case and checks the public view against the
// explicit list of public fields: a new field of Case is private until it is listed here.
func TestCasePublicFields(t *testing.T) {
	var c Case
	fill(reflect.ValueOf(&c).Elem(), "Case")
	c.ID, c.Ticket, c.DuplicateOf = "case-20261125-57", "students-20261125-12", "JS20261125-0002"
	c.Duplicates = []string{"JS20261125-0009"}
	c.Timeline = []CaseEntry{{At: time.Now(), Type: CaseEvReplied, Actor: "h-library", Department: "library", Text: "答复", Public: true}}
	p := c.Public()
	want := []string{"category", "channel", "closedAt", "department", "dispatchedAt", "due", "extendedDays",
		"firstResponseAt", "hall", "kind", "lang", "longStanding", "number", "parts", "pausedAt", "pausedSeconds",
		"question", "ratings", "reason", "receivedAt", "reopens", "repliedAt", "replies", "replyDue", "replyLate",
		"requester", "resolveLate", "respondedAt", "returns", "round", "roundStart", "signedAt", "state",
		"supervised", "text", "timeline", "title", "token", "updatedAt"}
	if got := jsonKeys(t, p); !slices.Equal(got, want) {
		t.Errorf("public case fields\n got %v\nwant %v", got, want)
	}
	if got := jsonKeys(t, p.Parts[0]); !slices.Equal(got, []string{"department", "done", "invitedAt"}) {
		t.Errorf("public part fields %v", got)
	}
	if got := jsonKeys(t, p.Replies[0]); !slices.Equal(got, []string{"at", "department", "round", "text"}) {
		t.Errorf("public reply fields %v", got)
	}
	if got := jsonKeys(t, p.Timers); len(got) != 0 {
		t.Errorf("public timers %v", got)
	}
	if p.Requester != c.Requester.Masked() {
		t.Errorf("requester not masked: %+v", p.Requester)
	}
	b, _ := json.Marshal(p)
	for _, s := range []string{c.ID, c.Ticket, c.DuplicateOf, c.Duplicates[0], "h-library", "20261125-"} {
		if strings.Contains(string(b), s) {
			t.Errorf("public view shows %q: %s", s, b)
		}
	}
	if c.ID == "" || c.Ticket == "" || len(c.Duplicates) != 1 {
		t.Fatal("Public changed the original case")
	}
}

package http

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// hallConstants reads package hall's source and returns the values of its string constants of
// each named type ("TicketState": ["waiting", …]): the catalogue is checked against what the
// domain declares, not against a list that could go stale with it.
func hallConstants(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "hall", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("hall sources: %v (%d files)", err, len(files))
	}
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						out[id.Name] = append(out[id.Name], strings.Trim(lit.Value, "\"`"))
					}
				}
			}
		}
	}
	return out
}

// checkTable fails unless table has a Chinese and an English label for exactly the keys want.
func checkTable[K ~string](t *testing.T, name string, table map[K]hall.Text, want []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, k := range want {
		seen[k] = true
		l, ok := table[K(k)]
		switch {
		case !ok:
			t.Errorf("%s: no label for %q", name, k)
		case !strings.ContainsFunc(l.Zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }):
			t.Errorf("%s %q: Chinese label %q", name, k, l.Zh)
		case strings.TrimSpace(l.En) == "" || strings.ContainsFunc(l.En, func(r rune) bool { return unicode.Is(unicode.Han, r) }):
			t.Errorf("%s %q: English label %q", name, k, l.En)
		}
	}
	for k := range table {
		if !seen[string(k)] {
			t.Errorf("%s: label for %q, which package hall does not declare (or the audience does not see)", name, k)
		}
	}
}

// TestLabelCatalogueIsComplete: every ticket state, counter state, case state, case event type,
// request kind and console action that package hall declares has a Chinese and an English label in the
// catalogue of each audience that sees it (the public one: only the event types the requester
// is shown).
func TestLabelCatalogueIsComplete(t *testing.T) {
	c := hallConstants(t)
	for _, typ := range []string{"TicketState", "CounterState", "CaseState", "CaseEventType", "Kind"} {
		if len(c[typ]) == 0 {
			t.Fatalf("no %s constants found in package hall", typ)
		}
	}
	if len(c["CaseEventType"]) != len(hall.CaseEventTypes) || len(c["CaseState"]) != len(hall.CaseStates) {
		t.Fatalf("constants read %d event types, %d case states; hall lists %d, %d", len(c["CaseEventType"]), len(c["CaseState"]), len(hall.CaseEventTypes), len(hall.CaseStates))
	}
	var shown []string
	for _, ev := range c["CaseEventType"] {
		if v, ok := hall.CaseEventType(ev).Visibility(); ok && v.Shown {
			shown = append(shown, ev)
		}
	}
	pub, staff := publicLabels(), staffLabels()
	checkTable(t, "public ticket", pub.Ticket, c["TicketState"])
	checkTable(t, "public case", pub.Case, c["CaseState"])
	checkTable(t, "public event", pub.Event, shown)
	checkTable(t, "staff ticket", staff.Ticket, c["TicketState"])
	checkTable(t, "staff counter", staff.Counter, c["CounterState"])
	checkTable(t, "staff case", staff.Case, c["CaseState"])
	checkTable(t, "staff event", staff.Event, c["CaseEventType"])
	checkTable(t, "staff kind", staff.Kind, c["Kind"])
	checkTable(t, "staff relation", staff.Relation, []string{"duplicate", "original", "similar"})
	checkTable(t, "staff inbox", staff.Inbox, []string{"requester", "kiosk", "api", "system", "original", "added", "noText", "coHandling", "assignee", "lead"})
	// The console's buttons: every counter action but call-next (which says the number called),
	// and the ones it has no button for.
	var done []string
	for _, a := range hall.CounterActions {
		switch a {
		case hall.ActCallNext, hall.ActCancel:
		default:
			done = append(done, a)
		}
	}
	checkTable(t, "staff done", staff.Done, done)
	alerts := slices.Clone(hall.AlertKinds)
	for _, st := range hall.DeviceStates {
		if st != hall.DeviceOK {
			alerts = append(alerts, "printer."+st)
		}
	}
	checkTable(t, "staff device alert", staff.Alert, alerts)
	checkTable(t, "staff device role", staff.Device, []string{string(hall.RoleKiosk), string(hall.RoleDisplay)})
	// The visit rating's words: the five steps of the government-service scale and every preset
	// reason, on the counter-side page and the staff pages alike.
	for _, c := range []*labelCatalogue{staff, rateLabels()} {
		for n := 1; n <= 5; n++ {
			if l := c.Rate["star."+strconv.Itoa(n)]; l.Zh == "" || l.En == "" {
				t.Errorf("no label for %d stars", n)
			}
		}
		for _, r := range hall.VisitReasons {
			if l := c.Rate["reason."+r]; l.Zh == "" || l.En == "" {
				t.Errorf("no label for the reason %q", r)
			}
		}
	}
	checkTable(t, "supervision escalation", supervisionLabels().Escalation, cases.EscalationReasons)
	if l := rateLabels().Rate["star.5"]; l.Zh != "非常满意" {
		t.Errorf("5 stars: %+v, want 非常满意", l)
	}
	if l := rateLabels().Rate["star.1"]; l.Zh != "非常不满意" {
		t.Errorf("1 star: %+v, want 非常不满意", l)
	}
	if got := pub.invitedLabel(hall.Text{Zh: "保卫处", En: "Security"}); got != (hall.Text{Zh: "已请保卫处协办", En: "Co-handling requested from Security"}) {
		t.Errorf("co-handling line %+v", got)
	}
}

// TestScriptsCarryNoLabelTable: no page script spells a label of the catalogue as a string of
// its own: the labels reach the scripts only through the boot block. (Two-character Chinese
// labels are left out: "答复" and "办结" also name the two time limits in the inbox.)
func TestScriptsCarryNoLabelTable(t *testing.T) {
	var labels []string
	for _, c := range []*labelCatalogue{publicLabels(), staffLabels()} {
		for _, m := range []map[string]hall.Text{texts(c.Ticket), texts(c.Counter), texts(c.Case), texts(c.Event), texts(c.Kind), c.Relation, c.Done, c.Inbox, c.Files, c.Rate} {
			for _, l := range m {
				if len([]rune(l.Zh)) > 2 {
					labels = append(labels, l.Zh)
				}
				labels = append(labels, l.En)
			}
		}
	}
	scripts, err := fs.Glob(webFS, "web/*.js")
	if err != nil || len(scripts) < 5 {
		t.Fatalf("scripts: %v %v", scripts, err)
	}
	for _, name := range scripts {
		b, err := webFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, l := range labels {
			// A label as a whole string literal, or as the first item of a ["zh", "en"] pair.
			for _, q := range []string{`"` + l + `"`, `["` + l + `",`} {
				if strings.Contains(src, q) {
					t.Errorf("%s spells the label %s", name, q)
				}
			}
		}
	}
}

func texts[K ~string](m map[K]hall.Text) map[string]hall.Text {
	out := make(map[string]hall.Text, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

var bootBlock = regexp.MustCompile(`<script type="application/json" id="onedoor-boot">([^<]*)</script>`)

// pageBootOf returns the boot block of a served page, failing when there is not exactly one.
func pageBootOf(t *testing.T, page string) pageBoot {
	t.Helper()
	m := bootBlock.FindAllStringSubmatch(page, -1)
	if len(m) != 1 {
		t.Fatalf("%d boot blocks in the page", len(m))
	}
	var b pageBoot
	if err := json.Unmarshal([]byte(html.UnescapeString(m[0][1])), &b); err != nil {
		t.Fatalf("boot block %q: %v", m[0][1], err)
	}
	return b
}

// TestPagesGetZoneAndLabelsTheSameWay: the counter console, the inbox, the display and the follow
// page each carry one boot block with the campus zone, and the labels of their audience (on the
// display only the words of when a service opens); the supervision page (drawn on the server) carries the same sign-in form as the
// console and the inbox.
func TestPagesGetZoneAndLabelsTheSameWay(t *testing.T) {
	e := newEnv(t, withCampusZone("Asia/Kolkata"))
	tk := e.issue("A")
	for _, p := range []struct {
		path   string
		labels *labelCatalogue
	}{
		{"/counter", staffLabels()}, {"/cases", staffLabels()}, {"/display/students", displayLabels()}, {"/t/" + tk.Token, publicLabels()},
		{"/admin", adminLabels()},
	} {
		r := e.do("GET", p.path, "", nil)
		if r.status != 200 {
			t.Fatalf("%s: %d", p.path, r.status)
		}
		b := pageBootOf(t, string(r.body))
		if b.Zone != "Asia/Kolkata" {
			t.Errorf("%s: zone %q", p.path, b.Zone)
		}
		want, _ := json.Marshal(p.labels)
		if got, _ := json.Marshal(b.Labels); string(got) != string(want) {
			t.Errorf("%s: labels %s, want %s", p.path, got, want)
		}
		if strings.Contains(string(r.body), "data-tz") {
			t.Errorf("%s: a second way to hand the zone", p.path)
		}
	}
	for _, p := range []string{"/counter", "/cases", "/supervision", "/admin", "/reports"} {
		page := string(e.do("GET", p, "", nil).body)
		for _, id := range []string{`id="login"`, `id="login-form"`, `id="username"`, `id="password"`, `id="login-btn"`, `id="login-error"`} {
			if strings.Count(page, id) != 1 {
				t.Errorf("%s: %d× %s", p, strings.Count(page, id), id)
			}
		}
	}
}

// withCampusZone sets the campus time zone of the test server.
func withCampusZone(tz string) envOption { return func(e *env) { e.campus.TimeZone = tz } }

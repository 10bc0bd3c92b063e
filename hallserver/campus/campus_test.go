package campus

import (
	"strings"
	"testing"

	"onedoor/hallserver/hall"
)

func TestDemoCampusMatchesTheIssue(t *testing.T) {
	c := Demo()
	want := map[string]string{
		"students": "ABCDEF",
		"colleges": "GHIF",
		"teachers": "JKLF",
	}
	if len(c.Halls) != len(want) {
		t.Fatalf("demo campus has %d halls, want %d", len(c.Halls), len(want))
	}
	for code, svcs := range want {
		h, ok := c.Hall(code)
		if !ok {
			t.Fatalf("demo campus lacks hall %q", code)
		}
		var got string
		for _, s := range h.Services {
			got += s.Code
			if s.Name.Zh == "" || s.Name.En == "" || len(s.Materials) == 0 || s.AvgMinutes <= 0 {
				t.Errorf("%s/%s: incomplete service %+v", code, s.Code, s)
			}
		}
		if got != svcs {
			t.Errorf("hall %s services %s, want %s", code, got, svcs)
		}
	}
	if h, _ := c.Hall("students"); len(h.Counters) != 6 {
		t.Errorf("students hall has %d counters, want 6", len(h.Counters))
	}
	for _, d := range []string{"academic", "student", "logistics", "library", "finance", "it", "security",
		"careers", "international", "graduate", "hr", "health", "office"} {
		if _, ok := c.Department(d); !ok {
			t.Errorf("department %q missing", d)
		}
	}
}

func TestDemoAccounts(t *testing.T) {
	c := Demo()
	names := map[string]hall.Staff{}
	for _, s := range DemoStaff(c) {
		names[s.Username] = s
	}
	for _, u := range []string{"admin", "supervisor", "counter1", "counter6", "h-academic", "h-office"} {
		if _, ok := names[u]; !ok {
			t.Errorf("demo account %q missing", u)
		}
	}
	if got := names["counter1"].Halls; len(got) != 1 || got[0] != "students" {
		t.Errorf("counter1 halls = %v, want [students]", got)
	}
	if names["h-finance"].Role != hall.RoleHandler || names["h-finance"].Department != "finance" {
		t.Errorf("h-finance = %+v", names["h-finance"])
	}
	tokens := map[string]bool{}
	for _, d := range DemoDevices(c) {
		tokens[d.Token] = true
	}
	for _, tok := range []string{"demo-kiosk-students", "demo-display-teachers"} {
		if !tokens[tok] {
			t.Errorf("demo device token %q missing", tok)
		}
	}
}

func TestLoadRejectsBadCampus(t *testing.T) {
	cases := []struct{ name, yaml, field string }{
		{"unknown key", "halls: []\ncolour: red\n", ""},
		{"no halls", "name: {zh: x, en: x}\n", "halls"},
		{"bad service code", `halls:
  - code: h
    name: {zh: 厅, en: Hall}
    services: [{code: AB, name: {zh: x, en: x}, avgMinutes: 1}]
    counters: [{number: 1, services: [AB]}]
`, "halls[0].services[0].code"},
		{"counter serves unknown service", `halls:
  - code: h
    name: {zh: 厅, en: Hall}
    services: [{code: A, name: {zh: x, en: x}, avgMinutes: 1}]
    counters: [{number: 1, services: [B]}]
`, "halls[0].counters[0].services"},
		{"bad time zone", `timeZone: Mars/Olympus
halls:
  - code: h
    name: {zh: 厅, en: Hall}
    services: [{code: A, name: {zh: x, en: x}, avgMinutes: 1}]
    counters: [{number: 1, services: [A]}]
`, "timeZone"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.yaml))
			if err == nil {
				t.Fatal("Load accepted a bad campus")
			}
			if hall.ErrorCode(err) != hall.EINVALID {
				t.Errorf("code %q, want invalid: %v", hall.ErrorCode(err), err)
			}
			if tc.field != "" && hall.ErrorField(err) != tc.field {
				t.Errorf("field %q, want %q (%v)", hall.ErrorField(err), tc.field, err)
			}
		})
	}
}

func TestDemoYAMLRoundTrips(t *testing.T) {
	c, err := Load(strings.NewReader(string(DemoYAML())))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(Describe(c), "学生事务大厅") {
		t.Errorf("Describe lacks the hall name:\n%s", Describe(c))
	}
}

func TestDemoCalendar(t *testing.T) {
	c := Demo()
	if c.Calendar == nil || len(c.Calendar.Holidays) < 30 || len(c.Calendar.Workdays) == 0 {
		t.Fatalf("demo calendar %+v", c.Calendar)
	}
	bad := strings.Replace(string(DemoYAML()), "2026-10-10]", "2026-13-10]", 1)
	_, err := Load(strings.NewReader(bad))
	if hall.ErrorCode(err) != hall.EINVALID || !strings.HasPrefix(hall.ErrorField(err), "calendar.workdays[") {
		t.Fatalf("bad calendar date: %v (field %q)", err, hall.ErrorField(err))
	}
}

// FuzzLoad: any bytes give a valid campus or an error, never a panic, and an accepted campus
// passes its own validation.
func FuzzLoad(f *testing.F) {
	f.Add(DemoYAML())
	f.Add([]byte("halls: []\n"))
	f.Add([]byte("halls:\n  - code: h\n    name: {zh: 厅}\n    services: [{code: A, name: {zh: x}, avgMinutes: 1}]\n    counters: [{number: 1, services: [A]}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Load(strings.NewReader(string(b)))
		if err != nil {
			if hall.ErrorCode(err) != hall.EINVALID {
				t.Fatalf("error code %q: %v", hall.ErrorCode(err), err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted campus fails validation: %v", err)
		}
	})
}

package campus

import (
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

func TestDemoCampusMatchesTheIssue(t *testing.T) {
	c := Demo()
	want := map[string]string{
		"students": "ABCDEF",
		"colleges": "GHIF",
		"teachers": "JKLMF", // M: seasonal (issue 13)
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
`, "halls[0].counters[0].services[0]"},
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

// The demo campus's hours: weekdays with a lunch break, the cashier (C) closing at 16:30,
// reimbursements (K) on Tuesday and Thursday, the National Day week closed.
func TestDemoOpeningHours(t *testing.T) {
	c := Demo()
	loc, _ := c.Location()
	at := func(v string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", v, loc)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, tc := range []struct{ hall, svc, now, want string }{
		{"students", "A", "2026-12-04 12:00", "2026-12-04 14:00"},
		{"students", "C", "2026-12-04 16:40", "2026-12-07 08:30"},
		{"students", "A", "2026-12-04 16:40", "2026-12-04 16:40"},
		{"teachers", "K", "2026-12-07 09:00", "2026-12-08 08:30"},
		{"colleges", "G", "2026-09-30 17:00", "2026-10-08 08:30"},
		{"colleges", "G", "2026-10-10 08:00", "2026-10-10 08:30"}, // 调休 Saturday
	} {
		s, err := Schedule(&c, tc.hall, tc.svc)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := s.NextOpen(at(tc.now))
		if !ok || !got.Equal(at(tc.want)) {
			t.Errorf("%s/%s at %s: next open %v, want %s", tc.hall, tc.svc, tc.now, got, tc.want)
		}
	}
	if _, err := Schedule(&c, "nowhere", "A"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Errorf("unknown hall: %v", err)
	}
}

func TestLoadRejectsBadHours(t *testing.T) {
	for _, tc := range []struct{ from, to, field string }{
		{`times: ["08:30-11:30", "14:00-17:00"]}
    # People`, `times: ["08:30-11:30", "14:00-7:00"]}
    # People`, "halls[0].hours[0].times[1]"},
		{`{days: mon-fri, times: ["08:30-11:30", "14:00-16:30"]}`, `{days: weekdays, times: ["08:30-11:30"]}`, "halls[0].services[2].hours[0].days"},
	} {
		bad := strings.Replace(string(DemoYAML()), tc.from, tc.to, 1)
		if bad == string(DemoYAML()) {
			t.Fatalf("%q not in the demo file", tc.from)
		}
		_, err := Load(strings.NewReader(bad))
		if hall.ErrorCode(err) != hall.EINVALID || hall.ErrorField(err) != tc.field {
			t.Errorf("bad hours: %v (field %q), want field %q", err, hall.ErrorField(err), tc.field)
		}
	}
}

// TestDemoSeasonAndQuota: the demo teachers' centre has a seasonal service M (2027-01-04..01-15,
// 120 a day) and a quota of 60 on L; the halls the outside checks load take tickets at any hour;
// bad values in the file are refused with the field.
func TestDemoSeasonAndQuota(t *testing.T) {
	c := Demo()
	th, _ := c.Hall("teachers")
	m, ok := th.Service("M")
	if !ok || m.From != "2027-01-04" || m.Until != "2027-01-15" || m.Quota != 120 {
		t.Errorf("teachers/M: %+v", m)
	}
	if l, _ := th.Service("L"); l.Quota != 60 {
		t.Errorf("teachers/L quota %d, want 60", l.Quota)
	}
	if th.IssueOutsideHours {
		t.Error("the teachers' centre should issue within its hours only")
	}
	for _, code := range []string{"students", "colleges"} {
		h, _ := c.Hall(code)
		if !h.IssueOutsideHours {
			t.Errorf("%s: issueOutsideHours off (the outside checks issue at any hour)", code)
		}
		for _, sv := range h.Services {
			if sv.Quota != 0 || sv.From != "" || sv.Until != "" {
				t.Errorf("%s/%s has a quota or a season: %+v", code, sv.Code, sv)
			}
		}
	}
	for _, tc := range []struct{ from, to, field string }{
		{"quota: 60", "quota: -5", "halls[2].services[2].quota"},
		{"until: 2027-01-15", "until: 2027-01-01", "halls[2].services[3].until"},
		{"from: 2027-01-04", "from: 2027-13-04", "halls[2].services[3].from"},
	} {
		bad := strings.Replace(string(DemoYAML()), tc.from, tc.to, 1)
		if bad == string(DemoYAML()) {
			t.Fatalf("%q not in the demo file", tc.from)
		}
		_, err := Load(strings.NewReader(bad))
		if hall.ErrorCode(err) != hall.EINVALID || hall.ErrorField(err) != tc.field {
			t.Errorf("%s: %v (field %q), want field %q", tc.to, err, hall.ErrorField(err), tc.field)
		}
	}
}

package http

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
	"onedoor/internal/testtool"
)

// seasonal is the students hall's service F of newAdminEnv: every optional field set (quota,
// season, hours, materials, department), so that a page save must carry them unchanged.
var seasonal = hall.Service{Code: "F", Name: hall.Text{Zh: "学费缴纳", En: "Tuition fees"}, AvgMinutes: 6, Department: "finance",
	Quota: 40, From: "2026-01-04", Until: "2027-12-31",
	Hours:     []hall.OpeningHours{{Days: "mon-fri", Times: []string{"08:30-11:30", "14:00-17:00"}}},
	Materials: []hall.Text{{Zh: "缴费通知单", En: "Fee notice"}, {Zh: "银行卡", En: "Bank card"}}}

// newAdminEnv is an env with the live campus, the long-standing list, two departments, the
// seasonal service F at counter 4 of the students hall, a business calendar and a supervisor.
func newAdminEnv(t *testing.T) *env {
	t.Helper()
	closeCases := func() {}
	e := newEnv(t, func(x *env) {
		x.campus.Departments = campus.Demo().Departments // the case categories name them
		h := &x.campus.Halls[0]
		h.Services = append(slices.Clone(h.Services), seasonal)
		h.Counters = append(slices.Clone(h.Counters), hall.CounterConfig{Number: 4, Services: []string{"F"}})
		x.campus.Calendar = &hall.Calendar{Holidays: []string{"2027-01-01"}, Workdays: []string{}}
		x.config = func(c *Config) {
			c.CampusLive = c.Queue.(hall.CampusService)
			var depts []string
			for _, d := range x.campus.Departments {
				depts = append(depts, d.Code)
			}
			cs, err := bolt.NewCases(context.Background(), x.db, x.campus, cases.Config{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			closeCases = func() { cs.Close() } // before the env closes the file
			list, err := bolt.NewLongList(x.db, depts, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.Cases, c.LongList = cs, list
		}
	})
	t.Cleanup(func() { closeCases() })
	if err := e.auth.CreateStaff(context.Background(), hall.Staff{Username: "supervisor", Role: hall.RoleSupervisor, Department: hall.OfficeDepartment}, "demo"); err != nil {
		t.Fatal(err)
	}
	return e
}

// setField sets the value of the input matched by the CSS selector sel as a person typing would
// leave it, and fires its input and change events.
func setField(t testing.TB, ctx context.Context, sel, v string) {
	t.Helper()
	got := evalString(t, ctx, `(function(){var i=document.querySelector(`+jsString(sel)+`);if(!i){return "missing"}
		i.value=`+jsString(v)+`;i.dispatchEvent(new Event("input",{bubbles:true}));i.dispatchEvent(new Event("change",{bubbles:true}));return "ok"})()`)
	if got != "ok" {
		t.Fatalf("set %s: no such input", sel)
	}
}

// click clicks the element matched by sel (by script: it may be below the fold).
func click(t testing.TB, ctx context.Context, sel string) {
	t.Helper()
	if evalString(t, ctx, `(function(){var b=document.querySelector(`+jsString(sel)+`);if(!b){return "missing"}b.click();return "ok"})()`) != "ok" {
		t.Fatalf("click %s: no such element", sel)
	}
}

// adminTab opens a section of the admin page and waits until it is shown.
func adminTab(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	click(t, ctx, `#tabs a[data-tab="`+name+`"]`)
	must(t, ctx, "tab "+name, `onedoorAdmin.tab() === "`+name+`" && !document.getElementById("tab-`+name+`").hidden`, 3*time.Second)
}

// TestAdminPageInBrowser works through every section of /admin in Chromium as an administrator
// would, checking each edit where it matters: the stored campus, the kiosk-facing hall, the
// staff's sessions, the device health, the hall snapshot, /roadmap and the audit trail. With
// -web-screenshots it writes admin-<section>.png (make screenshots-web).
func TestAdminPageInBrowser(t *testing.T) {
	e := newAdminEnv(t)
	ctx := browser(t, 1440, 900)
	run(t, ctx, "open /admin", chromedp.Navigate(e.ts.URL+"/admin"))
	must(t, ctx, "sign-in form", `window.onedoorAdmin && onedoorAdmin.ready() && !document.getElementById("login").hidden`, 5*time.Second)
	evalString(t, ctx, `(window.confirm = function () { return true; }, "")`)

	// 1. Sign-in: counter staff and the supervisor see "not allowed", and the API refuses them.
	for _, u := range []string{"counter1", "supervisor"} {
		signInForm(t, ctx, u)
		must(t, ctx, u+" not allowed", `!document.getElementById("forbidden").hidden && document.getElementById("app").hidden && document.getElementById("login").hidden`, 5*time.Second)
		if u == "counter1" {
			shot(t, ctx, "admin-forbidden")
		}
		if r := e.do("GET", "/api/v1/admin/staff", e.login(u), nil); r.status != 403 {
			t.Errorf("%s GET /api/v1/admin/staff: %d, want 403", u, r.status)
		}
		click(t, ctx, "#logout")
		must(t, ctx, "signed out", `window.onedoorAdmin && onedoorAdmin.ready() && !document.getElementById("login").hidden`, 5*time.Second)
		evalString(t, ctx, `(window.confirm = function () { return true; }, "")`)
	}
	signInForm(t, ctx, "admin")
	must(t, ctx, "admin sees the campus", `!document.getElementById("app").hidden && onedoorAdmin.tab() === "campus" && !!document.querySelector('[data-path="halls[0].code"]')`, 5*time.Second)
	evalString(t, ctx, `(window.confirm = function () { return true; }, window.sent = [], window.realFetch = window.fetch,
		window.fetch = function (u, o) { if (o && o.method && o.method !== "GET") { sent.push({url: String(u), method: o.method, body: o.body ? String(o.body) : ""}); } else { sent.push({url: String(u), method: "GET"}); } return realFetch.apply(this, arguments); }, "")`)
	admin := e.login("admin")

	t.Run("campus", func(t *testing.T) { adminCampus(t, e, ctx, admin) })
	t.Run("calendar", func(t *testing.T) { adminCalendar(t, e, ctx, admin) })
	t.Run("staff", func(t *testing.T) { adminStaff(t, e, ctx, admin) })
	t.Run("devices", func(t *testing.T) { adminDevices(t, e, ctx, admin) })
	t.Run("notices", func(t *testing.T) { adminNotices(t, e, ctx, admin) })
	t.Run("longlist", func(t *testing.T) { adminLongList(t, e, ctx, admin) })
	t.Run("audit", func(t *testing.T) { adminAudit(t, e, ctx, admin) })
	t.Run("valid HTML", func(t *testing.T) {
		// The page as its script has drawn every section (hidden tabs keep their content).
		vnu := testtool.Path(t, "vnu")
		f := filepath.Join(t.TempDir(), "admin-drawn.html")
		if err := os.WriteFile(f, []byte(evalString(t, ctx, `"<!DOCTYPE html>"+document.documentElement.outerHTML`)), 0o644); err != nil {
			t.Fatal(err)
		}
		checkHTML(t, vnu, f)
	})
}

// lastSent is the body of the page's last request of method to a URL ending in path.
func lastSent(t testing.TB, ctx context.Context, method, path string) string {
	t.Helper()
	return evalString(t, ctx, `(function(){for(var i=sent.length-1;i>=0;i--){var s=sent[i];if(s.method===`+jsString(method)+`&&s.url.split("?")[0].slice(-`+itoa(len(path))+`)===`+jsString(path)+`){return s.body||s.url}}return ""})()`)
}

func adminCampus(t *testing.T, e *env, ctx context.Context, admin string) {
	before, v0 := e.getCampus(admin)
	var rawBefore map[string]any
	json.Unmarshal(e.do("GET", "/api/v1/admin/campus", admin, nil).body, &rawBefore)
	// The form shows the stored campus.
	for sel, want := range map[string]string{
		`[data-path="halls[0].code"]`:                   "students",
		`[data-path="halls[1].code"]`:                   "teachers",
		`[data-path="halls[0].services[2].code"]`:       "F",
		`[data-path="halls[0].services[2].quota"]`:      "40",
		`[data-path="halls[0].services[2].from"]`:       "2026-01-04",
		`[data-path="halls[0].services[2].department"]`: "finance",
		`[data-path="halls[0].counters[0].services"]`:   "A,B",
		`[data-path="departments[1].code"]`:             "student",
	} {
		if got := evalString(t, ctx, `document.querySelector(`+jsString(sel)+`).value`); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	// Rename B, add service K and counter 5 serving it; save.
	setField(t, ctx, `[data-path="halls[0].services[1].name.zh"]`, "奖学金与助学金")
	click(t, ctx, `fieldset[data-hall="students"] [data-add="service"]`)
	mustAdmin(t, ctx, "new service row", `!!document.querySelector('[data-path="halls[0].services[3].code"]')`, 2*time.Second)
	setField(t, ctx, `[data-path="halls[0].services[3].code"]`, "K")
	setField(t, ctx, `[data-path="halls[0].services[3].name.zh"]`, "证明开具")
	setField(t, ctx, `[data-path="halls[0].services[3].name.en"]`, "Certificates")
	click(t, ctx, `fieldset[data-hall="students"] [data-add="counter"]`)
	mustAdmin(t, ctx, "new counter row", `!!document.querySelector('[data-path="halls[0].counters[4].number"]')`, 2*time.Second)
	if got := evalString(t, ctx, `document.querySelector('[data-path="halls[0].counters[4].number"]').value`); got != "5" {
		t.Errorf("new counter number %q, want 5", got)
	}
	setField(t, ctx, `[data-path="halls[0].counters[4].services"]`, "K")
	setField(t, ctx, `[data-path="halls[0].counters[4].breaks"]`, "12:00-13:00, 15:30-15:45")
	click(t, ctx, "#campus-save")
	mustAdmin(t, ctx, "saved", `onedoorAdmin.version() !== `+jsString(v0)+` && document.getElementById("campus-errors").hidden`, 5*time.Second)
	after, _ := e.getCampus(admin)
	h := after.Halls[0]
	if len(h.Services) != 4 || h.Services[1].Name.Zh != "奖学金与助学金" || h.Services[3].Code != "K" || h.Services[3].Name.En != "Certificates" {
		t.Fatalf("stored services %+v", h.Services)
	}
	if len(h.Counters) != 5 || h.Counters[4].Number != 5 || !slices.Equal(h.Counters[4].Services, []string{"K"}) ||
		!slices.Equal(h.Counters[4].Breaks, []string{"12:00-13:00", "15:30-15:45"}) || h.Counters[0].Breaks != nil {
		t.Errorf("stored counters %+v", h.Counters)
	}
	if !reflect.DeepEqual(h.Services[2], before.Halls[0].Services[2]) || !reflect.DeepEqual(after.Halls[1], before.Halls[1]) || !reflect.DeepEqual(after.Calendar, before.Calendar) {
		t.Errorf("untouched parts changed:\n%+v\n%+v", h.Services[2], before.Halls[0].Services[2])
	}
	// The kiosks' hall answer has K at once.
	var info struct {
		Services []struct{ Code string } `json:"services"`
	}
	e.do("GET", "/api/v1/halls/students", "", nil).decode(t, &info)
	if !slices.ContainsFunc(info.Services, func(s struct{ Code string }) bool { return s.Code == "K" }) {
		t.Errorf("GET /api/v1/halls/students has no K: %+v", info.Services)
	}
	// What the page sent is the campus document: untouched F as the server gave it, the new
	// service without empty optional keys.
	var put struct {
		Campus map[string]any `json:"campus"`
	}
	if err := json.Unmarshal([]byte(lastSent(t, ctx, "PUT", "/api/v1/admin/campus")), &put); err != nil {
		t.Fatal(err)
	}
	sentHall := put.Campus["halls"].([]any)[0].(map[string]any)
	stored := rawBefore["campus"].(map[string]any)["halls"].([]any)[0].(map[string]any)
	if got, want := sentHall["services"].([]any)[2], stored["services"].([]any)[2]; !reflect.DeepEqual(got, want) {
		t.Errorf("sent F %v, want it as stored %v", got, want)
	}
	k := sentHall["services"].([]any)[3].(map[string]any)
	for _, key := range []string{"quota", "from", "until", "hours", "department"} {
		if _, ok := k[key]; ok {
			t.Errorf("new service sent with empty %s: %v", key, k)
		}
	}
	if !reflect.DeepEqual(put.Campus["calendar"], rawBefore["campus"].(map[string]any)["calendar"]) {
		t.Errorf("calendar sent %v", put.Campus["calendar"])
	}
	shot(t, ctx, "admin-campus")
	evalString(t, ctx, `(document.querySelector('[data-path="halls[0].counters[4].breaks"]').scrollIntoView({block: "center"}), "")`)
	shot(t, ctx, "admin-campus-counters")

	// An invalid edit: every error listed with its path, the inputs marked, nothing applied.
	_, v1 := e.getCampus(admin)
	setField(t, ctx, `[data-path="halls[0].counters[4].services"]`, "K,ZZ")
	setField(t, ctx, `[data-path="halls[0].counters[4].breaks"]`, "13:00-12:00")
	setField(t, ctx, `[data-path="halls[0].services[3].code"]`, "")
	setField(t, ctx, `[data-path="halls[0].services[3].name.zh"]`, "")
	setField(t, ctx, `[data-path="halls[0].services[3].name.en"]`, "")
	click(t, ctx, "#campus-save")
	mustAdmin(t, ctx, "errors listed", `!document.getElementById("campus-errors").hidden && document.querySelectorAll("#campus-errors li").length >= 2`, 5*time.Second)
	list := evalString(t, ctx, `document.getElementById("campus-errors").textContent`)
	for _, p := range []string{"halls[0].services[3].code", "halls[0].counters[4].services", "halls[0].services[3].name", "halls[0].counters[4].breaks[0]"} {
		if !strings.Contains(list, p) {
			t.Errorf("error list %q does not name %s", list, p)
		}
	}
	// Each named input is marked: the field itself, or the one holding it (services[1] of the
	// counter's list), or what it is made of (a service's name: Chinese and English).
	for _, p := range []string{"halls[0].services[3].code", "halls[0].counters[4].services", "halls[0].services[3].name.zh", "halls[0].services[3].name.en", "halls[0].counters[4].breaks"} {
		if evalString(t, ctx, `document.querySelector('[data-path="`+p+`"]').getAttribute("aria-invalid") || ""`) != "true" {
			t.Errorf("input %s not marked invalid", p)
		}
	}
	evalString(t, ctx, `(document.getElementById("campus-errors").scrollIntoView(), "")`)
	shot(t, ctx, "admin-campus-errors")
	if _, v := e.getCampus(admin); v != v1 {
		t.Errorf("an invalid campus changed the version %s -> %s", v1, v)
	}
	// A stale version: another administrator saves in between.
	click(t, ctx, "#campus-reload")
	mustAdmin(t, ctx, "reloaded", `onedoorAdmin.version() === `+jsString(v1)+` && document.getElementById("campus-errors").hidden && document.querySelector('[data-path="halls[0].services[3].code"]').value === "K"`, 5*time.Second)
	c, v := e.getCampus(admin)
	c.Halls[1].Name.En = "Teachers' Centre"
	if r := e.putCampus(admin, v, c); r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	setField(t, ctx, `[data-path="halls[0].name.en"]`, "Students' Hall")
	click(t, ctx, "#campus-save")
	mustAdmin(t, ctx, "409 shown", `document.getElementById("flash").textContent.indexOf("重新载入") >= 0 && !document.getElementById("flash").hidden`, 5*time.Second)
	if got, _ := e.getCampus(admin); got.Halls[0].Name.En == "Students' Hall" || got.Halls[1].Name.En != "Teachers' Centre" {
		t.Errorf("stale save applied: %+v", got.Halls[0].Name)
	}
	click(t, ctx, "#campus-reload")
	mustAdmin(t, ctx, "reloaded again", `document.querySelector('[data-path="halls[1].name.en"]').value === "Teachers' Centre"`, 5*time.Second)
	// A new department is at once a choice of the services' department.
	n := itoa(len(c.Departments))
	click(t, ctx, `[data-add="department"]`)
	setField(t, ctx, `[data-path="departments[`+n+`].code"]`, "museum")
	setField(t, ctx, `[data-path="departments[`+n+`].name.zh"]`, "校史馆")
	setField(t, ctx, `[data-path="departments[`+n+`].name.en"]`, "University Museum")
	setField(t, ctx, `[data-path="halls[0].services[3].department"]`, "museum")
	v2 := evalString(t, ctx, `onedoorAdmin.version()`)
	click(t, ctx, "#campus-save")
	mustAdmin(t, ctx, "saved with the department", `onedoorAdmin.version() !== `+jsString(v2)+` && document.getElementById("campus-errors").hidden`, 5*time.Second)
	if got, _ := e.getCampus(admin); got.Halls[0].Services[3].Department != "museum" || got.Departments[len(got.Departments)-1].Name.En != "University Museum" {
		t.Errorf("stored K %+v, departments %+v", got.Halls[0].Services[3], got.Departments)
	}
}

func adminCalendar(t *testing.T, e *env, ctx context.Context, admin string) {
	adminTab(t, ctx, "calendar")
	mustAdmin(t, ctx, "holiday listed", `!!document.querySelector('#holidays li[data-date="2027-01-01"]')`, 2*time.Second)
	setField(t, ctx, "#add-holiday input", "2027-02-10")
	click(t, ctx, `#add-holiday button[type="submit"]`)
	setField(t, ctx, "#add-workday input", "2027-02-20")
	click(t, ctx, `#add-workday button[type="submit"]`)
	mustAdmin(t, ctx, "dates listed", `!!document.querySelector('#holidays li[data-date="2027-02-10"]') && !!document.querySelector('#workdays li[data-date="2027-02-20"]')`, 2*time.Second)
	v := evalString(t, ctx, `onedoorAdmin.version()`)
	click(t, ctx, "#calendar-save")
	mustAdmin(t, ctx, "calendar saved", `onedoorAdmin.version() !== `+jsString(v), 5*time.Second)
	c, _ := e.getCampus(admin)
	if c.Calendar == nil || !slices.Equal(c.Calendar.Holidays, []string{"2027-01-01", "2027-02-10"}) || !slices.Equal(c.Calendar.Workdays, []string{"2027-02-20"}) {
		t.Errorf("stored calendar %+v", c.Calendar)
	}
	shot(t, ctx, "admin-calendar")
}

func adminStaff(t *testing.T, e *env, ctx context.Context, admin string) {
	adminTab(t, ctx, "staff")
	mustAdmin(t, ctx, "staff listed", `["admin","counter1","supervisor"].every(function(u){return !!document.querySelector('#staff-table tr[data-user="'+u+'"]')})`, 3*time.Second)
	// A short password: the error beside the field, nobody added.
	setField(t, ctx, `#staff-form [name="username"]`, "clerk2")
	setField(t, ctx, `#staff-form [name="name"]`, "王小二")
	setField(t, ctx, `#staff-form [name="role"]`, "counter")
	setField(t, ctx, `#staff-form [name="halls"]`, "students")
	setField(t, ctx, `#staff-form [name="password"]`, "short")
	click(t, ctx, "#staff-submit")
	mustAdmin(t, ctx, "password refused", `document.querySelector('#staff-form [name="password"]').getAttribute("aria-invalid") === "true" && /8/.test(document.querySelector('#staff-form [name="password"]').parentNode.querySelector(".field-msg").textContent)`, 3*time.Second)
	shot(t, ctx, "admin-staff-error")
	if r := e.do("POST", "/api/v1/session", "", map[string]string{"username": "clerk2", "password": "short"}); r.status == 200 {
		t.Fatal("a refused staff member can sign in")
	}
	setField(t, ctx, `#staff-form [name="password"]`, "clerk2-password")
	click(t, ctx, "#staff-submit")
	mustAdmin(t, ctx, "clerk2 listed", `!!document.querySelector('#staff-table tr[data-user="clerk2"]') && document.querySelector('#staff-form [name="password"]').getAttribute("aria-invalid") === null`, 3*time.Second)
	if r := e.do("POST", "/api/v1/session", "", map[string]string{"username": "clerk2", "password": "clerk2-password"}); r.status != 200 {
		t.Fatalf("clerk2 sign-in: %d %s", r.status, r.body)
	}
	// Edit: role handler of finance, both halls.
	click(t, ctx, `#staff-table tr[data-user="clerk2"] [data-act="edit"]`)
	mustAdmin(t, ctx, "edit form", `document.querySelector('#staff-form [name="username"]').value === "clerk2"`, 2*time.Second)
	setField(t, ctx, `#staff-form [name="role"]`, "handler")
	setField(t, ctx, `#staff-form [name="departments"]`, "finance")
	setField(t, ctx, `#staff-form [name="halls"]`, "students, teachers")
	// A seasonal counter assignment: a line the page cannot read is refused beside the field.
	setField(t, ctx, `#staff-form [name="assignments"]`, "teachers one")
	click(t, ctx, "#staff-submit")
	mustAdmin(t, ctx, "bad assignment line refused", `document.querySelector('#staff-form [name="assignments"]').getAttribute("aria-invalid") === "true"`, 3*time.Second)
	setField(t, ctx, `#staff-form [name="assignments"]`, "teachers 1 2027-01-04 2027-01-15")
	click(t, ctx, "#staff-submit")
	mustAdmin(t, ctx, "edited", `document.querySelector('#staff-table tr[data-user="clerk2"]').textContent.indexOf("财务处") >= 0 && document.querySelector('#staff-table tr[data-user="clerk2"]').textContent.indexOf("teachers 1 · 2027-01-04–2027-01-15") >= 0`, 3*time.Second)
	var sl wire.StaffList
	e.do("GET", "/api/v1/admin/staff", admin, nil).decode(t, &sl)
	i := slices.IndexFunc(sl.Staff, func(s wire.StaffMember) bool { return s.Username == "clerk2" })
	if i < 0 || sl.Staff[i].Role != hall.RoleHandler || !slices.Equal(sl.Staff[i].Departments, []string{"finance"}) || !slices.Equal(sl.Staff[i].Halls, []string{"students", "teachers"}) || sl.Staff[i].Name != "王小二" ||
		len(sl.Staff[i].Assignments) != 1 || sl.Staff[i].Assignments[0].Hall != "teachers" || !slices.Equal(sl.Staff[i].Assignments[0].Counters, []int{1}) || sl.Staff[i].Assignments[0].Until != "2027-01-15" {
		t.Fatalf("stored clerk2 %+v", sl.Staff)
	}
	// Reset the password.
	click(t, ctx, `#staff-table tr[data-user="clerk2"] [data-act="password"]`)
	mustAdmin(t, ctx, "reset form", `document.activeElement === document.querySelector('#staff-form [name="password"]')`, 2*time.Second)
	setField(t, ctx, `#staff-form [name="password"]`, "another-password")
	click(t, ctx, "#staff-submit")
	mustAdmin(t, ctx, "reset saved", `document.querySelector('#staff-form [name="username"]').value === ""`, 3*time.Second)
	if r := e.do("POST", "/api/v1/session", "", map[string]string{"username": "clerk2", "password": "clerk2-password"}); r.status == 200 {
		t.Error("the old password still signs in")
	}
	r := e.do("POST", "/api/v1/session", "", map[string]string{"username": "clerk2", "password": "another-password"})
	if r.status != 200 {
		t.Fatalf("new password: %d %s", r.status, r.body)
	}
	var s wire.Session
	r.decode(t, &s)
	// Disable: the session ends at once.
	click(t, ctx, `#staff-table tr[data-user="clerk2"] [data-act="disable"]`)
	mustAdmin(t, ctx, "disabled", `document.querySelector('#staff-table tr[data-user="clerk2"]').classList.contains("disabled")`, 3*time.Second)
	if r := e.do("GET", "/api/v1/me", s.Token, nil); r.status != 401 {
		t.Errorf("disabled clerk2's token: %d, want 401", r.status)
	}
	shot(t, ctx, "admin-staff")
}

func adminDevices(t *testing.T, e *env, ctx context.Context, admin string) {
	adminTab(t, ctx, "devices")
	mustAdmin(t, ctx, "devices listed", `document.querySelectorAll("#device-table tbody tr").length === 3`, 3*time.Second)
	setField(t, ctx, `#device-form [name="role"]`, "kiosk")
	setField(t, ctx, `#device-form [name="hall"]`, "students")
	setField(t, ctx, `#device-form [name="name"]`, "2号自助机")
	click(t, ctx, `#device-form button[type="submit"]`)
	mustAdmin(t, ctx, "token shown", `!document.getElementById("device-token").hidden && document.getElementById("device-token-value").textContent.length > 20 && document.querySelectorAll("#device-table tbody tr").length === 4`, 3*time.Second)
	token := evalString(t, ctx, `document.getElementById("device-token-value").textContent`)
	var dl wire.DeviceList
	e.do("GET", "/api/v1/admin/devices", admin, nil).decode(t, &dl)
	i := slices.IndexFunc(dl.Devices, func(d wire.DeviceInfo) bool { return d.Name == "2号自助机" })
	if i < 0 {
		t.Fatalf("devices %+v", dl.Devices)
	}
	id := dl.Devices[i].ID
	shot(t, ctx, "admin-devices-token")
	if r := e.do("POST", "/api/v1/halls/students/devices/heartbeat", token, hall.DeviceHeartbeat{Version: "1.4.2", Printer: "paper_out"}); r.status/100 != 2 {
		t.Fatalf("heartbeat: %d %s", r.status, r.body)
	}
	row := `document.querySelector('#device-table tr[data-device="` + id + `"]')`
	mustAdmin(t, ctx, "alert shown", row+`.classList.contains("alerting") && `+row+`.textContent.indexOf("缺纸") >= 0 && `+row+`.textContent.indexOf("1.4.2") >= 0 && document.getElementById("alert-count").textContent === "1" && !document.getElementById("alert-count").hidden`, 5*time.Second)
	shot(t, ctx, "admin-devices")
	click(t, ctx, `#device-table tr[data-device="`+id+`"] [data-act="revoke"]`)
	mustAdmin(t, ctx, "revoked", `(!`+row+` || `+row+`.classList.contains("disabled")) && document.getElementById("alert-count").hidden`, 3*time.Second)
	if r := e.do("POST", "/api/v1/halls/students/devices/heartbeat", token, hall.DeviceHeartbeat{Printer: "ok"}); r.status != 401 {
		t.Errorf("revoked token: %d, want 401", r.status)
	}
	var hd wire.HallDevices
	e.do("GET", "/api/v1/halls/students/devices", admin, nil).decode(t, &hd)
	for _, d := range hd.Devices {
		if d.Device == id {
			t.Errorf("revoked device in the hall's health: %+v", d)
		}
	}
}

func adminNotices(t *testing.T, e *env, ctx context.Context, admin string) {
	adminTab(t, ctx, "notices")
	setField(t, ctx, "#notice-hall", "students")
	setField(t, ctx, `#notice-form [name="zh"]`, "今天下午 3 点起暂停办理奖学金业务")
	setField(t, ctx, `#notice-form [name="en"]`, "Scholarships closed from 3 pm today")
	click(t, ctx, `#notice-form button[type="submit"]`)
	mustAdmin(t, ctx, "notice listed", `document.getElementById("notice-list").textContent.indexOf("暂停办理奖学金") >= 0`, 3*time.Second)
	snap := func() []hall.Notice {
		var s struct {
			Notices []hall.Notice `json:"notices"`
		}
		e.do("GET", "/api/v1/halls/students/snapshot", admin, nil).decode(t, &s)
		return s.Notices
	}
	n := snap()
	if len(n) != 1 || n[0].Text.En != "Scholarships closed from 3 pm today" {
		t.Fatalf("snapshot notices %+v", n)
	}
	shot(t, ctx, "admin-notices")
	click(t, ctx, `#notice-list li[data-notice="`+n[0].ID+`"] button`)
	mustAdmin(t, ctx, "notice withdrawn", `!document.querySelector("#notice-list li[data-notice]")`, 3*time.Second)
	if n := snap(); len(n) != 0 {
		t.Errorf("withdrawn notice still in the snapshot: %+v", n)
	}
}

func adminLongList(t *testing.T, e *env, ctx context.Context, admin string) {
	adminTab(t, ctx, "longlist")
	setField(t, ctx, `#item-form [name="title-zh"]`, "学费缴纳窗口延时服务")
	setField(t, ctx, `#item-form [name="title-en"]`, "Longer hours for fee payment")
	setField(t, ctx, `#item-form [name="lead"]`, "finance")
	click(t, ctx, "#add-milestone")
	setField(t, ctx, `#milestones tr:last-child [name="m-title-zh"]`, "开通午间窗口")
	setField(t, ctx, `#milestones tr:last-child [name="m-due"]`, "2027-03-01")
	setField(t, ctx, `#milestones tr:last-child [name="m-progress"]`, "20")
	click(t, ctx, `#item-form button[type="submit"]`)
	mustAdmin(t, ctx, "item listed", `document.getElementById("longlist").textContent.indexOf("学费缴纳窗口延时服务") >= 0`, 3*time.Second)
	var il struct {
		Items []hall.ListItem `json:"items"`
	}
	e.do("GET", "/api/v1/longlist", admin, nil).decode(t, &il)
	if len(il.Items) != 1 || len(il.Items[0].Milestones) != 1 || il.Items[0].Milestones[0].Due != "2027-03-01" || il.Items[0].Lead != "finance" {
		t.Fatalf("stored items %+v", il.Items)
	}
	id := il.Items[0].ID
	click(t, ctx, `#longlist li[data-item="`+id+`"] [data-act="edit"]`)
	mustAdmin(t, ctx, "edit form", `document.querySelector('#item-form [name="title-zh"]').value === "学费缴纳窗口延时服务" && document.querySelectorAll("#milestones tr").length === 1`, 2*time.Second)
	setField(t, ctx, `#milestones tr:last-child [name="m-progress"]`, "60")
	click(t, ctx, `#item-form button[type="submit"]`)
	mustAdmin(t, ctx, "item saved", `document.getElementById("longlist").textContent.indexOf("60%") >= 0`, 3*time.Second)
	var it hall.ListItem
	e.do("GET", "/api/v1/longlist/"+id, admin, nil).decode(t, &it)
	if it.Milestones[0].Progress != 60 || it.Milestones[0].Title.Zh != "开通午间窗口" {
		t.Errorf("edited item %+v", it)
	}
	if r := e.do("GET", "/roadmap", "", nil); !strings.Contains(string(r.body), "学费缴纳窗口延时服务") || !strings.Contains(string(r.body), "开通午间窗口") {
		t.Errorf("/roadmap does not show the item")
	}
	shot(t, ctx, "admin-longlist")
	click(t, ctx, `#longlist li[data-item="`+id+`"] [data-act="delete"]`)
	mustAdmin(t, ctx, "item deleted", `!document.querySelector('#longlist li[data-item]')`, 3*time.Second)
	if r := e.do("GET", "/roadmap", "", nil); strings.Contains(string(r.body), "学费缴纳窗口延时服务") {
		t.Errorf("/roadmap still shows the deleted item")
	}
}

func adminAudit(t *testing.T, e *env, ctx context.Context, admin string) {
	// More staff changes than a page holds.
	for i := range 60 {
		name := "王小二 " + itoa(i)
		if r := e.do("PATCH", "/api/v1/admin/staff/clerk2", admin, wire.StaffPatch{Name: &name}); r.status != 200 {
			t.Fatalf("PATCH: %d %s", r.status, r.body)
		}
	}
	adminTab(t, ctx, "audit")
	mustAdmin(t, ctx, "entries listed", `document.querySelectorAll("#audit-table tbody tr").length === 50 && document.getElementById("audit-table").textContent.indexOf("staff.updated") >= 0`, 3*time.Second)
	setField(t, ctx, `#audit-form [name="kind"]`, "session")
	click(t, ctx, `#audit-form button[type="submit"]`)
	mustAdmin(t, ctx, "sign-ins", `document.querySelectorAll("#audit-table tbody tr").length > 0 && document.getElementById("audit-table").textContent.indexOf("session.login") >= 0 && document.getElementById("audit-table").textContent.indexOf("staff.") < 0`, 3*time.Second)
	setField(t, ctx, `#audit-form [name="actor"]`, "admin")
	setField(t, ctx, `#audit-form [name="kind"]`, "staff")
	click(t, ctx, `#audit-form button[type="submit"]`)
	mustAdmin(t, ctx, "filtered", `!document.getElementById("audit-more").hidden && document.querySelectorAll("#audit-table tbody tr").length === 50`, 3*time.Second)
	kinds := evalString(t, ctx, `Array.prototype.map.call(document.querySelectorAll("#audit-table tbody tr td:nth-child(3)"), function(td){return td.textContent}).join(" ")`)
	for _, k := range strings.Fields(kinds) {
		if !strings.HasPrefix(k, "staff.") {
			t.Errorf("kind %q listed under the filter staff", k)
		}
	}
	first := lastSent(t, ctx, "GET", "/api/v1/admin/audit")
	var page wire.AuditList
	u, _ := url.Parse(first)
	e.do("GET", "/api/v1/admin/audit?"+u.RawQuery, admin, nil).decode(t, &page)
	click(t, ctx, "#audit-more")
	mustAdmin(t, ctx, "next page", `document.querySelectorAll("#audit-table tbody tr").length > 50 && document.getElementById("audit-table").textContent.indexOf("staff.added") >= 0`, 3*time.Second)
	u, _ = url.Parse(lastSent(t, ctx, "GET", "/api/v1/admin/audit"))
	if got := u.Query().Get("cursor"); got == "" || got != page.Next {
		t.Errorf("more sent cursor %q, want the answer's next %q", got, page.Next)
	}
	shot(t, ctx, "admin-audit")
	// Dates: today lists them, from tomorrow nothing.
	today := time.Now().In(adminZone(t, e)).Format("2006-01-02")
	tomorrow := time.Now().In(adminZone(t, e)).AddDate(0, 0, 1).Format("2006-01-02")
	setField(t, ctx, `#audit-form [name="since"]`, today)
	setField(t, ctx, `#audit-form [name="until"]`, today)
	click(t, ctx, `#audit-form button[type="submit"]`)
	mustAdmin(t, ctx, "today", `document.querySelectorAll("#audit-table tbody tr").length === 50`, 3*time.Second)
	setField(t, ctx, `#audit-form [name="since"]`, tomorrow)
	setField(t, ctx, `#audit-form [name="until"]`, "")
	click(t, ctx, `#audit-form button[type="submit"]`)
	mustAdmin(t, ctx, "none from tomorrow", `document.querySelectorAll("#audit-table tbody tr[data-at]").length === 0 && document.getElementById("audit-more").hidden`, 3*time.Second)
}

// adminZone is the campus time zone.
func adminZone(t testing.TB, e *env) *time.Location {
	loc, err := e.srv.campus().Location()
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// mustAdmin is must that, failing, says what the page showed: its message and form errors.
func mustAdmin(t testing.TB, ctx context.Context, what, expr string, d time.Duration) {
	t.Helper()
	if err := waitJS(t, ctx, expr, d); err != nil {
		shown := evalString(t, ctx, `[document.getElementById("flash").textContent].concat(Array.prototype.map.call(document.querySelectorAll(".field-error:not([hidden]), .errors:not([hidden])"), function (x) { return x.textContent; })).join(" | ")`)
		t.Fatalf("%s: %s not true within %s: %v; the page shows: %s", what, expr, d*pageWaitScale, err, shown)
	}
}

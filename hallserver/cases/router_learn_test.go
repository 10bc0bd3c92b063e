package cases

import (
	"fmt"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// routesOf returns the router's answers for texts.
func routesOf(r *Router, set []labelled) []string {
	out := make([]string, len(set))
	for i, l := range set {
		out[i] = fmt.Sprint(r.Route(l.text))
	}
	return out
}

// departmentsOf returns the departments the router sends texts to.
func departmentsOf(r *Router, set []labelled) []string {
	out := make([]string, len(set))
	for i, l := range set {
		out[i] = r.Route(l.text).Department
	}
	return out
}

// misrouted returns a held-out text the router sends to the wrong department, and the right one.
func misrouted(t *testing.T, r *Router, set []labelled) labelled {
	t.Helper()
	for _, l := range set {
		if res := r.Route(l.text); !res.Triage && res.Department != l.dept {
			return l
		}
	}
	t.Fatal("the router routes every held-out text right: no misroute to learn from")
	return labelled{}
}

// TestRouterLearnMovesPhrase: one re-route by staff moves its phrase (routed there with
// confidence, no triage) and leaves the routing of other requests as it was, but for a few.
func TestRouterLearnMovesPhrase(t *testing.T) {
	r := NewRouter(DemoCatalogue())
	set := heldOutSet(t)
	l := misrouted(t, r, set)
	before := departmentsOf(r, set)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if o := r.LearnExample(hall.RouteExample{Text: l.text, Department: l.dept, By: "wang", At: at}); o != LearnAccepted {
		t.Fatalf("learn: %s", o)
	}
	res := r.Route(l.text)
	if res.Department != l.dept || res.Triage {
		t.Fatalf("after one re-route to %s the phrase %q still routes %+v", l.dept, l.text, res)
	}
	if r.Learned() != 1 {
		t.Fatalf("Learned %d, want 1", r.Learned())
	}
	changed := 0
	for i, s := range departmentsOf(r, set) {
		if set[i].text != l.text && s != before[i] {
			changed++
		}
	}
	if changed > len(set)/50 {
		t.Fatalf("one re-route changed the answer for %d other held-out texts (more than 2 %%)", changed)
	}
}

// TestRouterLearnFloodBounded: one actor re-routing one phrase a thousand times changes the
// router once; a thousand variants are bounded per actor and day; all of it is counted; Forget
// takes the actor's re-routes back, leaving the router as a fresh one.
func TestRouterLearnFloodBounded(t *testing.T) {
	cat := DemoCatalogue()
	r := NewRouter(cat)
	set := heldOutSet(t)
	fresh := routesOf(r, set)
	before := evaluate(r.Route, set, r.Departments())
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	phrase := "宿舍的空调坏了，一直不制冷"
	if r.Route(phrase).Department == "security" {
		t.Fatal("the phrase already routes to security")
	}
	for i := range 1000 {
		o := r.LearnExample(hall.RouteExample{Text: phrase, Department: "security", By: "rogue", At: at.Add(time.Duration(i) * time.Second)})
		if want := map[bool]LearnOutcome{true: LearnAccepted, false: LearnRepeated}[i == 0]; o != want {
			t.Fatalf("re-route %d: %s, want %s", i, o, want)
		}
	}
	if r.Learned() != 1 || r.Route(phrase).Department != "security" {
		t.Fatalf("after a flood of one phrase: learned %d, routes %+v", r.Learned(), r.Route(phrase))
	}
	limit := r.Options().MaxLearnPerActorDay
	over := 0
	for i := range 1000 {
		o := r.LearnExample(hall.RouteExample{Text: fmt.Sprintf("%s %d", phrase, i), Department: "security", By: "rogue", At: at})
		if o == LearnOverLimit {
			over++
		}
	}
	if r.Learned() != limit || over != 1000-(limit-1) {
		t.Fatalf("after a flood of variants: learned %d (limit %d), %d over the limit", r.Learned(), limit, over)
	}
	st := r.LearnStats()
	if st[LearnAccepted] != limit || st[LearnRepeated] != 999 || st[LearnOverLimit] != over {
		t.Fatalf("stats %v", st)
	}
	after := evaluate(r.Route, set, r.Departments())
	if after.rawRight < before.rawRight-len(set)/100 {
		t.Fatalf("the flood cost more than 1 %% of the held-out accuracy: %d → %d of %d", before.rawRight, after.rawRight, len(set))
	}
	// another staff member's re-route the next day still counts
	if o := r.LearnExample(hall.RouteExample{Text: "图书馆三楼的饮水机没有热水", Department: "logistics", By: "li", At: at.Add(24 * time.Hour)}); o != LearnAccepted && o != LearnRepeated {
		t.Fatalf("another actor: %s", o)
	}
	if n := r.Forget("rogue"); n != limit {
		t.Fatalf("Forget dropped %d, want %d", n, limit)
	}
	r.Forget("li")
	if r.Learned() != 0 {
		t.Fatalf("Learned %d after forgetting everyone", r.Learned())
	}
	for i, s := range routesOf(r, set) {
		if s != fresh[i] {
			t.Fatalf("after Forget %q routes %s, a fresh router %s", set[i].text, s, fresh[i])
		}
	}
}

// TestRouterLearnChangeOfMind: the same actor re-routing a phrase elsewhere replaces the earlier
// re-route (the later department wins), and it counts against the day's bound.
func TestRouterLearnChangeOfMind(t *testing.T) {
	r := NewRouter(DemoCatalogue())
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	phrase := "学术报告厅的话筒总是没声音"
	for i, d := range []string{"security", "it", "logistics"} {
		o := r.LearnExample(hall.RouteExample{Text: phrase, Department: d, By: "wang", At: at})
		if want := map[bool]LearnOutcome{true: LearnAccepted, false: LearnReplaced}[i == 0]; o != want {
			t.Fatalf("%s: %s, want %s", d, o, want)
		}
		if got := r.Route(phrase).Department; got != d {
			t.Fatalf("after re-routing to %s it routes to %s", d, got)
		}
	}
	if r.Learned() != 1 || r.Examples()[0].Department != "logistics" {
		t.Fatalf("learned %v", r.Examples())
	}
}

// TestRouterLearnReplay: replaying the accepted and rejected re-routes in order (as the case store
// does at start-up) gives the same router; unknown departments and empty texts are ignored.
func TestRouterLearnReplay(t *testing.T) {
	cat := DemoCatalogue()
	set := heldOutSet(t)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var log []hall.RouteExample
	for i, l := range set[:200] {
		log = append(log, hall.RouteExample{Text: l.text, Department: l.dept, By: fmt.Sprint("staff", i%3), At: at})
	}
	log = append(log, hall.RouteExample{Text: "x", Department: "nosuch", By: "a", At: at}, hall.RouteExample{Text: "  ", Department: "it", By: "a", At: at})
	a, b := NewRouter(cat), NewRouter(cat)
	for _, ex := range log {
		a.LearnExample(ex)
	}
	for _, ex := range log {
		b.LearnExample(ex)
	}
	if st := a.LearnStats(); st[LearnIgnored] != 2 || st[LearnOverLimit] == 0 {
		t.Fatalf("stats %v", st)
	}
	ra, rb := routesOf(a, set), routesOf(b, set)
	for i := range ra {
		if ra[i] != rb[i] {
			t.Fatalf("replay differs on %q: %s vs %s", set[i].text, ra[i], rb[i])
		}
	}
}

// TestRouteTriageShowsTopThree: a doubtful text goes to the office with the router's three best
// guesses; a gibberish text goes to triage with no guess.
func TestRouteTriageShowsTopThree(t *testing.T) {
	r := NewRouter(DemoCatalogue())
	var doubtful *hall.RouteResult
	for _, l := range heldOutSet(t) {
		if res := r.Route(l.text); res.Triage {
			doubtful = &res
			break
		}
	}
	if doubtful == nil {
		t.Skip("no held-out text is doubtful enough for triage")
	}
	if doubtful.Department != hall.OfficeDepartment || len(doubtful.Alternatives) != MaxAlternatives ||
		doubtful.Confidence >= r.Options().MinConfidence || doubtful.Category != "" {
		t.Fatalf("triage answer %+v", doubtful)
	}
	res := r.Route("？？？ 123")
	if !res.Triage || res.Department != hall.OfficeDepartment || len(res.Alternatives) != 0 {
		t.Fatalf("gibberish: %+v", res)
	}
	sure := r.Route("校园网每天晚上都断线，宿舍根本上不了网")
	if sure.Triage || sure.Department != "it" || len(sure.Alternatives) != MaxAlternatives || sure.Category == "" {
		t.Fatalf("a plain IT request: %+v", sure)
	}
}

// TestEngineReroutesGuarded: staff choices that differ from the router reach the router through
// Change.Learned with the actor and time (what the case store persists and replays); a counter
// that sends a thousand variants of one request elsewhere teaches the router at most the day's
// bound, every one of them is in the log, and replaying the log into a new router (a restart)
// gives the same answers.
func TestEngineReroutesGuarded(t *testing.T) {
	f := newFixture(t)
	text := "学术报告厅的话筒总是没声音"
	_, ch, err := f.e.Open(mon, hall.OpenCaseRequest{Channel: hall.ChannelCounter, Text: text, Department: "logistics", Source: "counter-1"}, "id0", "tok0")
	if err != nil {
		t.Fatal(err)
	}
	log := append([]hall.RouteExample(nil), ch.Learned...)
	if len(log) != 1 || log[0].By != "counter-1" || !log[0].At.Equal(mon) || f.e.Route(text).Department != "logistics" {
		t.Fatalf("one staff choice: learned %+v, routes %+v", log, f.e.Route(text))
	}
	set := heldOutSet(t)
	for i, l := range set[:200] {
		_, ch, err := f.e.Open(mon.Add(time.Duration(i)*time.Second), hall.OpenCaseRequest{Channel: hall.ChannelCounter,
			Text: l.text, Department: "security", Source: "counter-1"}, fmt.Sprint("id", i+1), fmt.Sprint("tok", i+1))
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, ch.Learned...)
	}
	limit := f.e.Router().Options().MaxLearnPerActorDay
	if n := f.e.Router().Learned(); n > limit {
		t.Fatalf("one counter taught the router %d phrases in a day, the bound is %d", n, limit)
	}
	st := f.e.Router().LearnStats()
	if st[LearnOverLimit] == 0 || len(log) != st[LearnAccepted]+st[LearnOverLimit]+st[LearnRepeated]+st[LearnReplaced] {
		t.Fatalf("stats %v for %d logged re-routes", st, len(log))
	}
	replayed := NewRouter(DemoCatalogue())
	for _, ex := range log {
		replayed.LearnExample(ex)
	}
	set = set[200:300]
	a, b := routesOf(f.e.Router(), set), routesOf(replayed, set)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("after replaying the log %q routes %s, before the restart %s", set[i].text, b[i], a[i])
		}
	}
	if a, b := fmt.Sprint(f.e.Route(text)), fmt.Sprint(replayed.Route(text)); a != b {
		t.Fatalf("the staff choice routes %s after the replay, %s before", b, a)
	}
}

package cases

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// labelled is one line of testdata/labelled.tsv or of the routing corpus.
type labelled struct{ dept, text string }

func readLabelledFile(t testing.TB, path string) []labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		d, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.HasPrefix(d, "#") {
			continue
		}
		out = append(out, labelled{d, text})
	}
	return out
}

// readLabelled reads the project's first held-out set, testdata/labelled.tsv.
func readLabelled(t testing.TB) []labelled { return readLabelledFile(t, "testdata/labelled.tsv") }

// heldOutSet is the project's held-out set: testdata/labelled.tsv and routedata/heldout.tsv. No
// line of it is ever trained on (TestRouterHeldOutDisjoint).
func heldOutSet(t testing.TB) []labelled {
	return append(readLabelled(t), readLabelledFile(t, "routedata/heldout.tsv")...)
}

func norm(s string) string { return normText(s) }

// trainingTexts returns every text the default router trains on: the catalogue's examples,
// keywords, names and scope phrases, and the corpus's training part.
func trainingTexts(cat *hall.Catalogue) []labelled {
	var out []labelled
	for _, c := range cat.Categories {
		for _, s := range c.Examples {
			out = append(out, labelled{c.Department, s})
		}
		for _, s := range c.Keywords {
			out = append(out, labelled{c.Department, s})
		}
		for _, s := range append([]string{c.Name.Zh, c.Name.En}, append(phrases(c.Scope.Zh), phrases(c.Scope.En)...)...) {
			out = append(out, labelled{c.Department, s})
		}
	}
	for _, x := range DemoTraining() {
		out = append(out, labelled{x.Department, x.Text})
	}
	return out
}

// TestRouterHeldOutDisjoint: no held-out text is (or nearly is: character-trigram Jaccard ≥ 0.7)
// a text the router trains on, and every held-out label is a department the router knows.
func TestRouterHeldOutDisjoint(t *testing.T) {
	cat := DemoCatalogue()
	r := NewRouter(cat)
	set := heldOutSet(t)
	if len(set) < 30*len(r.Departments()) {
		t.Fatalf("only %d held-out texts for %d departments", len(set), len(r.Departments()))
	}
	train := trainingTexts(cat)
	sizes := make([]int, len(train))
	index := map[string][]int{} // trigram -> training texts that have it
	exact := map[string]string{}
	for i, x := range train {
		g := trigrams(x.text)
		sizes[i] = len(g)
		for k := range g {
			index[k] = append(index[k], i)
		}
		exact[norm(x.text)] = x.text
	}
	for _, l := range set {
		if !r.Knows(l.dept) {
			t.Fatalf("unknown department %q", l.dept)
		}
		if x, ok := exact[norm(l.text)]; ok {
			t.Fatalf("held-out text is a training text: %q", x)
		}
		g := trigrams(l.text)
		shared := map[int]int{}
		for k := range g {
			for _, i := range index[k] {
				shared[i]++
			}
		}
		for i, n := range shared {
			if j := float64(n) / float64(len(g)+sizes[i]-n); j >= 0.7 {
				t.Fatalf("held-out text nearly a training text (Jaccard %.2f): %q ~ %q", j, l.text, train[i].text)
			}
		}
	}
}

func trigrams(s string) map[string]bool {
	r := []rune(norm(s))
	m := map[string]bool{}
	for i := 0; i+3 <= len(r); i++ {
		m[string(r[i:i+3])] = true
	}
	return m
}

// jaccard is the Jaccard similarity of the character-trigram sets of two texts.
func jaccard(a, b string) float64 { return jaccardSets(trigrams(a), trigrams(b)) }

func jaccardSets(ga, gb map[string]bool) float64 {
	if len(ga) == 0 || len(gb) == 0 {
		return 0
	}
	if len(ga) > len(gb) {
		ga, gb = gb, ga
	}
	inter := 0
	for g := range ga {
		if gb[g] {
			inter++
		}
	}
	return float64(inter) / float64(len(ga)+len(gb)-inter)
}

// ---- evaluation ----

// ranked returns a route result's departments, best first (in triage the alternatives are the
// router's guesses; otherwise the department, then the alternatives).
func ranked(res hall.RouteResult) []string {
	var out []string
	if !res.Triage {
		out = append(out, res.Department)
	}
	for _, a := range res.Alternatives {
		out = append(out, a.Department)
	}
	return out
}

// evaluation is how a router did on a labelled set.
type evaluation struct {
	n, right, rawRight, top3, triaged, triageTop3, triageFirst int
	confSum                                                    float64
	confusion                                                  map[[2]string]int // [want, got] (got "office" for triage)
	depts                                                      []string
}

func evaluate(route func(string) hall.RouteResult, set []labelled, depts []string) evaluation {
	ev := evaluation{confusion: map[[2]string]int{}, depts: depts}
	for _, l := range set {
		res := route(l.text)
		rk := ranked(res)
		ev.n++
		ev.confSum += res.Confidence
		if res.Department == l.dept {
			ev.right++
		}
		if len(rk) > 0 && rk[0] == l.dept {
			ev.rawRight++
		}
		in3 := false
		for i := 0; i < len(rk) && i < 3; i++ {
			in3 = in3 || rk[i] == l.dept
		}
		if in3 {
			ev.top3++
		}
		if res.Triage {
			ev.triaged++
			if in3 {
				ev.triageTop3++
			}
			if len(rk) > 0 && rk[0] == l.dept {
				ev.triageFirst++
			}
		}
		ev.confusion[[2]string{l.dept, res.Department}]++
	}
	return ev
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// summary is one line: top-1 (triage counts as wrong unless labelled office), top-1 of the
// router's first guess, top-3, the triage share and how often the top three held the right
// department in triage.
func (ev evaluation) summary() string {
	return fmt.Sprintf("top-1 %.1f%% (%d/%d), first guess %.1f%%, top-3 %.1f%%, triage %.1f%% (%d; first guess right in %d, top-3 in %d), mean confidence %.3f",
		pct(ev.right, ev.n), ev.right, ev.n, pct(ev.rawRight, ev.n), pct(ev.top3, ev.n), pct(ev.triaged, ev.n), ev.triaged, ev.triageFirst, ev.triageTop3, ev.confSum/float64(ev.n))
}

// worst returns the most frequent confusions.
func (ev evaluation) worst(n int) string {
	type kv struct {
		k [2]string
		v int
	}
	var all []kv
	for k, v := range ev.confusion {
		if k[0] != k[1] {
			all = append(all, kv{k, v})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].v != all[j].v {
			return all[i].v > all[j].v
		}
		return all[i].k[0]+all[i].k[1] < all[j].k[0]+all[j].k[1]
	})
	var b strings.Builder
	for i := 0; i < len(all) && i < n; i++ {
		fmt.Fprintf(&b, "%s→%s %d; ", all[i].k[0], all[i].k[1], all[i].v)
	}
	return b.String()
}

// table writes per-department precision and recall and the confusion matrix (rows: right
// department, columns: the router's answer, office including triage) as Markdown.
func (ev evaluation) table(w io.Writer) {
	cols := append([]string(nil), ev.depts...)
	if !contains(cols, hall.OfficeDepartment) {
		cols = append(cols, hall.OfficeDepartment)
	}
	fmt.Fprintf(w, "| dept | precision | recall |")
	for _, c := range cols {
		fmt.Fprintf(w, " %.4s |", c)
	}
	fmt.Fprintf(w, "\n|---|---|---|%s\n", strings.Repeat("---|", len(cols)))
	for _, d := range cols {
		tp, got, want := ev.confusion[[2]string{d, d}], 0, 0
		for _, c := range cols {
			got += ev.confusion[[2]string{c, d}]
			want += ev.confusion[[2]string{d, c}]
		}
		if want == 0 {
			continue
		}
		fmt.Fprintf(w, "| %s | %.1f%% | %.1f%% |", d, pct(tp, got), pct(tp, want))
		for _, c := range cols {
			if n := ev.confusion[[2]string{d, c}]; n > 0 {
				fmt.Fprintf(w, " %d |", n)
			} else {
				fmt.Fprint(w, " · |")
			}
		}
		fmt.Fprintln(w)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestRouterHeldOutAccuracy measures the default router on the project's held-out set (never
// trained on) and asserts floors just under the targets of 93 % top-1 and 99 % top-3 (the
// measured figures are in docs/CASES.md; -v prints them and every miss).
func TestRouterHeldOutAccuracy(t *testing.T) {
	r := NewRouter(DemoCatalogue())
	set := heldOutSet(t)
	ev := evaluate(r.Route, set, r.Departments())
	t.Logf("held-out: %s; most confused %s", ev.summary(), ev.worst(8))
	if testing.Verbose() {
		for _, l := range set {
			if res := r.Route(l.text); res.Department != l.dept {
				t.Logf("%s -> %s (%.2f %v): %s", l.dept, res.Department, res.Confidence, ranked(res), l.text)
			}
		}
	}
	if acc := pct(ev.right, ev.n); acc < 92 {
		t.Errorf("held-out top-1 %.1f %% below the 92 %% floor", acc)
	}
	if acc := pct(ev.top3, ev.n); acc < 98.5 {
		t.Errorf("held-out top-3 %.1f %% below the 98.5 %% floor", acc)
	}
}

// crossValidate returns the k-fold cross-validated evaluation over the training texts that are
// whole requests (the catalogue's examples and the corpus's training part; keywords, names and
// scopes stay in every training fold). The folds are fixed (every k-th text of each department),
// so the figure is deterministic.
func crossValidate(opt RouterOptions, k int) evaluation {
	return crossValidateWith(k, func(cat *hall.Catalogue, extra []TrainingText) (func(string) hall.RouteResult, []string) {
		r := NewRouterWith(cat, extra, opt)
		return r.Route, r.Departments()
	})
}

// crossValidateWith is crossValidate for any router that train builds from a catalogue and
// extra texts (the naive Bayes baseline uses the same folds).
func crossValidateWith(k int, train func(*hall.Catalogue, []TrainingText) (route func(string) hall.RouteResult, depts []string)) evaluation {
	cat := DemoCatalogue()
	corpus := DemoTraining()
	var all evaluation
	all.confusion = map[[2]string]int{}
	for fold := 0; fold < k; fold++ {
		trainCat := DemoCatalogue()
		var test []labelled
		n := map[string]int{}
		pick := func(dept string) bool { n[dept]++; return n[dept]%k == fold }
		for i := range trainCat.Categories {
			c := &trainCat.Categories[i]
			var keep []string
			for _, e := range cat.Categories[i].Examples {
				if pick(c.Department) {
					test = append(test, labelled{c.Department, e})
				} else {
					keep = append(keep, e)
				}
			}
			c.Examples = keep
		}
		var extra []TrainingText
		for _, x := range corpus {
			if pick(x.Department) {
				test = append(test, labelled{x.Department, x.Text})
			} else {
				extra = append(extra, x)
			}
		}
		route, depts := train(trainCat, extra)
		all.depts = depts
		ev := evaluate(route, test, all.depts)
		all.n += ev.n
		all.right += ev.right
		all.rawRight += ev.rawRight
		all.top3 += ev.top3
		all.triaged += ev.triaged
		all.triageTop3 += ev.triageTop3
		all.triageFirst += ev.triageFirst
		all.confSum += ev.confSum
		for key, v := range ev.confusion {
			all.confusion[key] += v
		}
	}
	return all
}

// TestRouterCrossValidation: under 5-fold cross-validation on the training texts the defaults
// route at least 88 % to the right department (deterministic: the folds are fixed).
func TestRouterCrossValidation(t *testing.T) {
	ev := crossValidate(DefaultRouterOptions(), 5)
	t.Logf("5-fold cross-validation: %s", ev.summary())
	if acc := pct(ev.rawRight, ev.n); acc < 88 {
		t.Fatalf("5-fold cross-validated first-guess accuracy %.1f %%, want at least 88 %%", acc)
	}
}

// TestRouterDeterministic: the same data gives the same answers.
func TestRouterDeterministic(t *testing.T) {
	a, b := NewRouter(DemoCatalogue()), NewRouter(DemoCatalogue())
	for _, l := range heldOutSet(t) {
		if x, y := a.Route(l.text), b.Route(l.text); fmt.Sprint(x) != fmt.Sprint(y) {
			t.Fatalf("two routers trained on the same data differ on %q: %+v vs %+v", l.text, x, y)
		}
	}
}

// BenchmarkRouterCrossValidation reports the 5-fold cross-validated accuracy (accuracy-%) of the
// default options; with ROUTER_TUNE=1 also of a grid of options (how the defaults were chosen).
func BenchmarkRouterCrossValidation(b *testing.B) {
	run := func(name string, o RouterOptions) {
		b.Run(name, func(b *testing.B) {
			var ev evaluation
			for b.Loop() {
				ev = crossValidate(o, 5)
			}
			b.ReportMetric(pct(ev.rawRight, ev.n), "accuracy-%")
			b.ReportMetric(pct(ev.top3, ev.n), "top3-%")
			b.ReportMetric(pct(ev.triaged, ev.n), "triage-%")
			b.ReportMetric(pct(ev.right, ev.n), "with-triage-%")
			b.ReportMetric(100*ev.confSum/float64(ev.n), "mean-conf-%")
		})
	}
	run("defaults", DefaultRouterOptions())
	if os.Getenv("ROUTER_TUNE") == "" {
		return
	}
	grid := map[string]func(*RouterOptions, float64){
		"unigram": func(o *RouterOptions, v float64) { o.UnigramWeight = v },
		"subword": func(o *RouterOptions, v float64) { o.SubwordWeight = v },
		"pair":    func(o *RouterOptions, v float64) { o.PairWeight = v },
		"keyword": func(o *RouterOptions, v float64) { o.KeywordWeight = v },
		"scope":   func(o *RouterOptions, v float64) { o.ScopeWeight = v },
		"epochs":  func(o *RouterOptions, v float64) { o.Epochs = int(v) },
		"rate":    func(o *RouterOptions, v float64) { o.Rate = v },
		"l2":      func(o *RouterOptions, v float64) { o.L2 = v },
		"temp":    func(o *RouterOptions, v float64) { o.Temperature = v },
		"minconf": func(o *RouterOptions, v float64) { o.MinConfidence = v },
	}
	values := map[string][]float64{
		"unigram": {0, 0.25, 0.5, 1}, "subword": {0, 0.3, 0.6}, "pair": {0, 0.5, 1},
		"keyword": {0.5, 1, 2, 4}, "scope": {0, 0.5, 1}, "epochs": {20, 40, 60},
		"rate": {0.2, 0.5, 1, 2}, "l2": {1e-4, 3e-4, 1e-3, 2e-3}, "temp": {0.5, 0.6, 0.85, 1}, "minconf": {0.2, 0.3, 0.4, 0.5},
		"lexicon": {0, 0.5, 1, 2},
	}
	names := make([]string, 0, len(grid))
	for k := range grid {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range values[name] {
			o := DefaultRouterOptions()
			grid[name](&o, v)
			run(fmt.Sprintf("%s=%g", name, v), o)
		}
	}
}

// TestRouterReport writes the comparison with the naive Bayes baseline (ROUTER_REPORT=1; the
// figures of docs/CASES.md): held-out and 5-fold cross-validated top-1 and top-3, the triage share,
// per-department precision and recall, the confusion matrix, training time and model size.
func TestRouterReport(t *testing.T) {
	if os.Getenv("ROUTER_REPORT") == "" {
		t.Skip("set ROUTER_REPORT=1 to print the report")
	}
	w := os.Stdout
	cat := DemoCatalogue()
	set := heldOutSet(t)
	t0 := time.Now()
	r := NewRouter(cat)
	trainTime := time.Since(t0)
	nb := newNBRouterWithCorpus(cat, DemoTraining())
	fmt.Fprintf(w, "held-out set: %d texts; training: %d catalogue texts + %d corpus texts\n", len(set), len(trainingTexts(cat))-len(DemoTraining()), len(DemoTraining()))
	evLR := evaluate(r.Route, set, r.Departments())
	evNB := evaluate(nb.Route, set, r.Departments())
	evNB0 := evaluate(newNBRouter(cat).Route, set, r.Departments())
	fmt.Fprintf(w, "logistic regression, held-out: %s\n  most confused: %s\n", evLR.summary(), evLR.worst(10))
	fmt.Fprintf(w, "naive Bayes (same training), held-out: %s\n  most confused: %s\n", evNB.summary(), evNB.worst(10))
	fmt.Fprintf(w, "naive Bayes (catalogue only, before issue 18), held-out: %s\n", evNB0.summary())
	cv := crossValidate(DefaultRouterOptions(), 5)
	fmt.Fprintf(w, "logistic regression, 5-fold cross-validation: %s\n", cv.summary())
	cvNB := crossValidateNB(5)
	fmt.Fprintf(w, "naive Bayes, 5-fold cross-validation: %s\n", cvNB.summary())
	fmt.Fprintf(w, "training time %v, model size %.1f MB (%d department features, %d category features)\n",
		trainTime.Round(time.Millisecond), float64(r.Size())/1e6, len(r.dept.index), len(r.cat.index))
	fmt.Fprintf(w, "\nlogistic regression on the held-out set:\n\n")
	evLR.table(w)
	fmt.Fprintf(w, "\nnaive Bayes on the held-out set:\n\n")
	evNB.table(w)
	fmt.Fprintf(w, "\ncalibration (held-out, confidence bucket: share, accuracy of the first guess):\n")
	calibration(w, r, set)
}

// calibration writes the first guess's accuracy per confidence bucket.
func calibration(w io.Writer, r *Router, set []labelled) {
	edges := []float64{0, 0.3, 0.5, 0.7, 0.9, 1.01}
	n, right := make([]int, len(edges)-1), make([]int, len(edges)-1)
	for _, l := range set {
		res := r.Route(l.text)
		rk := ranked(res)
		for i := 0; i+1 < len(edges); i++ {
			if res.Confidence >= edges[i] && res.Confidence < edges[i+1] {
				n[i]++
				if len(rk) > 0 && rk[0] == l.dept {
					right[i]++
				}
			}
		}
	}
	for i := range n {
		fmt.Fprintf(w, "  [%.1f, %.1f): %d texts (%.1f%%), %.1f%% right\n", edges[i], edges[i+1], n[i], pct(n[i], len(set)), pct(right[i], n[i]))
	}
}

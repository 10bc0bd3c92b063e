package cases

import (
	"bufio"
	"bytes"
	_ "embed"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// The router: multinomial logistic regression over hashed text features, trained in well under a
// second on the dispatch catalogue (examples, keywords, names, scope phrases) and the routing corpus
// (routedata/train.tsv), plus a small learned layer for staff re-routes.
//
// Features (linear.go): the text is normalised (full-width ASCII to half-width, lower case) and
// split into runs of Han characters and runs of Latin letters and digits. A Han run gives its
// characters (weighted UnigramWeight), bigrams and trigrams: Chinese needs no word segmenter,
// because the bigrams of a text contain its two-character words and the trigrams its longer ones
// (a segmenter was considered and left out: see docs/CASES.md). A Latin run is an English word:
// stop words dropped, a light stemmer folds plurals and -ing/-ed, adjacent words give word pairs
// and words of four letters or more their character trigrams (typos). The catalogue is a prior
// twice over: its keywords and scope phrases are training texts, and finding one in a text gives
// the feature "names a keyword of department D" (and "... of category C"; LexiconWeight). Features
// are hashed (64-bit FNV-1a), summed, square-rooted and scaled to unit length.
//
// Two models: one over departments (what Route answers) and one over the catalogue's categories
// (which category of the chosen department; trained on the catalogue only, the corpus is labelled
// by department). Confidence is the department model's softmax at Temperature (calibrated by
// cross-validation: the mean confidence matches the accuracy); below MinConfidence the text goes
// to the office for triage with the router's top three in Alternatives.
//
// Re-routes by staff (LearnExample) do not retrain the model: each moves its own phrase by the
// smallest change of a separate learned layer that makes the department win by LearnMargin (a
// passive-aggressive step), so one re-route moves a phrase and its close variants. The layer is
// a function of the accepted examples in order: a repeat of the same phrase by the same actor is
// a no-op (a different department replaces the earlier one), an actor's accepted re-routes per
// day are bounded (MaxLearnPerActorDay), every decision is counted (LearnStats), and Forget drops
// an actor's examples and rebuilds the layer. See docs/CASES.md for the measured figures.

//go:embed routedata/train.tsv
var demoTrainTSV []byte

// RouterOptions are the router's tuning knobs.
type RouterOptions struct {
	// UnigramWeight is the weight of single Han characters (bigrams and trigrams weigh 1).
	UnigramWeight float64
	// SubwordWeight is the weight of the character trigrams of English words.
	SubwordWeight float64
	// PairWeight is the weight of adjacent English word pairs.
	PairWeight float64
	// KeywordWeight is the training weight of a catalogue keyword (an example weighs 1).
	KeywordWeight float64
	// ScopeWeight is the training weight of a phrase of a category's name or scope line.
	ScopeWeight float64
	// LexiconWeight is the weight of the features "names a keyword or scope phrase of department
	// D" and "... of category C" (0: none).
	LexiconWeight float64
	// Epochs, Rate and L2 tune the stochastic gradient descent.
	Epochs int
	Rate   float64
	L2     float64
	// Temperature divides the logits before the softmax (the calibration).
	Temperature float64
	// MinConfidence is the department probability below which Route sends the text to triage.
	MinConfidence float64
	// LearnMargin is the logit margin by which a re-routed text's department must win after
	// learning it.
	LearnMargin float64
	// MaxLearnPerActorDay bounds the re-routes one actor teaches the router per day (UTC day of
	// the example's time); more are ignored (and counted).
	MaxLearnPerActorDay int
}

// DefaultRouterOptions returns the tuned defaults, chosen by 5-fold cross-validation on the
// training texts (BenchmarkRouterCrossValidation with ROUTER_TUNE=1), never on a held-out set.
func DefaultRouterOptions() RouterOptions {
	return RouterOptions{
		UnigramWeight: 1, SubwordWeight: 0.3, PairWeight: 0.5, KeywordWeight: 1, ScopeWeight: 0.5, LexiconWeight: 1,
		Epochs: 40, Rate: 2, L2: 1e-3, Temperature: 0.6, MinConfidence: 0.3,
		LearnMargin: 3, MaxLearnPerActorDay: 30,
	}
}

// Router limits.
const (
	// MaxAlternatives is how many alternative departments Route reports.
	MaxAlternatives = 3
	// MaxRouteText is how much of a text (in runes) the router reads.
	MaxRouteText = 2000
)

// TrainingText is a request text labelled with the department that handles it.
type TrainingText struct {
	Department string
	Text       string
}

// DemoTraining returns the routing corpus's training part (routedata/train.tsv, embedded): the
// texts the demo router learns from besides the catalogue. Lines that are not "department<TAB>text"
// are skipped (a test guards the file).
func DemoTraining() []TrainingText { return ParseTrainingTSV(demoTrainTSV) }

// ParseTrainingTSV reads "department<TAB>text" lines; others (and # comments) are skipped.
func ParseTrainingTSV(data []byte) []TrainingText {
	var out []TrainingText
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		d, text, ok := strings.Cut(sc.Text(), "\t")
		d, text = strings.TrimSpace(d), strings.TrimSpace(text)
		if !ok || d == "" || text == "" || strings.HasPrefix(d, "#") {
			continue
		}
		out = append(out, TrainingText{Department: d, Text: text})
	}
	return out
}

// LearnOutcome says what LearnExample did with a re-route.
type LearnOutcome string

// Learn outcomes.
const (
	LearnAccepted  LearnOutcome = "accepted"  // a new phrase: the learned layer moved it
	LearnReplaced  LearnOutcome = "replaced"  // the actor re-routed the phrase elsewhere: the later department wins
	LearnRepeated  LearnOutcome = "repeated"  // the same phrase, actor and department again: nothing changes
	LearnOverLimit LearnOutcome = "overlimit" // the actor's re-routes of the day are used up: nothing changes
	LearnIgnored   LearnOutcome = "ignored"   // an unknown department or a text without features
)

// LearnStats counts LearnExample's outcomes since the router was made.
type LearnStats map[LearnOutcome]int

// learnedEx is an accepted re-route.
type learnedEx struct {
	ex    hall.RouteExample
	key   string // actor + NUL + normalised text
	feats []fv
	y     int
}

// Router routes request texts to departments. It is safe for concurrent use: Route takes a read
// lock, LearnExample and Forget a write lock.
type Router struct {
	opt     RouterOptions
	depts   []string       // sorted; the department model's classes
	deptIdx map[string]int // department -> class
	cats    []hall.Category
	catsOf  [][]int // department class -> category classes
	dept    *linearModel
	cat     *linearModel
	fo      featOptions

	mu       sync.RWMutex
	delta    map[uint64][]float32 // the learned layer: feature hash -> department logit deltas
	examples []learnedEx          // accepted re-routes, in order
	byKey    map[string]int       // key -> index in examples
	perDay   map[string]int       // actor + NUL + day -> accepted that day
	stats    LearnStats
}

// NewRouter trains a router on a catalogue and the demo routing corpus with the default options.
func NewRouter(cat *hall.Catalogue) *Router {
	return NewRouterWith(cat, DemoTraining(), DefaultRouterOptions())
}

// NewRouterWith trains a router on a catalogue and extra labelled texts (those of departments the
// catalogue does not know are skipped) with the given options. The same inputs give the same
// router.
func NewRouterWith(cat *hall.Catalogue, extra []TrainingText, opt RouterOptions) *Router {
	r := &Router{opt: opt, deptIdx: map[string]int{}, cats: cat.Categories,
		fo:    featOptions{uni: float32(opt.UnigramWeight), sub: float32(opt.SubwordWeight), pair: float32(opt.PairWeight)},
		delta: map[uint64][]float32{}, byKey: map[string]int{}, perDay: map[string]int{}, stats: LearnStats{}}
	for _, c := range cat.Categories {
		if _, ok := r.deptIdx[c.Department]; !ok {
			r.deptIdx[c.Department] = 0
			r.depts = append(r.depts, c.Department)
		}
	}
	sort.Strings(r.depts)
	r.catsOf = make([][]int, len(r.depts))
	for i, d := range r.depts {
		r.deptIdx[d] = i
	}
	for i, c := range cat.Categories {
		d := r.deptIdx[c.Department]
		r.catsOf[d] = append(r.catsOf[d], i)
	}
	if opt.LexiconWeight > 0 {
		lex := newLexicon()
		for _, c := range cat.Categories {
			for _, class := range []uint64{hashString(hashStart('K'), c.Department), hashString(hashStart('C'), c.Code)} {
				for _, kw := range c.Keywords {
					lex.add(kw, class)
				}
				for _, s := range append(phrases(c.Scope.Zh), phrases(c.Scope.En)...) {
					lex.add(s, class)
				}
			}
		}
		r.fo.lex, r.fo.lexW = lex, float32(opt.LexiconWeight)
	}
	r.dept = newLinearModel(len(r.depts))
	r.cat = newLinearModel(len(cat.Categories))
	var deptDocs, catDocs []trainDoc
	add := func(ci int, text string, w float64) {
		f := textFeatures(clip(text), r.fo)
		if len(f) == 0 || w <= 0 {
			return
		}
		deptDocs = append(deptDocs, r.dept.doc(f, r.deptIdx[cat.Categories[ci].Department], float32(w)))
		catDocs = append(catDocs, r.cat.doc(f, ci, float32(w)))
	}
	for ci, c := range cat.Categories {
		for _, ex := range c.Examples {
			add(ci, ex, 1)
		}
		for _, kw := range c.Keywords {
			add(ci, kw, opt.KeywordWeight)
		}
		for _, s := range []string{c.Name.Zh, c.Name.En} {
			add(ci, s, opt.ScopeWeight)
		}
		for _, s := range append(phrases(c.Scope.Zh), phrases(c.Scope.En)...) {
			add(ci, s, opt.ScopeWeight)
		}
	}
	for _, t := range extra {
		y, ok := r.deptIdx[t.Department]
		if !ok {
			continue
		}
		if f := textFeatures(clip(t.Text), r.fo); len(f) > 0 {
			deptDocs = append(deptDocs, r.dept.doc(f, y, 1))
		}
	}
	to := trainOptions{epochs: opt.Epochs, rate: opt.Rate, l2: opt.L2}
	r.dept.train(deptDocs, to)
	// the category model only picks among a department's few categories, on the catalogue's
	// texts: a quarter of the epochs is enough and saves a third of the training time
	to.epochs = max(1, opt.Epochs/4)
	r.cat.train(catDocs, to)
	return r
}

// Departments returns the departments the router knows, sorted.
func (r *Router) Departments() []string { return append([]string(nil), r.depts...) }

// Knows reports whether the router has a category of the department.
func (r *Router) Knows(dept string) bool { _, ok := r.deptIdx[dept]; return ok }

// Size returns the size of the trained models in bytes (weights and feature index).
func (r *Router) Size() int { return r.dept.size() + r.cat.size() }

// Options returns the router's options.
func (r *Router) Options() RouterOptions { return r.opt }

// Learned returns how many re-routes the learned layer holds (accepted, not forgotten).
func (r *Router) Learned() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.examples)
}

// LearnStats returns how often each outcome of LearnExample happened.
func (r *Router) LearnStats() LearnStats {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := LearnStats{}
	for k, v := range r.stats {
		out[k] = v
	}
	return out
}

// Examples returns the re-routes the learned layer holds, in the order they were accepted.
func (r *Router) Examples() []hall.RouteExample {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]hall.RouteExample, len(r.examples))
	for i, e := range r.examples {
		out[i] = e.ex
	}
	return out
}

// Learn teaches the router a text's right department with no actor or time (see LearnExample).
// It reports whether the learned layer changed.
func (r *Router) Learn(text, dept string) bool {
	o := r.LearnExample(hall.RouteExample{Text: text, Department: dept})
	return o == LearnAccepted || o == LearnReplaced
}

// LearnExample teaches the router a re-route by staff: the text belongs to ex.Department. The
// guard: a repeat by the same actor (ex.By) of the same phrase changes nothing, a different
// department from the same actor for the same phrase replaces the earlier one, and each actor is
// bounded to MaxLearnPerActorDay new or changed phrases per UTC day of ex.At. Replaying the same
// examples in the same order (at start-up) gives the same router.
func (r *Router) LearnExample(ex hall.RouteExample) LearnOutcome {
	text := clip(ex.Text)
	y, ok := r.deptIdx[ex.Department]
	feats := textFeatures(text, r.fo)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ok || len(feats) == 0 {
		r.stats[LearnIgnored]++
		return LearnIgnored
	}
	key := ex.By + "\x00" + normText(text)
	i, dup := r.byKey[key]
	if dup && r.examples[i].y == y {
		r.stats[LearnRepeated]++
		return LearnRepeated
	}
	// a new phrase or a change of mind: either uses up one of the actor's re-routes of the day
	dayKey := ex.By + "\x00" + ex.At.UTC().Format("20060102")
	if r.opt.MaxLearnPerActorDay > 0 && r.perDay[dayKey] >= r.opt.MaxLearnPerActorDay {
		r.stats[LearnOverLimit]++
		return LearnOverLimit
	}
	r.perDay[dayKey]++
	if dup {
		r.examples[i].ex, r.examples[i].y = ex, y
		r.rebuild()
		r.stats[LearnReplaced]++
		return LearnReplaced
	}
	r.byKey[key] = len(r.examples)
	le := learnedEx{ex: ex, key: key, feats: feats, y: y}
	r.examples = append(r.examples, le)
	r.step(le)
	r.stats[LearnAccepted]++
	return LearnAccepted
}

// Forget drops every re-route an actor taught the router and rebuilds the learned layer from the
// others; it returns how many were dropped. (The examples stay in the case store's log: replaying
// them at start-up teaches them again unless the store drops them too.)
func (r *Router) Forget(by string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.examples[:0:0]
	for _, e := range r.examples {
		if e.ex.By != by {
			kept = append(kept, e)
		}
	}
	n := len(r.examples) - len(kept)
	if n == 0 {
		return 0
	}
	r.examples = kept
	r.byKey = map[string]int{}
	for i, e := range kept {
		r.byKey[e.key] = i
	}
	r.rebuild()
	return n
}

// rebuild recomputes the learned layer from the examples in order (under r.mu).
func (r *Router) rebuild() {
	r.delta = map[uint64][]float32{}
	for _, e := range r.examples {
		r.step(e)
	}
}

// step moves one example: passive-aggressive updates of the learned layer, each the smallest that
// lifts its department LearnMargin above the strongest rival, until no rival is within the margin
// (at most one per department). The features have unit length, so a step of tau on the target
// and -tau on the rival moves the margin by 2·tau.
func (r *Router) step(e learnedEx) {
	k := len(r.depts)
	s := make([]float64, k)
	for range k {
		r.logits(e.feats, s)
		rival, best := -1, math.Inf(-1)
		for c, v := range s {
			if c != e.y && v > best {
				rival, best = c, v
			}
		}
		gap := s[e.y] - best
		if rival < 0 || gap >= r.opt.LearnMargin {
			return
		}
		tau := float32((r.opt.LearnMargin - gap) / 2)
		for _, f := range e.feats {
			d := r.delta[f.h]
			if d == nil {
				d = make([]float32, k)
				r.delta[f.h] = d
			}
			d[e.y] += tau * f.v
			d[rival] -= tau * f.v
		}
	}
}

// logits computes the department logits of features: the model plus the learned layer (under
// r.mu). It reports how many features either knew.
func (r *Router) logits(feats []fv, out []float64) int {
	known := r.dept.logits(feats, out)
	if len(r.delta) == 0 {
		return known
	}
	for _, f := range feats {
		d, ok := r.delta[f.h]
		if !ok {
			continue
		}
		known++
		for c, v := range d {
			out[c] += float64(f.v) * float64(v)
		}
	}
	return known
}

// Probabilities returns the calibrated probability of each department (in Departments order) for a
// text, and false when the router knows none of its features.
func (r *Router) Probabilities(text string) ([]float64, bool) {
	feats := textFeatures(clip(text), r.fo)
	p := make([]float64, len(r.depts))
	r.mu.RLock()
	known := r.logits(feats, p)
	r.mu.RUnlock()
	if known == 0 {
		return nil, false
	}
	softmaxInPlace(p, r.opt.Temperature)
	return p, true
}

// bestCategories returns, for each department class, its category that fits the features best.
func (r *Router) bestCategories(feats []fv) []string {
	s := make([]float64, len(r.cats))
	r.cat.logits(feats, s)
	out := make([]string, len(r.depts))
	for d, cs := range r.catsOf {
		best := math.Inf(-1)
		for _, ci := range cs {
			if s[ci] > best {
				best, out[d] = s[ci], r.cats[ci].Code
			}
		}
	}
	return out
}

// BestCategory returns the department's category that fits the text best ("" when the router
// knows no category of the department).
func (r *Router) BestCategory(text, dept string) string {
	d, ok := r.deptIdx[dept]
	if !ok {
		return ""
	}
	return r.bestCategories(textFeatures(clip(text), r.fo))[d]
}

// Route returns the department for a text, its confidence and the alternatives. An empty text,
// one without any known feature, or a top department below MinConfidence goes to the office for
// triage (Triage true; Confidence says how sure the router was and Alternatives hold its top
// three). This one call is the suggestion the counter, the hotline desk and the portal show.
func (r *Router) Route(text string) hall.RouteResult {
	res := hall.RouteResult{Department: hall.OfficeDepartment, Triage: true, Alternatives: []hall.RouteAlternative{}}
	feats := textFeatures(clip(text), r.fo)
	p := make([]float64, len(r.depts))
	r.mu.RLock()
	known := r.logits(feats, p)
	r.mu.RUnlock()
	if known == 0 {
		return res
	}
	softmaxInPlace(p, r.opt.Temperature)
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return p[order[i]] > p[order[j]] })
	cats := r.bestCategories(feats)
	top := order[0]
	res.Confidence = round3(p[top])
	start := 0 // in triage the router's best guesses are all alternatives
	if p[top] >= r.opt.MinConfidence {
		res.Department, res.Category, res.Triage = r.depts[top], cats[top], false
		start = 1
	}
	for _, d := range order[start:] {
		if len(res.Alternatives) == MaxAlternatives {
			break
		}
		res.Alternatives = append(res.Alternatives, hall.RouteAlternative{Department: r.depts[d], Category: cats[d], Confidence: round3(p[d])})
	}
	return res
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func clip(s string) string {
	if utf8.RuneCountInString(s) <= MaxRouteText {
		return s
	}
	return string([]rune(s)[:MaxRouteText])
}

// normText lower-cases and collapses the white space of a text (the key of a learned phrase).
func normText(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// stopWords are English words that say nothing about the department.
var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "is": true, "are": true, "was": true, "were": true, "be": true,
	"been": true, "am": true, "i": true, "my": true, "me": true, "we": true, "our": true, "us": true,
	"you": true, "your": true, "it": true, "its": true, "to": true, "of": true, "in": true, "on": true,
	"at": true, "for": true, "from": true, "by": true, "with": true, "and": true, "or": true, "but": true,
	"do": true, "does": true, "did": true, "can": true, "could": true, "should": true, "would": true,
	"will": true, "how": true, "what": true, "when": true, "where": true, "who": true, "which": true,
	"why": true, "this": true, "that": true, "there": true, "have": true, "has": true, "had": true,
	"not": true, "no": true, "so": true, "if": true, "as": true, "any": true, "some": true, "please": true,
	"get": true, "need": true, "want": true, "s": true, "t": true, "after": true, "about": true, "still": true,
	"they": true, "them": true, "he": true, "she": true, "his": true, "her": true, "than": true, "too": true,
	"very": true, "also": true, "into": true, "out": true, "up": true, "all": true, "one": true, "yet": true,
}

// stem folds common English endings (a light Porter-like step, enough for request texts).
func stem(w string) string {
	if len(w) <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s"):
		w = w[:len(w)-1]
	}
	for _, suf := range []string{"ing", "ed"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
			w = w[:len(w)-len(suf)]
			if n := len(w); n >= 2 && w[n-1] == w[n-2] && w[n-1] != 'l' && w[n-1] != 's' {
				w = w[:n-1] // stopped -> stop
			}
			break
		}
	}
	if len(w) > 4 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1] // exam(e)... fold "charge"/"charg"
	}
	return w
}

// normRune maps full-width ASCII to half-width and lower-cases.
func normRune(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	} else if r == 0x3000 {
		r = ' '
	}
	return unicode.ToLower(r)
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

package cases

import (
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// The router: a multinomial naive Bayes text classifier over the dispatch catalogue's categories.
//
// Features: the text is normalised (full-width ASCII to half-width, lower case) and split into
// runs of Han characters and runs of Latin letters and digits. A Han run gives its character
// bigrams and trigrams and (with a lower weight) its single characters: Chinese needs no word
// segmenter, because the bigrams of a text contain its two-character words and the trigrams its
// longer ones. A Latin run is a word: lower-cased, a light English stemmer folds plurals and
// -ing/-ed forms, stop words are dropped; adjacent words also give word bigrams.
//
// Training: every example and keyword of a category (keywords count KeywordWeight times), the
// category's name and scope lines, and every text a member of staff re-routed (Learn, counted
// LearnWeight times, into the target department's best-matching category). Scoring: log prior +
// sum of feature weight × log P(feature | category) with Lidstone smoothing (Alpha). A
// department's probability is the sum over its categories of the category posteriors, computed
// from the scores tempered by the square root of the text's feature mass (naive Bayes posteriors
// are far too sure of themselves otherwise). Below MinConfidence the text goes to the office for
// triage. See docs/CASES.md for the measured accuracy.

// RouterOptions are the router's tuning knobs.
type RouterOptions struct {
	// Alpha is the Lidstone smoothing constant.
	Alpha float64
	// UnigramWeight is the weight of single Han characters (bigrams and trigrams weigh 1).
	UnigramWeight float64
	// KeywordWeight is how many times a catalogue keyword counts as a training text.
	KeywordWeight float64
	// LearnWeight is how many times a re-routed text counts.
	LearnWeight float64
	// MinConfidence is the department probability below which Route sends the text to triage.
	MinConfidence float64
	// Temper divides the category scores by the square root of the text's feature mass times
	// Temper before the softmax (higher: less sure).
	Temper float64
}

// DefaultRouterOptions returns the tuned defaults, chosen by cross-validation on the catalogue
// examples (TestRouterCrossValidation), never on the held-out set.
func DefaultRouterOptions() RouterOptions {
	return RouterOptions{Alpha: 0.5, UnigramWeight: 0.6, KeywordWeight: 8, LearnWeight: 3, MinConfidence: 0.15, Temper: 1}
}

// Router limits.
const (
	// MaxAlternatives is how many alternative departments Route reports.
	MaxAlternatives = 3
	// MaxRouteText is how much of a text (in runes) the router reads.
	MaxRouteText = 2000
)

// Router routes request texts to departments. It is safe for concurrent use: Route takes a read
// lock, Learn a write lock.
type Router struct {
	opt     RouterOptions
	mu      sync.RWMutex
	cats    []routeClass
	catIdx  map[string]int // category code -> index
	vocab   map[string]int // feature -> index
	learned int
}

// routeClass is one category's counts.
type routeClass struct {
	code, dept string
	counts     map[int]float64
	sum        float64 // total feature mass
	docs       float64 // training texts (prior)
}

// NewRouter trains a router on a catalogue with the default options.
func NewRouter(cat *hall.Catalogue) *Router { return NewRouterWith(cat, DefaultRouterOptions()) }

// NewRouterWith trains a router on a catalogue with the given options.
func NewRouterWith(cat *hall.Catalogue, opt RouterOptions) *Router {
	r := &Router{opt: opt, catIdx: map[string]int{}, vocab: map[string]int{}}
	for _, c := range cat.Categories {
		r.catIdx[c.Code] = len(r.cats)
		r.cats = append(r.cats, routeClass{code: c.Code, dept: c.Department, counts: map[int]float64{}})
	}
	for _, c := range cat.Categories {
		i := r.catIdx[c.Code]
		for _, ex := range c.Examples {
			r.add(i, ex, 1)
		}
		for _, kw := range c.Keywords {
			r.add(i, kw, opt.KeywordWeight)
		}
		r.add(i, c.Name.Zh+" "+c.Name.En, 1)
		r.add(i, c.Scope.Zh, 1)
		r.add(i, c.Scope.En, 1)
	}
	return r
}

// add counts one training text into class i with weight w.
func (r *Router) add(i int, text string, w float64) {
	feats := features(text, r.opt.UnigramWeight)
	if len(feats) == 0 {
		return
	}
	c := &r.cats[i]
	for _, f := range feats {
		id, ok := r.vocab[f.s]
		if !ok {
			id = len(r.vocab)
			r.vocab[f.s] = id
		}
		c.counts[id] += f.w * w
		c.sum += f.w * w
	}
	c.docs += w
}

// Departments returns the departments the router knows, sorted.
func (r *Router) Departments() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range r.cats {
		if !seen[c.dept] {
			seen[c.dept] = true
			out = append(out, c.dept)
		}
	}
	sort.Strings(out)
	return out
}

// Knows reports whether the router has a category of the department.
func (r *Router) Knows(dept string) bool {
	for _, c := range r.cats {
		if c.dept == dept {
			return true
		}
	}
	return false
}

// Learned returns how many re-routed texts the router has learned from.
func (r *Router) Learned() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.learned
}

// Learn adds a text labelled with its right department (a re-routing by staff) to the training
// data, into the department's category that fits the text best. It reports false (and learns
// nothing) for an unknown department or a text without features.
func (r *Router) Learn(text, dept string) bool {
	text = clip(text)
	feats := features(text, r.opt.UnigramWeight)
	if len(feats) == 0 || !r.Knows(dept) {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	scores := r.scores(feats)
	best, bestScore := -1, math.Inf(-1)
	for i, c := range r.cats {
		if c.dept == dept && scores[i] > bestScore {
			best, bestScore = i, scores[i]
		}
	}
	r.add(best, text, r.opt.LearnWeight)
	r.learned++
	return true
}

// BestCategory returns the department's category that fits the text best ("" when the router
// knows no category of the department).
func (r *Router) BestCategory(text, dept string) string {
	feats := features(clip(text), r.opt.UnigramWeight)
	r.mu.RLock()
	defer r.mu.RUnlock()
	scores := r.scores(feats)
	best, bestScore := "", math.Inf(-1)
	for i, c := range r.cats {
		if c.dept == dept && scores[i] > bestScore {
			best, bestScore = c.code, scores[i]
		}
	}
	return best
}

// Route returns the department for a text, its confidence and the alternatives. An empty text,
// one without any known feature, or a top department below MinConfidence goes to the office for
// triage (Triage true; Confidence and Alternatives still say what the router thought).
func (r *Router) Route(text string) hall.RouteResult {
	feats := features(clip(text), r.opt.UnigramWeight)
	res := hall.RouteResult{Department: hall.OfficeDepartment, Triage: true, Alternatives: []hall.RouteAlternative{}}
	r.mu.RLock()
	known := 0.0
	var mass float64
	for _, f := range feats {
		mass += f.w
		if _, ok := r.vocab[f.s]; ok {
			known += f.w
		}
	}
	if known == 0 {
		r.mu.RUnlock()
		return res
	}
	scores := r.scores(feats)
	r.mu.RUnlock()

	// Tempered posterior over categories.
	temp := math.Sqrt(math.Max(mass, 1)) * r.opt.Temper
	maxS := math.Inf(-1)
	for _, s := range scores {
		maxS = math.Max(maxS, s)
	}
	post := make([]float64, len(scores))
	var z float64
	for i, s := range scores {
		post[i] = math.Exp((s - maxS) / temp)
		z += post[i]
	}
	type dp struct {
		dept, cat string
		p, catP   float64
	}
	byDept := map[string]*dp{}
	var order []*dp
	for i, c := range r.cats {
		p := post[i] / z
		d := byDept[c.dept]
		if d == nil {
			d = &dp{dept: c.dept}
			byDept[c.dept] = d
			order = append(order, d)
		}
		d.p += p
		if p > d.catP {
			d.catP, d.cat = p, c.code
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].p > order[j].p })
	top := order[0]
	res.Confidence = round3(top.p)
	res.Category = top.cat
	if top.p >= r.opt.MinConfidence {
		res.Department, res.Triage = top.dept, false
	} else {
		res.Category = ""
	}
	start := 1
	if res.Triage {
		start = 0 // the router's best guesses are all alternatives
	}
	for _, d := range order[start:] {
		if len(res.Alternatives) == MaxAlternatives {
			break
		}
		res.Alternatives = append(res.Alternatives, hall.RouteAlternative{Department: d.dept, Category: d.cat, Confidence: round3(d.p)})
	}
	return res
}

// scores returns the log-probability score of each category for the features (under r.mu).
func (r *Router) scores(feats []feature) []float64 {
	v := float64(len(r.vocab)) + 1
	var docs float64
	for _, c := range r.cats {
		docs += c.docs
	}
	out := make([]float64, len(r.cats))
	for i := range r.cats {
		c := &r.cats[i]
		s := math.Log((c.docs + 1) / (docs + float64(len(r.cats))))
		den := math.Log(c.sum + r.opt.Alpha*v)
		for _, f := range feats {
			id, ok := r.vocab[f.s]
			if !ok {
				continue // unseen everywhere: the same for every class
			}
			s += f.w * (math.Log(c.counts[id]+r.opt.Alpha) - den)
		}
		out[i] = s
	}
	return out
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func clip(s string) string {
	if utf8.RuneCountInString(s) <= MaxRouteText {
		return s
	}
	return string([]rune(s)[:MaxRouteText])
}

// ---- features ----

// feature is one feature occurrence with its weight.
type feature struct {
	s string
	w float64
}

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

// features extracts the weighted features of a text.
func features(text string, uw float64) []feature {
	var out []feature
	var han []rune
	var word []rune
	var words []string
	flushHan := func() {
		n := len(han)
		for i := 0; i < n; i++ {
			out = append(out, feature{"c:" + string(han[i]), uw})
			if i+1 < n {
				out = append(out, feature{"b:" + string(han[i:i+2]), 1})
			}
			if i+2 < n {
				out = append(out, feature{"t:" + string(han[i:i+3]), 1})
			}
		}
		han = han[:0]
	}
	flushWords := func() {
		for i, w := range words {
			out = append(out, feature{"w:" + w, 1})
			if i+1 < len(words) {
				out = append(out, feature{"p:" + w + "_" + words[i+1], 0.5})
			}
		}
		words = words[:0]
	}
	flushWord := func() {
		if len(word) == 0 {
			return
		}
		w := string(word)
		word = word[:0]
		allDigits := true
		for _, r := range w {
			if r < '0' || r > '9' {
				allDigits = false
				break
			}
		}
		if allDigits || stopWords[w] {
			return
		}
		words = append(words, stem(w))
	}
	for _, r := range text {
		r = normRune(r)
		switch {
		case isHan(r):
			flushWord()
			flushWords()
			han = append(han, r)
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			flushHan()
			word = append(word, r)
		case r == '\'' || r == '-':
			// inside a word ("master's", "e-bike"): keep the word going for '-', drop "'s"
			if r == '-' && len(word) > 0 {
				continue
			}
			flushWord()
		default:
			flushHan()
			flushWord()
			if !unicode.IsSpace(r) {
				flushWords()
			}
		}
	}
	flushHan()
	flushWord()
	flushWords()
	return out
}

package cases

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"onedoor/hallserver/hall"
)

// Hot topics (热点): similar requests grouped over a moving window.
//
// Each request (title and text) becomes a TF-IDF vector over the router's Han character bigrams
// (without a short list of question and function bigrams) and stemmed English words, IDF
// computed over the requests being grouped, then L2-normalised. Requests are taken
// in the order they came in; each joins the group whose centroid (the sum of its members'
// vectors) is the most similar by cosine, if that is at least the threshold, else it starts a
// group. Comparing against centroids rather than single members keeps groups from chaining
// into one. An inverted index over the centroids' features keeps the work near linear.

// topicStop are function-word bigrams of questions and complaints that say nothing about the
// matter ("什么时候", "能不能", "怎么办"), and the kinds of request (投诉, 咨询, 建议: a field of
// the case, which kiosk requests also name in their text): they would group requests by how they
// ask.
var topicStop = map[string]bool{}

// particles are characters whose bigrams are left out ("的校", "坏了").
const particles = "的了吗呢吧啊呀"

func init() {
	for _, b := range strings.Fields(`什么 么时 时候 怎么 么办 么样 请问 问一 一下 可以 以吗 能不 不能 能否 是不 不是
		为什 为何 没有 有没 我们 你们 他们 我的 的时 的话 已经 一直 现在 这个 那个 这样 这么 如何 需要 要求
		还是 但是 因为 所以 而且 就是 问题 情况 处理 希望 建议 反映 学校 同学 老师 谢谢 了吗 吗？ 多少 哪里
		知道 一个 不了 了一 不到 得到 也不 都不 还没 了怎 么回 回事 到底 应该 可能 不会 很多 有人 有的
		投诉 咨询`) {
		topicStop[b] = true
	}
}

// topicPrior is the number of virtual unrelated requests added to the IDF's document count.
const topicPrior = 50

// TopicOptions tune the grouping.
type TopicOptions struct {
	// Threshold is the least cosine similarity between a request and a group's centroid
	// (0.12 by default; chosen with TestTopicsGroupsWaves: paraphrases of one matter share few bigrams).
	Threshold float64
	// MinCount is the least number of requests in the window for a group to be a topic (2).
	MinCount int
	// Keywords is how many keywords a topic lists (5).
	Keywords int
}

// DefaultTopicOptions returns the options the server uses.
func DefaultTopicOptions() TopicOptions {
	return TopicOptions{Threshold: 0.12, MinCount: 2, Keywords: 5}
}

// topicDoc is one request as a normalised sparse vector (its terms in the order they occur, so
// that sums over it, and the grouping, come out the same on every run).
type topicDoc struct {
	c   *hall.Case
	vec []topicTerm
}

// topicGroup is a growing group of requests.
type topicGroup struct {
	sum  map[string]float64
	norm float64 // |sum|
	docs []*topicDoc
}

// topicTerm is a feature of a request (a bigram "b:…" or an English word "w:…") and the
// number of times the request has it.
type topicTerm struct {
	f string
	n float64
}

// topicTerms returns the features of a request that the grouping weighs, each once with its
// count, in the order they first occur.
func topicTerms(c *hall.Case) []topicTerm {
	var out []topicTerm
	at := map[string]int{}
	for _, f := range features(topicText(c), 0) {
		if (strings.HasPrefix(f.s, "b:") && !topicStop[f.s[2:]] && !strings.ContainsAny(f.s[2:], particles)) || strings.HasPrefix(f.s, "w:") {
			if i, ok := at[f.s]; ok {
				out[i].n++
				continue
			}
			at[f.s] = len(out)
			out = append(out, topicTerm{f.s, 1})
		}
	}
	return out
}

// TopicCache keeps the terms (topicTerms) of cases for TopicsCached, so that a case's text is
// segmented once: the terms depend only on the title and the text, which the entry keeps (shared
// with the case) and compares on each use; a case whose title or text changed (a final case
// never changes; an open one may) is segmented again. Its size is bounded by the calls' windows: after a call, when it holds more than
// twice the cases of that call's window (and over topicCacheSlack), the entries outside that
// window are dropped. The feature strings are shared between cases (interned). Safe for
// concurrent use.
type TopicCache struct {
	mu      sync.Mutex
	entries map[string]topicEntry // by case ID
	words   map[string]string     // interned feature strings
}

// topicEntry is a final case's terms, the title and text they come from (a case reopened and
// closed again with another text is segmented again), and when it was received.
type topicEntry struct {
	received    time.Time
	title, text string
	terms       []topicTerm
}

// topicCacheSlack is how many entries the cache may hold outside the last window before it is
// pruned.
const topicCacheSlack = 1024

// NewTopicCache returns an empty cache.
func NewTopicCache() *TopicCache {
	return &TopicCache{entries: map[string]topicEntry{}, words: map[string]string{}}
}

// Len is the number of cases whose terms the cache holds.
func (tc *TopicCache) Len() int {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return len(tc.entries)
}

// termsOf returns the terms of each case (all received in [from, to)), from the cache for the
// cases whose title and text are those cached (adding or replacing the others); a nil cache
// computes them all.
func (tc *TopicCache) termsOf(cs []*hall.Case, from, to time.Time) [][]topicTerm {
	out := make([][]topicTerm, len(cs))
	if tc == nil {
		for i, c := range cs {
			out[i] = topicTerms(c)
		}
		return out
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	for i, c := range cs {
		if e, ok := tc.entries[c.ID]; ok && e.title == c.Title && e.text == c.Text {
			out[i] = e.terms
			continue
		}
		ts := topicTerms(c)
		out[i] = ts
		for j := range ts {
			w, ok := tc.words[ts[j].f]
			if !ok {
				w = ts[j].f
				tc.words[w] = w
			}
			ts[j].f = w
		}
		tc.entries[c.ID] = topicEntry{received: c.ReceivedAt, title: c.Title, text: c.Text, terms: slices.Clip(ts)}
	}
	if len(tc.entries) > 2*len(cs)+topicCacheSlack {
		for id, e := range tc.entries {
			if e.received.Before(from) || !e.received.Before(to) {
				delete(tc.entries, id)
			}
		}
		if len(tc.words) > 16*len(tc.entries)+topicCacheSlack {
			tc.words = map[string]string{}
			for _, e := range tc.entries {
				for _, t := range e.terms {
					tc.words[t.f] = t.f
				}
			}
		}
	}
	return out
}

// topicText is what a request says (title and text).
func topicText(c *hall.Case) string {
	if c.Title != "" && !strings.Contains(c.Text, c.Title) {
		return c.Title + "。" + c.Text
	}
	return c.Text
}

// TopicID is the ID of a topic first raised by the case with this ID: stable while that case
// is in the window (answered topics keep theirs through their linked cases).
func TopicID(firstCaseID string) string {
	h := sha256.Sum256([]byte("topic:" + firstCaseID))
	return "t" + hex.EncodeToString(h[:5])
}

// Topics groups the cases received in [from, to) and returns the groups with at least
// MinCount requests in the current window [mid, to), best first. Requests in [from, mid) count
// as the previous window (Previous, Growth). linked maps case IDs to the topic IDs of published
// answers: a group holding linked cases takes that topic's ID (and the caller adds the answer).
// Cases without text, duplicates' originals aside, are left out; so are cases not yet routed.
func Topics(cs []hall.Case, from, mid, to time.Time, linked map[string]string, opt TopicOptions) []hall.Topic {
	return TopicsOf(Ptrs(cs), from, mid, to, linked, opt)
}

// TopicsOf is Topics on shared cases (read only).
func TopicsOf(cs []*hall.Case, from, mid, to time.Time, linked map[string]string, opt TopicOptions) []hall.Topic {
	return TopicsCached(nil, cs, from, mid, to, linked, opt)
}

// TopicsCached is TopicsOf taking the terms of the cases from the cache (nil: none), which it
// fills: the same topics, without segmenting each case's text again on every call.
func TopicsCached(cache *TopicCache, cs []*hall.Case, from, mid, to time.Time, linked map[string]string, opt TopicOptions) []hall.Topic {
	if opt.Threshold <= 0 {
		opt = DefaultTopicOptions()
	}
	var docs []*topicDoc
	df := map[string]int{}
	var in []*hall.Case
	for _, c := range cs {
		if c.ReceivedAt.Before(from) || !c.ReceivedAt.Before(to) || c.State == hall.CaseReceived {
			continue
		}
		in = append(in, c)
	}
	terms := cache.termsOf(in, from, to)
	for i, c := range in {
		if len(terms[i]) == 0 {
			continue
		}
		for _, t := range terms[i] {
			df[t.f]++
		}
		docs = append(docs, &topicDoc{c: c, vec: slices.Clone(terms[i])})
	}
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].c.ReceivedAt.Before(docs[j].c.ReceivedAt) })
	// IDF as if topicPrior unrelated requests were there too: with few requests, plain IDF
	// would make every shared bigram worthless.
	n := float64(len(docs) + topicPrior)
	for _, d := range docs {
		var norm float64
		for i, t := range d.vec {
			w := (1 + math.Log(t.n)) * (math.Log((n+1)/(float64(df[t.f])+1)) + 1)
			d.vec[i].n = w
			norm += w * w
		}
		norm = math.Sqrt(norm)
		for i := range d.vec {
			d.vec[i].n /= norm
		}
	}

	var groups []*topicGroup
	index := map[string][]int{} // feature → groups whose centroid has it
	for _, d := range docs {
		dots := map[int]float64{}
		for _, t := range d.vec {
			for _, g := range index[t.f] {
				dots[g] += t.n * groups[g].sum[t.f]
			}
		}
		best, bestSim := -1, 0.0
		for g, dot := range dots {
			sim := dot / groups[g].norm
			if sim > bestSim || (sim == bestSim && g < best) {
				best, bestSim = g, sim
			}
		}
		if best < 0 || bestSim < opt.Threshold {
			groups = append(groups, &topicGroup{sum: map[string]float64{}})
			best = len(groups) - 1
		}
		g := groups[best]
		dot := dots[best]
		for _, t := range d.vec {
			if _, ok := g.sum[t.f]; !ok {
				index[t.f] = append(index[t.f], best)
			}
			g.sum[t.f] += t.n
		}
		g.norm = math.Sqrt(g.norm*g.norm + 2*dot + 1)
		g.docs = append(g.docs, d)
	}

	var out []hall.Topic
	taken := map[string]int{} // topic ID → index in out
	for _, g := range groups {
		t := hall.Topic{Keywords: []string{}, Departments: []string{}, Cases: []string{}}
		depts := map[string]int{}
		votes := map[string]int{}
		bestSim := -1.0
		for _, d := range g.docs {
			c := d.c
			if c.ReceivedAt.Before(mid) {
				t.Previous++
				continue
			}
			t.Count++
			t.Cases = append(t.Cases, c.Number)
			dep := c.Department
			if dep == "" {
				dep = hall.OfficeDepartment
			}
			depts[dep]++
			if id := linked[c.ID]; id != "" {
				votes[id]++
			}
			if t.First.IsZero() || c.ReceivedAt.Before(t.First) {
				t.First = c.ReceivedAt
			}
			if c.ReceivedAt.After(t.Last) {
				t.Last = c.ReceivedAt
			}
			var dot float64
			for _, t := range d.vec {
				dot += t.n * g.sum[t.f]
			}
			if dot > bestSim {
				bestSim = dot
				t.Label = clipRunes(strings.TrimSpace(topicText(c)), 60)
			}
		}
		for _, d := range g.docs { // the previous window's cases also carry a published answer
			if d.c.ReceivedAt.Before(mid) {
				if id := linked[d.c.ID]; id != "" {
					votes[id]++
				}
			}
		}
		if t.Count < opt.MinCount {
			continue
		}
		t.ID = TopicID(g.docs[0].c.ID)
		if id := topVote(votes); id != "" {
			if _, dup := taken[id]; !dup {
				t.ID = id
			}
		}
		if _, dup := taken[t.ID]; dup {
			continue
		}
		for i, j := 0, len(t.Cases)-1; i < j; i, j = i+1, j-1 {
			t.Cases[i], t.Cases[j] = t.Cases[j], t.Cases[i]
		}
		t.Growth = float64(t.Count-t.Previous) / float64(max(t.Previous, 1))
		t.Score = float64(t.Count + max(0, t.Count-t.Previous))
		var corpus strings.Builder
		for _, d := range g.docs {
			corpus.WriteString(topicText(d.c))
			corpus.WriteByte('\n')
		}
		t.Keywords = topKeywords(g.sum, opt.Keywords, corpus.String())
		t.Departments = byCount(depts)
		taken[t.ID] = len(out)
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Last.After(b.Last)
	})
	return out
}

// topVote returns the key with most votes (the smallest on a tie), "" when none.
func topVote(v map[string]int) string {
	best, n := "", 0
	for k, c := range v {
		if c > n || (c == n && k < best) {
			best, n = k, c
		}
	}
	return best
}

// byCount returns the keys by descending count (then name).
func byCount(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if m[out[i]] != m[out[j]] {
			return m[out[i]] > m[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// topKeywords returns the n heaviest features of a centroid as words: bigrams and English
// words, overlapping bigrams joined into the longer phrase when the group's texts contain it
// ("图书" + "书馆" → "图书馆").
func topKeywords(sum map[string]float64, n int, corpus string) []string {
	type kw struct {
		s string
		w float64
	}
	var all []kw
	for k, w := range sum {
		kind, s, ok := strings.Cut(k, ":")
		if !ok || (kind != "b" && kind != "t" && kind != "w") {
			continue
		}
		all = append(all, kw{s, w})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].w != all[j].w {
			return all[i].w > all[j].w
		}
		return all[i].s < all[j].s
	})
	out := []string{}
	for _, k := range all {
		if len(out) >= n {
			break
		}
		merged := false
		for i, o := range out {
			if m, ok := joinOverlap(o, k.s); ok && strings.Contains(corpus, m) {
				out[i], merged = m, true
				break
			}
		}
		if !merged {
			out = append(out, k.s)
		}
	}
	// A merge can make two keywords overlap in turn ("研究" "究生", then "生活"…): join again.
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(out) && !changed; i++ {
			for j := 0; j < len(out) && !changed; j++ {
				if m, ok := joinOverlap(out[i], out[j]); i != j && ok && strings.Contains(corpus, m) {
					out[i] = m
					out = append(out[:j], out[j+1:]...)
					changed = true
				}
			}
		}
	}
	return out
}

// joinOverlap joins two Han keywords that contain each other or overlap by one character
// (either way round); ok is false when they do not.
func joinOverlap(a, b string) (string, bool) {
	if strings.Contains(a, b) {
		return a, true
	}
	if strings.Contains(b, a) {
		return b, true
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 || len(rb) == 0 || !isHan(ra[0]) || !isHan(rb[0]) {
		return "", false
	}
	if ra[len(ra)-1] == rb[0] {
		return a + string(rb[1:]), true
	}
	if rb[len(rb)-1] == ra[0] {
		return b + string(ra[1:]), true
	}
	return "", false
}

// RelatedCase is a case related to another: its duplicate, its original, or a similar request
// (with the cosine similarity of their texts).
type RelatedCase struct {
	Case *hall.Case
	// Relation is RelDuplicate, RelOriginal or RelSimilar.
	Relation   string
	Similarity float64
}

// The relations of a related case.
const (
	RelDuplicate = "duplicate" // linked to the case as its duplicate
	RelOriginal  = "original"  // the case is a duplicate of this one
	RelSimilar   = "similar"   // a request with a similar text
)

// Related returns up to n cases of pool most similar to c (cosine over the same TF-IDF vectors
// as Topics, IDF over the pool and c), at least minSim, most similar first; c itself and cases
// without text are skipped.
func Related(c *hall.Case, pool []hall.Case, n int, minSim float64) []RelatedCase {
	vec := func(x *hall.Case) map[string]float64 {
		tf := map[string]float64{}
		for _, f := range features(topicText(x), 0) {
			if (strings.HasPrefix(f.s, "b:") && !topicStop[f.s[2:]] && !strings.ContainsAny(f.s[2:], particles)) || strings.HasPrefix(f.s, "w:") {
				tf[f.s]++
			}
		}
		return tf
	}
	target := vec(c)
	vs := make([]map[string]float64, len(pool))
	df := map[string]int{}
	for k := range target {
		df[k]++
	}
	for i := range pool {
		if pool[i].ID == c.ID {
			continue
		}
		vs[i] = vec(&pool[i])
		for k := range vs[i] {
			df[k]++
		}
	}
	total := float64(len(pool) + 1 + topicPrior)
	weigh := func(tf map[string]float64) {
		var norm float64
		for k, v := range tf {
			w := (1 + math.Log(v)) * (math.Log((total+1)/(float64(df[k])+1)) + 1)
			tf[k] = w
			norm += w * w
		}
		norm = math.Sqrt(norm)
		for k := range tf {
			tf[k] /= norm
		}
	}
	weigh(target)
	var out []RelatedCase
	for i, v := range vs {
		if len(v) == 0 {
			continue
		}
		weigh(v)
		var dot float64
		for k, w := range v {
			dot += w * target[k]
		}
		if dot >= minSim {
			out = append(out, RelatedCase{Case: &pool[i], Relation: RelSimilar, Similarity: math.Round(dot*1000) / 1000})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Similarity > out[j].Similarity })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

package cases

import (
	"math"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The router's model: multinomial logistic regression over hashed sparse text features, trained
// by stochastic gradient descent in a fixed (seeded) order, so the same data always gives the same
// weights. See router.go for how it is used and docs/CASES.md for the figures.

// fv is one feature of a text: its hash and its value.
type fv struct {
	h uint64
	v float32
}

// Feature kinds (the first byte hashed, so that a bigram and a word never share a hash).
const (
	fkUni  = 'c' // one Han character
	fkBi   = 'b' // two Han characters
	fkTri  = 't' // three Han characters
	fkWord = 'w' // a stemmed English word
	fkPair = 'p' // two adjacent English words
	fkSub  = 's' // a character trigram inside an English word (typos, inflections)
)

// featOptions weigh the feature kinds.
type featOptions struct {
	uni, sub, pair float32
	// lex finds the catalogue's keywords and scope phrases in a text: each department (and
	// category) they belong to becomes a feature of weight lexW, so what the model learns about
	// "a keyword of security" carries over to security keywords the training texts never used.
	lex  *lexicon
	lexW float32
}

// Lexicon limits: Han keywords are matched as substrings of 2 to maxLexRunes characters.
const maxLexRunes = 8

// lexicon maps hashed keywords (Han substrings, stemmed English words) to the classes they name.
type lexicon struct {
	han   map[uint64][]uint64 // hash of a Han string -> class feature hashes
	words map[uint64][]uint64 // hash of a stemmed word -> class feature hashes
}

func newLexicon() *lexicon {
	return &lexicon{han: map[uint64][]uint64{}, words: map[uint64][]uint64{}}
}

// add registers a keyword of a class (the class's feature hash).
func (l *lexicon) add(kw string, class uint64) {
	var han []rune
	var latin []string
	for _, f := range strings.FieldsFunc(kw, func(r rune) bool { return unicode.IsSpace(r) || r == '-' || r == '/' }) {
		for _, r := range f {
			r = normRune(r)
			if isHan(r) {
				han = append(han, r)
			}
		}
		if w := strings.ToLower(f); w != "" && w[0] < utf8.RuneSelf && !stopWords[w] {
			latin = append(latin, stem(w))
		}
	}
	put := func(m map[uint64][]uint64, h uint64) {
		for _, c := range m[h] {
			if c == class {
				return
			}
		}
		m[h] = append(m[h], class)
	}
	switch {
	case len(han) >= 2 && len(han) <= maxLexRunes && len(latin) == 0:
		put(l.han, hashRunes(hashStart('k'), han))
	case len(han) == 0 && len(latin) == 1 && len(latin[0]) >= 3:
		put(l.words, hashString(hashStart('k'), latin[0]))
	}
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashStart(kind byte) uint64 { return (fnvOffset ^ uint64(kind)) * fnvPrime }

func hashRunes(h uint64, rs []rune) uint64 {
	for _, r := range rs {
		for x := uint32(r); ; x >>= 8 {
			h = (h ^ uint64(x&0xff)) * fnvPrime
			if x < 0x100 {
				break
			}
		}
		h = (h ^ 0x1f) * fnvPrime // rune separator
	}
	return h
}

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// textFeatures extracts the features of a text, sums repeated ones and scales the vector to unit
// length. The order is deterministic (first occurrence).
func textFeatures(text string, o featOptions) []fv {
	var raw []fv
	var words []string
	scanText(text, func(han []rune) {
		n := len(han)
		for i := 0; i < n; i++ {
			if o.lex != nil {
				h := hashStart('k')
				for j := i; j < n && j < i+maxLexRunes; j++ {
					h = hashRunes(h, han[j:j+1])
					if j > i {
						for _, c := range o.lex.han[h] {
							raw = append(raw, fv{c, o.lexW})
						}
					}
				}
			}
			raw = append(raw, fv{hashRunes(hashStart(fkUni), han[i:i+1]), o.uni})
			if i+1 < n {
				raw = append(raw, fv{hashRunes(hashStart(fkBi), han[i:i+2]), 1})
			}
			if i+2 < n {
				raw = append(raw, fv{hashRunes(hashStart(fkTri), han[i:i+3]), 1})
			}
		}
	}, func(w, st string) {
		words = append(words, st)
		if o.lex != nil {
			for _, c := range o.lex.words[hashString(hashStart('k'), st)] {
				raw = append(raw, fv{c, o.lexW})
			}
		}
		if o.sub > 0 && len(w) >= 4 {
			b := "<" + w + ">"
			for i := 0; i+3 <= len(b); i++ {
				raw = append(raw, fv{hashString(hashStart(fkSub), b[i:i+3]), o.sub})
			}
		}
	}, func() {
		for i, w := range words {
			raw = append(raw, fv{hashString(hashStart(fkWord), w), 1})
			if i+1 < len(words) && o.pair > 0 {
				raw = append(raw, fv{hashString(hashString(hashStart(fkPair), w+"_"), words[i+1]), o.pair})
			}
		}
		words = words[:0]
	})
	return normalise(raw)
}

// normalise sums repeated features (keeping first-occurrence order) and scales to unit length.
func normalise(raw []fv) []fv {
	if len(raw) == 0 {
		return nil
	}
	pos := make(map[uint64]int, len(raw))
	out := make([]fv, 0, len(raw))
	for _, f := range raw {
		if i, ok := pos[f.h]; ok {
			out[i].v += f.v
			continue
		}
		pos[f.h] = len(out)
		out = append(out, f)
	}
	var ss float64
	for i := range out {
		// sublinear: a feature said twice is not twice the evidence
		out[i].v = float32(math.Sqrt(float64(out[i].v)))
		ss += float64(out[i].v) * float64(out[i].v)
	}
	n := float32(1 / math.Sqrt(ss))
	for i := range out {
		out[i].v *= n
	}
	return out
}

// trainDoc is one training text: its features (as rows of the model), its class and its weight.
type trainDoc struct {
	idx []int32
	val []float32
	y   int
	w   float32
}

// linearModel is a trained multinomial logistic regression: logits = b + Σ x_f · W[f].
type linearModel struct {
	k     int              // classes
	index map[uint64]int32 // feature hash -> row
	w     []float32        // rows × k
	b     []float32        // k
}

// trainOptions tune the SGD.
type trainOptions struct {
	epochs int
	rate   float64 // initial learning rate
	l2     float64 // weight decay per update of a row, scaled by the rate
}

// newLinearModel indexes the features of the texts (every feature seen in training gets a row).
func newLinearModel(k int) *linearModel {
	return &linearModel{k: k, index: map[uint64]int32{}, b: make([]float32, k)}
}

// doc turns features into a training document, adding rows for new features.
func (m *linearModel) doc(feats []fv, y int, w float32) trainDoc {
	d := trainDoc{y: y, w: w, idx: make([]int32, len(feats)), val: make([]float32, len(feats))}
	for i, f := range feats {
		row, ok := m.index[f.h]
		if !ok {
			row = int32(len(m.index))
			m.index[f.h] = row
		}
		d.idx[i], d.val[i] = row, f.v
	}
	return d
}

// train fits the weights by SGD on the softmax cross-entropy, in an order shuffled by a fixed seed.
func (m *linearModel) train(docs []trainDoc, o trainOptions) {
	k := m.k
	m.w = make([]float32, len(m.index)*k)
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(18, 2026))
	p := make([]float64, k)
	g := make([]float32, k) // the step of each class's weights per unit of feature value
	steps := o.epochs * len(docs)
	t := 0
	for ep := 0; ep < o.epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, di := range order {
			d := &docs[di]
			rate := o.rate * (1 - 0.9*float64(t)/float64(steps)) // linear decay to a tenth
			t++
			m.logitsRows(d.idx, d.val, p)
			softmaxInPlace(p, 1)
			for c := range g {
				gc := p[c]
				if c == d.y {
					gc -= 1
				}
				g[c] = float32(rate * gc * float64(d.w))
			}
			decay := float32(1 - rate*o.l2)
			for i, row := range d.idx {
				ws := m.w[int(row)*k : int(row)*k+k]
				x := d.val[i]
				for c, gc := range g[:len(ws)] {
					ws[c] = ws[c]*decay - gc*x
				}
			}
			for c := range m.b {
				m.b[c] -= g[c] * 0.1
			}
		}
	}
}

// logitsRows computes the logits of a document given by rows.
func (m *linearModel) logitsRows(idx []int32, val []float32, out []float64) {
	k := m.k
	var acc [64]float32
	a := acc[:k]
	if k > len(acc) {
		a = make([]float32, k)
	}
	copy(a, m.b)
	for i, row := range idx {
		ws := m.w[int(row)*k : int(row)*k+k]
		x := val[i]
		for c, w := range ws[:len(a)] {
			a[c] += x * w
		}
	}
	for c := range out {
		out[c] = float64(a[c])
	}
}

// logits computes the logits of a text's features (unknown features count nothing). It reports
// how many features the model knew.
func (m *linearModel) logits(feats []fv, out []float64) int {
	k := m.k
	for c := range out {
		out[c] = float64(m.b[c])
	}
	known := 0
	for _, f := range feats {
		row, ok := m.index[f.h]
		if !ok {
			continue
		}
		known++
		ws := m.w[int(row)*k : int(row)*k+k]
		x := float64(f.v)
		for c, w := range ws {
			out[c] += x * float64(w)
		}
	}
	return known
}

// size returns the model's size in bytes (weights, biases and the feature index).
func (m *linearModel) size() int { return 4*len(m.w) + 4*len(m.b) + 12*len(m.index) }

// softmaxInPlace turns logits into probabilities at temperature t.
func softmaxInPlace(p []float64, t float64) {
	maxV := math.Inf(-1)
	for _, v := range p {
		maxV = math.Max(maxV, v)
	}
	var z float64
	for i, v := range p {
		p[i] = math.Exp((v - maxV) / t)
		z += p[i]
	}
	for i := range p {
		p[i] /= z
	}
}

// phrases splits a catalogue scope line into its phrases (training texts of their own).
func phrases(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == '、' || r == '，' || r == ',' || r == '；' || r == ';' || r == '（' || r == '）' || r == '(' || r == ')'
	})
}

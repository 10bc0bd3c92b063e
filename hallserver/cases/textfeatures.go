package cases

import (
	"unicode"
	"unicode/utf8"
)

// The string features of a text: what the hot-topic grouping (topics.go) and the naive Bayes
// baseline (router_nb_test.go) read. The router's own hashed features are in linear.go.

// feature is one feature occurrence with its weight.
type feature struct {
	s string
	w float64
}

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

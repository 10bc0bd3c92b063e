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
	var words []string
	scanText(text, func(han []rune) {
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
	}, func(_, stem string) {
		words = append(words, stem)
	}, func() {
		for i, w := range words {
			out = append(out, feature{"w:" + w, 1})
			if i+1 < len(words) {
				out = append(out, feature{"p:" + w + "_" + words[i+1], 0.5})
			}
		}
		words = words[:0]
	})
	return out
}

// scanText splits a text into what both feature sets (features here, textFeatures in linear.go)
// read, in order: runs of Han characters (han; the slice is reused after the call), English
// words (word: the word as normRune wrote it and its stem; words of digits only and stop words
// are left out) and the end of a phrase of words (phrase: punctuation, Han text or the end of
// the text after them). A '-' inside a word keeps it going ("e-bike"); a "'" ends it
// ("master's" → "master").
func scanText(text string, han func([]rune), word func(w, stem string), phrase func()) {
	scanRunes(text, false, han, word, phrase)
}

// scanRunes is scanText; with digits, words of digits only are kept as well (the search index,
// search.go: room and phone numbers are worth finding, not worth routing by).
func scanRunes(text string, digits bool, han func([]rune), word func(w, stem string), phrase func()) {
	var hanRun, wordRun []rune
	flushHan := func() {
		if len(hanRun) > 0 {
			han(hanRun)
			hanRun = hanRun[:0]
		}
	}
	flushWord := func() {
		if len(wordRun) == 0 {
			return
		}
		w := string(wordRun)
		wordRun = wordRun[:0]
		allDigits := true
		for _, r := range w {
			if r < '0' || r > '9' {
				allDigits = false
				break
			}
		}
		if (allDigits && !digits) || stopWords[w] {
			return
		}
		word(w, stem(w))
	}
	for _, r := range text {
		r = normRune(r)
		switch {
		case isHan(r):
			flushWord()
			phrase()
			hanRun = append(hanRun, r)
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			flushHan()
			wordRun = append(wordRun, r)
		case r == '\'' || r == '-':
			if r == '-' && len(wordRun) > 0 {
				continue
			}
			flushWord()
		default:
			flushHan()
			flushWord()
			if !unicode.IsSpace(r) {
				phrase()
			}
		}
	}
	flushHan()
	flushWord()
	phrase()
}

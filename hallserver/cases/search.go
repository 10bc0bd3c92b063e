package cases

import (
	"slices"
	"strings"
	"unicode"

	"onedoor/hallserver/hall"
)

// Case search (GET /api/v1/cases?q=): the terms a case is indexed by and a query looks for, and
// how a hit ranks. The store keeps the index (bolt: cases.search, written in the transaction of
// the case); who may find a case by its requester's data is the visibility policy's (policy.go,
// Scope sets CaseFilter.Contact).
//
// A term is a kind letter, ':' and a token:
//
//	t:  the title and text: overlapping bigrams of each run of Han characters and its last
//	    character, lower-cased English words and numbers (scanText, stop words left out)
//	m:  the requester's name, tokenised the same way
//	p:  the requester's phone, its digits only
//	n:  the case number, upper-cased
//	d:  a department the case involves (lead or assisting): the index answers within one
//
// Personal terms (m:, p:) count only for those who see the requester's data.

// Search term kinds.
const (
	TermText   = "t:"
	TermName   = "m:"
	TermPhone  = "p:"
	TermNumber = "n:"
	TermDept   = "d:"
)

// maxQueryTerms bounds the terms one query looks up (a query is at most 200 characters).
const maxQueryTerms = 64

// textTokens returns the search tokens of a text: Han bigrams (a lone character as itself) and
// lower-cased words, each once, in order of first appearance. For the index (index), the last
// character of each Han run as well: a one-character query looks its character up as the first
// of a bigram or as a last character (Query.Prefix), so every character of a text is found.
func textTokens(text string, index bool) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	scanRunes(text, true, func(han []rune) {
		for i := 0; i+1 < len(han); i++ {
			add(string(han[i : i+2]))
		}
		if index || len(han) == 1 {
			add(string(han[len(han)-1:]))
		}
	}, func(w, _ string) { add(w) }, func() {})
	return out
}

// phoneDigits returns the digits of a phone number ("" when it has fewer than 5).
func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' || r == '-' || r == ' ' || r == '(' || r == ')':
		default:
			return ""
		}
	}
	if b.Len() < 5 {
		return ""
	}
	return b.String()
}

// SearchTerms returns the terms a case is indexed by, sorted, each once.
func SearchTerms(c *hall.Case) []string {
	var out []string
	for _, t := range textTokens(c.Title+"\n"+c.Text, true) {
		out = append(out, TermText+t)
	}
	if !c.Requester.Anonymous {
		for _, t := range textTokens(c.Requester.Name, true) {
			out = append(out, TermName+t)
		}
		if d := phoneDigits(c.Requester.Phone); d != "" {
			out = append(out, TermPhone+d)
		}
	}
	if c.Number != "" {
		out = append(out, TermNumber+strings.ToUpper(c.Number))
	}
	if c.Department != "" {
		out = append(out, TermDept+c.Department)
	}
	for _, p := range c.Parts {
		out = append(out, TermDept+p.Department)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Query is a search query as the index reads it.
type Query struct {
	Number string   // an n: term (the query as a case number)
	Phone  string   // a p: term (the query as a phone number), "" when it is not one
	Tokens []string // the tokens looked up as t: and m: terms
	// Prefix holds, for each token that is one Han character, true: it is looked up as the
	// first character of a bigram as well (a one-character query finds the texts using it).
	Prefix []bool
}

// ParseQuery reads a search query (the q parameter).
func ParseQuery(q string) Query {
	q = strings.TrimSpace(q)
	out := Query{Phone: phoneDigits(q)}
	if q != "" && !strings.ContainsFunc(q, unicode.IsSpace) {
		out.Number = strings.ToUpper(q)
	}
	out.Tokens = textTokens(q, false)
	if len(out.Tokens) > maxQueryTerms {
		out.Tokens = out.Tokens[:maxQueryTerms]
	}
	out.Prefix = make([]bool, len(out.Tokens))
	for i, t := range out.Tokens {
		r := []rune(t)
		out.Prefix[i] = len(r) == 1 && isHan(r[0])
	}
	return out
}

// Empty reports whether the query looks for nothing.
func (q Query) Empty() bool { return q.Number == "" && q.Phone == "" && len(q.Tokens) == 0 }

// Need is the number of the query's tokens a case must match (text or, for those who may, name)
// to be found: at least half of them.
func (q Query) Need() int { return (len(q.Tokens) + 1) / 2 }

// MaxSearchHits bounds the cases one search collects from a store's index (a year of cases is
// some 30,000: a query of common words holds no more than this). A store stops adding new cases
// past it; those it holds still count the rest of the query's terms.
const MaxSearchHits = 50000

// Hit returns the hit of case id in hits, adding it unless hits already holds MaxSearchHits
// cases (nil then: the store skips the case). Both stores' SearchCases collect through it.
func Hit(hits map[string]*SearchHit, id string) *SearchHit {
	h := hits[id]
	if h == nil && len(hits) < MaxSearchHits {
		h = &SearchHit{ID: id}
		hits[id] = h
	}
	return h
}

// SearchHit is what the index found of one case: whether its number or phone is the query, and
// how many of the query's tokens its text and its requester's name hold.
type SearchHit struct {
	ID     string
	Number bool // the case number is the query
	Phone  bool // the requester's phone is the query (personal)
	Text   int  // query tokens found in the title or text
	Name   int  // query tokens found in the requester's name (personal)
}

// Scan looks the query's terms up in a store's search index: scan calls fn with the hit of
// each case under term (with prefix, under every term beginning with it). The number and the
// phone mark their hits; each token counts once per case in the text (t:) and once in the name
// (m:), also when as a prefix it meets a case under several terms. The first error of scan
// ends it.
func (q Query) Scan(scan func(term string, prefix bool, fn func(h *SearchHit)) error) error {
	if q.Number != "" {
		if err := scan(TermNumber+q.Number, false, func(h *SearchHit) { h.Number = true }); err != nil {
			return err
		}
	}
	if q.Phone != "" {
		if err := scan(TermPhone+q.Phone, false, func(h *SearchHit) { h.Phone = true }); err != nil {
			return err
		}
	}
	for i, tok := range q.Tokens {
		for _, kind := range []string{TermText, TermName} {
			var seen map[*SearchHit]bool // a prefix meets a case under several terms
			if q.Prefix[i] {
				seen = map[*SearchHit]bool{}
			}
			count := func(h *SearchHit) {
				if seen != nil {
					if seen[h] {
						return
					}
					seen[h] = true
				}
				if kind == TermText {
					h.Text++
				} else {
					h.Name++
				}
			}
			if err := scan(kind+tok, q.Prefix[i], count); err != nil {
				return err
			}
		}
	}
	return nil
}

// exactScore ranks an exact number or phone match above any token count.
const exactScore = 1 << 20

// Score is the rank of a hit (higher first; 0: not found) when personal terms count or not.
func (h SearchHit) Score(q Query, personal bool) int {
	s := h.Text
	if personal {
		s = max(s, h.Name)
	}
	if s < q.Need() || s == 0 {
		s = 0
	}
	if h.Number || (personal && h.Phone) {
		s += exactScore
	}
	return s
}

// Personal reports whether a search under this filter may find the case by its requester's data
// (the principal sees them: Scope set f.Contact).
func Personal(f hall.CaseFilter, c *hall.Case) bool {
	switch f.Contact {
	case hall.ContactAll:
		return true
	case hall.ContactLead:
		return f.Department != "" && c.Department == f.Department
	}
	return false
}

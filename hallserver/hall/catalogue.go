package hall

import (
	"time"
)

// This file holds the dispatch catalogue and the router's answers: which department a kind of
// matter goes to, and how sure the router is.

// Category is one entry of the dispatch catalogue: a kind of matter, the department responsible
// for it, its scope line, example requests (the router's training data) and its resolution limit.
type Category struct {
	Code       string `json:"code" yaml:"code"`
	Department string `json:"department" yaml:"department"`
	Name       Text   `json:"name" yaml:"name"`
	// Scope says what belongs here, in one line per language (shown to staff and requesters).
	Scope Text `json:"scope" yaml:"scope"`
	// Examples are realistic requests of this category; the router learns from them.
	Examples []string `json:"examples,omitempty" yaml:"examples"`
	// Keywords are words and phrases typical of the category (extra router training).
	Keywords []string `json:"keywords,omitempty" yaml:"keywords"`
	// ResolveDays is the resolution limit in working days (0: the catalogue default).
	ResolveDays int `json:"resolveDays,omitempty" yaml:"resolveDays,omitempty"`
	// Topic marks categories the kiosk offers as a large topic button.
	Topic bool `json:"topic,omitempty" yaml:"topic,omitempty"`
}

// Catalogue is the dispatch catalogue: every category a case can have.
type Catalogue struct {
	// ResolveDays is the default resolution limit in working days.
	ResolveDays int        `json:"resolveDays" yaml:"resolveDays"`
	Categories  []Category `json:"categories" yaml:"categories"`
}

// Category returns the catalogue entry with the given code.
func (c *Catalogue) Category(code string) (*Category, bool) {
	for i := range c.Categories {
		if c.Categories[i].Code == code {
			return &c.Categories[i], true
		}
	}
	return nil, false
}

// RouteAlternative is a department the router considered, with its probability.
type RouteAlternative struct {
	Department string  `json:"department"`
	Category   string  `json:"category,omitempty"`
	Confidence float64 `json:"confidence"`
}

// RouteResult is the router's answer for a request text.
type RouteResult struct {
	// Department is where the case should go: the most likely department, or the office (for
	// triage) when the router is not confident enough (then Triage is true).
	Department string  `json:"department"`
	Category   string  `json:"category,omitempty"` // the most likely category of that department
	Confidence float64 `json:"confidence"`         // probability of the top department, 0–1
	Triage     bool    `json:"triage,omitempty"`
	// Alternatives are the next most likely departments, best first (the top one excluded).
	Alternatives []RouteAlternative `json:"alternatives"`
}

// RouteExample is a labelled request text the router learned from (a re-routing by staff).
type RouteExample struct {
	Text       string    `json:"text"`
	Department string    `json:"department"`
	At         time.Time `json:"at"`
	By         string    `json:"by,omitempty"`
}

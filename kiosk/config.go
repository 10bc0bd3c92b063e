package kiosk

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"onedoor/hallserver/hall"
)

//go:embed topics.json
var defaultTopicsJSON []byte

// Topic is one entry of the walk-in request catalogue: a case category code and its name.
type Topic struct {
	Code string    `json:"code"`
	Name hall.Text `json:"name"`
}

// Catalogue is the kiosk's local configuration of walk-in requests.
type Catalogue struct {
	// RequestService is the service whose ticket a walk-in request may come with ("F" 咨询投诉);
	// when the hall has no such service, the option is not offered.
	RequestService string `json:"requestService"`
	// OutOfServiceHint says where to go when the kiosk cannot issue numbers.
	OutOfServiceHint hall.Text `json:"outOfServiceHint"`
	// OpeningHours says when the hall's counters serve (e.g. 工作日 8:30–11:30、14:00–17:00):
	// shown beside a service nobody serves now. Empty: not known, not shown.
	OpeningHours hall.Text `json:"openingHours,omitempty"`
	// Topics are the large buttons of the request flow, in order.
	Topics []Topic `json:"topics"`
}

// DefaultCatalogue returns the embedded catalogue (topics.json).
func DefaultCatalogue() Catalogue {
	c, err := ParseCatalogue(defaultTopicsJSON)
	if err != nil {
		panic(err) // guarded by a test
	}
	return c
}

// ParseCatalogue reads a catalogue from JSON and checks it.
func ParseCatalogue(b []byte) (Catalogue, error) {
	var c Catalogue
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("kiosk catalogue: %w", err)
	}
	if len(c.Topics) == 0 {
		return c, fmt.Errorf("kiosk catalogue: no topics")
	}
	seen := map[string]bool{}
	for i, t := range c.Topics {
		if t.Code == "" || t.Name.Zh == "" {
			return c, fmt.Errorf("kiosk catalogue: topics[%d] needs a code and a Chinese name", i)
		}
		if seen[t.Code] {
			return c, fmt.Errorf("kiosk catalogue: topic %q twice", t.Code)
		}
		seen[t.Code] = true
	}
	return c, nil
}

// Topic returns the topic with the code.
func (c *Catalogue) Topic(code string) (Topic, bool) {
	for _, t := range c.Topics {
		if t.Code == code {
			return t, true
		}
	}
	return Topic{}, false
}

// Timing holds the flow's time limits. The zero value means the defaults.
type Timing struct {
	Idle        time.Duration // no touch for this long: back home, input forgotten (60 s)
	Result      time.Duration // the result screen stays this long unless touched (20 s)
	DownGrace   time.Duration // a stream drop this long shows the out-of-service screen (3 s)
	LongPress   time.Duration // corner hold that opens the staff PIN (3 s)
	IssueTry    time.Duration // one issue request's timeout (5 s)
	IssueTries  int           // attempts of one issue, same idempotency key (3)
	PINAttempts int           // wrong PINs before a lock (5)
	PINLock     time.Duration // lock after too many wrong PINs (1 min)
}

func (t Timing) withDefaults() Timing {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Idle, 60*time.Second)
	def(&t.Result, 20*time.Second)
	def(&t.DownGrace, 3*time.Second)
	def(&t.LongPress, 3*time.Second)
	def(&t.IssueTry, 5*time.Second)
	def(&t.PINLock, time.Minute)
	if t.IssueTries <= 0 {
		t.IssueTries = 3
	}
	if t.PINAttempts <= 0 {
		t.PINAttempts = 5
	}
	return t
}

package cases

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// Topic limits.
const (
	MaxTopicDays       = 90  // longest window
	MaxTopicAnswerText = 500 // runes per language
)

// CaseWindow reads the cases received in a window (enginehost.Cases.ReportCases).
type CaseWindow interface {
	ReportCases(ctx context.Context, from, to time.Time) ([]*hall.Case, error)
}

// TopicAnswers is where a topic service keeps the published answers and the links from cases
// to the topic they were answered in (package bolt's file, package etcd's cluster).
type TopicAnswers interface {
	// Linked returns which of the cases are linked to a topic (case ID → topic ID) and the
	// answers of those topics (topic ID → answer).
	Linked(ctx context.Context, caseIDs []string) (map[string]string, map[string]*hall.TopicAnswer, error)
	// Answer returns the answer of the topic, nil when none.
	Answer(ctx context.Context, topic string) (*hall.TopicAnswer, error)
}

// TopicFinder finds hot topics among the cases (Topics over a moving window) with the answers
// published on them: the part of hall.TopicService that does not depend on the store.
type TopicFinder struct {
	cases   CaseWindow
	answers TopicAnswers
	opt     TopicOptions
	now     func() time.Time
	// terms keeps the segmented text of final cases between calls.
	terms *TopicCache
}

// NewTopicFinder returns the finder of the topics of cs with the answers kept in answers; now
// nil means time.Now.
func NewTopicFinder(cs CaseWindow, answers TopicAnswers, now func() time.Time) *TopicFinder {
	if now == nil {
		now = time.Now
	}
	return &TopicFinder{cases: cs, answers: answers, opt: DefaultTopicOptions(), now: now, terms: NewTopicCache()}
}

// compute groups the cases of the last days (and the days before, for growth) and attaches
// the published answers. It also returns the cases read, by number.
func (t *TopicFinder) compute(ctx context.Context, days int) ([]hall.Topic, map[string]string, error) {
	if days < 1 || days > MaxTopicDays {
		return nil, nil, hall.Errorf(hall.EINVALID, "days", "days must be 1 to %d", MaxTopicDays)
	}
	to := t.now().Add(time.Nanosecond) // a request received just now counts
	mid := to.Add(-time.Duration(days) * 24 * time.Hour)
	from := mid.Add(-time.Duration(days) * 24 * time.Hour)
	cs, err := t.cases.ReportCases(ctx, from, to)
	if err != nil {
		return nil, nil, err
	}
	ids := make(map[string]string, len(cs))
	caseIDs := make([]string, 0, len(cs))
	for _, c := range cs {
		ids[c.Number] = c.ID
		caseIDs = append(caseIDs, c.ID)
	}
	linked, answers, err := t.answers.Linked(ctx, caseIDs)
	if err != nil {
		return nil, nil, err
	}
	top := TopicsCached(t.terms, cs, from, mid, to, linked, t.opt)
	for i := range top {
		top[i].Answer = answers[top[i].ID]
	}
	return top, ids, nil
}

// Topics returns the topics of the last days, best first.
func (t *TopicFinder) Topics(ctx context.Context, days int) ([]hall.Topic, error) {
	top, _, err := t.compute(ctx, days)
	return top, err
}

// PrepareAnswer checks an answer to a topic and returns it as RecordAnswer would store it,
// linked to the topic's cases (of both windows); its Notices are those of the answer it
// replaces. Nothing is stored. An answered topic no longer in the window can still be
// re-answered.
func (t *TopicFinder) PrepareAnswer(ctx context.Context, id string, days int, text hall.Text, by string) (*hall.TopicAnswer, error) {
	text.Zh, text.En = strings.TrimSpace(text.Zh), strings.TrimSpace(text.En)
	if text.Zh == "" && text.En == "" {
		return nil, hall.Errorf(hall.EINVALID, "text", "the answer needs text in Chinese or English")
	}
	for _, s := range []string{text.Zh, text.En} {
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxTopicAnswerText {
			return nil, hall.Errorf(hall.EINVALID, "text", "the answer must be valid text of at most %d characters per language", MaxTopicAnswerText)
		}
	}
	top, ids, err := t.compute(ctx, days)
	if err != nil {
		return nil, err
	}
	var topic *hall.Topic
	for i := range top {
		if top[i].ID == id {
			topic = &top[i]
		}
	}
	a := hall.TopicAnswer{Topic: id, Cases: []string{}}
	stored, err := t.answers.Answer(ctx, id)
	switch {
	case err != nil:
		return nil, err
	case stored != nil:
		a = *stored
	case topic == nil:
		return nil, hall.Errorf(hall.ENOTFOUND, "topic", "no topic %q in the last %d days", id, days)
	}
	a.Text, a.By, a.At = text, by, t.now().UTC()
	if topic != nil {
		a.Label = topic.Label
		for _, num := range topic.Cases {
			if cid := ids[num]; cid != "" && !slices.Contains(a.Cases, cid) {
				a.Cases = append(a.Cases, cid)
			}
		}
	}
	return &a, nil
}

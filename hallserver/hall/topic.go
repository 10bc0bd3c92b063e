package hall

import (
	"context"
	"time"
)

// This file holds hot topics (热点) and their published answers.

// TopicNotice is a hall notice that carries a topic's answer.
type TopicNotice struct {
	Hall   string `json:"hall"`
	Notice string `json:"notice"`
}

// TopicAnswer is the office's published answer on a hot topic: shown on the halls' notice line
// (displays and kiosks) and on the follow page of every case linked to the topic.
type TopicAnswer struct {
	Topic   string        `json:"topic"`
	Label   string        `json:"label,omitempty"` // the topic's label when it was answered
	Text    Text          `json:"text"`
	By      string        `json:"by,omitempty"` // hidden on public views
	At      time.Time     `json:"at"`
	Cases   []string      `json:"cases"` // IDs of the cases linked to the answer
	Notices []TopicNotice `json:"notices,omitempty"`
}

// Topic is a group of similar requests over a moving window (热点).
type Topic struct {
	ID    string `json:"id"`
	Label string `json:"label"` // the most central request, shortened
	// Keywords are the character bigrams and words that weigh most in the group.
	Keywords []string `json:"keywords"`
	Count    int      `json:"count"`    // requests in the window
	Previous int      `json:"previous"` // requests in the window before it
	// Growth is (Count − Previous) / max(Previous, 1); Score = Count + max(0, Count − Previous)
	// ranks the topics (volume, then growth).
	Growth      float64   `json:"growth"`
	Score       float64   `json:"score"`
	Departments []string  `json:"departments"`
	Cases       []string  `json:"cases"` // numbers of the cases in the window, newest first
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
	// Answer is the published answer, when there is one.
	Answer *TopicAnswer `json:"answer,omitempty"`
}

// TopicService finds hot topics and keeps their published answers.
type TopicService interface {
	// Topics returns the topics of the last days (at least two requests each), best first.
	Topics(ctx context.Context, days int) ([]Topic, error)
	// Answer publishes (or replaces) the answer on the topic with this ID among the topics of
	// the last days (or an answered topic), linking the topic's cases to it.
	Answer(ctx context.Context, id string, days int, text Text, by string) (*TopicAnswer, error)
	// SetNotices records the hall notices that carry the answer.
	SetNotices(ctx context.Context, id string, notices []TopicNotice) error
	// AnswerFor returns the answer linked to a case (nil when none).
	AnswerFor(ctx context.Context, caseID string) (*TopicAnswer, error)
}

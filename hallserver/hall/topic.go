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
	// PrepareAnswer checks an answer (or a replacement) to the topic with this ID among the
	// topics of the last days (or an answered topic) and returns it as RecordAnswer would store
	// it, linked to the topic's cases; its Notices are those of the answer it replaces. Nothing
	// is stored.
	PrepareAnswer(ctx context.Context, id string, days int, text Text, by string) (*TopicAnswer, error)
	// RecordAnswer stores a prepared answer with the hall notices that now carry it, in one
	// write; ECONFLICT, storing nothing, when the stored answer no longer has the replaced
	// notices (another answer was recorded since).
	RecordAnswer(ctx context.Context, a TopicAnswer, replaced []TopicNotice) error
	// AnswerFor returns the answer linked to a case (nil when none).
	AnswerFor(ctx context.Context, caseID string) (*TopicAnswer, error)
}

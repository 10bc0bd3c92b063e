package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

var _ hall.TopicService = (*Topics)(nil)

// Topic limits (package cases).
const (
	MaxTopicDays       = cases.MaxTopicDays
	MaxTopicAnswerText = cases.MaxTopicAnswerText
)

// Topics finds hot topics among the stored cases (cases.TopicFinder) and keeps the answers the
// office publishes on them in the file. It implements hall.TopicService.
type Topics struct {
	*cases.TopicFinder
	db *DB
}

// NewTopics returns the hot topics of the cases in cs (same file); now nil means time.Now.
func NewTopics(db *DB, cs cases.CaseWindow, now func() time.Time) (*Topics, error) {
	if err := db.ensureBuckets(bucketTopicAnswers, bucketTopicCases); err != nil {
		return nil, fmt.Errorf("bolt: create topic buckets: %w", err)
	}
	t := &Topics{db: db}
	t.TopicFinder = cases.NewTopicFinder(cs, t, now)
	return t, nil
}

// Linked implements cases.TopicAnswers.
func (t *Topics) Linked(ctx context.Context, caseIDs []string) (map[string]string, map[string]*hall.TopicAnswer, error) {
	linked := map[string]string{}
	answers := map[string]*hall.TopicAnswer{}
	err := t.db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTopicCases)
		for _, id := range caseIDs {
			if v := b.Get([]byte(id)); v != nil {
				linked[id] = string(v)
			}
		}
		ab := tx.Bucket(bucketTopicAnswers)
		for _, id := range linked {
			if answers[id] != nil {
				continue
			}
			if v := ab.Get([]byte(id)); v != nil {
				var a hall.TopicAnswer
				if err := json.Unmarshal(v, &a); err != nil {
					return fmt.Errorf("decode topic answer %s: %w", id, err)
				}
				answers[id] = &a
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read topic answers: %v", err)
	}
	return linked, answers, nil
}

// Answer implements cases.TopicAnswers.
func (t *Topics) Answer(ctx context.Context, topic string) (*hall.TopicAnswer, error) {
	var out *hall.TopicAnswer
	err := t.db.bolt.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketTopicAnswers).Get([]byte(topic)); v != nil {
			out = new(hall.TopicAnswer)
			if err := json.Unmarshal(v, out); err != nil {
				return fmt.Errorf("decode topic answer %s: %w", topic, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read topic answer: %v", err)
	}
	return out, nil
}

// RecordAnswer stores a prepared answer, with the hall notices that now carry it, and links
// its cases to the topic, in one transaction. ECONFLICT, storing nothing, when the stored
// answer no longer has the replaced notices (another answer was recorded since).
func (t *Topics) RecordAnswer(ctx context.Context, a hall.TopicAnswer, replaced []hall.TopicNotice) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := t.db.bolt.Update(func(tx *bbolt.Tx) error {
		ab, cb := tx.Bucket(bucketTopicAnswers), tx.Bucket(bucketTopicCases)
		var stored hall.TopicAnswer
		if v := ab.Get([]byte(a.Topic)); v != nil {
			if err := json.Unmarshal(v, &stored); err != nil {
				return fmt.Errorf("decode topic answer %s: %w", a.Topic, err)
			}
		}
		if !slices.Equal(stored.Notices, replaced) {
			return hall.Errorf(hall.ECONFLICT, "topic", "topic %q was answered again meanwhile; retry", a.Topic)
		}
		for _, cid := range a.Cases {
			if err := cb.Put([]byte(cid), []byte(a.Topic)); err != nil {
				return err
			}
		}
		v, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return ab.Put([]byte(a.Topic), v)
	})
	if err != nil && hall.ErrorCode(err) != hall.ECONFLICT {
		return hall.Errorf(hall.EUNAVAILABLE, "", "bolt: store topic answer: %v", err)
	}
	return err
}

// AnswerFor returns the answer linked to a case, nil when none.
func (t *Topics) AnswerFor(ctx context.Context, caseID string) (*hall.TopicAnswer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *hall.TopicAnswer
	err := t.db.bolt.View(func(tx *bbolt.Tx) error {
		id := tx.Bucket(bucketTopicCases).Get([]byte(caseID))
		if id == nil {
			return nil
		}
		v := tx.Bucket(bucketTopicAnswers).Get(id)
		if v == nil {
			return nil
		}
		var a hall.TopicAnswer
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("decode topic answer %s: %w", id, err)
		}
		out = &a
		return nil
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read topic answer: %v", err)
	}
	return out, nil
}

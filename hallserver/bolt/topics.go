package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

var _ hall.TopicService = (*Topics)(nil)

// Topic limits.
const (
	MaxTopicDays       = 90  // longest window
	MaxTopicAnswerText = 500 // runes per language
)

// Topics finds hot topics among the stored cases (cases.Topics over a moving window) and keeps
// the answers the office publishes on them. It implements hall.TopicService.
type Topics struct {
	db    *DB
	cases *Cases
	opt   cases.TopicOptions
	now   func() time.Time
	// terms keeps the segmented text of final cases between calls (cases.TopicCache).
	terms *cases.TopicCache
}

// NewTopics returns the hot topics of the cases in cs (same file); now nil means time.Now.
func NewTopics(db *DB, cs *Cases, now func() time.Time) (*Topics, error) {
	if now == nil {
		now = time.Now
	}
	if err := db.ensureBuckets(bucketTopicAnswers, bucketTopicCases); err != nil {
		return nil, fmt.Errorf("bolt: create topic buckets: %w", err)
	}
	return &Topics{db: db, cases: cs, opt: cases.DefaultTopicOptions(), now: now, terms: cases.NewTopicCache()}, nil
}

// compute groups the cases of the last days (and the days before, for growth) and attaches
// the published answers. It also returns the cases read, by number.
func (t *Topics) compute(ctx context.Context, days int) ([]hall.Topic, map[string]string, error) {
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
	linked := map[string]string{}
	answers := map[string]*hall.TopicAnswer{}
	err = t.db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTopicCases)
		for _, c := range cs {
			ids[c.Number] = c.ID
			if v := b.Get([]byte(c.ID)); v != nil {
				linked[c.ID] = string(v)
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
	top := cases.TopicsCached(t.terms, cs, from, mid, to, linked, t.opt)
	for i := range top {
		top[i].Answer = answers[top[i].ID]
	}
	return top, ids, nil
}

// Topics returns the topics of the last days, best first.
func (t *Topics) Topics(ctx context.Context, days int) ([]hall.Topic, error) {
	top, _, err := t.compute(ctx, days)
	return top, err
}

// PrepareAnswer checks an answer to a topic and returns it as RecordAnswer would store it,
// linked to the topic's cases (of both windows); its Notices are those of the answer it
// replaces. Nothing is stored. An answered topic no longer in the window can still be
// re-answered.
func (t *Topics) PrepareAnswer(ctx context.Context, id string, days int, text hall.Text, by string) (*hall.TopicAnswer, error) {
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
	err = t.db.bolt.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketTopicAnswers).Get([]byte(id)); v != nil {
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode topic answer %s: %w", id, err)
			}
		} else if topic == nil {
			return hall.Errorf(hall.ENOTFOUND, "topic", "no topic %q in the last %d days", id, days)
		}
		return nil
	})
	if err != nil {
		if hall.ErrorCode(err) == hall.ENOTFOUND {
			return nil, err
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read topic answer: %v", err)
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

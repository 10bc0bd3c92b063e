package etcd

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

var _ hall.TopicService = (*Topics)(nil)

// Topics finds hot topics among the cases (cases.TopicFinder over the case system given) and
// keeps the answers the office publishes on them on etcd (buckets topics.answers, topics.cases:
// doc.go), as package bolt's Topics. It implements hall.TopicService.
type Topics struct {
	*cases.TopicFinder
	kv kvStore
}

// NewTopics returns the hot topics of the cases cs reads, their answers on cli under prefix,
// written only while fence allows; now nil means time.Now.
func NewTopics(cli *clientv3.Client, prefix string, fence Fence, cs cases.CaseWindow, now func() time.Time) *Topics {
	t := &Topics{kv: kvStore{cli: cli, prefix: prefix, fence: fence}}
	t.TopicFinder = cases.NewTopicFinder(cs, t, now)
	return t
}

// Linked implements cases.TopicAnswers: the links and answers are few (the cases of answered
// topics), read whole at one revision.
func (t *Topics) Linked(ctx context.Context, caseIDs []string) (map[string]string, map[string]*hall.TopicAnswer, error) {
	linked := map[string]string{}
	answers := map[string]*hall.TopicAnswer{}
	err := t.kv.view(ctx, "read topic answers", func(r *reads) error {
		links, err := r.scan(bucketTopicCase, "", false, 0)
		if err != nil {
			return err
		}
		all, err := r.scan(bucketTopicAnswer, "", false, 0)
		if err != nil {
			return err
		}
		want := make(map[string]bool, len(caseIDs))
		for _, id := range caseIDs {
			want[id] = true
		}
		for _, kv := range links {
			if id := t.kv.base(bucketTopicCase, kv); want[id] {
				linked[id] = string(kv.Value)
			}
		}
		topics := map[string]bool{}
		for _, id := range linked {
			topics[id] = true
		}
		for _, kv := range all {
			id := t.kv.base(bucketTopicAnswer, kv)
			if !topics[id] {
				continue
			}
			if answers[id], err = decode[hall.TopicAnswer]("topic answer "+id, kv.Value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return linked, answers, nil
}

// Answer implements cases.TopicAnswers.
func (t *Topics) Answer(ctx context.Context, topic string) (*hall.TopicAnswer, error) {
	var out *hall.TopicAnswer
	err := t.kv.view(ctx, "read topic answer", func(r *reads) error {
		var err error
		out, err = getJSON[hall.TopicAnswer](r, bucketTopicAnswer, topic)
		return err
	})
	return out, err
}

// linksPerTxn is how many case links go with the answer in its Txn; more are written before it
// (a link to the topic before its answer is stored changes nothing a reader sees but grouping).
const linksPerTxn = MaxTxnOps - 2

// RecordAnswer stores a prepared answer, with the hall notices that now carry it, and links its
// cases to the topic, in one fenced Txn compared on the stored answer. ECONFLICT, storing
// nothing, when the stored answer no longer has the replaced notices (another answer was
// recorded since).
func (t *Topics) RecordAnswer(ctx context.Context, a hall.TopicAnswer, replaced []hall.TopicNotice) error {
	links := a.Cases
	for len(links) > linksPerTxn {
		part := links[:linksPerTxn]
		links = links[linksPerTxn:]
		err := t.kv.update(ctx, "store topic answer", func(*reads) (writes, error) {
			var w writes
			for _, cid := range part {
				w.put(&t.kv, bucketTopicCase, cid, []byte(a.Topic))
			}
			return w, nil
		})
		if err != nil {
			return err
		}
	}
	return t.kv.update(ctx, "store topic answer", func(r *reads) (writes, error) {
		stored, err := getJSON[hall.TopicAnswer](r, bucketTopicAnswer, a.Topic)
		if err != nil {
			return nil, err
		}
		if stored == nil {
			stored = &hall.TopicAnswer{}
		}
		if !slices.Equal(stored.Notices, replaced) {
			return nil, hall.Errorf(hall.ECONFLICT, "topic", "topic %q was answered again meanwhile; retry", a.Topic)
		}
		var w writes
		for _, cid := range links {
			w.put(&t.kv, bucketTopicCase, cid, []byte(a.Topic))
		}
		enc, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		w.put(&t.kv, bucketTopicAnswer, a.Topic, enc)
		return w, nil
	})
}

// AnswerFor returns the answer linked to a case, nil when none.
func (t *Topics) AnswerFor(ctx context.Context, caseID string) (*hall.TopicAnswer, error) {
	var out *hall.TopicAnswer
	err := t.kv.view(ctx, "read topic answer", func(r *reads) error {
		id, err := r.get(bucketTopicCase, caseID)
		if err != nil || id == nil {
			return err
		}
		out, err = getJSON[hall.TopicAnswer](r, bucketTopicAnswer, string(id))
		return err
	})
	return out, err
}

package http

import (
	"context"
	"net/http/httptest"
	"testing"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// downNoticeLine is the queue service with one hall's notice line failing.
type downNoticeLine struct {
	hall.QueueService
	down string
}

func (q downNoticeLine) PublishNotice(ctx context.Context, h string, text hall.Text, by string) (*hall.Notice, error) {
	if h == q.down {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "the notice line of %s is down (injected)", h)
	}
	return q.QueueService.PublishNotice(ctx, h, text, by)
}

// restart serves a new Server over the same stores, its configuration changed by set.
func (e *caseEnv) restart(set func(*Config)) {
	e.srv.Close()
	e.ts.Close()
	e.ts = httptest.NewUnstartedServer(nil)
	cfg := Config{Queue: e.q, Events: e.q, Auth: e.auth, Campus: e.campus, PublicURL: "http://" + e.ts.Listener.Addr().String(),
		Cases: e.cs, Reports: e.cs, Topics: e.topics, LongList: e.list}
	set(&cfg)
	e.srv = NewServer(cfg)
	e.ts.Config.Handler = e.srv
	e.ts.Start()
}

// restartWithQueue serves a new Server over the same stores, with q as its queue service.
func (e *caseEnv) restartWithQueue(q hall.QueueService) {
	e.restart(func(c *Config) { c.Queue = q })
}

// TestTopicAnswerAllOrNothing: when the second hall's notice line fails halfway through
// publishing a topic's answer, the request fails and leaves no half-published answer: the
// first hall's notice is withdrawn again, the answer is not recorded (no follow page shows it,
// the topic has none); a replacement that fails leaves the previous answer and its notices in
// place. Before the answer was a use case of the case service, the first hall kept showing an
// answer that the topic did not have.
func TestTopicAnswerAllOrNothing(t *testing.T) {
	e := newCaseEnv(t)
	ocs := e.openTexts(waterTexts...)
	sup := e.login("supervisor")
	var tl wire.Topics
	e.do("GET", "/api/v1/topics?days=7", sup, nil).decode(t, &tl)
	if len(tl.Topics) != 1 {
		t.Fatalf("topics: %+v", tl.Topics)
	}
	id := tl.Topics[0].ID
	notices := func(h string) []hall.Notice {
		var sn struct{ Notices []hall.Notice }
		e.do("GET", "/api/v1/halls/"+h+"/snapshot", "", nil).decode(t, &sn)
		return sn.Notices
	}
	answerOf := func() *hall.TopicAnswer {
		var tl wire.Topics
		e.do("GET", "/api/v1/topics?days=7", sup, nil).decode(t, &tl)
		return tl.Topics[0].Answer
	}
	followAnswer := func() *wire.TopicAnswer {
		var f wire.CaseFollow
		e.do("GET", "/api/v1/case-follow/"+ocs[0].Token, "", nil).decode(t, &f)
		return f.TopicAnswer
	}

	e.restartWithQueue(downNoticeLine{QueueService: e.q, down: "teachers"})
	r := e.do("POST", "/api/v1/topics/"+id+"/answer", sup, map[string]any{"text": hall.Text{Zh: "热水周五前修复"}})
	if r.status != 503 {
		t.Fatalf("answer with a hall down: %d %s", r.status, r.body)
	}
	if ns := notices("students"); len(ns) != 0 {
		t.Errorf("the first hall shows an answer that failed: %+v", ns)
	}
	if a := answerOf(); a != nil {
		t.Errorf("a failed answer is recorded: %+v", a)
	}
	if a := followAnswer(); a != nil {
		t.Errorf("the follow page shows a failed answer: %+v", a)
	}

	// With both halls up the answer goes out; a replacement that fails keeps it.
	e.restartWithQueue(e.q)
	if r := e.do("POST", "/api/v1/topics/"+id+"/answer", sup, map[string]any{"text": hall.Text{Zh: "热水周五前修复"}}); r.status != 200 {
		t.Fatalf("answer: %d %s", r.status, r.body)
	}
	e.restartWithQueue(downNoticeLine{QueueService: e.q, down: "teachers"})
	if r := e.do("POST", "/api/v1/topics/"+id+"/answer", sup, map[string]any{"text": hall.Text{Zh: "热水已恢复"}}); r.status != 503 {
		t.Fatalf("replacement with a hall down: %d %s", r.status, r.body)
	}
	for _, h := range []string{"students", "teachers"} {
		if ns := notices(h); len(ns) != 1 || ns[0].Text.Zh != "热点答复：热水周五前修复" {
			t.Errorf("%s after a failed replacement: %+v", h, ns)
		}
	}
	if a := answerOf(); a == nil || a.Text.Zh != "热水周五前修复" || len(a.Notices) != 2 {
		t.Errorf("recorded answer after a failed replacement: %+v", a)
	}
	if a := followAnswer(); a == nil || a.Text.Zh != "热水周五前修复" {
		t.Errorf("follow page after a failed replacement: %+v", a)
	}
}

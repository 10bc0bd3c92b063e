package http

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// Hot topics (热点):
//
//	GET  /api/v1/topics?days=7          office, supervisors, admins: similar requests grouped
//	POST /api/v1/topics/{id}/answer     the same: publish an answer {text:{zh,en}, days?}; it goes
//	                                    on every hall's notice line (displays and kiosks) and on the
//	                                    follow page of every case of the topic
//
// A republished answer replaces the text and the halls' notices (the old ones are withdrawn)
// and links the cases that joined the topic since.

// topicsService returns the topic service, EUNAVAILABLE when the server has none.
func (s *Server) topicsService() (hall.TopicService, error) {
	if s.cfg.Topics == nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "hot topics are not configured on this server")
	}
	return s.cfg.Topics, nil
}

// topicDays reads ?days= (7 by default, 1–90).
func topicDays(v string) (int, error) {
	if v == "" {
		return 7, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 90 {
		return 0, hall.Errorf(hall.EINVALID, "days", "days must be 1 to 90")
	}
	return n, nil
}

func (s *Server) handleTopics(w http.ResponseWriter, r *http.Request) {
	if _, err := s.officeView(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	ts, err := s.topicsService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	days, err := topicDays(r.URL.Query().Get("days"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	top, err := ts.Topics(r.Context(), days)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if top == nil {
		top = []hall.Topic{}
	}
	writeJSON(w, http.StatusOK, topicsJSON{Days: days, Topics: top})
}

// noticeOf is the notice line text of an answer: a prefix, and the answer shortened to fit.
func noticeOf(t hall.Text) hall.Text {
	clip := func(prefix, s string) string {
		if s == "" {
			return ""
		}
		max := 200 - utf8.RuneCountInString(prefix)
		if utf8.RuneCountInString(s) > max {
			s = string([]rune(s)[:max-1]) + "…"
		}
		return prefix + s
	}
	return hall.Text{Zh: clip("热点答复：", t.Zh), En: clip("Answer: ", t.En)}
}

func (s *Server) handleTopicAnswer(w http.ResponseWriter, r *http.Request) {
	p, err := s.officeView(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ts, err := s.topicsService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body topicAnswerRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	days := body.Days
	if days == 0 {
		days = 7
	}
	if days < 1 || days > 90 {
		s.writeError(w, r, hall.Errorf(hall.EINVALID, "days", "days must be 1 to 90"))
		return
	}
	id := r.PathValue("id")
	if id == "" || len(id) > 64 {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "topic", "no topic %q", id))
		return
	}
	a, err := ts.Answer(r.Context(), id, days, body.Text, p.Subject)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The halls' notice line: withdraw the old notices of this topic, publish the new one.
	if s.cfg.Queue != nil {
		for _, n := range a.Notices {
			if err := s.cfg.Queue.WithdrawNotice(r.Context(), n.Hall, n.Notice, p.Subject); err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
				s.log.Warn("topic answer: withdraw old notice", "hall", n.Hall, "notice", n.Notice, "err", err)
			}
		}
		notices := []hall.TopicNotice{}
		text := noticeOf(a.Text)
		for _, h := range s.cfg.Campus.Halls {
			n, err := s.cfg.Queue.PublishNotice(r.Context(), h.Code, text, p.Subject)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			notices = append(notices, hall.TopicNotice{Hall: h.Code, Notice: n.ID})
		}
		if err := ts.SetNotices(r.Context(), a.Topic, notices); err != nil {
			s.writeError(w, r, err)
			return
		}
		a.Notices = notices
	}
	writeJSON(w, http.StatusOK, a)
}

// topicAnswerFor returns the public answer linked to the case, nil when none (or unavailable).
func (s *Server) topicAnswerFor(r *http.Request, caseID string) *publicAnswerJSON {
	if s.cfg.Topics == nil || caseID == "" {
		return nil
	}
	a, err := s.cfg.Topics.AnswerFor(r.Context(), caseID)
	if err != nil {
		s.log.Warn("topic answer of a case", "case", caseID, "err", err)
		return nil
	}
	if a == nil {
		return nil
	}
	return &publicAnswerJSON{Topic: a.Topic, Text: a.Text, At: a.At}
}

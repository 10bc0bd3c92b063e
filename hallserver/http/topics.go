package http

import (
	"net/http"
	"strconv"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
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
	p, err := s.officeView(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	days, err := topicDays(r.URL.Query().Get("days"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	top, err := s.caseSvc.Topics(r.Context(), p, days)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Topics{Days: days, Topics: top})
}

func (s *Server) handleTopicAnswer(w http.ResponseWriter, r *http.Request) {
	p, err := s.officeView(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body wire.TopicAnswerRequest
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
	a, err := s.caseSvc.AnswerTopic(r.Context(), p, r.PathValue("id"), days, body.Text)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// topicAnswerFor returns the public answer linked to the case, nil when none (or unavailable).
func (s *Server) topicAnswerFor(r *http.Request, caseID string) *wire.TopicAnswer {
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
	return &wire.TopicAnswer{Topic: a.Topic, Text: a.Text, At: a.At}
}

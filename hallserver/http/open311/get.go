package open311

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"onedoor/hallserver/hall"
)

// Request is a case as Open311 shows it. A stranger's answer (no api_key) carries the public
// record only: number, status, service, agency, times and a coarse point; a keyed answer adds
// the request's text (description), the status notes, the address, the exact point and the
// media link. Never the requester.
type Request struct {
	ServiceRequestID  string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"` // open or closed
	StatusNotes       string   `json:"status_notes,omitempty" xml:"status_notes,omitempty"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description,omitempty" xml:"description,omitempty"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  string   `json:"expected_datetime,omitempty" xml:"expected_datetime,omitempty"`
	Address           string   `json:"address,omitempty" xml:"address,omitempty"`
	Lat               *float64 `json:"lat,omitempty" xml:"lat,omitempty"`
	Long              *float64 `json:"long,omitempty" xml:"long,omitempty"`
	MediaURL          string   `json:"media_url,omitempty" xml:"media_url,omitempty"`
}

// isClosed reports whether a case counts as closed for Open311: answered (replied,
// rated) or finished (archived, duplicate, not accepted). A reopened case is open again.
func isClosed(st hall.CaseState) bool {
	switch st {
	case hall.CaseReplied, hall.CaseRated:
		return true
	}
	return st.Final()
}

// statesOf returns the case states of an Open311 status.
func statesOf(closed bool) []hall.CaseState {
	var out []hall.CaseState
	for _, st := range hall.CaseStates {
		if isClosed(st) == closed {
			out = append(out, st)
		}
	}
	return out
}

// request is a case as the caller sees it: the public record for a stranger (nil caller),
// else the case's public view with its text and place.
func (h *Handler) request(c *hall.Case, caller *caller, cat *hall.Catalogue, lang string) Request {
	var p hall.Case
	if caller == nil {
		p, _ = h.cfg.Staff.Public(c) // the callers only pass cases the rule publishes
	} else {
		p = c.Public()
		p.Text = description(c)
		p.Place = c.Place.Clone()
	}
	loc := h.cfg.Campus.Location()
	w3 := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	out := Request{ServiceRequestID: p.Number, Status: "open", ServiceCode: p.Category, Description: p.Text,
		AgencyResponsible: h.cfg.Campus.DepartmentName(p.Department).In(lang), RequestedDatetime: w3(p.ReceivedAt), UpdatedDatetime: w3(p.UpdatedAt)}
	if p.Department == "" {
		out.AgencyResponsible = ""
	}
	if k, ok := cat.Category(p.Category); ok {
		out.ServiceName = k.Name.In(lang)
	}
	if pl := p.Place; pl != nil {
		out.Address, out.Lat, out.Long, out.MediaURL = pl.Address, pl.Lat, pl.Long, pl.MediaURL
	}
	switch {
	case caller == nil: // a reply or a reason is written about a person: not for strangers
	case p.State == hall.CaseNotAccepted:
		out.StatusNotes = p.Reason
	case p.State == hall.CaseDuplicate:
		out.StatusNotes = "重复诉求，请关注 Duplicate of " + p.DuplicateOf
	case p.State == hall.CaseWaitingRequester:
		out.StatusNotes = p.Question
	case p.LastReply() != nil:
		out.StatusNotes = p.LastReply().Text
	}
	if isClosed(p.State) {
		out.Status = "closed"
		// When it was closed: the reply that answered it, or the exit (duplicate, not accepted).
		exit := p.State == hall.CaseDuplicate || p.State == hall.CaseNotAccepted
		switch {
		case p.RepliedAt != nil && !exit:
			out.UpdatedDatetime = w3(*p.RepliedAt)
		case p.ClosedAt != nil:
			out.UpdatedDatetime = w3(*p.ClosedAt)
		}
	} else if !p.Due.IsZero() {
		out.ExpectedDatetime = w3(p.Due)
	}
	return out
}

// when parses a w3 datetime (or a campus-local date).
func (h *Handler) when(v, field string, end bool) (time.Time, error) {
	t, err := h.cfg.Wire.When(v, field, h.cfg.Campus.Location(), end)
	if err != nil {
		return time.Time{}, hall.Errorf(hall.EINVALID, field, "%s must be a w3 datetime such as 2026-03-01T00:00:00+08:00", field)
	}
	return t, nil
}

func splitList(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (h *Handler) handleRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	caller, err := h.identifyIfKeyed(r, q)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	cs, err := h.cfg.Cases()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	cat, err := cs.Catalogue(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	lang := h.lang(r, q)
	out := RequestList{}
	ft := formatOf(r)
	// service_request_id overrides every other argument.
	if ids := splitList(q.Get("service_request_id")); len(ids) > 0 {
		if len(ids) > maxIDs {
			h.writeError(w, r, hall.Errorf(hall.EINVALID, "service_request_id", "at most %d service_request_id at once", maxIDs))
			return
		}
		for _, id := range ids {
			c, err := h.readCase(r, cs, caller, id)
			if hall.ErrorCode(err) == hall.ENOTFOUND {
				continue
			}
			if err != nil {
				h.writeError(w, r, err)
				return
			}
			out = append(out, h.request(c, caller, cat, lang))
		}
		h.write(w, ft, http.StatusOK, out)
		return
	}
	f := hall.CaseFilter{}
	if f.Since, err = h.when(q.Get("start_date"), "start_date", false); err == nil {
		f.Until, err = h.when(q.Get("end_date"), "end_date", true)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	switch {
	case f.Since.IsZero() && f.Until.IsZero():
		f.Until = h.now()
		f.Since = f.Until.Add(-maxSpan)
	case f.Since.IsZero():
		f.Since = f.Until.Add(-maxSpan)
	case f.Until.IsZero():
		f.Until = f.Since.Add(maxSpan)
	}
	if !f.Since.Before(f.Until) {
		h.writeError(w, r, hall.Errorf(hall.EINVALID, "start_date", "start_date must be before end_date"))
		return
	}
	if f.Until.Sub(f.Since) > maxSpan+24*time.Hour {
		h.writeError(w, r, hall.Errorf(hall.EINVALID, "end_date", "start_date to end_date may not span more than 90 days"))
		return
	}
	wantOpen, wantClosed := true, true
	if st := splitList(q.Get("status")); len(st) > 0 {
		wantOpen, wantClosed = false, false
		for _, v := range st {
			switch v {
			case "open":
				wantOpen = true
			case "closed":
				wantClosed = true
			default:
				h.writeError(w, r, hall.Errorf(hall.EINVALID, "status", "status must be open or closed, not %q", v))
				return
			}
		}
	}
	if wantOpen != wantClosed {
		f.States = statesOf(wantClosed)
	}
	codes := map[string]bool{}
	for _, c := range splitList(q.Get("service_code")) {
		codes[c] = true
	}
	if caller != nil && caller.staff != nil {
		f.Department = h.cfg.Staff.ListDepartment(caller.staff) // the index narrows what is read; sees() decides
	}
	list, err := cs.List(r.Context(), f)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].ReceivedAt.After(list[j].ReceivedAt) })
	for i := range list {
		c := &list[i]
		if !h.sees(caller, c) || (len(codes) > 0 && !codes[c.Category]) {
			continue
		}
		out = append(out, h.request(c, caller, cat, lang))
		if len(out) >= maxResults {
			break
		}
	}
	h.write(w, ft, http.StatusOK, out)
}

// sees reports whether the caller may read the case: a stranger (nil) what the public rule
// publishes, a client its own submissions, staff what the case API shows them.
func (h *Handler) sees(c *caller, cs *hall.Case) bool {
	if c == nil {
		_, ok := h.cfg.Staff.Public(cs)
		return ok
	}
	return cs.Source == c.source || (c.staff != nil && h.cfg.Staff.Sees(c.staff, cs))
}

// readCase reads a case the caller may see by number; anything else is not found (a stranger
// may not look cases up by their internal ID).
func (h *Handler) readCase(r *http.Request, cs hall.CaseService, caller *caller, id string) (*hall.Case, error) {
	notFound := hall.Errorf(hall.ENOTFOUND, "service_request_id", "service_request_id %q was not found", id)
	if id == "" || len(id) > 64 {
		return nil, notFound
	}
	c, err := cs.Get(r.Context(), id)
	if err != nil {
		if hall.ErrorCode(err) == hall.ENOTFOUND {
			return nil, notFound
		}
		return nil, err
	}
	if !h.sees(caller, c) || (caller == nil && c.Number != id) {
		return nil, notFound
	}
	return c, nil
}

func (h *Handler) handleRequest(w http.ResponseWriter, r *http.Request) {
	id, _, err := splitFormat(r.PathValue("service_request_id"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	caller, err := h.identifyIfKeyed(r, q)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	cs, err := h.cfg.Cases()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	c, err := h.readCase(r, cs, caller, id)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	cat, err := cs.Catalogue(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.write(w, formatOf(r), http.StatusOK, RequestList{h.request(c, caller, cat, h.lang(r, q))})
}

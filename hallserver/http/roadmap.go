package http

import (
	"context"
	"net/http"
	"slices"
	"sort"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// The long-standing list (清单式管理) and its public roadmap:
//
//	GET    /api/v1/longlist        handlers, office, supervisors, admins: every item
//	GET    /api/v1/longlist/{id}   the same: one item
//	POST   /api/v1/longlist        office, supervisors, admins: create
//	PUT    /api/v1/longlist/{id}   the same: replace
//	DELETE /api/v1/longlist/{id}   the same: remove
//	GET    /api/v1/roadmap         anyone: the public view (no usernames, no case numbers)
//	GET    /roadmap                anyone: the roadmap page
//
// Linking a case to an item flags the case (the "list" case action, in the case log); cases
// that are closed already keep their state and stay linked in the item.

func (s *Server) longList() (hall.LongListService, error) {
	if s.cfg.LongList == nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "the long-standing list is not configured on this server")
	}
	return s.cfg.LongList, nil
}

type listItemsJSON struct {
	Items []hall.ListItem `json:"items"`
}

// listItemRequest is the body of POST and PUT: the editable fields of an item.
type listItemRequest struct {
	Title      hall.Text        `json:"title"`
	Summary    hall.Text        `json:"summary"`
	Lead       string           `json:"lead"`
	Assist     []string         `json:"assist"`
	Milestones []hall.Milestone `json:"milestones"`
	Cases      []string         `json:"cases"`
}

func (b listItemRequest) item(id string) hall.ListItem {
	return hall.ListItem{ID: id, Title: b.Title, Summary: b.Summary, Lead: b.Lead, Assist: b.Assist, Milestones: b.Milestones, Cases: b.Cases}
}

func (s *Server) handleListItems(w http.ResponseWriter, r *http.Request) {
	if _, err := s.caseStaff(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	ll, err := s.longList()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, err := ll.Items(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listItemsJSON{Items: items})
}

func (s *Server) handleGetListItem(w http.ResponseWriter, r *http.Request) {
	if _, err := s.caseStaff(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	ll, err := s.longList()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	it, err := ll.Item(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, it)
}

// listEditor authenticates the office and decodes the body of a create or update.
func (s *Server) listEditor(w http.ResponseWriter, r *http.Request) (*hall.Principal, hall.LongListService, hall.CaseService, *listItemRequest, error) {
	p, err := s.officeView(r)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	ll, err := s.longList()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	cs, err := s.casesService()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if r.Method == http.MethodDelete {
		return p, ll, cs, nil, nil
	}
	var body listItemRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		return nil, nil, nil, nil, err
	}
	if len(body.Cases) > cases.MaxListCases {
		return nil, nil, nil, nil, hall.Errorf(hall.EINVALID, "cases", "at most %d linked cases", cases.MaxListCases)
	}
	for _, num := range body.Cases {
		if _, err := cs.Get(r.Context(), num); err != nil {
			if hall.ErrorCode(err) == hall.ENOTFOUND || len(num) > 64 {
				return nil, nil, nil, nil, hall.Errorf(hall.EINVALID, "cases", "no case %q", num)
			}
			return nil, nil, nil, nil, err
		}
	}
	return p, ll, cs, &body, nil
}

// linkCases flags the cases added to an item and clears the flag of those removed.
func (s *Server) linkCases(ctx context.Context, p *hall.Principal, cs hall.CaseService, item string, before, after []string) {
	set := func(num string, on bool) {
		a := hall.CaseAction{Case: num, Action: hall.CaseActList, Actor: p.Subject, Role: p.Role, ActorDepartment: p.Department, On: on}
		if on {
			a.ListItem = item
		}
		if _, err := cs.Act(ctx, a); err != nil && hall.ErrorCode(err) != hall.ECONFLICT {
			s.log.Warn("long-standing list: flag case", "case", num, "item", item, "err", err)
		}
	}
	for _, n := range after {
		if !slices.Contains(before, n) {
			set(n, true)
		}
	}
	for _, n := range before {
		if !slices.Contains(after, n) {
			set(n, false)
		}
	}
}

func (s *Server) handleCreateListItem(w http.ResponseWriter, r *http.Request) {
	p, ll, cs, body, err := s.listEditor(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	it, err := ll.CreateItem(r.Context(), body.item(""), p.Subject)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.linkCases(r.Context(), p, cs, it.ID, nil, it.Cases)
	writeJSON(w, http.StatusCreated, it)
}

func (s *Server) handleUpdateListItem(w http.ResponseWriter, r *http.Request) {
	p, ll, cs, body, err := s.listEditor(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	old, err := ll.Item(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	it, err := ll.UpdateItem(r.Context(), body.item(old.ID), p.Subject)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.linkCases(r.Context(), p, cs, it.ID, old.Cases, it.Cases)
	writeJSON(w, http.StatusOK, it)
}

func (s *Server) handleDeleteListItem(w http.ResponseWriter, r *http.Request) {
	p, ll, cs, _, err := s.listEditor(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	old, err := ll.Item(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := ll.DeleteItem(r.Context(), old.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.linkCases(r.Context(), p, cs, old.ID, old.Cases, nil)
	w.WriteHeader(http.StatusNoContent)
}

// roadmapItemJSON is an item as the public sees it.
type roadmapItemJSON struct {
	hall.ListItem
	LeadName    hall.Text   `json:"leadName"`
	AssistNames []hall.Text `json:"assistNames"`
	CaseCount   int         `json:"caseCount"`
}

type roadmapJSON struct {
	Items []roadmapItemJSON `json:"items"`
}

// roadmap returns the public items: in progress first, then planned, then done.
func (s *Server) roadmap(ctx context.Context) ([]roadmapItemJSON, error) {
	ll, err := s.longList()
	if err != nil {
		return nil, err
	}
	items, err := ll.Items(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]roadmapItemJSON, 0, len(items))
	for _, it := range items {
		pub, n := cases.PublicListItem(it)
		x := roadmapItemJSON{ListItem: pub, LeadName: s.departmentName(pub.Lead), AssistNames: []hall.Text{}, CaseCount: n}
		for _, d := range pub.Assist {
			x.AssistNames = append(x.AssistNames, s.departmentName(d))
		}
		out = append(out, x)
	}
	rank := map[string]int{cases.ListInProgress: 0, cases.ListPlanned: 1, cases.ListDone: 2}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].Status] < rank[out[j].Status] })
	return out, nil
}

func (s *Server) handleRoadmapJSON(w http.ResponseWriter, r *http.Request) {
	items, err := s.roadmap(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, roadmapJSON{Items: items})
}

// roadmapRow is an item on the roadmap page.
type roadmapRow struct {
	roadmapItemJSON
	StatusName hall.Text
	Bar        int // progress bar width (of 200)
	Assist     string
	Steps      []roadmapStep
	Updated    string
}

// roadmapStep is a milestone on the page.
type roadmapStep struct {
	hall.Milestone
	Done, Late bool
	Bar        int // of 120
}

var listStatusText = map[string]hall.Text{
	cases.ListPlanned:    {Zh: "计划中", En: "Planned"},
	cases.ListInProgress: {Zh: "推进中", En: "In progress"},
	cases.ListDone:       {Zh: "已完成", En: "Done"},
}

func (s *Server) handleRoadmapPage(w http.ResponseWriter, r *http.Request) {
	items, err := s.roadmap(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	loc := s.campusLoc()
	today := s.now().In(loc).Format("2006-01-02")
	var rows []roadmapRow
	for _, it := range items {
		row := roadmapRow{roadmapItemJSON: it, StatusName: listStatusText[it.Status], Bar: it.Progress * 2, Updated: it.UpdatedAt.In(loc).Format("2006-01-02")}
		for i, a := range it.AssistNames {
			if i > 0 {
				row.Assist += "、"
			}
			row.Assist += a.Zh
		}
		for _, m := range it.Milestones {
			row.Steps = append(row.Steps, roadmapStep{Milestone: m, Done: m.Progress >= 100, Late: m.Progress < 100 && m.Due < today, Bar: m.Progress * 6 / 5})
		}
		rows = append(rows, row)
	}
	d := struct {
		Campus hall.Text
		Items  []roadmapRow
	}{Campus: s.cfg.Campus.Name, Items: rows}
	if err := s.page.ExecuteTemplate(w, "roadmap.html", d); err != nil {
		s.log.Error("render roadmap page", "err", err)
	}
}

package http

import (
	"context"
	"net/http"
	"sort"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
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

func (s *Server) handleListItems(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, err := s.caseSvc.ListItems(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.ListItems{Items: items})
}

func (s *Server) handleGetListItem(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	it, err := s.caseSvc.ListItem(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, it)
}

func (s *Server) handleCreateListItem(w http.ResponseWriter, r *http.Request) {
	s.editListItem(w, r, cases.ListCreate)
}

func (s *Server) handleUpdateListItem(w http.ResponseWriter, r *http.Request) {
	s.editListItem(w, r, cases.ListUpdate)
}

func (s *Server) handleDeleteListItem(w http.ResponseWriter, r *http.Request) {
	s.editListItem(w, r, cases.ListDelete)
}

// editListItem runs an edit of the list (cases.Service.EditListItem): 201 and the item for a
// create, 200 and the item for an update, 204 for a delete.
func (s *Server) editListItem(w http.ResponseWriter, r *http.Request, edit cases.ListEdit) {
	p, err := s.officeView(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	it, err := s.caseSvc.EditListItem(r.Context(), p, edit, r.PathValue("id"), func() (hall.ListItem, error) {
		var body wire.ListItemRequest
		if err := decodeJSON(w, r, &body, false); err != nil {
			return hall.ListItem{}, err
		}
		return body.Item(""), nil
	})
	switch {
	case err != nil:
		s.writeError(w, r, err)
	case edit == cases.ListCreate:
		writeJSON(w, http.StatusCreated, it)
	case edit == cases.ListUpdate:
		writeJSON(w, http.StatusOK, it)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// roadmap returns the public items: in progress first, then planned, then done.
func (s *Server) roadmap(ctx context.Context) ([]wire.RoadmapItem, error) {
	ll, err := s.longList()
	if err != nil {
		return nil, err
	}
	items, err := ll.Items(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]wire.RoadmapItem, 0, len(items))
	for _, it := range items {
		pub, n := cases.PublicListItem(it)
		x := wire.RoadmapItem{ListItem: pub, LeadName: s.departmentName(pub.Lead), AssistNames: []hall.Text{}, CaseCount: n}
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
	writeJSON(w, http.StatusOK, wire.Roadmap{Items: items})
}

// roadmapRow is an item on the roadmap page.
type roadmapRow struct {
	wire.RoadmapItem
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
		row := roadmapRow{RoadmapItem: it, StatusName: listStatusText[it.Status], Bar: it.Progress * 2, Updated: it.UpdatedAt.In(loc).Format("2006-01-02")}
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
	}{Campus: s.campus().Name, Items: rows}
	if err := s.page.ExecuteTemplate(w, "roadmap.html", d); err != nil {
		s.log.Error("render roadmap page", "err", err)
	}
}

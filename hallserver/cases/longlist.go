package cases

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// The long-standing list (清单式管理): problems that cannot be solved at once get an item with a
// lead department, assisting departments, milestones with dates and progress, and the cases
// that raised them. The roadmap page shows the public view of every item.

// Long-standing list limits.
const (
	MaxListTitle      = 100  // runes per language
	MaxListSummary    = 1000 // runes per language
	MaxListMilestones = 20
	MaxListCases      = 200
	MaxListAssist     = 10
)

// Item statuses, from the milestones' progress.
const (
	ListPlanned    = "planned"
	ListInProgress = "in_progress"
	ListDone       = "done"
)

// checkText validates a bilingual text: valid, at most n runes per language, Chinese or
// English required when need.
func checkText(field string, t *hall.Text, n int, need bool) error {
	t.Zh, t.En = strings.TrimSpace(t.Zh), strings.TrimSpace(t.En)
	for _, s := range []string{t.Zh, t.En} {
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > n {
			return hall.Errorf(hall.EINVALID, field, "%s must be valid text of at most %d characters per language", field, n)
		}
	}
	if need && t.Zh == "" && t.En == "" {
		return hall.Errorf(hall.EINVALID, field, "%s is required (Chinese or English)", field)
	}
	return nil
}

// NormalizeListItem validates an item and fills its derived fields (Progress, Status); known
// says whether a department code exists. The ID and the times are the store's.
func NormalizeListItem(it *hall.ListItem, known func(string) bool) error {
	if err := checkText("title", &it.Title, MaxListTitle, true); err != nil {
		return err
	}
	if err := checkText("summary", &it.Summary, MaxListSummary, false); err != nil {
		return err
	}
	it.Lead = strings.TrimSpace(it.Lead)
	if it.Lead == "" || !known(it.Lead) {
		return hall.Errorf(hall.EINVALID, "lead", "lead must be a department code (got %q)", it.Lead)
	}
	if len(it.Assist) > MaxListAssist {
		return hall.Errorf(hall.EINVALID, "assist", "at most %d assisting departments", MaxListAssist)
	}
	assist := []string{}
	for _, d := range it.Assist {
		d = strings.TrimSpace(d)
		if !known(d) {
			return hall.Errorf(hall.EINVALID, "assist", "unknown department %q", d)
		}
		if d != it.Lead && !slices.Contains(assist, d) {
			assist = append(assist, d)
		}
	}
	it.Assist = assist
	if len(it.Milestones) > MaxListMilestones {
		return hall.Errorf(hall.EINVALID, "milestones", "at most %d milestones", MaxListMilestones)
	}
	if it.Milestones == nil {
		it.Milestones = []hall.Milestone{}
	}
	sum := 0
	for i := range it.Milestones {
		m := &it.Milestones[i]
		if err := checkText("milestones.title", &m.Title, MaxListTitle, true); err != nil {
			return err
		}
		if err := checkText("milestones.note", &m.Note, MaxListTitle*2, false); err != nil {
			return err
		}
		if _, err := time.Parse("2006-01-02", m.Due); err != nil {
			return hall.Errorf(hall.EINVALID, "milestones.due", "milestone due date must be YYYY-MM-DD (got %q)", m.Due)
		}
		if m.Progress < 0 || m.Progress > 100 {
			return hall.Errorf(hall.EINVALID, "milestones.progress", "milestone progress must be 0 to 100")
		}
		sum += m.Progress
	}
	slices.SortStableFunc(it.Milestones, func(a, b hall.Milestone) int { return strings.Compare(a.Due, b.Due) })
	if len(it.Cases) > MaxListCases {
		return hall.Errorf(hall.EINVALID, "cases", "at most %d linked cases", MaxListCases)
	}
	cs := []string{}
	for _, c := range it.Cases {
		c = strings.TrimSpace(c)
		if c == "" || len(c) > 64 {
			return hall.Errorf(hall.EINVALID, "cases", "a linked case is a case number")
		}
		if !slices.Contains(cs, c) {
			cs = append(cs, c)
		}
	}
	it.Cases = cs
	it.Progress = 0
	if n := len(it.Milestones); n > 0 {
		it.Progress = sum / n
	}
	switch {
	case len(it.Milestones) > 0 && it.Progress == 100 && sum == 100*len(it.Milestones):
		it.Status = ListDone
	case sum > 0:
		it.Status = ListInProgress
	default:
		it.Status = ListPlanned
	}
	return nil
}

// PublicListItem returns the item as the public roadmap shows it: no staff usernames and no
// case numbers (only how many cases raised it).
func PublicListItem(it hall.ListItem) (hall.ListItem, int) {
	n := len(it.Cases)
	it.Cases = []string{}
	it.CreatedBy, it.UpdatedBy = "", ""
	it.Assist = slices.Clone(it.Assist)
	it.Milestones = slices.Clone(it.Milestones)
	return it, n
}

// ListDepartments are the department codes a list item may name (the campus's and the office),
// replaced whole on a live campus change; the stores of the list share it.
type ListDepartments struct {
	known atomic.Pointer[map[string]bool]
}

// NewListDepartments returns the set of departments (the office always one of them).
func NewListDepartments(departments []string) *ListDepartments {
	l := &ListDepartments{}
	l.Set(departments)
	return l
}

// Set replaces the department codes; the office is always one.
func (l *ListDepartments) Set(departments []string) {
	set := map[string]bool{hall.OfficeDepartment: true}
	for _, d := range departments {
		set[d] = true
	}
	l.known.Store(&set)
}

// Known reports whether an item may name department d.
func (l *ListDepartments) Known(d string) bool { return (*l.known.Load())[d] }

// StampListItem fills what a store sets on an item it writes at now by by: the ID (QD-001,
// QD-002… 清单) and the creation of a new item (n its sequence number), the creation kept from
// old for a replaced one, the update.
func StampListItem(it *hall.ListItem, old *hall.ListItem, n uint64, by string, now time.Time) {
	if old == nil {
		it.ID = fmt.Sprintf("QD-%03d", n)
		it.CreatedAt, it.CreatedBy = now, by
	} else {
		it.CreatedAt, it.CreatedBy = old.CreatedAt, old.CreatedBy
	}
	it.UpdatedAt, it.UpdatedBy = now, by
}

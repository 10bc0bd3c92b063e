package cases

import (
	"context"
	"slices"

	"onedoor/hallserver/hall"
)

// ListEdit is an edit of the long-standing list (清单式管理).
type ListEdit int

// The edits of the long-standing list.
const (
	ListCreate ListEdit = iota // a new item
	ListUpdate                 // replace an item
	ListDelete                 // remove an item
)

// longList checks that the principal works cases and returns the long-standing list.
func (s *Service) longList(p *hall.Principal) (hall.LongListService, error) {
	if _, err := s.staff(p); err != nil {
		return nil, err
	}
	if s.cfg.LongList == nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "the long-standing list is not configured on this server")
	}
	return s.cfg.LongList, nil
}

// ListItems returns every item of the long-standing list, for those who work cases.
func (s *Service) ListItems(ctx context.Context, p *hall.Principal) ([]hall.ListItem, error) {
	ll, err := s.longList(p)
	if err != nil {
		return nil, err
	}
	return ll.Items(ctx)
}

// ListItem returns the item of the long-standing list with this ID, for those who work cases.
func (s *Service) ListItem(ctx context.Context, p *hall.Principal, id string) (*hall.ListItem, error) {
	ll, err := s.longList(p)
	if err != nil {
		return nil, err
	}
	return ll.Item(ctx, id)
}

// EditListItem creates, replaces (the item with this ID) or removes (the same) an item of the
// long-standing list in the office's name, and flags the cases it links (the list case action,
// in the case log) or clears the flag of those it no longer links; cases already closed keep
// their state. body reads the item's editable fields (not for ListDelete); it runs after the
// office and availability checks. Linked case numbers must exist (EINVALID "cases"). It returns
// the item as stored (nil for ListDelete).
func (s *Service) EditListItem(ctx context.Context, p *hall.Principal, edit ListEdit, id string, body func() (hall.ListItem, error)) (*hall.ListItem, error) {
	if err := CheckOffice(p); err != nil {
		return nil, err
	}
	ll, err := s.longList(p)
	if err != nil {
		return nil, err
	}
	cs := s.cfg.Cases // longList checked it
	var it hall.ListItem
	if edit != ListDelete {
		if it, err = body(); err != nil {
			return nil, err
		}
		if err := s.checkLinkedCases(ctx, cs, it.Cases); err != nil {
			return nil, err
		}
	}
	var old *hall.ListItem
	if edit != ListCreate {
		if old, err = ll.Item(ctx, id); err != nil {
			return nil, err
		}
	}
	switch edit {
	case ListCreate:
		out, err := ll.CreateItem(ctx, it, p.Subject)
		if err != nil {
			return nil, err
		}
		s.linkCases(ctx, p, cs, out.ID, nil, out.Cases)
		return out, nil
	case ListUpdate:
		it.ID = old.ID
		out, err := ll.UpdateItem(ctx, it, p.Subject)
		if err != nil {
			return nil, err
		}
		s.linkCases(ctx, p, cs, out.ID, old.Cases, out.Cases)
		return out, nil
	}
	if err := ll.DeleteItem(ctx, old.ID); err != nil {
		return nil, err
	}
	s.linkCases(ctx, p, cs, old.ID, old.Cases, nil)
	return nil, nil
}

// checkLinkedCases checks that an item links at most MaxListCases cases that all exist.
func (s *Service) checkLinkedCases(ctx context.Context, cs hall.CaseService, nums []string) error {
	if len(nums) > MaxListCases {
		return hall.Errorf(hall.EINVALID, "cases", "at most %d linked cases", MaxListCases)
	}
	for _, num := range nums {
		if _, err := cs.Get(ctx, num); err != nil {
			if hall.ErrorCode(err) == hall.ENOTFOUND || len(num) > 64 {
				return hall.Errorf(hall.EINVALID, "cases", "no case %q", num)
			}
			return err
		}
	}
	return nil
}

// linkCases flags the cases added to an item and clears the flag of those removed. The item
// is stored already: a case that cannot be flagged (closed meanwhile) is logged, not undone.
func (s *Service) linkCases(ctx context.Context, p *hall.Principal, cs hall.CaseService, item string, before, after []string) {
	set := func(num string, on bool) {
		a := hall.CaseAction{Case: num, Action: hall.CaseActList, Actor: p.Subject, Role: p.Role, ActorDepartment: p.Department, On: on}
		if on {
			a.ListItem = item
		}
		if _, err := cs.Act(ctx, a); err != nil && hall.ErrorCode(err) != hall.ECONFLICT {
			s.cfg.Log.Warn("long-standing list: flag case", "case", num, "item", item, "err", err)
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

package hall

import (
	"context"
	"time"
)

// This file holds the long-standing list (清单式管理).

// Milestone is a step of a long-standing list item, with its date and progress.
type Milestone struct {
	Title    Text   `json:"title"`
	Due      string `json:"due"`      // YYYY-MM-DD
	Progress int    `json:"progress"` // 0–100
	Note     Text   `json:"note"`
}

// ListItem is an item of the long-standing list (清单式管理): a problem that cannot be solved at
// once, with a lead department, assisting departments, a timetable and the cases that raised it.
type ListItem struct {
	ID         string      `json:"id"`
	Title      Text        `json:"title"`
	Summary    Text        `json:"summary"`
	Lead       string      `json:"lead"`
	Assist     []string    `json:"assist"`
	Milestones []Milestone `json:"milestones"`
	Cases      []string    `json:"cases"` // case numbers
	// Progress is the mean of the milestones' progress (0–100); Status follows from it:
	// "planned" (0), "in_progress", "done" (100).
	Progress  int       `json:"progress"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	CreatedBy string    `json:"createdBy,omitempty"`
	UpdatedBy string    `json:"updatedBy,omitempty"`
}

// LongListService keeps the long-standing list.
type LongListService interface {
	Items(ctx context.Context) ([]ListItem, error)
	Item(ctx context.Context, id string) (*ListItem, error)
	// CreateItem validates and stores a new item (its ID is assigned).
	CreateItem(ctx context.Context, it ListItem, by string) (*ListItem, error)
	// UpdateItem replaces the item with it.ID.
	UpdateItem(ctx context.Context, it ListItem, by string) (*ListItem, error)
	DeleteItem(ctx context.Context, id string) error
}

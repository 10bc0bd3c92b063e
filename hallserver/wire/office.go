package wire

import "onedoor/hallserver/hall"

// Topics answers GET /api/v1/topics: the hot topics of the last Days days.
type Topics struct {
	Days   int          `json:"days"`
	Topics []hall.Topic `json:"topics"`
}

// TopicAnswerRequest is the body of POST /api/v1/topics/{id}/answer.
type TopicAnswerRequest struct {
	Text hall.Text `json:"text"`
	Days int       `json:"days"` // the window the topic was found in (7 by default)
}

// ListItems answers GET /api/v1/longlist: the long-standing issues list (清单式管理).
type ListItems struct {
	Items []hall.ListItem `json:"items"`
}

// ListItemRequest is the body of POST and PUT /api/v1/longlist: the editable fields of an item.
type ListItemRequest struct {
	Title      hall.Text        `json:"title"`
	Summary    hall.Text        `json:"summary"`
	Lead       string           `json:"lead"`
	Assist     []string         `json:"assist"`
	Milestones []hall.Milestone `json:"milestones"`
	Cases      []string         `json:"cases"`
}

// Item returns the list item with the ID and the request's fields.
func (b ListItemRequest) Item(id string) hall.ListItem {
	return hall.ListItem{ID: id, Title: b.Title, Summary: b.Summary, Lead: b.Lead, Assist: b.Assist, Milestones: b.Milestones, Cases: b.Cases}
}

// Roadmap answers GET /api/v1/roadmap: the public items of the long-standing issues list.
type Roadmap struct {
	Items []RoadmapItem `json:"items"`
}

// RoadmapItem is an item as the public sees it.
type RoadmapItem struct {
	hall.ListItem
	LeadName    hall.Text   `json:"leadName"`
	AssistNames []hall.Text `json:"assistNames"`
	CaseCount   int         `json:"caseCount"`
}

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

// QueueReport answers GET /api/v1/reports/queue: a hall's queue figures from From to Until
// (local dates, both included) by By (service, counter, staff, day or hour), one row per key.
type QueueReport struct {
	Hall  string     `json:"hall"`
	From  string     `json:"from"`
	Until string     `json:"until"`
	By    string     `json:"by"`
	Rows  []QueueRow `json:"rows"`
}

// QueueRow is the figures of one key of a queue report (package kpi's Row says what counts
// where).
type QueueRow struct {
	Key               string      `json:"key"`
	Issued            int         `json:"issued"`
	Served            int         `json:"served"`
	NoShow            int         `json:"noShow"`
	Cancelled         int         `json:"cancelled"`
	Transferred       int         `json:"transferred"`
	WaitSeconds       QueueStats  `json:"waitSeconds"`
	ServiceSeconds    QueueStats  `json:"serviceSeconds"`
	WithinTarget      int         `json:"withinTarget"`
	WithinTargetShare float64     `json:"withinTargetShare"`
	OpenHours         *float64    `json:"openHours,omitempty"`
	Rating            *VisitStars `json:"rating,omitempty"`
	// Appointments are the row's booking tickets (预约) apart: on-time share, no-show share,
	// wait after check-in (kpi.Appointments); omitted when none.
	Appointments *QueueAppointments `json:"appointments,omitempty"`
}

// QueueAppointments are the figures of a row's booking tickets (kpi.Appointments).
type QueueAppointments struct {
	CheckedIn   int        `json:"checkedIn"`
	OnTime      int        `json:"onTime"`
	OnTimeShare float64    `json:"onTimeShare"`
	NoShow      int        `json:"noShow"`
	NoShowShare float64    `json:"noShowShare"`
	WaitSeconds QueueStats `json:"waitSeconds"`
}

// QueueStats are the mean, median and 90th percentile of durations, in seconds.
type QueueStats struct {
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
}

// VisitStars is the visit ratings (好差评) of a row: how many, the mean stars, how many had 1–2.
type VisitStars struct {
	Count     int     `json:"count"`
	MeanStars float64 `json:"meanStars"`
	Low       int     `json:"low"`
}

package hall

import "time"

// NoticeChannel is the way a notice reaches its recipient.
type NoticeChannel string

// Notification channels.
const (
	NoticeWecom NoticeChannel = "wecom" // WeChat Work application message (textcard) to a member
	NoticeRobot NoticeChannel = "robot" // WeChat Work group robot of a department (markdown)
	NoticeEmail NoticeChannel = "email" // e-mail (SMTP)
)

// Notification is one notification to one recipient on one channel, as the notification outbox holds
// it until it is delivered. Key is its dedupe key: the case event's seq, the channel and the
// recipient ("<seq>/<channel>/<recipient>"; a hall's device alert: "<hall>:<seq>/…"), so the
// same event never makes the same notice twice.
type Notification struct {
	Key     string        `json:"key"`
	Seq     uint64        `json:"seq"`   // the case event (or the hall's event of a device alert)
	Event   string        `json:"event"` // its type (a CaseEventType, or "device.alert")
	Hall    string        `json:"hall,omitempty"`
	Case    string        `json:"case"` // case number ("" for a device alert)
	CaseID  string        `json:"caseId,omitempty"`
	Channel NoticeChannel `json:"channel"`
	// Recipient is who is told: a username, or a department code for a robot.
	Recipient string `json:"recipient"`
	// To is the address on the channel: a WeChat Work user ID, a robot key, an e-mail address.
	To string `json:"to"`
	// Department is the department concerned (its quiet hours apply).
	Department string `json:"department,omitempty"`
	Title      string `json:"title"`
	Body       string `json:"body"`
	URL        string `json:"url,omitempty"`
	// Urgent notices (escalations) are not held by quiet hours.
	Urgent bool `json:"urgent,omitempty"`

	CreatedAt time.Time `json:"createdAt"`
	NextAt    time.Time `json:"nextAt"` // not sent before (backoff, quiet hours)
	Attempts  int       `json:"attempts"`
	LastError string    `json:"lastError,omitempty"`
	// Dead notices failed too often: they wait for an administrator's retry.
	Dead bool `json:"dead,omitempty"`
}

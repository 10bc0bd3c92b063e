package wire

import "onedoor/hallserver/hall"

// Notifications is the answer of GET /api/v1/admin/notifications: the notifier's progress in
// the case log, its outbox, and the dead letters (notifications that failed too often).
type Notifications struct {
	Cursor      uint64              `json:"cursor"`  // last case event whose notices are in the outbox
	LastSeq     uint64              `json:"lastSeq"` // last case event
	Pending     int                 `json:"pending"` // waiting (backoff, quiet hours), dead ones excluded
	Dead        int                 `json:"dead"`
	Delivered   uint64              `json:"delivered"` // since the server started
	Failures    uint64              `json:"failures"`  // failed attempts since the server started
	DeadLetters []hall.Notification `json:"deadLetters"`
}

// RetryNotification is the body (and answer) of POST /api/v1/admin/notifications/retry.
type RetryNotification struct {
	Key string `json:"key"`
}

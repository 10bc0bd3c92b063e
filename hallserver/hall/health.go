package hall

import "time"

// Device health: kiosks and displays send a heartbeat (POST /api/v1/halls/{hall}/devices/heartbeat)
// every HeartbeatInterval and when something changes; the hall's queue engine derives alerts from
// it (a printer fault, a device gone silent, a kiosk outbox that does not drain) and puts each
// raise and clear in the hall's log as a device.alert event, which only staff views show in full.

// HeartbeatInterval is how often a device sends its heartbeat when nothing changes.
const HeartbeatInterval = 15 * time.Second

// Device health states (DeviceHealth.State).
const (
	// HealthUnknown: no heartbeat since the server started (health is soft state, see
	// docs/DEVICES.md); the device turns silent when none comes within the silence limit.
	HealthUnknown = "unknown"
	HealthOK      = "ok"
	HealthAlert   = "alert" // at least one active alert
)

// Alert kinds (DeviceAlert.Kind).
const (
	AlertPrinter = "printer" // the kiosk's printer is not ok (Detail: its state)
	AlertStorage = "storage" // the kiosk could not write its outbox file (Detail: the message)
	AlertSilent  = "silent"  // no heartbeat for the silence limit
	AlertOutbox  = "outbox"  // the kiosk's outbox of walk-in requests does not drain
)

// AlertKinds lists the alert kinds.
var AlertKinds = []string{AlertPrinter, AlertStorage, AlertSilent, AlertOutbox}

// Alert states (DeviceAlert.State in a device.alert event).
const (
	AlertRaised  = "raised"  // new, or its detail changed (the client replaces what it had)
	AlertCleared = "cleared" // recovered: the client removes it
)

// DeviceRef names a device: its ID, role and the name its administrator gave it.
type DeviceRef struct {
	ID   string `json:"id"`
	Role Role   `json:"role"`
	Name string `json:"name,omitempty"`
}

// OutboxHealth is a kiosk's outbox (its spool of walk-in requests not yet delivered).
type OutboxHealth struct {
	Pending       int `json:"pending"`       // requests not yet delivered
	OldestSeconds int `json:"oldestSeconds"` // age of the oldest of them (0 when none)
}

// DeviceHeartbeat is what a kiosk or display says about itself in a heartbeat.
type DeviceHeartbeat struct {
	Version string `json:"version,omitempty"` // software version, at most 64 characters
	// Printer is the kiosk's printer state (one of DeviceStates); empty for devices without one.
	Printer        string        `json:"printer,omitempty"`
	PrinterMessage string        `json:"printerMessage,omitempty"` // at most 200 characters
	Outbox         *OutboxHealth `json:"outbox,omitempty"`         // kiosks
}

// DeviceAlert is one active (or, in a device.alert event, just cleared) alert of a device.
type DeviceAlert struct {
	Device string `json:"device"`
	Role   Role   `json:"role"`
	Name   string `json:"name,omitempty"`
	Kind   string `json:"kind"`  // one of AlertKinds
	State  string `json:"state"` // AlertRaised or AlertCleared
	// Detail: the printer's state (paper_out…), the storage error, or empty.
	Detail string `json:"detail,omitempty"`
	// Pending and OldestSeconds: the outbox when an outbox alert was raised.
	Pending       int       `json:"pending,omitempty"`
	OldestSeconds int       `json:"oldestSeconds,omitempty"`
	Since         time.Time `json:"since"` // when it was raised
}

// DeviceHealth is what the server knows of one device of a hall: the admin device list and
// GET /api/v1/halls/{hall}/devices show it.
type DeviceHealth struct {
	Device string `json:"device"`
	Role   Role   `json:"role"`
	Name   string `json:"name,omitempty"`
	State  string `json:"state"` // HealthUnknown, HealthOK or HealthAlert
	// LastSeen is the last heartbeat or report since the server started (nil: none yet).
	LastSeen       *time.Time    `json:"lastSeen,omitempty"`
	Version        string        `json:"version,omitempty"`
	Printer        string        `json:"printer,omitempty"` // last printer state (one of DeviceStates)
	PrinterMessage string        `json:"printerMessage,omitempty"`
	Outbox         *OutboxHealth `json:"outbox,omitempty"`
	Alerts         []DeviceAlert `json:"alerts"`
}

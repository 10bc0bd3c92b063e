package hall

import "time"

// EventType names a state change. Every change is an event in its hall's log.
type EventType string

// Event types. Only the two call events contain the word "call": displays announce those.
const (
	EventIssued      EventType = "ticket.issued"
	EventCalled      EventType = "ticket.called"
	EventRecalled    EventType = "ticket.recalled"
	EventStarted     EventType = "ticket.started"
	EventFinished    EventType = "ticket.finished"
	EventNoShow      EventType = "ticket.no_show"
	EventReinstated  EventType = "ticket.reinstated"
	EventParked      EventType = "ticket.parked"
	EventResumed     EventType = "ticket.resumed"
	EventTransferred EventType = "ticket.transferred"
	EventCancelled   EventType = "ticket.cancelled"
	EventCounter     EventType = "counter.state"
	EventDayReset    EventType = "hall.day_reset"
	// EventCampusChanged: the hall's configuration (services, counters, profiles) or the campus
	// around it changed; kiosks and displays fetch the hall again and redraw.
	EventCampusChanged EventType = "campus.changed"
	EventDevice        EventType = "device.status"
	// EventDeviceAlert is a device alert raised or cleared (Event.Alert, its State says which).
	// Only staff of the hall see its details; the public stream gets the bare event.
	EventDeviceAlert EventType = "device.alert"
	EventNotice      EventType = "notice.published"
	EventNoticeGone  EventType = "notice.withdrawn"
	// EventVisitRated is a finished visit rated (好差评, Event.Rated), on the follow page or at
	// the counter; 1–2 stars are flagged Low: the hall lead's alert. Only staff of the hall see
	// its details; the public stream gets the bare event.
	EventVisitRated EventType = "visit.rated"
)

// Event is one entry in a hall's log: what changed, when, by whom, and the state after it.
type Event struct {
	Seq     uint64    `json:"seq"`
	Hall    string    `json:"hall"`
	Type    EventType `json:"type"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor,omitempty"`
	Ticket  *Ticket   `json:"ticket,omitempty"`  // the ticket after the change (public view on streams)
	Counter *Counter  `json:"counter,omitempty"` // the counter after the change
	// Waiting is the number of waiting tickets per service after the change.
	Waiting map[string]int `json:"waiting,omitempty"`
	Device  *DeviceStatus  `json:"device,omitempty"` // device.status: the device's new state
	Notice  *Notice        `json:"notice,omitempty"` // notice.published / notice.withdrawn
	Alert   *DeviceAlert   `json:"alert,omitempty"`  // device.alert: the alert raised or cleared
	Rated   *RatedVisit    `json:"rated,omitempty"`  // visit.rated: the rating and the visit it rates
}

// Device kinds and states reported by kiosks (POST /api/v1/halls/{hall}/devices/status).
const (
	DevicePrinter = "printer"
	// DeviceStorage is a kiosk's local store of walk-in requests (its outbox file): "error"
	// when a request could not be written there (a full disk), "ok" when writes work again.
	DeviceStorage = "storage"

	DeviceOK           = "ok"
	DevicePaperNearEnd = "paper_near_end"
	DevicePaperOut     = "paper_out"
	DeviceCoverOpen    = "cover_open"
	DeviceOffline      = "offline"
	DeviceError        = "error"
)

// DeviceKinds lists the parts a device may report on.
var DeviceKinds = []string{DevicePrinter, DeviceStorage}

// DeviceStates lists the states a device may report.
var DeviceStates = []string{DeviceOK, DevicePaperNearEnd, DevicePaperOut, DeviceCoverOpen, DeviceOffline, DeviceError}

// DeviceReport is what a device says about one of its parts.
type DeviceReport struct {
	Kind    string `json:"kind"`              // one of DeviceKinds: "printer", "storage"
	State   string `json:"state"`             // one of DeviceStates
	Message string `json:"message,omitempty"` // detail for staff, at most 200 characters
}

// DeviceStatus is the last report of one device part, as staff and displays see it.
type DeviceStatus struct {
	Device  string    `json:"device,omitempty"` // device ID; empty on public views
	Kind    string    `json:"kind"`
	State   string    `json:"state"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// Notice is an announcement on the hall's displays, kiosks and follow pages.
type Notice struct {
	ID   string    `json:"id"`
	Text Text      `json:"text"`
	At   time.Time `json:"at"`
	By   string    `json:"by,omitempty"`
}

// Call is one announcement shown on displays.
type Call struct {
	Number  string    `json:"number"`
	Service string    `json:"service"`
	Counter int       `json:"counter"`
	At      time.Time `json:"at"`
	Recall  bool      `json:"recall,omitempty"`
	// Priority marks a green-channel (绿色通道) ticket: the displays say so beside the number.
	Priority bool `json:"priority,omitempty"`
}

// Snapshot is a hall's whole visible state at one sequence number.
type Snapshot struct {
	Seq         uint64          `json:"seq"`
	Hall        string          `json:"hall"`
	Name        Text            `json:"name"`
	Day         string          `json:"day"`
	Services    []ServiceStatus `json:"services"`
	Counters    []CounterStatus `json:"counters"`
	RecentCalls []Call          `json:"recentCalls"`
	Devices     []DeviceStatus  `json:"devices"` // kiosk printers and other device parts
	Notices     []Notice        `json:"notices"` // the scrolling notice line, oldest first
	// Alerts are the hall's active device alerts (staff views only; public views leave it out).
	Alerts []DeviceAlert `json:"alerts,omitempty"`
	// LowRatings are today's visits rated 1–2 stars, oldest first, at most MaxLowRatings
	// (staff views only).
	LowRatings []RatedVisit `json:"lowRatings,omitempty"`
}

// ServiceStatus is a service's queue as displays and kiosks show it.
type ServiceStatus struct {
	Code       string `json:"code"`
	Name       Text   `json:"name"`
	Waiting    int    `json:"waiting"`
	EtaSeconds int    `json:"etaSeconds"` // estimated wait for a ticket issued now
	Open       bool   `json:"open"`       // some open counter serves it
	LastCalled string `json:"lastCalled,omitempty"`
	// OpensAt is when the service's next session starts, in the campus zone, while it is
	// outside its opening hours (set by the API from the campus hours; omitted when within
	// them or not known).
	OpensAt *time.Time `json:"opensAt,omitempty"`
	// Closed is set while the service issues no tickets (availability.go): "service_closed"
	// (outside its hours or its seasonal range) or "quota_reached" (today's quota issued); what
	// POST …/tickets would answer.
	Closed string `json:"closed,omitempty"`
	// NextIssueAt is when it issues tickets again while Closed, in the campus zone (omitted when
	// it will not: the season is over).
	NextIssueAt *time.Time `json:"nextIssueAt,omitempty"`
	// Quota is the service's daily quota and Remaining the tickets left today under it (both
	// omitted without a quota).
	Quota     int  `json:"quota,omitempty"`
	Remaining *int `json:"remaining,omitempty"`
	// From and Until are the seasonal range (local dates, included; omitted when not seasonal);
	// OutOfSeason is set outside it (kiosks do not show the service then).
	From        string `json:"from,omitempty"`
	Until       string `json:"until,omitempty"`
	OutOfSeason bool   `json:"outOfSeason,omitempty"`
}

// CounterStatus is a counter as displays show it.
type CounterStatus struct {
	Number   int          `json:"number"`
	State    CounterState `json:"state"`
	Services []string     `json:"services"`
	Current  *CallTicket  `json:"current"`
}

// CallTicket is the public face of a ticket at a counter.
type CallTicket struct {
	Number  string      `json:"number"`
	Service string      `json:"service"`
	State   TicketState `json:"state"`
}

// Follow is what the public follow page shows for a ticket token.
type Follow struct {
	Ticket     Ticket      `json:"ticket"` // public view
	Number     string      `json:"number"`
	State      TicketState `json:"state"`
	HallName   Text        `json:"hallName"`
	Service    Text        `json:"serviceName"`
	Position   int         `json:"position"` // people ahead; 0 when called
	EtaSeconds int         `json:"etaSeconds"`
	// Unserved says no open counter serves the waiting ticket's service now: EtaSeconds means
	// nothing then, and pages say so instead of "0 minutes".
	Unserved  bool   `json:"unserved,omitempty"`
	Counter   int    `json:"counter,omitempty"`
	Materials []Text `json:"materials"`
}

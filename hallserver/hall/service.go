package hall

import (
	"context"
)

// IssueRequest asks for a new ticket.
type IssueRequest struct {
	Hall     string `json:"-"`
	Service  string `json:"service"`
	Priority bool   `json:"priority,omitempty"`
	Lang     string `json:"lang,omitempty"`
	PersonID string `json:"personId,omitempty"`
	Channel  string `json:"-"` // who issues it (device ID or username)
	// IdempotencyKey, when set, makes a retried request (kiosk double tap, network retry) return the
	// ticket the first request created instead of a new one. Scoped to the hall, kept for a day.
	IdempotencyKey string `json:"-"`
	// Appointment, set at a booking's check-in, marks the ticket 预约: it is issued whatever
	// the service's hours or quota (the booking was checked against them) and called near its
	// slot's start.
	Appointment *AppointmentMark `json:"-"`
}

// Issued is a new ticket with what the person needs to know.
type Issued struct {
	Ticket     Ticket `json:"ticket"`
	Position   int    `json:"position"` // people ahead
	EtaSeconds int    `json:"etaSeconds"`
	Materials  []Text `json:"materials"`
}

// QueueService runs the halls' queues. Every method that changes state returns only after the
// change and its events are durable (fsync'd); errors change nothing.
type QueueService interface {
	// Issue creates a ticket.
	Issue(ctx context.Context, req IssueRequest) (*Issued, error)
	// Act performs a counter action; for call-next it returns (nil, nil) when nobody waits.
	Act(ctx context.Context, a CounterAction) (*Ticket, error)
	// Snapshot returns the hall's state.
	Snapshot(ctx context.Context, hall string) (*Snapshot, error)
	// Follow returns the public view of the ticket with this follow token.
	Follow(ctx context.Context, token string) (*Follow, error)
	// CancelByToken lets the person who holds the ticket leave the queue ("I left").
	CancelByToken(ctx context.Context, token string) (*Ticket, error)
	// Waiting lists the waiting tickets of a hall in call order (staff view).
	Waiting(ctx context.Context, hall string) ([]Ticket, error)
	// SetAside lists today's parked tickets and the absent ones that can still be reinstated
	// (staff view: the counter console lists them with resume / reinstate).
	SetAside(ctx context.Context, hall string) ([]Ticket, error)
	// Ticket returns an open ticket of the hall by ID or by today's number (staff view: the
	// counter console shows its current ticket after a reload).
	Ticket(ctx context.Context, hall, ref string) (*Ticket, error)
	// ReportDevice records what a device (a kiosk's printer) says about itself; a report that
	// repeats the last one changes nothing.
	ReportDevice(ctx context.Context, hall, device string, r DeviceReport) (*DeviceStatus, error)
	// Heartbeat records a device's heartbeat (version, printer, outbox) and raises or clears its
	// alerts; the soft state is kept in memory, alert changes are durable events.
	Heartbeat(ctx context.Context, hall string, dev DeviceRef, hb DeviceHeartbeat) (*DeviceHealth, error)
	// DeviceHealth lists what the hall's server knows of each device that reported since it was
	// first seen (the admin device list): last seen, version, printer, outbox, active alerts.
	DeviceHealth(ctx context.Context, hall string) ([]DeviceHealth, error)
	// ForgetDevice drops a device from the hall's health (a revoked device): its alerts are
	// cleared and it is no longer watched for silence. Unknown devices are no error.
	ForgetDevice(ctx context.Context, hall, device string) error
	// PublishNotice adds an announcement to the hall's notice line.
	PublishNotice(ctx context.Context, hall string, text Text, by string) (*Notice, error)
	// WithdrawNotice removes an announcement.
	WithdrawNotice(ctx context.Context, hall, id, by string) error
}

// EventLog gives access to each hall's event log and its live tail.
type EventLog interface {
	// Since returns the events of the hall after seq, oldest first. It returns ok=false when seq is
	// too old (pruned) or unknown (ahead of the log): the caller must start from a snapshot.
	Since(ctx context.Context, hall string, seq uint64) (events []Event, ok bool, err error)
	// Subscribe delivers every event committed after the call, in order, on the returned channel.
	// The channel is closed when cancel is called or when the subscriber falls more than its buffer
	// behind (it must then resynchronise).
	Subscribe(hall string, buffer int) (events <-chan Event, cancel func())
}

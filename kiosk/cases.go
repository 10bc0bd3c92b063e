package kiosk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// Case kinds a person can choose at the kiosk.
const (
	KindConsultation = "consultation"
	KindComplaint    = "complaint"
	KindSuggestion   = "suggestion"
)

// Kinds returns the request kinds in the order the kiosk shows them.
func Kinds() []string { return []string{KindConsultation, KindComplaint, KindSuggestion} }

// CaseRequest is a walk-in request confirmed at the kiosk, as the spool keeps it on disk. IdempotencyKey is made once, when the
// person confirms; every delivery attempt sends it, so the case system creates one case however
// often the kiosk retries.
type CaseRequest struct {
	Kind           string    `json:"kind"`
	Topic          string    `json:"topic"` // category code of the case catalogue
	Hall           string    `json:"hall"`
	TicketID       string    `json:"ticketId,omitempty"`
	Lang           string    `json:"lang"`
	IdempotencyKey string    `json:"idempotencyKey"`
	ConfirmedAt    time.Time `json:"confirmedAt"`
	// FollowToken is the case's follow token, made with the key: the receipt printed while the
	// request waits in the spool carries its QR code (PublicURL/c/{token}), which works once the
	// request is delivered. Empty in requests spooled before it existed: the server makes one.
	FollowToken string `json:"followToken,omitempty"`
	// Text is the request in words: its kind and topic ("投诉：宿舍报修"). Phone is the optional
	// call-back number typed on the keypad (kept here only until the request is delivered).
	Text  string `json:"text,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// CaseReceipt is the case system's answer as the kiosk keeps it (in the spool's delivered
// bucket): what the person gets on paper and on screen.
type CaseReceipt struct {
	ID         string    `json:"id"`
	Number     string    `json:"number"`
	FollowURL  string    `json:"followUrl"`
	Department string    `json:"department,omitempty"`
	DueAt      time.Time `json:"dueAt"`
}

// CaseSubmitter logs a case in the shared case system.
type CaseSubmitter interface {
	Submit(ctx context.Context, r CaseRequest) (*CaseReceipt, error)
}

// ErrCasesUnavailable says the case system cannot take the request now (unreachable, or its
// answer not_found, request_timeout, too_many_requests, unavailable or internal; not_found is
// what a hall server without the case API answers, e.g. an older one during an upgrade): keep it
// in the spool and try again later.
var ErrCasesUnavailable = errors.New("kiosk: case system unavailable")

// CaseOpener is what the kiosk needs of the hall server to log a case: a *client.Client with the
// kiosk's device token (POST /api/v1/cases).
type CaseOpener interface {
	OpenCase(ctx context.Context, req wire.OpenCase, idemKey string) (*wire.OpenedCase, error)
}

// ClientCases submits walk-in requests to the hall server's case API through the client.
func ClientCases(c CaseOpener) CaseSubmitter { return clientCases{c} }

type clientCases struct{ c CaseOpener }

// Submit implements CaseSubmitter. Transport errors, a bad answer and the answers caseSystemAway
// names wrap ErrCasesUnavailable; other refusals (a *hall.Error) are permanent.
func (s clientCases) Submit(ctx context.Context, r CaseRequest) (*CaseReceipt, error) {
	// The text says the kind and topic in words; the title repeats it with the kiosk's local
	// reference, which the screen and the receipt show while a request waits in the spool: the
	// desk finds the case by it (GET /api/v1/cases?q=K-…). No fixed wording goes with every kiosk
	// case: the hot-topic clustering grouped the old "自助机登记 Kiosk K-…" titles into one topic.
	text := r.Text
	if text == "" { // spooled before requests carried their words
		text = T("zh", Msg("kind."+r.Kind)) + "：" + r.Topic
	}
	body := wire.OpenCase{Hall: r.Hall, Kind: hall.Kind(r.Kind), Category: r.Topic,
		Channel: hall.ChannelKiosk, TicketID: r.TicketID, Title: text + " " + Reference(r.IdempotencyKey),
		Text: text, Lang: r.Lang, FollowToken: r.FollowToken}
	if r.Phone != "" {
		body.Requester = &hall.Requester{Phone: r.Phone}
	}
	oc, err := s.c.OpenCase(ctx, body, r.IdempotencyKey)
	switch {
	case err != nil && caseSystemAway(err):
		return nil, fmt.Errorf("submit case: %w: %w", ErrCasesUnavailable, err)
	case err != nil:
		return nil, fmt.Errorf("submit case: refused: %w", err)
	case oc.Number == "":
		return nil, fmt.Errorf("submit case: %w: answer without a case number", ErrCasesUnavailable)
	}
	return &CaseReceipt{ID: oc.ID, Number: oc.Number, FollowURL: oc.FollowURL, Department: oc.Department, DueAt: oc.DueAt}, nil
}

// caseSystemAway reports whether err says the case system cannot take a request now (and might
// later), as opposed to refusing this one: no API answer at all, or one of the codes of an
// absent, overloaded or failing server.
func caseSystemAway(err error) bool {
	var he *hall.Error
	if !errors.As(err, &he) {
		return true
	}
	switch he.Code {
	case hall.ENOTFOUND, wire.ETIMEOUT, wire.ETOOMANY, hall.EUNAVAILABLE, hall.EINTERNAL:
		return true
	}
	return false
}

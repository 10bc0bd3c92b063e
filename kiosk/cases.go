package kiosk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Case kinds a person can choose at the kiosk.
const (
	KindConsultation = "consultation"
	KindComplaint    = "complaint"
	KindSuggestion   = "suggestion"
)

// Kinds returns the request kinds in the order the kiosk shows them.
func Kinds() []string { return []string{KindConsultation, KindComplaint, KindSuggestion} }

// CaseRequest is a walk-in request confirmed at the kiosk. IdempotencyKey is made once, when the
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
}

// CaseReceipt is the case system's answer: what the person gets on paper and on screen.
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

// ErrCasesUnavailable says the case system cannot take the request now (unreachable, 404, 408,
// 429 or 5xx; a 404 is what a hall server without the case API answers, e.g. an older one during
// an upgrade): keep it in the outbox and try again later.
var ErrCasesUnavailable = errors.New("kiosk: case system unavailable")

// HTTPCases submits cases to POST {BaseURL}/api/v1/cases with the device token.
type HTTPCases struct {
	BaseURL string
	Token   string
	HTTP    *http.Client // http.DefaultClient when nil
}

// caseBody is the JSON body of POST /api/v1/cases.
type caseBody struct {
	Hall     string `json:"hall"`
	Kind     string `json:"kind"`
	Category string `json:"category"`
	Channel  string `json:"channel"`
	TicketID string `json:"ticketId,omitempty"`
	Title    string `json:"title"`
	Lang     string `json:"lang"`
}

// Submit implements CaseSubmitter. Transport errors, 404 (no case endpoint yet), 408, 429 and
// 5xx wrap ErrCasesUnavailable; other refusals are permanent.
func (c *HTTPCases) Submit(ctx context.Context, r CaseRequest) (*CaseReceipt, error) {
	// The title carries the kiosk's local reference, which the screen shows while a request waits
	// in the outbox: the desk finds the case by it (GET /api/v1/cases?q=K-…).
	b, err := json.Marshal(caseBody{Hall: r.Hall, Kind: r.Kind, Category: r.Topic, Channel: "kiosk", TicketID: r.TicketID,
		Title: "自助机登记 Kiosk " + Reference(r.IdempotencyKey), Lang: r.Lang})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/")+"/api/v1/cases", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Idempotency-Key", r.IdempotencyKey)
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("submit case: %w: %w", ErrCasesUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("submit case: %w: read answer: %w", ErrCasesUnavailable, err)
	}
	switch {
	case resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK:
		var out CaseReceipt
		if err := json.Unmarshal(body, &out); err != nil || out.Number == "" {
			return nil, fmt.Errorf("submit case: %w: bad answer %.200q", ErrCasesUnavailable, body)
		}
		return &out, nil
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusRequestTimeout,
		resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return nil, fmt.Errorf("submit case: %w: %d %.200s", ErrCasesUnavailable, resp.StatusCode, body)
	}
	return nil, fmt.Errorf("submit case: refused: %d %.200s", resp.StatusCode, body)
}

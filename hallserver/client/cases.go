package client

import (
	"context"
	"net/url"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The case system's API (接诉即办): what a kiosk, a program of another channel or the requester's
// device does. Errors of the API are *hall.Error, as everywhere in the client.

// Catalogue returns the dispatch catalogue; with topicsOnly, only the categories a person may
// choose (the kiosk's topic buttons, the follow page's request form).
func (c *Client) Catalogue(ctx context.Context, topicsOnly bool) (*wire.Catalogue, error) {
	path := "/api/v1/catalogue"
	if topicsOnly {
		path += "?topics=1"
	}
	var cat wire.Catalogue
	if _, err := c.do(ctx, "GET", path, nil, &cat); err != nil {
		return nil, err
	}
	return &cat, nil
}

// Route asks the router which department a text is for (staff).
func (c *Client) Route(ctx context.Context, text string) (*hall.RouteResult, error) {
	var res hall.RouteResult
	if _, err := c.do(ctx, "POST", "/api/v1/route", wire.RouteRequest{Text: text}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// OpenCase opens a case (POST /api/v1/cases): a kiosk of the hall (through the kiosk channel,
// naming a topic category), or staff. idemKey, when not empty, is sent as Idempotency-Key: every
// retry with the same key answers with the same case, so a request is logged once however often
// it is sent. The answer carries the case's follow token and URL (shown once, to the opener).
func (c *Client) OpenCase(ctx context.Context, req wire.OpenCase, idemKey string) (*wire.OpenedCase, error) {
	var oc wire.OpenedCase
	if _, err := c.do(ctx, "POST", "/api/v1/cases", req, &oc, "Idempotency-Key", idemKey); err != nil {
		return nil, err
	}
	return &oc, nil
}

// FollowCase returns the requester's view of the case with the follow token (a case token, or
// the token of a ticket whose visit became the case).
func (c *Client) FollowCase(ctx context.Context, token string) (*wire.CaseFollow, error) {
	var f wire.CaseFollow
	if _, err := c.do(ctx, "GET", "/api/v1/case-follow/"+url.PathEscape(token), nil, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// AddCaseDetails adds the requester's details to the case with the follow token.
func (c *Client) AddCaseDetails(ctx context.Context, token, text string) (*wire.CaseFollow, error) {
	var f wire.CaseFollow
	if _, err := c.do(ctx, "POST", "/api/v1/case-follow/"+url.PathEscape(token)+"/details", wire.CaseDetails{Text: text}, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// RateCase rates the reply of the case with the follow token (1 to 5 stars).
func (c *Client) RateCase(ctx context.Context, token string, r wire.CaseRating) (*wire.CaseFollow, error) {
	var f wire.CaseFollow
	if _, err := c.do(ctx, "POST", "/api/v1/case-follow/"+url.PathEscape(token)+"/rate", r, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

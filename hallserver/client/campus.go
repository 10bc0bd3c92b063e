package client

import (
	"context"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// Campus reads the campus as it lives in the server's store, with its version (GET
// /api/v1/admin/campus, an administrator's token).
func (c *Client) Campus(ctx context.Context) (*wire.Campus, error) {
	var out wire.Campus
	if _, err := c.do(ctx, "GET", "/api/v1/admin/campus", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ApplyCampus makes campus the server's campus at once when version is still the current one
// (PUT /api/v1/admin/campus with If-Match) and returns it with its new version. A stale version
// is ECONFLICT; an invalid campus EUNPROCESSABLE with every problem in the error's Details.
func (c *Client) ApplyCampus(ctx context.Context, version string, campus hall.Campus) (*wire.Campus, error) {
	var out wire.Campus
	if _, err := c.do(ctx, "PUT", "/api/v1/admin/campus", wire.Campus{Campus: campus}, &out, "If-Match", `"`+version+`"`); err != nil {
		return nil, err
	}
	return &out, nil
}

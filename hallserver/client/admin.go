package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"onedoor/hallserver/wire"
)

// The admin API (an admin's token): staff accounts, devices, the audit trail.

// Staff lists every staff account (GET /api/v1/admin/staff).
func (c *Client) Staff(ctx context.Context) ([]wire.StaffMember, error) {
	var out wire.StaffList
	if _, err := c.do(ctx, "GET", "/api/v1/admin/staff", nil, &out); err != nil {
		return nil, err
	}
	return out.Staff, nil
}

// AddStaff creates a staff account (POST /api/v1/admin/staff).
func (c *Client) AddStaff(ctx context.Context, req wire.StaffRequest) (*wire.StaffMember, error) {
	var out wire.StaffMember
	if _, err := c.do(ctx, "POST", "/api/v1/admin/staff", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PatchStaff changes a staff account (PATCH /api/v1/admin/staff/{username}).
func (c *Client) PatchStaff(ctx context.Context, username string, p wire.StaffPatch) (*wire.StaffMember, error) {
	var out wire.StaffMember
	if _, err := c.do(ctx, "PATCH", "/api/v1/admin/staff/"+url.PathEscape(username), p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Devices lists every enrolled device (GET /api/v1/admin/devices).
func (c *Client) Devices(ctx context.Context) ([]wire.DeviceInfo, error) {
	var out wire.DeviceList
	if _, err := c.do(ctx, "GET", "/api/v1/admin/devices", nil, &out); err != nil {
		return nil, err
	}
	return out.Devices, nil
}

// EnrolDevice enrols a kiosk or display and returns it with its token, shown this once (POST
// /api/v1/admin/devices).
func (c *Client) EnrolDevice(ctx context.Context, req wire.DeviceRequest) (*wire.EnrolledDevice, error) {
	var out wire.EnrolledDevice
	if _, err := c.do(ctx, "POST", "/api/v1/admin/devices", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeDevice revokes a device (DELETE /api/v1/admin/devices/{id}).
func (c *Client) RevokeDevice(ctx context.Context, id string) error {
	_, err := c.do(ctx, "DELETE", "/api/v1/admin/devices/"+url.PathEscape(id), nil, nil)
	return err
}

// AuditQuery is the filter of Audit; zero fields are left out.
type AuditQuery struct {
	Since, Until        time.Time
	Actor, Kind, Target string
	Limit               int
	Cursor              string
}

// Audit reads one page of the audit trail (GET /api/v1/admin/audit).
func (c *Client) Audit(ctx context.Context, q AuditQuery) (*wire.AuditList, error) {
	v := url.Values{}
	for k, s := range map[string]string{"actor": q.Actor, "kind": q.Kind, "target": q.Target, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.Format(time.RFC3339Nano))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/api/v1/admin/audit"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out wire.AuditList
	if _, err := c.do(ctx, "GET", path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

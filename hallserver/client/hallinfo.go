package client

import (
	"context"
	"net/url"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// ReportDevice tells the hall server the state of this device's printer (kiosk token).
func (c *Client) ReportDevice(ctx context.Context, hallCode string, r hall.DeviceReport) (*hall.DeviceStatus, error) {
	var st hall.DeviceStatus
	if _, err := c.do(ctx, "POST", "/api/v1/halls/"+url.PathEscape(hallCode)+"/devices/status", r, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// PublishNotice adds an announcement to a hall's notice line (supervisor, admin).
func (c *Client) PublishNotice(ctx context.Context, hallCode string, text hall.Text) (*hall.Notice, error) {
	var n hall.Notice
	if _, err := c.do(ctx, "POST", "/api/v1/halls/"+url.PathEscape(hallCode)+"/notices", wire.NoticeRequest{Text: text}, &n); err != nil {
		return nil, err
	}
	return &n, nil
}

// WithdrawNotice removes an announcement (supervisor, admin).
func (c *Client) WithdrawNotice(ctx context.Context, hallCode, id string) error {
	_, err := c.do(ctx, "DELETE", "/api/v1/halls/"+url.PathEscape(hallCode)+"/notices/"+url.PathEscape(id), nil, nil)
	return err
}

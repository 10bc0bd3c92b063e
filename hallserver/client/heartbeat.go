package client

import (
	"context"
	"net/url"
	"runtime/debug"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// Heartbeat sends this device's heartbeat (a kiosk's or display's token): its software version,
// a kiosk's printer state and outbox. The answer is what the server now knows of the device.
func (c *Client) Heartbeat(ctx context.Context, hallCode string, hb hall.DeviceHeartbeat) (*hall.DeviceHealth, error) {
	var h hall.DeviceHealth
	if _, err := c.do(ctx, "POST", "/api/v1/halls/"+url.PathEscape(hallCode)+"/devices/heartbeat", hb, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// DeviceHealth lists the health of a hall's devices (staff of the hall, admins).
func (c *Client) DeviceHealth(ctx context.Context, hallCode string) ([]hall.DeviceHealth, error) {
	var out wire.HallDevices
	if _, err := c.do(ctx, "GET", "/api/v1/halls/"+url.PathEscape(hallCode)+"/devices", nil, &out); err != nil {
		return nil, err
	}
	return out.Devices, nil
}

// HeartbeatOptions tunes Heartbeats. The zero value is usable.
type HeartbeatOptions struct {
	Every time.Duration // a heartbeat at least this often (hall.HeartbeatInterval)
	Poll  time.Duration // how often build is asked whether something changed (1 s)
	// Sent, when set, is told the result of every heartbeat sent (tests, logs).
	Sent func(hb hall.DeviceHeartbeat, err error)
}

// Heartbeats sends the device's heartbeat until ctx ends: at once, then every opt.Every and as
// soon as (within opt.Poll) what build returns changed (the outbox's oldest age aside, which
// grows by itself). A failed heartbeat is sent again at the next poll after a backoff of up to
// opt.Every. It returns ctx's error.
func (c *Client) Heartbeats(ctx context.Context, hallCode string, build func() hall.DeviceHeartbeat, opt *HeartbeatOptions) error {
	var o HeartbeatOptions
	if opt != nil {
		o = *opt
	}
	if o.Every <= 0 {
		o.Every = hall.HeartbeatInterval
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	var last hall.DeviceHeartbeat
	var sentAt, retryAt time.Time
	wait := time.Duration(0)
	for {
		hb := build()
		now := time.Now()
		if (sentAt.IsZero() || now.Sub(sentAt) >= o.Every || !sameHeartbeat(hb, last)) && !now.Before(retryAt) {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := c.Heartbeat(cctx, hallCode, hb)
			cancel()
			if o.Sent != nil {
				o.Sent(hb, err)
			}
			if err == nil {
				last, sentAt, wait, retryAt = hb, now, 0, time.Time{}
			} else {
				wait = min(max(2*wait, o.Poll), o.Every)
				retryAt = now.Add(wait)
			}
		}
		t := time.NewTimer(o.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// sameHeartbeat reports whether two heartbeats say the same (the outbox's oldest age aside).
func sameHeartbeat(a, b hall.DeviceHeartbeat) bool {
	if a.Version != b.Version || a.Printer != b.Printer || a.PrinterMessage != b.PrinterMessage || (a.Outbox == nil) != (b.Outbox == nil) {
		return false
	}
	return a.Outbox == nil || a.Outbox.Pending == b.Outbox.Pending
}

// Version returns the software version of the running binary for its heartbeat: the main
// module's version when it has one, else the VCS revision it was built from (12 characters,
// "+dirty" when the checkout was modified), else "dev".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "dev"
	}
	return rev + dirty
}

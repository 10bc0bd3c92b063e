package enginehost

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

// ReportDevice records a device's report (a kiosk's printer state) and returns once it is durable.
func (q *Queue) ReportDevice(ctx context.Context, code, device string, r hall.DeviceReport) (*hall.DeviceStatus, error) {
	var st *hall.DeviceStatus
	err := q.apply(ctx, code, func(e *queue.Engine, now time.Time) (ch queue.Change, err error) {
		st, ch, err = e.ReportDevice(now, device, r)
		return ch, err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Heartbeat records a kiosk's or display's heartbeat; the alerts it raises or clears are
// durable when it returns.
func (q *Queue) Heartbeat(ctx context.Context, code string, dev hall.DeviceRef, hb hall.DeviceHeartbeat) (*hall.DeviceHealth, error) {
	var h hall.DeviceHealth
	err := q.apply(ctx, code, func(e *queue.Engine, now time.Time) (ch queue.Change, err error) {
		h, ch, err = e.Heartbeat(now, dev, hb)
		return ch, err
	})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// DeviceHealth lists the health of the hall's devices.
func (q *Queue) DeviceHealth(ctx context.Context, code string) ([]hall.DeviceHealth, error) {
	l, _, err := q.hall(code)
	if err != nil {
		return nil, err
	}
	var out []hall.DeviceHealth
	if err := l.View(ctx, func(e *queue.Engine, now time.Time) { out = e.DeviceHealth(now) }); err != nil {
		return nil, err
	}
	return out, nil
}

// ForgetDevice stops watching a revoked device and clears its alerts.
func (q *Queue) ForgetDevice(ctx context.Context, code, device string) error {
	return q.apply(ctx, code, func(e *queue.Engine, now time.Time) (queue.Change, error) {
		return e.ForgetDevice(now, device), nil
	})
}

// PublishNotice adds an announcement to the hall's notice line and returns once it is durable.
func (q *Queue) PublishNotice(ctx context.Context, code string, text hall.Text, by string) (*hall.Notice, error) {
	b := make([]byte, 10)
	rand.Read(b)
	id := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	var n *hall.Notice
	err := q.apply(ctx, code, func(e *queue.Engine, now time.Time) (ch queue.Change, err error) {
		n, ch, err = e.PublishNotice(now, id, text, by)
		return ch, err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// WithdrawNotice removes an announcement and returns once that is durable.
func (q *Queue) WithdrawNotice(ctx context.Context, code, id, by string) error {
	return q.apply(ctx, code, func(e *queue.Engine, now time.Time) (queue.Change, error) {
		return e.WithdrawNotice(now, id, by)
	})
}

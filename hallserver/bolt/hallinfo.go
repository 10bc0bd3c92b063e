package bolt

import (
	"context"
	"crypto/rand"
	"encoding/base32"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

// apply runs one engine command on the hall under its lock and waits until its change is durable.
func (q *Queue) apply(ctx context.Context, code string, cmd func(*queue.Engine) (queue.Change, error)) error {
	hs, err := q.hall(code)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	hs.mu.Lock()
	eng, err := q.engine(hs)
	if err != nil {
		hs.mu.Unlock()
		return err
	}
	ch, err := cmd(eng)
	if err != nil || ch.Empty() {
		hs.mu.Unlock()
		return err
	}
	r, err := q.enqueue(hs, ch)
	hs.mu.Unlock()
	if err != nil {
		return err
	}
	return r.wait(ctx)
}

// ReportDevice records a device's report (a kiosk's printer state) and returns once it is durable.
func (q *Queue) ReportDevice(ctx context.Context, code, device string, r hall.DeviceReport) (*hall.DeviceStatus, error) {
	var st *hall.DeviceStatus
	err := q.apply(ctx, code, func(e *queue.Engine) (ch queue.Change, err error) {
		st, ch, err = e.ReportDevice(q.now(), device, r)
		return ch, err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// PublishNotice adds an announcement to the hall's notice line and returns once it is durable.
func (q *Queue) PublishNotice(ctx context.Context, code string, text hall.Text, by string) (*hall.Notice, error) {
	b := make([]byte, 10)
	rand.Read(b)
	id := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	var n *hall.Notice
	err := q.apply(ctx, code, func(e *queue.Engine) (ch queue.Change, err error) {
		n, ch, err = e.PublishNotice(q.now(), id, text, by)
		return ch, err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// WithdrawNotice removes an announcement and returns once that is durable.
func (q *Queue) WithdrawNotice(ctx context.Context, code, id, by string) error {
	return q.apply(ctx, code, func(e *queue.Engine) (queue.Change, error) {
		return e.WithdrawNotice(q.now(), id, by)
	})
}

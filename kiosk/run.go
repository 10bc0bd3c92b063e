package kiosk

import (
	"context"
	"sync"
	"time"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// Streamer is what Run needs of the hall server besides the flow's Server (a *client.Client).
type Streamer interface {
	Stream(ctx context.Context, hall string, since uint64, handle func(client.Message) error, opt *client.StreamOptions) error
	Snapshot(ctx context.Context, hall string) (*hall.Snapshot, error)
}

// CatalogueSource is what Run asks for the request topics when the streamer has it (a
// *client.Client): the case catalogue's topics, the ones the phone form offers too.
type CatalogueSource interface {
	Catalogue(ctx context.Context, topicsOnly bool) (*wire.Catalogue, error)
}

// HallSource is what Run asks for the hall information when the streamer has it (a
// *client.Client): the services' opening hours.
type HallSource interface {
	Hall(ctx context.Context, hallCode string) (*wire.Hall, error)
}

// Heartbeater is what Run sends the kiosk's heartbeat with when the streamer has it (a
// *client.Client): every 15 s and within a second of a change of the printer or the outbox.
type Heartbeater interface {
	Heartbeats(ctx context.Context, hall string, build func() hall.DeviceHeartbeat, opt *client.HeartbeatOptions) error
}

// RunOptions tunes Run. The zero value is usable.
type RunOptions struct {
	Tick        time.Duration // clock tick (1 s)
	PrinterPoll time.Duration // printer status poll while idle (20 s; 5 s while it is failing)
	Stream      *client.StreamOptions
}

// Run connects the flow to the world until ctx ends: the hall's stream (snapshot, live counts,
// reachability; reconnecting with backoff), a fresh snapshot shortly after events (ETAs and
// open services), the clock, the printer status poll, the spool delivery and the heartbeat.
func Run(ctx context.Context, f *Flow, s Streamer, opt RunOptions) {
	if opt.Tick <= 0 {
		opt.Tick = time.Second
	}
	if opt.PrinterPoll <= 0 {
		opt.PrinterPoll = 20 * time.Second
	}
	f.Start(ctx)
	var wg sync.WaitGroup
	refresh := make(chan struct{}, 1)
	goRun := func(fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn()
		}()
	}
	goRun(func() {
		var so client.StreamOptions
		if opt.Stream != nil {
			so = *opt.Stream
		}
		user := so.OnState
		so.OnState = func(cs client.ConnState, err error) {
			switch cs {
			case client.Connected:
				f.StreamState(true)
				f.KickSpool()
				if src, ok := s.(CatalogueSource); ok {
					goRun(func() { fetchTopics(ctx, f, src) })
				}
				if src, ok := s.(HallSource); ok {
					goRun(func() { fetchHallInfo(ctx, f, src) })
				}
			case client.Disconnected:
				f.StreamState(false)
			}
			if user != nil {
				user(cs, err)
			}
		}
		_ = s.Stream(ctx, f.cfg.Hall, 0, func(m client.Message) error {
			if m.Snapshot != nil {
				f.ApplySnapshot(m.Snapshot)
			} else if m.Event != nil && f.ApplyEvent(m.Event) {
				if m.Event.Type == hall.EventCampusChanged {
					// The hall's services changed: new buttons and hours come with the
					// snapshot fetched below and the hall information.
					if src, ok := s.(HallSource); ok {
						goRun(func() { fetchHallInfo(ctx, f, src) })
					}
				}
				select {
				case refresh <- struct{}{}:
				default:
				}
			}
			return nil
		}, &so)
	})
	goRun(func() { refreshSnapshots(ctx, f, s, refresh) })
	goRun(func() {
		t := time.NewTicker(opt.Tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				f.Tick()
			}
		}
	})
	goRun(func() { deliverSpool(ctx, f) })
	goRun(func() { pollPrinter(ctx, f, opt.PrinterPoll) })
	if hb, ok := s.(Heartbeater); ok {
		goRun(func() {
			_ = hb.Heartbeats(ctx, f.cfg.Hall, f.Heartbeat, &client.HeartbeatOptions{Sent: func(_ hall.DeviceHeartbeat, err error) {
				if err != nil && ctx.Err() == nil {
					f.log.Warn("heartbeat not sent", "err", err)
				}
			}})
		})
	}
	wg.Wait()
	f.Wait()
}

// refreshSnapshots fetches a snapshot at most once a second after events arrive.
func refreshSnapshots(ctx context.Context, f *Flow, s Streamer, refresh <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-refresh:
		}
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		snap, err := s.Snapshot(c, f.cfg.Hall)
		cancel()
		if err == nil {
			f.ApplySnapshot(snap)
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// deliverSpool sends what waits in the spool: at once when kicked (a new request, the server
// back), with backoff from 1 s to 1 min while the case system is unavailable, and every minute
// otherwise.
func deliverSpool(ctx context.Context, f *Flow) {
	wait := time.Second
	for {
		next := time.Minute
		n, waiting, err := f.cfg.Spool.DeliverAll(ctx, f.cfg.Cases)
		if err != nil && ctx.Err() == nil {
			f.log.Error("spool", "err", err)
		}
		if n > 0 {
			f.log.Info("spool delivered", "requests", n)
		}
		if waiting {
			next, wait = wait, min(2*wait, time.Minute)
		} else {
			wait = time.Second
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-f.request.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// pollPrinter asks the printer for its state while nobody is using the kiosk.
func pollPrinter(ctx context.Context, f *Flow, every time.Duration) {
	for {
		wait := every
		st := f.State()
		if st.Printer.Failed() {
			wait = min(every, 5*time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if s := f.State().Screen; s == ScreenHome || s == ScreenOutOfService {
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			ps := f.cfg.Printer.Check(c)
			cancel()
			f.SetPrinter(ps)
		}
	}
}

// ClientReporter reports device states through the hall server client
// (POST /api/v1/halls/{hall}/devices/status with the kiosk's token).
func ClientReporter(c *client.Client) DeviceReporter {
	return ReporterFunc(func(ctx context.Context, hallCode string, r hall.DeviceReport) error {
		_, err := c.ReportDevice(ctx, hallCode, r)
		return err
	})
}

// fetchTopics replaces the request topics by the case catalogue's (GET /api/v1/catalogue?topics=1):
// the kiosk and the phone form offer the same topics under the same names. Without an answer the
// kiosk keeps the ones it has (its topics file, or the last answer).
func fetchTopics(ctx context.Context, f *Flow, src CatalogueSource) {
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cat, err := src.Catalogue(c, true)
	if err != nil {
		f.log.Warn("request topics not fetched", "err", err)
		return
	}
	ts := make([]Topic, 0, len(cat.Categories))
	for _, k := range cat.Categories {
		if k.Code != "" && k.Name.Zh != "" {
			ts = append(ts, Topic{Code: k.Code, Name: k.Name})
		}
	}
	f.SetTopics(ts)
}

// fetchHallInfo takes the services' opening hours from the hall information (GET
// /api/v1/halls/{hall}) at every connection. Without an answer the kiosk keeps what it has (the
// last answer, or its catalogue's opening hours).
func fetchHallInfo(ctx context.Context, f *Flow, src HallSource) {
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h, err := src.Hall(c, f.cfg.Hall)
	if err != nil {
		f.log.Warn("hall information not fetched", "err", err)
		return
	}
	f.ApplyHallInfo(h)
}

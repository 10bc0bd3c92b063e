package display

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"onedoor/display/voice"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
)

// Config is what a Controller needs.
type Config struct {
	// Client reaches the hall server (its Token is the display's device token).
	Client *client.Client
	// Hall is the hall code.
	Hall string
	// Location is the hall's time zone for the clock (Asia/Shanghai when nil).
	Location *time.Location
	// Voice, when set, receives every call to announce (it dedupes replays by key).
	Voice *voice.Queue
	// UI, when set, is given every view through fyne.Do.
	UI *UI
	// OnView, when set, is called with every view (on the stream or clock goroutine); tests and
	// benchmarks watch the display through it.
	OnView func(View)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Stream tunes the reconnection (OnState is set by the controller).
	Stream client.StreamOptions
	// EstimateEvery is how often the controller fetches the server's wait estimates even when
	// no queue changed (EstimateInterval when 0); it also fetches them after every change.
	EstimateEvery time.Duration
	// Version is the software version its heartbeat carries (client.Version()).
	Version string
	// NoHeartbeat turns off the heartbeat (POST …/devices/heartbeat every 15 s): for clients
	// without a display token (benchmarks, tests of other things).
	NoHeartbeat bool
}

// CampusZone is the default campus zone, Asia/Shanghai, from the system's zone files or the
// embedded ones (commands import time/tzdata); without either it is the fixed UTC+8 China
// Standard Time (China has no daylight saving), never the machine's local zone.
func CampusZone() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// FrameGap is the least time between two views drawn: the events of one counter action (a
// ticket issued, called, then the new estimates) come within it and make one frame, not three.
// A software-rendered screen spends tens of milliseconds of CPU on each frame. A view that
// comes after a quiet moment is drawn at once.
const FrameGap = 300 * time.Millisecond

// EstimateInterval is how often the display fetches the server's wait estimates when the
// queues do not change (they still move with the clock and the counters' progress).
const EstimateInterval = time.Minute

// estimateGap is the least time between two fetches of the estimates: a burst of events
// causes one fetch, not one per event.
const estimateGap = 500 * time.Millisecond

// Controller follows the hall's stream, keeps the State, announces calls and shows views.
type Controller struct {
	cfg Config

	mu    sync.Mutex
	state State
	link  Link
	msgs  int
	snaps int
	// shownClock, shownDate and shownConn are what the screen shows of the clock and the
	// link: the ticker redraws only when one of them changes.
	shownClock, shownDate string
	shownConn             ConnView
	// scheduled is true while a draw is queued (it draws the state as it is then: views
	// coming faster than FrameGap make one frame).
	uiMu      sync.Mutex
	scheduled bool
	lazy      bool      // a showSoon draw is queued
	drawn     time.Time // when the last view was drawn
	// queuesChanged is signalled when an event changed waiting counts or counters: the
	// estimates are fetched again.
	queuesChanged chan struct{}
}

// NewController returns a controller for the configuration.
func NewController(cfg Config) *Controller {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = CampusZone()
	}
	if cfg.EstimateEvery <= 0 {
		cfg.EstimateEvery = EstimateInterval
	}
	c := &Controller{cfg: cfg, link: Link{Since: cfg.Now()}, queuesChanged: make(chan struct{}, 1)}
	c.state.Hall = cfg.Hall // shown until the first snapshot brings the hall's name
	return c
}

// Run follows the stream until ctx ends, looking at the clock and the connection indicator every
// second (and redrawing them when what they show changed), and sends the display's heartbeat;
// it reconnects by itself (client.Stream with since=<last seq>). It returns ctx's error.
func (c *Controller) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				c.tick()
			}
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.refreshEstimates(ctx)
	}()
	if !c.cfg.NoHeartbeat && c.cfg.Client != nil {
		// The display's heartbeat: the server reports it silent to the hall's staff after 60 s
		// without one. Failures are retried by Heartbeats; the link indicator is the stream's.
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.cfg.Client.Heartbeats(ctx, c.cfg.Hall, func() hall.DeviceHeartbeat { return hall.DeviceHeartbeat{Version: c.cfg.Version} }, nil)
		}()
	}
	opt := c.cfg.Stream
	opt.OnState = func(s client.ConnState, err error) {
		c.mu.Lock()
		was := c.link.Connected
		switch s {
		case client.Connected:
			c.link = Link{Connected: true, Since: c.cfg.Now()}
		case client.Disconnected:
			if was {
				c.link = Link{Since: c.cfg.Now(), Err: err}
			} else {
				c.link.Err = err
			}
		}
		c.mu.Unlock()
		if was != (s == client.Connected) {
			c.publish()
		}
	}
	err := c.cfg.Client.Stream(ctx, c.cfg.Hall, 0, c.handle, &opt)
	cancel()
	wg.Wait()
	return err
}

// handle applies one stream message, queues its announcements and shows the new view.
func (c *Controller) handle(m client.Message) error {
	c.mu.Lock()
	anns := c.state.Apply(m)
	if m.Event != nil && (m.Event.Waiting != nil || m.Event.Counter != nil || m.Event.Type == hall.EventCampusChanged) {
		select {
		case c.queuesChanged <- struct{}{}:
		default:
		}
	}
	c.msgs++
	if m.Snapshot != nil {
		c.snaps++
	}
	v := c.state.View(c.cfg.Now(), c.cfg.Location, c.link)
	c.mu.Unlock()
	if c.cfg.Voice != nil {
		for _, a := range anns {
			c.cfg.Voice.Add(a)
		}
	}
	if len(anns) > 0 || m.Snapshot != nil || m.Event != nil && m.Event.Notice != nil {
		c.show(v)
	} else {
		c.showSoon(v) // queue counts, counters: they may wait for the next frame
	}
	return nil
}

// LazyGap is how long a change that calls nobody (a ticket issued, a counter's state, new
// estimates) may wait to be drawn: a call within it is drawn in the same frame.
const LazyGap = 2 * time.Second

// showSoon draws the state within LazyGap (or with the next call, or at the end of a flash).
func (c *Controller) showSoon(v View) {
	if c.cfg.OnView != nil {
		c.cfg.OnView(v)
	}
	u := c.cfg.UI
	if u == nil {
		return
	}
	c.uiMu.Lock()
	queued := c.lazy
	c.lazy = true
	c.uiMu.Unlock()
	if queued {
		return
	}
	time.AfterFunc(LazyGap, func() {
		c.uiMu.Lock()
		c.lazy = false
		c.uiMu.Unlock()
		fyne.Do(func() { u.ShowLater(c.View()) })
	})
}

// refreshEstimates fetches the server's wait estimates (GET .../snapshot) after queue changes
// and every EstimateEvery, until ctx ends; a failed fetch leaves the scaled estimates shown.
func (c *Controller) refreshEstimates(ctx context.Context) {
	t := time.NewTicker(c.cfg.EstimateEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.queuesChanged:
		}
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		snap, err := c.cfg.Client.Snapshot(fctx, c.cfg.Hall)
		cancel()
		if err == nil {
			c.mu.Lock()
			applied := c.state.RefreshEstimates(snap)
			c.mu.Unlock()
			if applied {
				c.showSoon(c.View())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(estimateGap):
		}
	}
}

// publish shows the current view (connection change, new estimates).
func (c *Controller) publish() {
	c.show(c.View())
}

// tick shows the current view when the clock's minute, the date or the connection indicator
// changed since the last view shown: an idle display is redrawn once a minute.
func (c *Controller) tick() {
	v := c.View()
	c.mu.Lock()
	same := v.Clock == c.shownClock && v.Date == c.shownDate && v.Conn == c.shownConn
	c.mu.Unlock()
	if !same {
		c.show(v)
	}
}

func (c *Controller) show(v View) {
	c.mu.Lock()
	c.shownClock, c.shownDate, c.shownConn = v.Clock, v.Date, v.Conn
	c.mu.Unlock()
	if c.cfg.OnView != nil {
		c.cfg.OnView(v)
	}
	u := c.cfg.UI
	if u == nil {
		return
	}
	c.uiMu.Lock()
	queued := c.scheduled
	c.scheduled = true
	wait := time.Until(c.drawn.Add(FrameGap))
	c.uiMu.Unlock()
	if queued {
		return // the queued draw shows the state as it is then
	}
	draw := func() {
		c.uiMu.Lock()
		c.scheduled, c.drawn = false, time.Now()
		c.uiMu.Unlock()
		u.Show(c.View()) // the newest state, whatever came since
	}
	if wait <= 0 {
		fyne.Do(draw)
		return
	}
	time.AfterFunc(wait, func() { fyne.Do(draw) })
}

// View returns what the display shows now.
func (c *Controller) View() View {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.View(c.cfg.Now(), c.cfg.Location, c.link)
}

// Stats reports how many stream messages and, among them, snapshots the display has handled.
func (c *Controller) Stats() (messages, snapshots int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgs, c.snaps
}

// Link returns the state of the connection to the server.
func (c *Controller) Link() Link {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.link
}

package kiosk

import (
	"context"
	"time"
)

// serverLink is the server's reachability as the flow sees it.
type serverLink struct {
	streamUp  bool
	downSince time.Time
	issueDown bool // an issue failed for server reasons; cleared by a probe or a reconnect
	probing   bool
}

// onlineLocked reports whether the kiosk may issue numbers.
func (f *Flow) onlineLocked() bool {
	return f.view.haveSnap && f.link.streamUp && !f.link.issueDown
}

// markIssueDownLocked shows the server as unreachable and starts probing it.
func (f *Flow) markIssueDownLocked() {
	f.link.issueDown = true
	f.refreshOnlineLocked()
	if f.link.probing {
		return
	}
	f.link.probing = true
	f.spawn(f.probe)
}

// probe asks /healthz with backoff (0.5 s doubling to 15 s) until the server answers.
func (f *Flow) probe(ctx context.Context) {
	wait := 500 * time.Millisecond
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			f.update(func() { f.link.probing = false })
			return
		case <-t.C:
		}
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f.cfg.Server.Health(c)
		cancel()
		if err == nil {
			f.update(func() {
				f.link.probing = false
				f.link.issueDown = false
				f.refreshOnlineLocked()
			})
			return
		}
		wait = min(2*wait, 15*time.Second)
	}
}

// refreshOnlineLocked recomputes Online and moves between home and out-of-service.
func (f *Flow) refreshOnlineLocked() {
	online := f.onlineLocked()
	if !online && !f.link.issueDown && f.view.haveSnap && !f.link.downSince.IsZero() &&
		f.cfg.Now().Sub(f.link.downSince) < f.tm.DownGrace {
		online = f.st.Online // a short drop: keep the screen for the grace period
	}
	if online == f.st.Online {
		return
	}
	f.st.Online = online
	if online {
		f.st.Connecting = false
	}
	f.st.Rev++
	switch {
	case online && f.st.Screen == ScreenOutOfService:
		f.goLocked(ScreenHome)
	case !online:
		switch f.st.Screen {
		case ScreenHome, ScreenOptions, ScreenKeypad:
			f.homeLocked(false)
		}
	}
}

// StreamState tells the flow whether the hall's stream is connected.
func (f *Flow) StreamState(connected bool) {
	f.update(func() {
		if connected == f.link.streamUp {
			return
		}
		f.link.streamUp = connected
		if connected {
			f.link.downSince = time.Time{}
			f.link.issueDown = false // the server answers again
		} else {
			f.link.downSince = f.cfg.Now()
		}
		f.refreshOnlineLocked()
	})
}

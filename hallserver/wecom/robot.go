package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Robot limits of the documentation (document 91770).
const (
	// RobotPerMinute is how many messages one robot takes a minute.
	RobotPerMinute = 20
	// RobotMaxContent is the longest markdown content in bytes.
	RobotMaxContent = 4096
	// DefaultRobotBackoff is the wait after an errcode 45009 before the robot is tried again.
	DefaultRobotBackoff = time.Minute
)

// RobotConfig configures Robots.
type RobotConfig struct {
	// PerWindow messages per Window at most, per robot (default RobotPerMinute a minute).
	PerWindow int
	Window    time.Duration
	// Backoff is the wait after errcode 45009 (default DefaultRobotBackoff); it doubles while
	// the robot keeps answering 45009, up to 8 times Backoff.
	Backoff time.Duration
	// Separator joins merged messages (default a markdown rule between them).
	Separator string
}

// Robots sends markdown to group robots by key. Messages to the same robot queue behind its rate
// limit and, while they wait, are merged into as few messages as fit RobotMaxContent; a 45009
// answer puts them back at the head of the queue and waits (never drops them). Send returns when
// the caller's message was delivered, failed for good (another errcode, a network error), or the
// caller's context ended before it was taken (then it is not sent).
type Robots struct {
	c   *Client
	cfg RobotConfig

	mu     sync.Mutex
	queues map[string]*robotQueue
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type robotQueue struct {
	pending []*robotMsg
	sent    []time.Time // send times within the window, oldest first
	until   time.Time   // no send before (45009 backoff)
	backoff time.Duration
	running bool
}

type robotMsg struct {
	content string
	done    chan error // buffered 1
	taken   bool       // in a send in flight
	gone    bool       // the caller left before it was taken
	left    bool       // the caller left while it was in flight: not tried again
}

// NewRobots returns the robot sender of the client's API (no corp or secret needed: robots are
// addressed by key).
func NewRobots(c *Client, cfg RobotConfig) *Robots {
	if cfg.PerWindow <= 0 {
		cfg.PerWindow = RobotPerMinute
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultRobotBackoff
	}
	if cfg.Separator == "" {
		cfg.Separator = "\n\n---\n\n"
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Robots{c: c, cfg: cfg, queues: map[string]*robotQueue{}, ctx: ctx, cancel: cancel}
}

// Close stops the senders; waiting Send calls return an error.
func (r *Robots) Close() {
	r.cancel()
	r.wg.Wait()
}

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("wecom: robots closed")

// Send queues markdown content for the robot key and waits for its outcome.
func (r *Robots) Send(ctx context.Context, key, content string) error {
	if key == "" {
		return errors.New("wecom: empty robot key")
	}
	m := &robotMsg{content: cut(content, RobotMaxContent), done: make(chan error, 1)}
	r.mu.Lock()
	if r.ctx.Err() != nil {
		r.mu.Unlock()
		return ErrClosed
	}
	q := r.queues[key]
	if q == nil {
		q = &robotQueue{}
		r.queues[key] = q
	}
	q.pending = append(q.pending, m)
	if !q.running {
		q.running = true
		r.wg.Add(1)
		go r.run(key, q)
	}
	r.mu.Unlock()
	select {
	case err := <-m.done:
		return err
	case <-ctx.Done():
		r.mu.Lock()
		taken := m.taken
		if !taken {
			m.gone = true
		} else {
			m.left = true
		}
		r.mu.Unlock()
		if taken { // in flight: its outcome decides (a 45009 ends it, see run)
			return <-m.done
		}
		return ctx.Err()
	}
}

// run sends the robot's queue until it is empty.
func (r *Robots) run(key string, q *robotQueue) {
	defer r.wg.Done()
	for {
		r.mu.Lock()
		live := q.pending[:0]
		for _, m := range q.pending {
			if !m.gone {
				live = append(live, m)
			}
		}
		q.pending = live
		now := r.c.cfg.Now()
		for len(q.sent) > 0 && now.Sub(q.sent[0]) >= r.cfg.Window {
			q.sent = q.sent[1:]
		}
		if len(q.pending) == 0 {
			q.running = false
			// The queue's send times and backoff stay while they matter: a message that comes
			// after the queue ran dry must still wait for the robot's window (a queue forgotten
			// here let the next message go at once, and a third post into the window got 45009).
			if len(q.sent) == 0 && !now.Before(q.until) {
				delete(r.queues, key)
			}
			r.mu.Unlock()
			return
		}
		wait := q.until.Sub(now)
		if len(q.sent) >= r.cfg.PerWindow {
			wait = max(wait, q.sent[0].Add(r.cfg.Window).Sub(now))
		}
		if wait > 0 {
			r.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-r.ctx.Done():
				t.Stop()
				r.fail(q, ErrClosed)
				return
			}
			continue
		}
		// Merge what waits into one message of at most RobotMaxContent bytes.
		var batch []*robotMsg
		var parts []string
		size := 0
		for _, m := range q.pending {
			add := len(m.content)
			if len(batch) > 0 {
				add += len(r.cfg.Separator)
			}
			if len(batch) > 0 && size+add > RobotMaxContent {
				break
			}
			size += add
			m.taken = true
			batch = append(batch, m)
			parts = append(parts, m.content)
		}
		q.sent = append(q.sent, now)
		r.mu.Unlock()

		err := r.c.robotSend(r.ctx, key, strings.Join(parts, r.cfg.Separator))

		r.mu.Lock()
		// The post counts from its answer, not from when it left: WeChat Work stamps it somewhere
		// in between, and a post delayed on its way (a loaded machine, the network) would
		// otherwise fall into the same window as one sent a window after it.
		q.sent[len(q.sent)-1] = r.c.cfg.Now()
		if Code(err) == ErrRateLimited {
			// Not taken: back at the head of the queue, merged again at the next try.
			for _, m := range batch {
				m.taken = false
				if m.left { // its caller is gone: not kept for a later try
					m.gone = true
					m.done <- err
				}
			}
			if q.backoff == 0 {
				q.backoff = r.cfg.Backoff
			} else {
				q.backoff = min(2*q.backoff, 8*r.cfg.Backoff)
			}
			q.until = r.c.cfg.Now().Add(q.backoff)
			r.mu.Unlock()
			continue
		}
		if r.ctx.Err() != nil && err != nil {
			r.mu.Unlock()
			r.fail(q, ErrClosed)
			return
		}
		q.backoff = 0
		q.pending = q.pending[len(batch):]
		r.mu.Unlock()
		for _, m := range batch {
			m.done <- err
		}
	}
}

// fail ends every waiting message of the queue with err.
func (r *Robots) fail(q *robotQueue, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range q.pending {
		select {
		case m.done <- err:
		default:
		}
	}
	q.pending = nil
	q.running = false
}

// RobotBody is the JSON body of webhook/send for markdown.
type RobotBody struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

// robotSend makes one webhook/send call.
func (c *Client) robotSend(ctx context.Context, key, content string) error {
	var b RobotBody
	b.MsgType = "markdown"
	b.Markdown.Content = content
	body, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("wecom: encode robot message: %w", err)
	}
	var ans answer
	if err := c.call(ctx, http.MethodPost, c.cfg.API+"/cgi-bin/webhook/send?key="+url.QueryEscape(key), body, &ans); err != nil {
		return err
	}
	return ans.err("webhook/send")
}

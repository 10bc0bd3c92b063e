package voice

import (
	"context"
	"sync"
	"time"
)

// Queue reads announcements one after the other through its Speaker: in the order they were
// added, never two at once, each key once. The zero value is not usable; call NewQueue.
type Queue struct {
	speaker Speaker
	opt     QueueOptions

	mu      sync.Mutex
	pending []Announcement
	seen    map[string]struct{}
	keys    []string // seen keys, oldest first, to bound the memory
	wake    chan struct{}
}

// QueueOptions tunes a Queue. The zero value is usable.
type QueueOptions struct {
	// Remember is how many keys the queue keeps to skip repeats (default 1024).
	Remember int
	// MaxPending bounds the announcements waiting to be read (default 50); beyond it the oldest
	// waiting one is dropped: a number read minutes late helps nobody.
	MaxPending int
	// SpeakTimeout bounds one announcement (default 30 s), so a hung player cannot mute the hall.
	SpeakTimeout time.Duration
	// OnError receives the errors of the speaker (nil ignores them).
	OnError func(Announcement, error)
}

// NewQueue returns a queue that speaks through sp once Run is called.
func NewQueue(sp Speaker, opt *QueueOptions) *Queue {
	q := &Queue{speaker: sp, seen: map[string]struct{}{}, wake: make(chan struct{}, 1)}
	if opt != nil {
		q.opt = *opt
	}
	if q.opt.Remember <= 0 {
		q.opt.Remember = 1024
	}
	if q.opt.MaxPending <= 0 {
		q.opt.MaxPending = 50
	}
	if q.opt.SpeakTimeout <= 0 {
		q.opt.SpeakTimeout = 30 * time.Second
	}
	return q
}

// Add queues an announcement and reports whether it was queued (false when its key was seen
// before). It never blocks.
func (q *Queue) Add(a Announcement) bool {
	q.mu.Lock()
	if a.Key != "" {
		if _, ok := q.seen[a.Key]; ok {
			q.mu.Unlock()
			return false
		}
		q.seen[a.Key] = struct{}{}
		q.keys = append(q.keys, a.Key)
		if len(q.keys) > q.opt.Remember {
			delete(q.seen, q.keys[0])
			q.keys = q.keys[1:]
		}
	}
	q.pending = append(q.pending, a)
	if len(q.pending) > q.opt.MaxPending {
		q.pending = q.pending[len(q.pending)-q.opt.MaxPending:]
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// Pending returns how many announcements wait to be read.
func (q *Queue) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// next takes the oldest pending announcement.
func (q *Queue) next() (Announcement, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return Announcement{}, false
	}
	a := q.pending[0]
	q.pending = q.pending[1:]
	return a, true
}

// Run reads the queued announcements until ctx ends, one at a time; it returns ctx's error.
func (q *Queue) Run(ctx context.Context) error {
	for {
		for {
			a, ok := q.next()
			if !ok {
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			sctx, cancel := context.WithTimeout(ctx, q.opt.SpeakTimeout)
			err := q.speaker.Speak(sctx, a)
			cancel()
			if err != nil && q.opt.OnError != nil && ctx.Err() == nil {
				q.opt.OnError(a, err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-q.wake:
		}
	}
}

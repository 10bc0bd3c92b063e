package enginehost

import "sync"

// fanout delivers committed events to subscribers, each through its own buffered channel. A
// subscriber whose buffer is full is dropped (its channel closed) so that it never slows the
// committer or the others. The zero value is ready to use.
type fanout[E any] struct {
	mu   sync.Mutex
	subs map[*subscriber[E]]struct{}
}

type subscriber[E any] struct {
	ch     chan E
	closed bool // under fanout.mu
}

// subscribe adds a subscriber with room for buffer events (at least one). Once stop is closed it
// gives a closed channel. The returned func cancels the subscription.
func (f *fanout[E]) subscribe(buffer int, stop <-chan struct{}) (<-chan E, func()) {
	ch := make(chan E, max(buffer, 1))
	s := &subscriber[E]{ch: ch}
	f.mu.Lock()
	select {
	case <-stop:
		s.closed = true
		close(ch)
	default:
		if f.subs == nil {
			f.subs = map[*subscriber[E]]struct{}{}
		}
		f.subs[s] = struct{}{}
	}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !s.closed {
			s.closed = true
			close(s.ch)
			delete(f.subs, s)
		}
	}
}

// publish sends events, in order, to every subscriber; one whose buffer is full is dropped.
func (f *fanout[E]) publish(events []E) {
	if len(events) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		for _, ev := range events {
			select {
			case s.ch <- ev:
				continue
			default:
			}
			s.closed = true
			close(s.ch)
			delete(f.subs, s)
			break
		}
	}
}

// closeAll closes every subscriber's channel (on Close, after stop is closed).
func (f *fanout[E]) closeAll() {
	f.mu.Lock()
	for s := range f.subs {
		s.closed = true
		close(s.ch)
	}
	clear(f.subs)
	f.mu.Unlock()
}

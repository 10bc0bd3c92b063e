package enginehost

import "sync"

// batcher is the hand-off to a group committer. Callers enqueue requests; run, in the committer's
// goroutine, takes everything queued at that moment as one batch and hands it to commit, batch
// after batch in enqueue order. After close, enqueue refuses new requests and run commits what is
// already queued, then returns.
type batcher[T any] struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending []T
	closing bool
}

func newBatcher[T any]() *batcher[T] {
	b := &batcher[T]{}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// enqueue adds r to the next batch; false (and r not queued) once close has been called. It never
// blocks on a commit.
func (b *batcher[T]) enqueue(r T) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return false
	}
	b.pending = append(b.pending, r)
	b.cond.Signal()
	return true
}

// enqueueAll adds rs to the next batch together (the committer never takes part of them);
// false (and none queued) once close has been called.
func (b *batcher[T]) enqueueAll(rs []T) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return false
	}
	b.pending = append(b.pending, rs...)
	b.cond.Signal()
	return true
}

// close makes run return once the requests already queued are committed.
func (b *batcher[T]) close() {
	b.mu.Lock()
	b.closing = true
	b.cond.Broadcast()
	b.mu.Unlock()
}

// run is the committer's loop: it waits for requests, takes them all as one batch and calls
// commit, until close has been called and nothing is left. The batch's slice is reused after
// commit returns, so commit must not keep it.
func (b *batcher[T]) run(commit func(batch []T)) {
	var spare []T
	for {
		b.mu.Lock()
		for len(b.pending) == 0 && !b.closing {
			b.cond.Wait()
		}
		if len(b.pending) == 0 { // closing and drained
			b.mu.Unlock()
			return
		}
		batch := b.pending
		b.pending = spare[:0]
		b.mu.Unlock()
		commit(batch)
		clear(batch)
		spare = batch
	}
}

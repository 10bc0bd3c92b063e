package enginehost

import "sync"

// CommitStats describes a group committer's work since its Host started.
type CommitStats struct {
	Batches  uint64 // committed transactions
	Changes  uint64 // changes committed in them
	Failed   uint64 // changes failed (storage errors and changes stacked on them)
	MaxBatch int    // largest batch
	// Sizes counts batches by size: [0] = 1, [1] = 2–3, [2] = 4–7, [3] = 8–15, … (powers of two).
	Sizes [16]uint64
}

// MeanBatch is the mean number of changes per committed transaction.
func (s CommitStats) MeanBatch() float64 {
	if s.Batches == 0 {
		return 0
	}
	return float64(s.Changes) / float64(s.Batches)
}

type statsCounter struct {
	mu sync.Mutex
	s  CommitStats
}

func (c *statsCounter) get() CommitStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.s
}

func (c *statsCounter) add(n int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok {
		c.s.Failed += uint64(n)
		return
	}
	c.s.Batches++
	c.s.Changes += uint64(n)
	c.s.MaxBatch = max(c.s.MaxBatch, n)
	b := 0
	for v := n; v > 1 && b < len(c.s.Sizes)-1; v >>= 1 {
		b++
	}
	c.s.Sizes[b]++
}

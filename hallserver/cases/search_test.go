package cases

import (
	"strconv"
	"testing"
)

// TestHitBounded: a search collects at most MaxSearchHits cases (both stores collect through
// Hit): past it a new case is skipped while the cases held still count.
func TestHitBounded(t *testing.T) {
	hits := map[string]*SearchHit{}
	for i := 0; i < MaxSearchHits; i++ {
		if h := Hit(hits, strconv.Itoa(i)); h == nil || h.ID != strconv.Itoa(i) {
			t.Fatalf("hit %d: %+v", i, h)
		}
	}
	if h := Hit(hits, "new"); h != nil {
		t.Errorf("case %q added past the bound (%d held)", h.ID, len(hits))
	}
	h := Hit(hits, "7")
	if h == nil {
		t.Fatal("a case held is not found past the bound")
	}
	h.Text++
	if hits["7"].Text != 1 || len(hits) != MaxSearchHits {
		t.Errorf("held case 7: %+v, %d hits", hits["7"], len(hits))
	}
}

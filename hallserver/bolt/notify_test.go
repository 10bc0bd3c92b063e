package bolt

import (
	"path/filepath"
	"testing"

	"onedoor/hallserver/storetest"
)

// TestNoticeOutbox: the outbox's behaviour (storetest), which the etcd outbox shares.
func TestNoticeOutbox(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := NewNoticeStore(db)
	if err != nil {
		t.Fatal(err)
	}
	storetest.NoticeOutbox(t, s)
}

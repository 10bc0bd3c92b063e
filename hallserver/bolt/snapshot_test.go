package bolt

import (
	"context"
	"io"
	"path/filepath"
	"testing"
)

// A snapshot is a temporary file next to the data file that Close removes; one left behind by a
// killed process is removed by the next Open.
func TestSnapshotFilesDoNotPileUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "onedoor.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := db.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(snap)
	if err != nil || int64(len(b)) != snap.Size() || snap.Size() == 0 {
		t.Fatalf("snapshot read %d bytes of %d: %v", len(b), snap.Size(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".onedoor.db.backup-*")); len(left) != 1 {
		t.Fatalf("while open, snapshot files: %v, want one", left)
	}
	if err := snap.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".onedoor.db.backup-*")); len(left) != 0 {
		t.Fatalf("after Close, snapshot files left: %v", left)
	}
	if _, err := db.Snapshot(context.Background()); err != nil { // not closed: as if killed
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if left, _ := filepath.Glob(filepath.Join(dir, ".onedoor.db.backup-*")); len(left) != 0 {
		t.Fatalf("after reopening, stale snapshot files left: %v", left)
	}
}

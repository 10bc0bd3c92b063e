package http

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"onedoor/hallserver/bolt"
)

func TestBackupIsAdminOnlyAndHoldsTheTickets(t *testing.T) {
	e := newEnv(t)
	a := e.issue("A")
	if r := e.do("GET", "/api/v1/admin/backup", "", nil); r.status != 401 {
		t.Fatalf("backup without credentials: %d", r.status)
	} else {
		r.apiError(t)
	}
	for _, tok := range []string{e.login("counter1"), kioskStudents} {
		if r := e.do("GET", "/api/v1/admin/backup", tok, nil); r.status != 403 {
			t.Fatalf("backup as non-admin: %d %s", r.status, r.body)
		}
	}
	r := e.do("GET", "/api/v1/admin/backup", e.login("admin"), nil)
	if r.status != 200 || len(r.body) == 0 {
		t.Fatalf("backup as admin: %d (%d bytes)", r.status, len(r.body))
	}
	// The copy is a working data file: the ticket issued before it is there.
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, r.body, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	defer db.Close()
	q, err := bolt.NewQueue(context.Background(), db, e.campus, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	f, err := q.Follow(context.Background(), a.Token)
	if err != nil || f.Number != a.Number {
		t.Fatalf("ticket %s in the backup: %+v %v", a.Number, f, err)
	}
}

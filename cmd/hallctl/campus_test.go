package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
)

// campusServer is a real hall server (bolt store with the demo campus seeded, hallserver/http
// on a local socket) and an admin token.
func campusServer(t *testing.T) (url, token string, q *bolt.Queue) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, v, _, err := db.SeedCampus(campus.Demo())
	if err != nil {
		t.Fatal(err)
	}
	q, err = bolt.NewQueue(context.Background(), db, c, nil, bolt.WithCampusVersion(v))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	auth := bolt.NewAuth(db)
	ctx := context.Background()
	if err := auth.CreateStaff(ctx, hall.Staff{Username: "admin", Role: hall.RoleAdmin}, "admin-password"); err != nil {
		t.Fatal(err)
	}
	token, _, err = auth.Login(ctx, "admin", "admin-password")
	if err != nil {
		t.Fatal(err)
	}
	hs := hallhttp.NewServer(hallhttp.Config{Queue: q, Events: q, Auth: auth, Campus: c, CampusLive: q})
	t.Cleanup(hs.Close)
	srv := httptest.NewServer(hs)
	t.Cleanup(srv.Close)
	return srv.URL, token, q
}

// campus get prints the running server's campus as YAML with its version; campus apply of an
// edited copy changes the server at once; applying the old copy again is refused (stale); an
// invalid file lists every problem with its path.
func TestCampusGetApplyRemote(t *testing.T) {
	url, token, q := campusServer(t)
	t.Setenv("ONEDOOR_TOKEN", token)
	out, stderr, err := ctlErr(t, "", "campus", "get", "-server", url)
	if err != nil {
		t.Fatalf("campus get: %v %s", err, stderr)
	}
	if !strings.HasPrefix(out, versionLine+"1\n") {
		t.Fatalf("campus get first line: %.60q", out)
	}
	got, err := campus.Load(strings.NewReader(out))
	if err != nil {
		t.Fatalf("campus get output does not load: %v", err)
	}
	if cur, _ := q.Campus(); campus.Describe(got) != campus.Describe(cur) {
		t.Fatal("campus get differs from the server's campus")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	edited := strings.Replace(out, "学籍与成绩", "学籍与成绩证明", 1)
	os.WriteFile(file, []byte(edited), 0o600)
	out, stderr, err = ctlErr(t, "", "campus", "apply", "-server", url, file)
	if err != nil || !strings.Contains(out, "version 2") {
		t.Fatalf("campus apply: %v %q %s", err, out, stderr)
	}
	if cur, v := q.Campus(); v != "2" || cur.Halls[0].Services[0].Name.Zh != "学籍与成绩证明" {
		t.Fatalf("server campus after apply: version %s, %q", v, cur.Halls[0].Services[0].Name.Zh)
	}
	// The same file (edited from version 1) again: refused, the server keeps version 2.
	if _, _, err = ctlErr(t, "", "campus", "apply", "-server", url, file); hall.ErrorCode(err) != hall.ECONFLICT {
		t.Fatalf("stale apply: %v, want conflict", err)
	}
	bad := strings.Replace(strings.Replace(edited, "avgMinutes: 5", "avgMinutes: 0", 1), "avgMinutes: 8", "avgMinutes: -1", 1)
	bad = strings.TrimPrefix(bad, versionLine+"1\n")
	os.WriteFile(file, []byte(bad), 0o600)
	_, _, err = ctlErr(t, "", "campus", "apply", "-server", url, file)
	if hall.ErrorCode(err) != hall.EUNPROCESSABLE || !strings.Contains(err.Error(), "halls[0].services[0].avgMinutes") || !strings.Contains(err.Error(), "halls[0].services[1].avgMinutes") {
		t.Fatalf("invalid apply: %v", err)
	}
	t.Setenv("ONEDOOR_TOKEN", "")
	if _, _, err := ctlErr(t, "", "campus", "get", "-server", url); err == nil || !strings.Contains(err.Error(), "ONEDOOR_TOKEN") {
		t.Fatalf("no token: %v", err)
	}
}

// campus get -data reads the campus stored in a data file with the server stopped; a file that
// keeps none says so.
func TestCampusGetOffline(t *testing.T) {
	data := filepath.Join(t.TempDir(), "onedoor.db")
	db, err := bolt.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, _, err := ctlErr(t, "", "campus", "get", "-data", data); err == nil || !strings.Contains(err.Error(), "keeps no campus") {
		t.Fatalf("campus get of a file without a campus: %v", err)
	}
	db, _ = bolt.Open(data)
	if _, _, _, err := db.SeedCampus(campus.Demo()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, _, err := ctlErr(t, "", "campus", "get", "-data", data)
	if err != nil || !strings.HasPrefix(out, versionLine+"1\n") {
		t.Fatalf("campus get -data: %v %.60q", err, out)
	}
	if _, err := campus.Load(strings.NewReader(out)); err != nil {
		t.Fatalf("its output does not load: %v", err)
	}
}

package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
	"onedoor/hallserver/wire"
)

// caseServer is a hall server with the real case system (bolt) and a kiosk of hall students.
func caseServer(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := bolt.NewQueue(ctx, db, campus(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := bolt.NewCases(ctx, db, campus(), cases.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	auth := bolt.NewAuth(db)
	if _, err := auth.CreateDevice(ctx, hall.Device{Role: hall.RoleKiosk, Hall: "students"}, "kiosk"); err != nil {
		t.Fatal(err)
	}
	srv := hallhttp.NewServer(hallhttp.Config{Queue: q, Events: q, Auth: auth, Campus: campus(), Cases: cs,
		PublicURL: "http://onedoor.test"})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
		cs.Close()
		q.Close()
		db.Close()
	})
	return ts
}

// TestClientCases: a kiosk opens a case through the client (the same case for a retried key),
// the requester follows it and adds details by its token; the API's refusals come back as
// *hall.Error with the server's code, field and message.
func TestClientCases(t *testing.T) {
	ts := caseServer(t)
	ctx := context.Background()
	kiosk := client.New(ts.URL, "kiosk")
	anyone := client.New(ts.URL, "")

	cat, err := anyone.Catalogue(ctx, true)
	if err != nil || len(cat.Categories) == 0 || !cat.Categories[0].Topic || cat.Categories[0].Name.Zh == "" {
		t.Fatalf("catalogue %+v %v", cat, err)
	}
	topic := cat.Categories[0]
	req := wire.OpenCase{Hall: "students", Kind: hall.KindComplaint, Category: topic.Code, Channel: hall.ChannelKiosk,
		Title: "自助机登记 Kiosk K-1", Lang: "zh"}
	oc, err := kiosk.OpenCase(ctx, req, "key-1")
	if err != nil || oc.Number == "" || oc.Token == "" || !strings.HasSuffix(oc.FollowURL, "/c/"+oc.Token) ||
		oc.Department != topic.Department || oc.DueAt.IsZero() {
		t.Fatalf("open case %+v %v", oc, err)
	}
	again, err := kiosk.OpenCase(ctx, req, "key-1")
	if err != nil || again.Number != oc.Number {
		t.Fatalf("retry with the same key: %+v %v (first %s)", again, err, oc.Number)
	}

	f, err := anyone.FollowCase(ctx, oc.Token)
	if err != nil || f.Number != oc.Number || f.Kind != hall.KindComplaint || f.DepartmentName != topic.DepartmentName {
		t.Fatalf("follow case %+v %v", f, err)
	}
	f, err = anyone.AddCaseDetails(ctx, oc.Token, "楼道灯坏了 the corridor light is broken")
	if err != nil || f.Number != oc.Number || !strings.Contains(caseText(f), "corridor light") {
		t.Fatalf("details %+v %v", f, err)
	}

	// Refusals: the server's JSON error as a *hall.Error.
	_, err = anyone.RateCase(ctx, oc.Token, wire.CaseRating{Stars: 5})
	var he *hall.Error
	if !errors.As(err, &he) || he.Code != hall.ECONFLICT || he.Message == "" {
		t.Fatalf("rating an unanswered case: %v", err)
	}
	_, err = kiosk.OpenCase(ctx, wire.OpenCase{Hall: "students", Kind: hall.KindComplaint, Category: topic.Code,
		Channel: hall.ChannelKiosk, Department: "library", Lang: "zh"}, "key-2")
	if !errors.As(err, &he) || he.Code != hall.EFORBIDDEN || he.Field != "department" {
		t.Fatalf("a kiosk naming a department: %v", err)
	}
	if _, err := anyone.FollowCase(ctx, "no-such-token"); hall.ErrorCode(err) != hall.ENOTFOUND || client.Code(err) != hall.ENOTFOUND {
		t.Fatalf("unknown token: %v", err)
	}
}

// caseText is the text of a case followed with its details.
func caseText(f *wire.CaseFollow) string {
	s := f.Text
	for _, e := range f.Timeline {
		s += " " + e.Text
	}
	return s
}

// TestErrorWithoutJSON: an answer without the JSON error body (a proxy in front of the server,
// a server without the route) still comes back as a *hall.Error, its code guessed from the
// status; a transport failure is no API error at all (Code "").
func TestErrorWithoutJSON(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
	}{
		{http.StatusNotFound, hall.ENOTFOUND},
		{http.StatusRequestTimeout, wire.ETIMEOUT},
		{http.StatusTooManyRequests, wire.ETOOMANY},
		{http.StatusBadGateway, hall.EUNAVAILABLE},
		{http.StatusInternalServerError, hall.EINTERNAL},
	} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>proxy says no</html>", tc.status)
		}))
		_, err := client.New(ts.URL, "kiosk").OpenCase(context.Background(), wire.OpenCase{}, "k")
		ts.Close()
		var he *hall.Error
		if !errors.As(err, &he) || he.Code != tc.code || !strings.Contains(he.Message, "proxy says no") {
			t.Errorf("status %d: %v (want code %s)", tc.status, err, tc.code)
		}
	}
	ts := httptest.NewServer(http.NotFoundHandler())
	ts.Close() // nothing listens any more
	if _, err := client.New(ts.URL, "").Follow(context.Background(), "x"); err == nil || client.Code(err) != "" {
		t.Errorf("transport error: %v, code %q", err, client.Code(err))
	}
}

// TestBackup: the backup streams the server's bytes with the token; a refusal is a *hall.Error.
func TestBackup(t *testing.T) {
	data := strings.Repeat("bolt page ", 50000)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/admin/backup" || r.Header.Get("Authorization") != "Bearer admin-token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":{"code":"forbidden","message":"only administrators take backups"}}`))
			return
		}
		_, _ = w.Write([]byte(data))
	}))
	defer ts.Close()
	var out strings.Builder
	n, err := client.New(ts.URL, "admin-token").Backup(context.Background(), &out)
	if err != nil || n != int64(len(data)) || out.String() != data {
		t.Fatalf("backup: %d bytes, %v", n, err)
	}
	out.Reset()
	_, err = client.New(ts.URL, "counter-token").Backup(context.Background(), &out)
	var he *hall.Error
	if !errors.As(err, &he) || he.Code != hall.EFORBIDDEN || he.Message != "only administrators take backups" || out.Len() != 0 {
		t.Fatalf("refused backup: %v, wrote %d bytes", err, out.Len())
	}
}

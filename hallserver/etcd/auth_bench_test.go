package etcd_test

import (
	"context"
	"testing"

	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
)

// BenchmarkAuthenticate: what every API request pays to resolve a staff session on etcd.
// "cached": the owner's in-memory cache while the watch runs (the normal case); "etcd": no
// watch, so each request reads the session and its account from the cluster (a linearizable
// Txn and a Get at its revision).
func BenchmarkAuthenticate(b *testing.B) {
	_, cli := cluster(b)
	ctx := context.Background()
	term, err := etcd.Campaign(ctx, cli, "/bench/", 10, "http://owner")
	if err != nil {
		b.Fatal(err)
	}
	defer term.Resign()
	seed := etcd.NewAuth(cli, "/bench/", term.Fence, nil)
	if err := seed.CreateStaff(ctx, hall.Staff{Username: "li", Role: hall.RoleCounter}, "pw"); err != nil {
		b.Fatal(err)
	}
	token, _, err := seed.Login(ctx, "li", "pw")
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, a *etcd.Auth) {
		for b.Loop() {
			if _, err := a.Authenticate(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("cached", func(b *testing.B) {
		a := etcd.NewAuth(cli, "/bench/", term.Fence, nil)
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		go a.Watch(wctx)
		for { // the cache serves once the watch runs and the token was read once
			if _, err := a.Authenticate(ctx, token); err != nil {
				b.Fatal(err)
			}
			if a.Cached(token) {
				break
			}
		}
		run(b, a)
	})
	b.Run("etcd", func(b *testing.B) { run(b, etcd.NewAuth(cli, "/bench/", term.Fence, nil)) })
}

package etcdtest

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestClusterSurvivesOneMember starts three members, writes, stops one, and writes and reads
// again through the two left: the quorum the hall servers rely on.
func TestClusterSurvivesOneMember(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), WaitTimeout)
	defer cancel()
	c, err := Start(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.HasLeader() {
		t.Fatal("Start returned before the cluster had a leader")
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.Put(ctx, "k", "1"); err != nil {
		t.Fatal(err)
	}
	c.Stop(0)
	if _, err := cli.Put(ctx, "k", "2"); err != nil {
		t.Fatalf("write with two of three members: %v", err)
	}
	r, err := cli.Get(ctx, "k")
	if err != nil || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != "2" {
		t.Fatalf("read after one member stopped = %v, %v; want 2", r, err)
	}
	if err := c.Restart(ctx, 0); err != nil {
		t.Fatal(err)
	}
}

// TestStartSeesPortTaken: a port taken between Start's choice and etcd's bind is recognised as
// such (Start then tries other ports; a port given by the caller stays taken, so it fails with
// EADDRINUSE in the chain, after its attempts, and leaves nothing running).
func TestStartSeesPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), WaitTimeout)
	defer cancel()
	c, err := Start(ctx, t.TempDir(), Options{ClientPorts: []int{taken, 0, 0}})
	if err == nil {
		c.Close()
		t.Fatalf("Start with client port %d taken succeeded", taken)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Start with a port taken: %v; want EADDRINUSE in the chain", err)
	}
}

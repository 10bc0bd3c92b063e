// Package etcdtest runs a small etcd cluster inside the calling process, on loopback, with
// go.etcd.io/etcd/server/v3/embed: the development cluster of `hallctl dev-etcd` and the real etcd
// of the tests of package etcd and of the high-availability tests (docs/HA.md).
package etcdtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Options configures a Cluster.
type Options struct {
	// Members is the number of members (3 when 0).
	Members int
	// ClientPorts are the loopback client ports, one per member; nil or 0 entries: chosen free.
	ClientPorts []int
	// ElectionMs is Raft's election timeout (2500 ms when 0: generous, since tests share a few
	// cores with other work); the heartbeat is a tenth of it.
	ElectionMs uint
	// LogLevel is etcd's log level ("error" when empty).
	LogLevel string
	// MaxTxnOps is each member's --max-txn-ops (DevMaxTxnOps when 0; etcd's default is 128):
	// a day reset of a hall writes two operations per ticket it cancels (docs/HA.md).
	MaxTxnOps uint
}

// DevMaxTxnOps is the --max-txn-ops of the development and test clusters, the value docs/HA.md
// gives for production: a day reset can cancel about 500 waiting tickets of a hall.
const DevMaxTxnOps = 1024

// Cluster is a running in-process etcd cluster. Its methods are safe for concurrent use.
type Cluster struct {
	dir  string
	opts Options

	mu      sync.Mutex
	cfgs    []*embed.Config
	members []*embed.Etcd // nil for a stopped member
}

// Start starts the members in subdirectories of dir and waits until the cluster has a leader
// (every member ready) or ctx ends. The peer ports (and client ports not given) it chooses
// itself can be taken by another process between the choice and etcd's bind (a busy machine
// running tests in parallel): then it tries again with other ports, up to three times.
func Start(ctx context.Context, dir string, opts Options) (*Cluster, error) {
	for attempt := 1; ; attempt++ {
		c, err := start(ctx, dir, opts)
		if err == nil || attempt == 3 || !errors.Is(err, syscall.EADDRINUSE) {
			return c, err
		}
		for i := range max(opts.Members, 3) {
			os.RemoveAll(filepath.Join(dir, fmt.Sprintf("m%d", i)))
		}
	}
}

func start(ctx context.Context, dir string, opts Options) (*Cluster, error) {
	if opts.Members == 0 {
		opts.Members = 3
	}
	if opts.ElectionMs == 0 {
		opts.ElectionMs = 2500
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "error"
	}
	if opts.MaxTxnOps == 0 {
		opts.MaxTxnOps = DevMaxTxnOps
	}
	if len(opts.ClientPorts) != 0 && len(opts.ClientPorts) != opts.Members {
		return nil, fmt.Errorf("etcdtest: %d client ports for %d members", len(opts.ClientPorts), opts.Members)
	}
	c := &Cluster{dir: dir, opts: opts, members: make([]*embed.Etcd, opts.Members)}
	peers, err := freePorts(opts.Members)
	if err != nil {
		return nil, err
	}
	var initial []string
	for i := range opts.Members {
		initial = append(initial, fmt.Sprintf("m%d=http://127.0.0.1:%d", i, peers[i]))
	}
	for i := range opts.Members {
		port := 0
		if len(opts.ClientPorts) > 0 {
			port = opts.ClientPorts[i]
		}
		if port == 0 {
			p, err := freePorts(1)
			if err != nil {
				return nil, err
			}
			port = p[0]
		}
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = filepath.Join(dir, cfg.Name)
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = "onedoor-dev"
		cfg.ClusterState = embed.ClusterStateFlagNew
		pu := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", peers[i])}
		cu := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", port)}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
		cfg.ElectionMs = opts.ElectionMs
		cfg.TickMs = max(opts.ElectionMs/10, 50)
		cfg.LogLevel = opts.LogLevel
		cfg.MaxTxnOps = opts.MaxTxnOps
		c.cfgs = append(c.cfgs, cfg)
	}
	// The members must start together: each waits for the others to form a quorum.
	errs := make([]error, opts.Members)
	var wg sync.WaitGroup
	for i := range opts.Members {
		wg.Go(func() { errs[i] = c.startMember(ctx, i) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// startMember starts member i (again) and waits until it is ready: joined, with a leader.
func (c *Cluster) startMember(ctx context.Context, i int) error {
	c.mu.Lock()
	cfg := c.cfgs[i]
	c.mu.Unlock()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("etcdtest: start member %s: %w", cfg.Name, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return fmt.Errorf("etcdtest: member %s: %w", cfg.Name, err)
	case <-ctx.Done():
		e.Close()
		return fmt.Errorf("etcdtest: member %s not ready: %w", cfg.Name, ctx.Err())
	}
	c.mu.Lock()
	c.members[i] = e
	c.mu.Unlock()
	return nil
}

// Endpoints are the members' client URLs (of stopped members too), in member order.
func (c *Cluster) Endpoints() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, cfg := range c.cfgs {
		out = append(out, cfg.AdvertiseClientUrls[0].String())
	}
	return out
}

// Stop stops member i (its data stays; Restart starts it again).
func (c *Cluster) Stop(i int) {
	c.mu.Lock()
	e := c.members[i]
	c.members[i] = nil
	c.mu.Unlock()
	if e != nil {
		e.Close()
	}
}

// Restart starts a stopped member i again from its data and waits until it is ready; with
// fewer than a quorum of members running it only returns when enough are back, or when ctx ends.
func (c *Cluster) Restart(ctx context.Context, i int) error {
	c.mu.Lock()
	running := c.members[i] != nil
	c.cfgs[i].ClusterState = embed.ClusterStateFlagExisting
	c.mu.Unlock()
	if running {
		return nil
	}
	return c.startMember(ctx, i)
}

// HasLeader reports whether a running member knows a leader.
func (c *Cluster) HasLeader() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.members {
		if e != nil && e.Server.Leader() != 0 {
			return true
		}
	}
	return false
}

// Close stops every member.
func (c *Cluster) Close() {
	for i := range c.members {
		c.Stop(i)
	}
}

// Wait waits until ctx ends or a member fails, and returns that member's error.
func (c *Cluster) Wait(ctx context.Context) error {
	c.mu.Lock()
	errc := make(chan error, len(c.members))
	for _, e := range c.members {
		if e != nil {
			go func() {
				select {
				case err := <-e.Err():
					errc <- err
				case <-ctx.Done():
				}
			}()
		}
	}
	c.mu.Unlock()
	select {
	case err := <-errc:
		return fmt.Errorf("etcdtest: member stopped: %w", err)
	case <-ctx.Done():
		return nil
	}
}

// freePorts returns n loopback TCP ports free at the time of the call.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("etcdtest: free port: %w", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// WaitTimeout is how long a test waits for a cluster to start on a busy machine.
const WaitTimeout = 2 * time.Minute

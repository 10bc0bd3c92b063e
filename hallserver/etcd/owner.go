package etcd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// DefaultPrefix is where hallserver -etcd and hallctl migrate keep the state (layout: doc.go).
const DefaultPrefix = "/onedoor/"

// TLSConfig builds the client TLS of -etcd-ca, -etcd-cert, -etcd-key (nil when all are empty:
// plain HTTP).
func TLSConfig(ca, cert, key string) (*tls.Config, error) {
	if ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	info := transport.TLSInfo{TrustedCAFile: ca, CertFile: cert, KeyFile: key}
	c, err := info.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("etcd: TLS: %w", err)
	}
	return c, nil
}

// Dial connects to the cluster (endpoints are client URLs; tlsCfg nil for plain HTTP).
func Dial(endpoints []string, tlsCfg *tls.Config) (*clientv3.Client, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, TLS: tlsCfg,
		DialKeepAliveTime: 2 * time.Second, DialKeepAliveTimeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("etcd: connect to %v: %w", endpoints, err)
	}
	return cli, nil
}

// Term is one server's ownership of the halls, from winning the election until its lease ends
// (Done) or it resigns. Its Fence is what every commit compares: the election key and its create
// revision, which no other server's key can have, so after the lease expired (a paused or
// partitioned owner) no commit of this term can succeed, even before this server notices.
type Term struct {
	sess  *concurrency.Session
	el    *concurrency.Election
	key   string
	rev   int64
	ended atomic.Bool
}

// Campaign blocks until this server owns the election under prefix+"owner" (lease ttl seconds),
// advertising addr (the URL the others forward writes to), or ctx ends.
func Campaign(ctx context.Context, cli *clientv3.Client, prefix string, ttl int, addr string) (*Term, error) {
	sess, err := concurrency.NewSession(cli, concurrency.WithTTL(ttl))
	if err != nil {
		return nil, fmt.Errorf("etcd: lease: %w", err)
	}
	el := concurrency.NewElection(sess, prefix+"owner")
	if err := el.Campaign(ctx, addr); err != nil {
		sess.Close()
		return nil, fmt.Errorf("etcd: campaign: %w", err)
	}
	// A campaign that outlived its lease (etcd without a quorum for longer than the TTL) still
	// returns: its key is gone, and a newer owner's key does not hold it back. Such a term could
	// never commit (the fence) but would serve a stale state: check the key is there.
	r, err := cli.Get(ctx, el.Key())
	if err != nil || len(r.Kvs) == 0 || r.Kvs[0].CreateRevision != el.Rev() {
		sess.Close()
		if err == nil {
			err = errors.New("the lease ended while campaigning")
		}
		return nil, fmt.Errorf("etcd: campaign: %w", err)
	}
	t := &Term{sess: sess, el: el, key: el.Key(), rev: el.Rev()}
	go func() {
		<-sess.Done()
		t.ended.Store(true)
	}()
	return t, nil
}

// Fence is the compare of every write of this term (a Fence func); ok false once the lease is
// known to have ended.
func (t *Term) Fence() (key string, rev int64, ok bool) {
	if t == nil || t.ended.Load() {
		return "", 0, false
	}
	return t.key, t.rev, true
}

// Done is closed when the term's lease has ended (expired or revoked).
func (t *Term) Done() <-chan struct{} { return t.sess.Done() }

// Resign gives the ownership up at once (a clean shutdown: the next owner need not wait for the
// lease to expire).
func (t *Term) Resign() {
	t.ended.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	t.el.Resign(ctx)
	t.sess.Close()
}

// Leader returns the address the current owner advertises ("" and no error when there is none).
func Leader(ctx context.Context, cli *clientv3.Client, prefix string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := cli.Get(ctx, prefix+"owner/", clientv3.WithFirstCreate()...)
	if err != nil {
		return "", fmt.Errorf("etcd: who owns: %w", err)
	}
	if len(r.Kvs) == 0 {
		return "", nil
	}
	return string(r.Kvs[0].Value), nil
}

// ErrNoOwner is returned when no server owns the halls at the moment (an election is on).
var ErrNoOwner = errors.New("no server owns the halls at the moment")

package etcd

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// DeliveryStore keeps the webhook deliverers' cursors (the seq of the last case event
// delivered) and their dead-letter notes on etcd (webhook.Store), every write fenced on the
// owner's lease: only the owner delivers, and a new owner resumes from the cursor its
// predecessor stored (at-least-once: what was delivered since its last save is delivered again).
type DeliveryStore struct {
	cli    *clientv3.Client
	prefix string
	fence  Fence
}

// NewDeliveryStore returns the deliverer store on cli under prefix, writing while fence allows.
func NewDeliveryStore(cli *clientv3.Client, prefix string, fence Fence) *DeliveryStore {
	return &DeliveryStore{cli: cli, prefix: prefix, fence: fence}
}

func (s *DeliveryStore) cursorKey(name string) string { return s.prefix + "dlv/cursor/" + name }
func (s *DeliveryStore) notePrefix(name string) string {
	return s.prefix + "dlv/note/" + name + "/"
}

// Cursor returns the seq of the last case event the named deliverer delivered; ok is false when
// none was stored.
func (s *DeliveryStore) Cursor(ctx context.Context, name string) (uint64, bool, error) {
	c, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := s.cli.Get(c, s.cursorKey(name))
	if err != nil {
		return 0, false, fmt.Errorf("etcd: read delivery cursor: %w", err)
	}
	if len(r.Kvs) == 0 {
		return 0, false, nil
	}
	seq, err := strconv.ParseUint(string(r.Kvs[0].Value), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("etcd: delivery cursor of %q: %w", name, err)
	}
	return seq, true, nil
}

func (s *DeliveryStore) put(ctx context.Context, op clientv3.Op) error {
	key, rev, ok := s.fence()
	if !ok {
		return ErrNotOwner
	}
	c, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := s.cli.Txn(c).If(clientv3.Compare(clientv3.CreateRevision(key), "=", rev)).Then(op).Commit()
	if err != nil {
		return err
	}
	if !r.Succeeded {
		return ErrNotOwner
	}
	return nil
}

// SetCursor stores the seq of the last case event the named deliverer delivered (fenced).
func (s *DeliveryStore) SetCursor(ctx context.Context, name string, seq uint64) error {
	if err := s.put(ctx, clientv3.OpPut(s.cursorKey(name), strconv.FormatUint(seq, 10))); err != nil {
		return fmt.Errorf("etcd: write delivery cursor: %w", err)
	}
	return nil
}

// PutNote stores the dead-letter note of the named deliverer for the event seq; nil deletes it.
func (s *DeliveryStore) PutNote(ctx context.Context, name string, seq uint64, note []byte) error {
	k := fmt.Sprintf("%s%020d", s.notePrefix(name), seq)
	op := clientv3.OpDelete(k)
	if note != nil {
		op = clientv3.OpPut(k, string(note))
	}
	if err := s.put(ctx, op); err != nil {
		return fmt.Errorf("etcd: write delivery note: %w", err)
	}
	return nil
}

// Notes returns the dead-letter notes of the named deliverer by event seq.
func (s *DeliveryStore) Notes(ctx context.Context, name string) (map[uint64][]byte, error) {
	c, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := s.cli.Get(c, s.notePrefix(name), clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("etcd: read delivery notes: %w", err)
	}
	out := map[uint64][]byte{}
	for _, kv := range r.Kvs {
		seq, err := strconv.ParseUint(strings.TrimPrefix(string(kv.Key), s.notePrefix(name)), 10, 64)
		if err != nil {
			continue
		}
		out[seq] = kv.Value
	}
	return out, nil
}

package etcd

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

var _ hall.LongListService = (*LongList)(nil)

// LongList keeps the long-standing list (清单式管理) on etcd (bucket longlist, IDs from
// seq/longlist: doc.go). It implements hall.LongListService as package bolt's LongList does.
type LongList struct {
	kv    kvStore
	known *cases.ListDepartments
	now   func() time.Time
}

// NewLongList returns the list on cli under prefix, written only while fence allows;
// departments are the codes an item may name (the campus's and the office), now nil means
// time.Now.
func NewLongList(cli *clientv3.Client, prefix string, fence Fence, departments []string, now func() time.Time) *LongList {
	if now == nil {
		now = time.Now
	}
	return &LongList{kv: kvStore{cli: cli, prefix: prefix, fence: fence}, known: cases.NewListDepartments(departments), now: now}
}

// SetDepartments replaces the department codes an item may name (a live campus change).
func (l *LongList) SetDepartments(departments []string) { l.known.Set(departments) }

// Items returns every item, by ID.
func (l *LongList) Items(ctx context.Context) ([]hall.ListItem, error) {
	out := []hall.ListItem{}
	err := l.kv.view(ctx, "read the long-standing list", func(r *reads) error {
		kvs, err := r.scan(bucketLongList, "", false, 0)
		for _, kv := range kvs {
			it, err := decode[hall.ListItem]("list item "+l.kv.base(bucketLongList, kv), kv.Value)
			if err != nil {
				return err
			}
			out = append(out, *it)
		}
		return err
	})
	return out, err
}

// Item returns one item.
func (l *LongList) Item(ctx context.Context, id string) (*hall.ListItem, error) {
	var it *hall.ListItem
	err := l.kv.view(ctx, "read list item", func(r *reads) error {
		var err error
		it, err = getJSON[hall.ListItem](r, bucketLongList, id)
		return err
	})
	if err == nil && it == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "id", "no list item %q", id)
	}
	return it, err
}

// put validates and writes an item; create assigns the ID.
func (l *LongList) put(ctx context.Context, it hall.ListItem, by string, create bool) (*hall.ListItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := cases.NormalizeListItem(&it, l.known.Known); err != nil {
		return nil, err
	}
	now := l.now().UTC()
	err := l.kv.update(ctx, "write list item", func(r *reads) (writes, error) {
		var w writes
		var old *hall.ListItem
		var n uint64
		if create {
			seq, err := r.get(bucketSeq, bucketLongList)
			if err != nil {
				return nil, err
			}
			n, _ = strconv.ParseUint(string(seq), 10, 64)
			n++
			w.put(&l.kv, bucketSeq, bucketLongList, []byte(strconv.FormatUint(n, 10)))
		} else {
			var err error
			if old, err = getJSON[hall.ListItem](r, bucketLongList, it.ID); err != nil {
				return nil, err
			}
			if old == nil {
				return nil, hall.Errorf(hall.ENOTFOUND, "id", "no list item %q", it.ID)
			}
		}
		cases.StampListItem(&it, old, n, by, now)
		v, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		w.put(&l.kv, bucketLongList, it.ID, v)
		return w, nil
	})
	if err != nil {
		return nil, err
	}
	return &it, nil
}

// CreateItem stores a new item.
func (l *LongList) CreateItem(ctx context.Context, it hall.ListItem, by string) (*hall.ListItem, error) {
	return l.put(ctx, it, by, true)
}

// UpdateItem replaces an item.
func (l *LongList) UpdateItem(ctx context.Context, it hall.ListItem, by string) (*hall.ListItem, error) {
	return l.put(ctx, it, by, false)
}

// DeleteItem removes an item.
func (l *LongList) DeleteItem(ctx context.Context, id string) error {
	return l.kv.update(ctx, "delete list item", func(r *reads) (writes, error) {
		v, err := r.get(bucketLongList, id)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, hall.Errorf(hall.ENOTFOUND, "id", "no list item %q", id)
		}
		var w writes
		w.del(&l.kv, bucketLongList, id)
		return w, nil
	})
}

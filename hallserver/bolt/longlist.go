package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

var _ hall.LongListService = (*LongList)(nil)

// LongList keeps the long-standing list (清单式管理) in the bbolt file. It implements
// hall.LongListService.
type LongList struct {
	db    *DB
	known *cases.ListDepartments // department codes an item may name
	now   func() time.Time
}

// NewLongList returns the list; departments are the codes an item may name (the campus's and
// the office), now nil means time.Now.
func NewLongList(db *DB, departments []string, now func() time.Time) (*LongList, error) {
	if now == nil {
		now = time.Now
	}
	if err := db.ensureBuckets(bucketLongList); err != nil {
		return nil, fmt.Errorf("bolt: create long-standing list bucket: %w", err)
	}
	return &LongList{db: db, now: now, known: cases.NewListDepartments(departments)}, nil
}

// SetDepartments replaces the department codes an item may name (a live campus change); the
// office is always one.
func (l *LongList) SetDepartments(departments []string) { l.known.Set(departments) }

// Items returns every item, by ID.
func (l *LongList) Items(ctx context.Context) ([]hall.ListItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := []hall.ListItem{}
	err := l.db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketLongList).ForEach(func(k, v []byte) error {
			var it hall.ListItem
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("decode list item %s: %w", k, err)
			}
			out = append(out, it)
			return nil
		})
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read the long-standing list: %v", err)
	}
	return out, nil
}

// Item returns one item.
func (l *LongList) Item(ctx context.Context, id string) (*hall.ListItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var it *hall.ListItem
	err := l.db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketLongList).Get([]byte(id))
		if v == nil {
			return nil
		}
		it = new(hall.ListItem)
		return json.Unmarshal(v, it)
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read list item: %v", err)
	}
	if it == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "id", "no list item %q", id)
	}
	return it, nil
}

// put validates and writes an item; create assigns the ID (QD-001, QD-002… 清单).
func (l *LongList) put(ctx context.Context, it hall.ListItem, by string, create bool) (*hall.ListItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := cases.NormalizeListItem(&it, l.known.Known); err != nil {
		return nil, err
	}
	now := l.now().UTC()
	err := l.db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLongList)
		var old *hall.ListItem
		var n uint64
		if create {
			var err error
			if n, err = b.NextSequence(); err != nil {
				return err
			}
		} else {
			v := b.Get([]byte(it.ID))
			if v == nil {
				return hall.Errorf(hall.ENOTFOUND, "id", "no list item %q", it.ID)
			}
			old = new(hall.ListItem)
			if err := json.Unmarshal(v, old); err != nil {
				return fmt.Errorf("decode list item %s: %w", it.ID, err)
			}
		}
		cases.StampListItem(&it, old, n, by, now)
		v, err := json.Marshal(it)
		if err != nil {
			return err
		}
		return b.Put([]byte(it.ID), v)
	})
	if err != nil {
		if hall.ErrorCode(err) == hall.ENOTFOUND {
			return nil, err
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: write list item: %v", err)
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
	if err := ctx.Err(); err != nil {
		return err
	}
	err := l.db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLongList)
		if b.Get([]byte(id)) == nil {
			return hall.Errorf(hall.ENOTFOUND, "id", "no list item %q", id)
		}
		return b.Delete([]byte(id))
	})
	if err != nil && hall.ErrorCode(err) != hall.ENOTFOUND {
		return hall.Errorf(hall.EUNAVAILABLE, "", "bolt: delete list item: %v", err)
	}
	return err
}

package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// The case search index (doc.go: cases.search, cases.searchterms): the terms of each case
// (cases.SearchTerms) as keys term + 0x00 + case ID, written in the transaction that writes the
// case; cases.searchterms keeps the terms a case is indexed by, so that a change rewrites only
// when they changed (a reply, a rating: the terms stay; a re-routing: the d: terms move).

var (
	caseSearchKey     = []byte("search-index") // in cases.meta: "1" once every case is indexed
	caseSearchVersion = "1"
)

// indexCase brings the case's index terms up to date in the transaction.
func indexCase(tx *bbolt.Tx, c *hall.Case) error {
	idx, recs := tx.Bucket(bucketCaseSearch), tx.Bucket(bucketCaseTerms)
	id := []byte(c.ID)
	var rec []byte
	for _, t := range cases.SearchTerms(c) {
		if strings.IndexByte(t, 0) >= 0 {
			continue
		}
		if len(rec) > 0 {
			rec = append(rec, 0)
		}
		rec = append(rec, t...)
	}
	old := recs.Get(id)
	if old != nil && bytes.Equal(old, rec) {
		return nil
	}
	key := func(term []byte) []byte {
		k := make([]byte, 0, len(term)+1+len(id))
		return append(append(append(k, term...), 0), id...)
	}
	if len(old) > 0 {
		for _, t := range bytes.Split(old, []byte{0}) {
			if err := idx.Delete(key(t)); err != nil {
				return fmt.Errorf("search index %s: %w", c.ID, err)
			}
		}
	}
	if len(rec) > 0 {
		for _, t := range bytes.Split(rec, []byte{0}) {
			if err := idx.Put(key(t), nil); err != nil {
				return fmt.Errorf("search index %s: %w", c.ID, err)
			}
		}
	}
	if err := recs.Put(id, rec); err != nil {
		return fmt.Errorf("search terms %s: %w", c.ID, err)
	}
	return nil
}

// buildSearchIndex indexes every stored case when the file has no complete index yet (written
// before the index existed, or its build was interrupted), 2,000 cases per transaction. It
// returns the number of cases indexed.
func buildSearchIndex(db *DB) (int, error) {
	done := false
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		done = string(tx.Bucket(bucketCaseMeta).Get(caseSearchKey)) == caseSearchVersion
		return nil
	}); err != nil || done {
		return 0, err
	}
	n, err := migrateBucket(db, bucketCases, func(tx *bbolt.Tx, k, v []byte) (func() error, error) {
		c := new(hall.Case) // the record is enough: the terms come from no list
		if err := json.Unmarshal(v, c); err != nil {
			return nil, fmt.Errorf("decode case %s: %w", k, err)
		}
		return func() error { return indexCase(tx, c) }, nil
	})
	if err != nil {
		return n, fmt.Errorf("bolt: build the case search index: %w", err)
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketCaseMeta).Put(caseSearchKey, []byte(caseSearchVersion))
	})
	if err != nil {
		return n, fmt.Errorf("bolt: mark the case search index: %w", err)
	}
	return n, nil
}

// clearSearchIndex removes the index and its mark (the next buildSearchIndex indexes every case
// again): for the build's benchmark and tests.
func clearSearchIndex(db *DB) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketCaseSearch, bucketCaseTerms} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketCaseMeta).Delete(caseSearchKey)
	})
}

// SearchCases looks the query up in the search index: the cases whose number or phone is the
// query and those holding any of its tokens (in the text or the requester's name), counted;
// with dept, only the cases involving that department. The hits come in no order.
func (s *caseStore) SearchCases(ctx context.Context, q cases.Query, dept string) ([]cases.SearchHit, error) {
	hits := map[string]*cases.SearchHit{}
	err := s.db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketCaseSearch)
		n := 0
		// scan calls fn with each case ID under the term (prefix: every term beginning with it).
		scan := func(term string, prefix bool, fn func(h *cases.SearchHit)) error {
			p := []byte(term)
			if !prefix {
				p = append(p, 0)
			}
			c := b.Cursor()
			for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
				if n++; n%1024 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				i := bytes.IndexByte(k, 0)
				if i < 0 {
					continue
				}
				if h := cases.Hit(hits, string(k[i+1:])); h != nil {
					fn(h)
				}
			}
			return nil
		}
		if err := q.Scan(scan); err != nil {
			return err
		}
		if dept != "" {
			d := []byte(cases.TermDept + dept + "\x00")
			for id := range hits {
				if b.Get(append(d[:len(d):len(d)], id...)) == nil {
					delete(hits, id)
				}
			}
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: search cases: %v", err)
	}
	out := make([]cases.SearchHit, 0, len(hits))
	for _, h := range hits {
		out = append(out, *h)
	}
	return out, nil
}

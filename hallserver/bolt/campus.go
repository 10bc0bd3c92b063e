package bolt

import (
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
)

// The campus record (bucket "campus", doc.go): the campus the server runs with and its version.
// It is seeded once from the YAML (SeedCampus) and then changed only through the queue's
// ApplyCampus, whose commit writes it in the same WAL record as every hall's change.

var _ enginehost.CampusStore = (*queueStore)(nil)

var (
	bucketCampus = []byte("campus")
	campusKey    = []byte("current")
)

// campusRecord is the value of campus/current.
type campusRecord struct {
	Version uint64      `json:"version"`
	Campus  hall.Campus `json:"campus"`
}

// StoredCampus returns the campus kept in the file and its version; ok is false when the file
// keeps none yet (a new file, or one written before the campus lived in the store).
func (db *DB) StoredCampus() (c hall.Campus, version uint64, ok bool, err error) {
	if err := db.qlog.flush(); err != nil { // a campus change may still be in the WAL
		return c, 0, false, fmt.Errorf("bolt: read campus: %w", err)
	}
	var rec campusRecord
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketCampus)
		if b == nil {
			return nil
		}
		v := b.Get(campusKey)
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		return c, 0, false, fmt.Errorf("bolt: read campus: %w", err)
	}
	return rec.Campus, rec.Version, ok, nil
}

// SeedCampus stores c as version 1 when the file keeps no campus yet, and returns the campus
// the file keeps (c when it was seeded) and its version.
func (db *DB) SeedCampus(c hall.Campus) (stored hall.Campus, version uint64, seeded bool, err error) {
	stored, version, ok, err := db.StoredCampus()
	if err != nil || ok {
		return stored, version, false, err
	}
	v, err := json.Marshal(campusRecord{Version: 1, Campus: c})
	if err != nil {
		return c, 0, false, fmt.Errorf("bolt: encode campus: %w", err)
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketCampus)
		if err != nil {
			return err
		}
		return b.Put(campusKey, v)
	})
	if err != nil {
		return c, 0, false, fmt.Errorf("bolt: seed campus: %w", err)
	}
	return c, 1, true, nil
}

// EnsureHall creates the buckets of a hall added while the server runs.
func (s *queueStore) EnsureHall(code string) error {
	if err := s.db.ensureBuckets(openBucket(code), eventsBucket(code)); err != nil {
		return fmt.Errorf("bolt: create hall buckets: %w", err)
	}
	return nil
}

// PrepareCampus prepares the campus record as a write of the queue's committer: a queueWrite
// with the campus flag, whose meta is the record (queueWrite.appendTo, writeQueue).
func (s *queueStore) PrepareCampus(c hall.Campus, version uint64) (any, error) {
	v, err := json.Marshal(campusRecord{Version: version, Campus: c})
	if err != nil {
		return nil, fmt.Errorf("encode campus: %w", err)
	}
	return &queueWrite{campus: true, meta: v}, nil
}

// putCampus writes a campus record in the transaction (writeQueue).
func putCampus(tx *bbolt.Tx, rec []byte) error {
	b, err := tx.CreateBucketIfNotExists(bucketCampus)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketCampus, err)
	}
	if err := b.Put(campusKey, rec); err != nil {
		return fmt.Errorf("put campus: %w", err)
	}
	return nil
}

package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/caseformat"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// CaseRecord is one record of the case system in a form that does not depend on the store
// (hallctl migrate, to and from etcd: docs/HA.md). Kind is
//   - "meta": the cases.Meta (JSON);
//   - "case": Key the case ID, Value the whole case with its timeline (JSON hall.Case);
//   - "event": Key the seq in decimal, Value the stored event (a head with its lists' lengths,
//     or a full case in events written before format 2: caseformat.go), unchanged;
//   - "learned": Key "{seq}/{i}" (the change's seq, the example's index), Value the example;
//   - "forgot": Key the username, Value its caseformat.Forgot;
//   - "idem": Key the idempotency key (source + 0x00 + key), Value its record;
//   - "blob": Key the attachment ID (hex SHA-256), Value BlobRecord (JSON);
//   - "cursor": Key a webhook deliverer's name, Value the seq in decimal;
//   - "note": Key "{name}/{seq}", Value the dead-letter note.
//
// The indexes (numbers, tokens, open, received, closed, search, requesters) are not records:
// the target builds them from the cases.
type CaseRecord struct {
	Kind, Key string
	Value     []byte
}

// BlobRecord is the value of a "blob" CaseRecord.
type BlobRecord struct {
	Type string `json:"type"`
	Data []byte `json:"data"`
}

// CaseRecords calls fn with every record of the case system, in one read transaction.
func (db *DB) CaseRecords(ctx context.Context, fn func(CaseRecord) error) error {
	return db.bolt.View(func(tx *bbolt.Tx) error {
		each := func(name []byte, rec func(k, v []byte) (CaseRecord, error)) error {
			b := tx.Bucket(name)
			if b == nil {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				r, err := rec(k, v)
				if err != nil || r.Kind == "" {
					return err
				}
				return fn(r)
			})
		}
		if m := tx.Bucket(bucketCaseMeta); m != nil {
			if v := m.Get(caseMetaKey); v != nil {
				if err := fn(CaseRecord{Kind: "meta", Value: v}); err != nil {
					return err
				}
			}
		}
		if tx.Bucket(bucketCases) != nil {
			ct := caseTxOf(tx)
			if err := each(bucketCases, func(k, v []byte) (CaseRecord, error) {
				c := new(hall.Case)
				if err := ct.decode(k, v, c); err != nil {
					return CaseRecord{}, err
				}
				j, err := json.Marshal(c)
				return CaseRecord{Kind: "case", Key: string(k), Value: j}, err
			}); err != nil {
				return err
			}
		}
		steps := []struct {
			name []byte
			rec  func(k, v []byte) (CaseRecord, error)
		}{
			{bucketCaseEvents, func(k, v []byte) (CaseRecord, error) {
				return CaseRecord{Kind: "event", Key: strconv.FormatUint(binary.BigEndian.Uint64(k), 10), Value: v}, nil
			}},
			{bucketCaseLearned, func(k, v []byte) (CaseRecord, error) {
				if len(k) != 10 {
					return CaseRecord{}, fmt.Errorf("learned example key %x", k)
				}
				return CaseRecord{Kind: "learned", Key: fmt.Sprintf("%d/%d", binary.BigEndian.Uint64(k), binary.BigEndian.Uint16(k[8:])), Value: v}, nil
			}},
			{bucketCaseForgot, func(k, v []byte) (CaseRecord, error) {
				return CaseRecord{Kind: "forgot", Key: string(k), Value: v}, nil
			}},
			{bucketCaseIdem, func(k, v []byte) (CaseRecord, error) { return CaseRecord{Kind: "idem", Key: string(k), Value: v}, nil }},
			{bucketDeliveryCursor, func(k, v []byte) (CaseRecord, error) {
				if len(v) != 8 {
					return CaseRecord{}, fmt.Errorf("deliverer %q: cursor of %d bytes", k, len(v))
				}
				return CaseRecord{Kind: "cursor", Key: string(k), Value: []byte(strconv.FormatUint(binary.BigEndian.Uint64(v), 10))}, nil
			}},
			{bucketDeliveryNotes, func(k, v []byte) (CaseRecord, error) {
				if len(k) < 9 {
					return CaseRecord{}, fmt.Errorf("delivery note key %x", k)
				}
				return CaseRecord{Kind: "note", Key: fmt.Sprintf("%s/%d", k[:len(k)-9], binary.BigEndian.Uint64(k[len(k)-8:])), Value: v}, nil
			}},
			{bucketAttachMeta, func(k, v []byte) (CaseRecord, error) {
				var m blobMeta
				if err := json.Unmarshal(v, &m); err != nil {
					return CaseRecord{}, fmt.Errorf("decode attachment meta %x: %w", k, err)
				}
				blobs := tx.Bucket(bucketAttachBlobs)
				br := BlobRecord{Type: m.Type, Data: make([]byte, 0, m.Size)}
				for i := 0; i < m.Chunks && blobs != nil; i++ {
					br.Data = append(br.Data, blobs.Get(chunkKey(k, i))...)
				}
				if int64(len(br.Data)) != m.Size {
					return CaseRecord{}, fmt.Errorf("attachment %x: %d bytes stored, %d expected", k, len(br.Data), m.Size)
				}
				j, err := json.Marshal(br)
				return CaseRecord{Kind: "blob", Key: fmt.Sprintf("%x", k), Value: j}, err
			}},
		}
		for _, s := range steps {
			if err := each(s.name, s.rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// ErrCasesNotEmpty is returned by PutCaseRecords when the file already holds a case log.
var ErrCasesNotEmpty = errors.New("the data file already holds cases")

// PutCaseRecords writes records (CaseRecords' form) into the file in one transaction, building
// the indexes of each case as a commit that opened it would (numbers, tokens, receipt, open or
// closed, search terms, requester). The first call refuses a file that holds a case meta
// (ErrCasesNotEmpty): records are migrated into a new file only.
func (db *DB) PutCaseRecords(recs []CaseRecord, first bool) error {
	if err := db.ensureBuckets(append(caseBuckets, bucketCaseForgot, bucketDeliveryCursor, bucketDeliveryNotes, bucketAttachMeta, bucketAttachBlobs)...); err != nil {
		return fmt.Errorf("bolt: create case buckets: %w", err)
	}
	s := &caseStore{db: db, now: time.Now}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketCaseMeta)
		if first && meta.Get(caseMetaKey) != nil {
			return ErrCasesNotEmpty
		}
		for _, r := range recs {
			var err error
			switch r.Kind {
			case "meta":
				err = meta.Put(caseMetaKey, r.Value)
			case "case":
				c := new(hall.Case)
				if err := json.Unmarshal(r.Value, c); err != nil {
					return fmt.Errorf("decode case %s: %w", r.Key, err)
				}
				rec, err := caseformat.Record(c)
				if err != nil {
					return err
				}
				err = s.write(tx, []*caseWrite{{change: cases.Change{Cases: []hall.Case{*c}},
					Change: caseformat.Change{Opened: map[string]bool{c.ID: true}, Records: [][]byte{rec}}}})
				if err != nil {
					return err
				}
			case "event":
				seq, perr := strconv.ParseUint(r.Key, 10, 64)
				if perr != nil {
					return fmt.Errorf("event seq %q: %w", r.Key, perr)
				}
				b := tx.Bucket(bucketCaseEvents)
				b.FillPercent = caseEventsFill
				err = b.Put(binary.BigEndian.AppendUint64(nil, seq), r.Value)
			case "learned":
				a, b, _ := strings.Cut(r.Key, "/")
				seq, err1 := strconv.ParseUint(a, 10, 64)
				i, err2 := strconv.ParseUint(b, 10, 16)
				if err1 != nil || err2 != nil {
					return fmt.Errorf("learned example key %q", r.Key)
				}
				k := binary.BigEndian.AppendUint64(nil, seq)
				err = tx.Bucket(bucketCaseLearned).Put(binary.BigEndian.AppendUint16(k, uint16(i)), r.Value)
			case "forgot":
				err = tx.Bucket(bucketCaseForgot).Put([]byte(r.Key), r.Value)
			case "idem":
				err = tx.Bucket(bucketCaseIdem).Put([]byte(r.Key), r.Value)
			case "cursor":
				seq, perr := strconv.ParseUint(string(r.Value), 10, 64)
				if perr != nil {
					return fmt.Errorf("cursor of %q: %w", r.Key, perr)
				}
				err = tx.Bucket(bucketDeliveryCursor).Put([]byte(r.Key), binary.BigEndian.AppendUint64(nil, seq))
			case "note":
				i := strings.LastIndexByte(r.Key, '/')
				seq, perr := strconv.ParseUint(r.Key[i+1:], 10, 64)
				if i < 0 || perr != nil {
					return fmt.Errorf("note key %q", r.Key)
				}
				err = tx.Bucket(bucketDeliveryNotes).Put(noteKey(r.Key[:i], seq), r.Value)
			case "blob":
				err = putBlobRecord(tx, r)
			default:
				return fmt.Errorf("unknown case record kind %q", r.Kind)
			}
			if err != nil {
				return fmt.Errorf("put %s %s: %w", r.Kind, r.Key, err)
			}
		}
		// Every record written here is in format 2 and indexed (events keep their format: both
		// read correctly).
		if err := meta.Put(caseFormatKey, []byte(caseEventsFormat)); err != nil {
			return err
		}
		return meta.Put(caseSearchKey, []byte(caseSearchVersion))
	})
	if err != nil {
		return fmt.Errorf("bolt: put case records: %w", err)
	}
	return nil
}

func putBlobRecord(tx *bbolt.Tx, r CaseRecord) error {
	k, err := blobKey(r.Key)
	if err != nil {
		return err
	}
	var br BlobRecord
	if err := json.Unmarshal(r.Value, &br); err != nil {
		return fmt.Errorf("decode attachment %s: %w", r.Key, err)
	}
	m := blobMeta{Type: br.Type, Size: int64(len(br.Data)), At: time.Now().UTC()}
	blobs := tx.Bucket(bucketAttachBlobs)
	for off := 0; off < len(br.Data); off += blobChunk {
		if err := blobs.Put(chunkKey(k, m.Chunks), br.Data[off:min(off+blobChunk, len(br.Data))]); err != nil {
			return err
		}
		m.Chunks++
	}
	v, _ := json.Marshal(m)
	return tx.Bucket(bucketAttachMeta).Put(k, v)
}

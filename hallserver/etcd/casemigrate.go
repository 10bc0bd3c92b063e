package etcd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/caseformat"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// CaseRecord is one record of the case system in a form that does not depend on the store
// (hallctl migrate; the same kinds as bolt.CaseRecord): "meta", "case" (the whole case with
// its timeline, JSON), "event" (Key the seq in decimal; the stored event), "learned" (Key
// "{seq}/{i}"), "forgot", "idem", "blob" (Value JSON {type, data}), "cursor" (Value the seq in
// decimal), "note" (Key "{name}/{seq}"). The indexes are built from the cases.
type CaseRecord struct {
	Kind, Key string
	Value     []byte
}

// blobRecord is the value of a "blob" record (bolt.BlobRecord).
type blobRecord struct {
	Type string `json:"type"`
	Data []byte `json:"data"`
}

// each calls fn with every key and value under the prefix p, page by page.
func (s *CaseStore) each(ctx context.Context, p string, fn func(key string, v []byte) error) error {
	from, end := p, clientv3.GetPrefixRangeEnd(p)
	for {
		r, err := s.cli.Get(ctx, from, clientv3.WithRange(end), clientv3.WithLimit(500))
		if err != nil {
			return fmt.Errorf("etcd: read %s: %w", p, err)
		}
		for _, kv := range r.Kvs {
			if err := fn(strings.TrimPrefix(string(kv.Key), p), kv.Value); err != nil {
				return err
			}
		}
		if !r.More || len(r.Kvs) == 0 {
			return nil
		}
		from = string(r.Kvs[len(r.Kvs)-1].Key) + "\x00"
	}
}

// CaseRecords calls fn with every record of the case system (every hall server stopped).
func (s *CaseStore) CaseRecords(ctx context.Context, fn func(CaseRecord) error) error {
	m, err := s.cli.Get(ctx, s.metaKey())
	if err != nil {
		return fmt.Errorf("etcd: read case meta: %w", err)
	}
	if len(m.Kvs) > 0 {
		if err := fn(CaseRecord{Kind: "meta", Value: m.Kvs[0].Value}); err != nil {
			return err
		}
	}
	var ids []string
	flush := func() error {
		got, err := s.readCases(ctx, ids, false)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if c := got[id]; c != nil {
				j, err := json.Marshal(c)
				if err != nil {
					return fmt.Errorf("etcd: encode case %s: %w", id, err)
				}
				if err := fn(CaseRecord{Kind: "case", Key: id, Value: j}); err != nil {
					return err
				}
			}
		}
		ids = ids[:0]
		return nil
	}
	if err := s.each(ctx, s.k("rec/"), func(k string, _ []byte) error {
		if ids = append(ids, k); len(ids) >= readBatch {
			return flush()
		}
		return nil
	}); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	simple := []struct{ kind, prefix string }{
		{"event", s.k("ev/")}, {"learned", s.k("learned/")}, {"forgot", s.k("forgot/")}, {"idem", s.k("idem/")},
		{"cursor", s.prefix + "dlv/cursor/"}, {"note", s.prefix + "dlv/note/"},
	}
	for _, st := range simple {
		err := s.each(ctx, st.prefix, func(k string, v []byte) error {
			switch st.kind {
			case "event", "learned", "note":
				// the decimal numbers in the keys without their leading zeros
				parts := strings.Split(k, "/")
				for i, p := range parts {
					if n, err := strconv.ParseUint(p, 10, 64); err == nil && (st.kind != "note" || i == len(parts)-1) {
						parts[i] = strconv.FormatUint(n, 10)
					}
				}
				k = strings.Join(parts, "/")
			}
			return fn(CaseRecord{Kind: st.kind, Key: k, Value: v})
		})
		if err != nil {
			return err
		}
	}
	var blobs []string
	if err := s.each(ctx, s.k("blob/"), func(k string, _ []byte) error {
		if id, ok := strings.CutSuffix(k, "/meta"); ok {
			blobs = append(blobs, id)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, id := range blobs {
		data, err := s.ReadBlob(ctx, id)
		if err != nil {
			return err
		}
		r, err := s.cli.Get(ctx, s.blobMetaKey(id))
		if err != nil || len(r.Kvs) == 0 {
			return fmt.Errorf("etcd: read attachment %s: %v", id, err)
		}
		var m blobMeta
		if err := json.Unmarshal(r.Kvs[0].Value, &m); err != nil {
			return fmt.Errorf("etcd: decode attachment meta %s: %w", id, err)
		}
		j, _ := json.Marshal(blobRecord{Type: m.Type, Data: data})
		if err := fn(CaseRecord{Kind: "blob", Key: id, Value: j}); err != nil {
			return err
		}
	}
	return nil
}

// ErrCasesNotEmpty is returned by PutCaseRecords when the cluster already holds a case log.
var ErrCasesNotEmpty = errors.New("etcd already holds case records")

// PutCaseRecords writes records in Txns within etcd's limits, each only while no server owns
// the halls, building each case's indexes as the commit that opened it would. The first call
// refuses a cluster that already holds a case meta (ErrCasesNotEmpty).
func (s *CaseStore) PutCaseRecords(ctx context.Context, recs []CaseRecord, first bool) error {
	if first {
		r, err := s.cli.Get(ctx, s.metaKey(), clientv3.WithCountOnly())
		if err != nil {
			return fmt.Errorf("etcd: check target: %w", err)
		}
		if r.Count > 0 {
			return ErrCasesNotEmpty
		}
	}
	noOwner := clientv3.Compare(clientv3.CreateRevision(s.prefix+"owner/"), "=", 0).WithPrefix()
	b := newCaseTxn()
	flush := func() error {
		if len(b.order) == 0 {
			return nil
		}
		ops := make([]clientv3.Op, 0, len(b.order))
		for _, k := range b.order {
			if v := b.puts[k]; v != nil {
				ops = append(ops, clientv3.OpPut(k, string(v)))
			} else {
				ops = append(ops, clientv3.OpDelete(k))
			}
		}
		t, err := s.cli.Txn(ctx).If(noOwner).Then(ops...).Commit()
		if err != nil {
			return fmt.Errorf("etcd: put case records: %w", err)
		}
		if !t.Succeeded {
			return ErrOwned
		}
		b = newCaseTxn()
		return nil
	}
	put := func(k string, v []byte) error {
		if len(b.order) > 0 && (len(b.order)+1 > MaxTxnOps || b.bytes+len(k)+len(v) > MaxTxnBytes) {
			if err := flush(); err != nil {
				return err
			}
		}
		b.set(k, v)
		return nil
	}
	num := func(x string) (uint64, error) { return strconv.ParseUint(x, 10, 64) }
	for _, r := range recs {
		var kvs []kv
		switch r.Kind {
		case "meta":
			kvs = []kv{{s.metaKey(), r.Value}}
		case "case":
			c := new(hall.Case)
			if err := json.Unmarshal(r.Value, c); err != nil {
				return fmt.Errorf("etcd: decode case %s: %w", r.Key, err)
			}
			rec, err := caseformat.Record(c)
			if err != nil {
				return err
			}
			w := &caseWrite{change: cases.Change{Cases: []hall.Case{*c}},
				Change: caseformat.Change{Opened: map[string]bool{c.ID: true}, Records: [][]byte{rec}}}
			pre, units, post, err := s.changeUnits(w, map[string]*caseState{})
			if err != nil {
				return err
			}
			for _, u := range append(append(pre, units...), post...) {
				kvs = append(kvs, u...)
			}
		case "event":
			seq, err := num(r.Key)
			if err != nil {
				return fmt.Errorf("etcd: event seq %q: %w", r.Key, err)
			}
			kvs = []kv{{s.evKey(seq), r.Value}}
		case "learned":
			a, bi, _ := strings.Cut(r.Key, "/")
			seq, err1 := num(a)
			i, err2 := num(bi)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("etcd: learned example key %q", r.Key)
			}
			kvs = []kv{{s.learnedKey(seq, int(i)), r.Value}}
		case "forgot":
			kvs = []kv{{s.forgotKey(r.Key), r.Value}}
		case "idem":
			kvs = []kv{{s.idemKey(r.Key), r.Value}}
		case "cursor":
			kvs = []kv{{s.prefix + "dlv/cursor/" + r.Key, r.Value}}
		case "note":
			i := strings.LastIndexByte(r.Key, '/')
			seq, err := num(r.Key[i+1:])
			if i < 0 || err != nil {
				return fmt.Errorf("etcd: note key %q", r.Key)
			}
			kvs = []kv{{fmt.Sprintf("%sdlv/note/%s/%020d", s.prefix, r.Key[:i], seq), r.Value}}
		case "blob":
			if err := checkBlobID(r.Key); err != nil {
				return err
			}
			var br blobRecord
			if err := json.Unmarshal(r.Value, &br); err != nil {
				return fmt.Errorf("etcd: decode attachment %s: %w", r.Key, err)
			}
			m := blobMeta{Type: br.Type, Size: int64(len(br.Data))}
			for off := 0; off < len(br.Data); off += blobChunk {
				kvs = append(kvs, kv{s.chunkKey(r.Key, m.Chunks), br.Data[off:min(off+blobChunk, len(br.Data))]})
				m.Chunks++
			}
			v, _ := json.Marshal(m)
			kvs = append(kvs, kv{s.blobMetaKey(r.Key), v}) // the meta after its chunks
		default:
			return fmt.Errorf("etcd: unknown case record kind %q", r.Kind)
		}
		for _, e := range kvs {
			if err := put(e.key, e.val); err != nil {
				return err
			}
		}
	}
	return flush()
}

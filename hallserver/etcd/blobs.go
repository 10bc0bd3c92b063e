package etcd

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
)

var _ enginehost.BlobStore = (*CaseStore)(nil)

// blobChunk is the most bytes of an attachment in one etcd value (etcd values stay well under
// its 1.5 MiB request limit; an attachment is up to 10 MiB: attach.MaxSize).
const blobChunk = 256 << 10

// blobMeta is the value of c/blob/{id}/meta: what is stored under a content hash. It is written
// after the chunks, in the last Txn: a blob without its meta is not there.
type blobMeta struct {
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	Chunks int    `json:"chunks"`
}

func (s *CaseStore) blobPrefix(id string) string  { return s.k("blob/", id, "/") }
func (s *CaseStore) blobMetaKey(id string) string { return s.blobPrefix(id) + "meta" }
func (s *CaseStore) chunkKey(id string, i int) string {
	return fmt.Sprintf("%sc%06d", s.blobPrefix(id), i)
}

func checkBlobID(id string) error {
	if b, err := hex.DecodeString(id); err != nil || len(b) != 32 {
		return hall.Errorf(hall.EINVALID, "attachment", "attachment ID %q is not a SHA-256", id)
	}
	return nil
}

// PutBlobs writes the files not stored yet (chunks in fenced Txns of at most MaxTxnBytes, the
// meta last) and returns the IDs it created.
func (s *CaseStore) PutBlobs(ctx context.Context, files []hall.AttachmentFile) ([]string, error) {
	key, rev, ok := s.fence()
	if !ok {
		return nil, ErrNotOwner
	}
	var created []string
	for _, f := range files {
		if err := checkBlobID(f.ID); err != nil {
			return created, err
		}
		c, cancel := context.WithTimeout(ctx, opTimeout)
		r, err := s.cli.Get(c, s.blobMetaKey(f.ID), clientv3.WithKeysOnly())
		cancel()
		if err != nil {
			return created, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: store attachments: %v", err)
		}
		if len(r.Kvs) > 0 {
			continue
		}
		m := blobMeta{Type: f.Type, Size: int64(len(f.Data))}
		var ops []clientv3.Op
		bytes := 0
		for off := 0; off < len(f.Data); off += blobChunk {
			part := f.Data[off:min(off+blobChunk, len(f.Data))]
			if bytes+len(part) > MaxTxnBytes {
				if err := s.txn(key, rev, ops); err != nil {
					return created, err
				}
				ops, bytes = nil, 0
			}
			ops = append(ops, clientv3.OpPut(s.chunkKey(f.ID, m.Chunks), string(part)))
			bytes += len(part)
			m.Chunks++
		}
		v, _ := json.Marshal(m)
		ops = append(ops, clientv3.OpPut(s.blobMetaKey(f.ID), string(v)))
		if err := s.txn(key, rev, ops); err != nil {
			return created, err
		}
		created = append(created, f.ID)
	}
	return created, nil
}

// DeleteBlobs deletes the blobs with these IDs (fenced).
func (s *CaseStore) DeleteBlobs(_ context.Context, ids []string) error {
	var ops []clientv3.Op
	for _, id := range ids {
		if err := checkBlobID(id); err != nil {
			return err
		}
		ops = append(ops, clientv3.OpDelete(s.blobPrefix(id), clientv3.WithPrefix()))
	}
	if len(ops) == 0 {
		return nil
	}
	if err := s.fenced(ops); err != nil {
		return fmt.Errorf("etcd: delete attachments: %w", err)
	}
	return nil
}

// ReadBlob returns the stored bytes of an attachment (ENOTFOUND when none).
func (s *CaseStore) ReadBlob(ctx context.Context, id string) ([]byte, error) {
	if checkBlobID(id) != nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "attachment", "no attachment %q", id)
	}
	c, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r, err := s.cli.Get(c, s.blobPrefix(id), clientv3.WithPrefix())
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: read attachment: %v", err)
	}
	var m *blobMeta
	var out []byte
	for _, kv := range r.Kvs { // chunks c000000… sort before "meta"
		if string(kv.Key) == s.blobMetaKey(id) {
			m = new(blobMeta)
			if err := json.Unmarshal(kv.Value, m); err != nil {
				return nil, fmt.Errorf("etcd: decode attachment meta %s: %w", id, err)
			}
			continue
		}
		out = append(out, kv.Value...)
	}
	if m == nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "attachment", "no attachment %q", id)
	}
	if int64(len(out)) != m.Size {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "etcd: attachment %s: %d bytes stored, %d expected", id, len(out), m.Size)
	}
	return out, nil
}

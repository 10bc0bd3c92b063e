package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
)

var _ enginehost.BlobStore = (*caseStore)(nil)

// blobChunk is the most bytes of an attachment kept in one value of attach.blobs: bbolt keeps
// large values in runs of contiguous pages, and smaller chunks reuse freed pages.
const blobChunk = 256 << 10

// blobMeta is the value of attach.meta: what is stored under a content hash.
type blobMeta struct {
	Type   string    `json:"type"`
	Size   int64     `json:"size"`
	Chunks int       `json:"chunks"`
	At     time.Time `json:"at"`
}

// blobKey is the key of an ID (hex SHA-256) in attach.meta, and the prefix of its chunks.
func blobKey(id string) ([]byte, error) {
	k, err := hex.DecodeString(id)
	if err != nil || len(k) != 32 {
		return nil, hall.Errorf(hall.EINVALID, "attachment", "attachment ID %q is not a SHA-256", id)
	}
	return k, nil
}

// chunkKey is the key of chunk i of a blob in attach.blobs.
func chunkKey(k []byte, i int) []byte {
	return binary.BigEndian.AppendUint32(bytes.Clone(k), uint32(i))
}

// PutBlobs writes the files not stored yet, in one transaction (fsync'd before it returns), and
// returns the IDs it created. A file whose ID is not the SHA-256 of its bytes is refused.
func (s *caseStore) PutBlobs(ctx context.Context, files []hall.AttachmentFile) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var created []string
	err := s.db.bolt.Update(func(tx *bbolt.Tx) error {
		created = created[:0]
		meta, err := tx.CreateBucketIfNotExists(bucketAttachMeta)
		if err != nil {
			return err
		}
		blobs, err := tx.CreateBucketIfNotExists(bucketAttachBlobs)
		if err != nil {
			return err
		}
		for _, f := range files {
			k, err := blobKey(f.ID)
			if err != nil {
				return err
			}
			if meta.Get(k) != nil {
				continue
			}
			m := blobMeta{Type: f.Type, Size: int64(len(f.Data)), At: s.now().UTC()}
			for off := 0; off < len(f.Data); off += blobChunk {
				if err := blobs.Put(chunkKey(k, m.Chunks), f.Data[off:min(off+blobChunk, len(f.Data))]); err != nil {
					return fmt.Errorf("put chunk of %s: %w", f.ID, err)
				}
				m.Chunks++
			}
			v, _ := json.Marshal(m)
			if err := meta.Put(k, v); err != nil {
				return fmt.Errorf("put attachment meta %s: %w", f.ID, err)
			}
			created = append(created, f.ID)
		}
		return nil
	})
	s.db.noteCommit(err)
	if err != nil {
		if hall.ErrorCode(err) != hall.EINTERNAL && hall.ErrorField(err) != "" {
			return nil, err
		}
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: store attachments: %v", err)
	}
	return created, nil
}

// DeleteBlobs deletes the blobs with these IDs (those a refused command had just created).
func (s *caseStore) DeleteBlobs(_ context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.db.bolt.Update(func(tx *bbolt.Tx) error {
		meta, blobs := tx.Bucket(bucketAttachMeta), tx.Bucket(bucketAttachBlobs)
		if meta == nil || blobs == nil {
			return nil
		}
		for _, id := range ids {
			k, err := blobKey(id)
			if err != nil {
				return err
			}
			v := meta.Get(k)
			if v == nil {
				continue
			}
			var m blobMeta
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode attachment meta %s: %w", id, err)
			}
			for i := 0; i < m.Chunks; i++ {
				if err := blobs.Delete(chunkKey(k, i)); err != nil {
					return err
				}
			}
			if err := meta.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	s.db.noteCommit(err)
	if err != nil {
		return fmt.Errorf("bolt: delete attachments: %w", err)
	}
	return nil
}

// ReadBlob returns the stored bytes of an attachment (ENOTFOUND when none).
func (s *caseStore) ReadBlob(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, err := blobKey(id)
	if err != nil {
		return nil, hall.Errorf(hall.ENOTFOUND, "attachment", "no attachment %q", id)
	}
	var out []byte
	found := false
	err = s.db.bolt.View(func(tx *bbolt.Tx) error {
		meta, blobs := tx.Bucket(bucketAttachMeta), tx.Bucket(bucketAttachBlobs)
		if meta == nil || blobs == nil {
			return nil
		}
		v := meta.Get(k)
		if v == nil {
			return nil
		}
		var m blobMeta
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("decode attachment meta %s: %w", id, err)
		}
		out = make([]byte, 0, m.Size)
		for i := 0; i < m.Chunks; i++ {
			c := blobs.Get(chunkKey(k, i))
			if c == nil {
				return fmt.Errorf("attachment %s: chunk %d of %d missing", id, i, m.Chunks)
			}
			out = append(out, c...)
		}
		if int64(len(out)) != m.Size {
			return fmt.Errorf("attachment %s: %d bytes stored, %d expected", id, len(out), m.Size)
		}
		found = true
		return nil
	})
	if err != nil {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "bolt: read attachment: %v", err)
	}
	if !found {
		return nil, hall.Errorf(hall.ENOTFOUND, "attachment", "no attachment %q", id)
	}
	return out, nil
}

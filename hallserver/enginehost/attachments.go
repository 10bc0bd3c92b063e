package enginehost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

var _ hall.CaseAttachmentService = (*Cases)(nil)

// BlobStore is the storage of attachment bytes, by content (ID = hex SHA-256). A CaseStore that
// also implements it lets Cases take attachments; the descriptions (hall.Attachment) travel in
// the case events, the bytes are written here first.
type BlobStore interface {
	// PutBlobs durably writes the files not stored yet and returns the IDs it created.
	PutBlobs(ctx context.Context, files []hall.AttachmentFile) (created []string, err error)
	// DeleteBlobs deletes blobs (those a refused command had just created).
	DeleteBlobs(ctx context.Context, ids []string) error
	// ReadBlob returns the bytes stored under an ID (ENOTFOUND when none).
	ReadBlob(ctx context.Context, id string) ([]byte, error)
}

// blobs returns the store's BlobStore (EUNAVAILABLE when the store keeps no attachments).
func (s *Cases) blobs() (BlobStore, error) {
	bs, ok := s.store.(BlobStore)
	if !ok {
		return nil, hall.Errorf(hall.EUNAVAILABLE, "", "this case store keeps no attachments")
	}
	return bs, nil
}

// describe checks that each file's ID and size are those of its bytes and returns the
// descriptions for the event.
func describe(files []hall.AttachmentFile) ([]hall.Attachment, error) {
	out := make([]hall.Attachment, len(files))
	for i, f := range files {
		h := sha256.Sum256(f.Data)
		if f.ID != hex.EncodeToString(h[:]) || f.Size != int64(len(f.Data)) {
			return nil, hall.Errorf(hall.EINVALID, "files", "file %q: ID or size is not that of its bytes", f.Name)
		}
		out[i] = f.Attachment
	}
	return out, nil
}

// withFiles runs an engine command that attaches files: under the log's lock, the files not
// stored yet are written (and fsync'd) first, then the command runs; when it refuses, the
// blobs it would have referenced and that this call created are deleted again, so a refused
// message leaves nothing behind. Every attaching command holds the same lock, so a blob this
// call created is referenced by no other change. A blob whose event then fails to commit
// stays unreferenced (it is never served: serving needs a case that references it).
func (s *Cases) withFiles(ctx context.Context, files []hall.AttachmentFile, cmd func(eng *cases.Engine, now time.Time, atts []hall.Attachment) (*hall.Case, cases.Change, error)) func(eng *cases.Engine, now time.Time) (*hall.Case, cases.Change, error) {
	return func(eng *cases.Engine, now time.Time) (c *hall.Case, ch cases.Change, err error) {
		atts, err := describe(files)
		if err != nil {
			return nil, cases.Change{}, err
		}
		if len(files) > 0 {
			bs, berr := s.blobs()
			if berr != nil {
				return nil, cases.Change{}, berr
			}
			created, perr := bs.PutBlobs(ctx, files)
			if perr != nil {
				return nil, cases.Change{}, perr
			}
			defer func() {
				if err != nil && len(created) > 0 {
					_ = bs.DeleteBlobs(context.WithoutCancel(ctx), created)
				}
			}()
		}
		return cmd(eng, now, atts)
	}
}

// AddDetailsWithFiles appends the requester's details with attachments and returns the public
// view (the bytes are durable before the event commits).
func (s *Cases) AddDetailsWithFiles(ctx context.Context, token, text string, files []hall.AttachmentFile) (*hall.Case, error) {
	return s.byToken(ctx, token, s.withFiles(ctx, files, func(eng *cases.Engine, now time.Time, atts []hall.Attachment) (*hall.Case, cases.Change, error) {
		return eng.AddDetailsWithFiles(now, token, text, atts)
	}))
}

// ReadAttachment returns the stored bytes of an attachment (ENOTFOUND when none). It does not
// authorize: the caller checks that a case it may see references the ID.
func (s *Cases) ReadAttachment(ctx context.Context, id string) ([]byte, error) {
	bs, err := s.blobs()
	if err != nil {
		return nil, err
	}
	return bs.ReadBlob(ctx, id)
}

// actWithFiles is the engine command of a staff action: the action's Files (a reply's) are
// stored first as with AddDetailsWithFiles, and the engine gets their descriptions only.
func (s *Cases) actWithFiles(ctx context.Context, a hall.CaseAction) func(eng *cases.Engine, now time.Time) (*hall.Case, cases.Change, error) {
	files := a.Files
	a.Files, a.Attachments = nil, nil
	return s.withFiles(ctx, files, func(eng *cases.Engine, now time.Time, atts []hall.Attachment) (*hall.Case, cases.Change, error) {
		a.Attachments = atts
		return eng.Act(now, a)
	})
}

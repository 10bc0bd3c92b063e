package bolt

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/attach"
	"onedoor/hallserver/hall"
)

// pngFile is an accepted PNG attachment of w×h noisy pixels (big ones span several chunks).
func pngFile(t *testing.T, name string, w, h int, seed uint64) hall.AttachmentFile {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
	}
	img.Set(0, 0, color.NRGBA{1, 2, 3, 255})
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	f, err := attach.Check(name, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return hall.AttachmentFile{Attachment: hall.Attachment{ID: attach.ID(f.Data), Name: f.Name, Type: f.Type, Size: int64(len(f.Data))}, Data: f.Data}
}

// blobCount counts the attachments stored in the file.
func (e *caseEnv) blobCount() (metas, chunks int) {
	e.t.Helper()
	_ = e.db.bolt.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(bucketAttachMeta); b != nil {
			metas = b.Stats().KeyN
		}
		if b := tx.Bucket(bucketAttachBlobs); b != nil {
			chunks = b.Stats().KeyN
		}
		return nil
	})
	return metas, chunks
}

// TestAttachmentsDurableAcrossReopen: files attached to the requester's details are in the
// committed event and case (public view too), their bytes read back equal after a restart, and
// a multi-chunk file is stored in chunks; the same bytes twice are stored once.
func TestAttachmentsDurableAcrossReopen(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	c := e.openCase(hall.OpenCaseRequest{Text: "宿舍楼道灯坏了", Requester: hall.Requester{Phone: "13812345678"}})
	small := pngFile(t, "楼道.png", 8, 8, 1)
	big := pngFile(t, "big.png", 700, 400, 2) // ≈1.1 MB: 5 chunks
	p, err := e.cs.AddDetailsWithFiles(ctx, c.Token, "照片如下", []hall.AttachmentFile{small, big})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Attachments(); len(got) != 2 || got[0].ID != small.ID || got[1].Name != "big.png" || got[1].Size != big.Size {
		t.Fatalf("public view attachments %+v", got)
	}
	seq := e.cs.LastSeq()
	// The same photo again (another message): stored once.
	if _, err := e.cs.AddDetailsWithFiles(ctx, c.Token, "", []hall.AttachmentFile{small}); err != nil {
		t.Fatal(err)
	}
	if metas, chunks := e.blobCount(); metas != 2 || chunks < 5 {
		t.Fatalf("stored %d blobs in %d chunks, want 2 in ≥5", metas, chunks)
	}

	e.reopen()
	full := e.get(c.ID)
	if got := full.Attachments(); len(got) != 3 {
		t.Fatalf("after reopen the case has %d attachments, want 3", len(got))
	}
	for _, f := range []hall.AttachmentFile{small, big} {
		b, err := e.cs.ReadAttachment(ctx, f.ID)
		if err != nil || !bytes.Equal(b, f.Data) {
			t.Fatalf("read %s after reopen: %d bytes, %v", f.Name, len(b), err)
		}
	}
	evs, _, err := e.cs.Since(ctx, seq-1)
	if err != nil || len(evs) == 0 {
		t.Fatalf("events: %v %v", evs, err)
	}
	ev := evs[0]
	if ev.Type != hall.CaseEvDetails || len(ev.Case.Timeline[len(ev.Case.Timeline)-1].Attachments) != 2 {
		t.Fatalf("the details event does not carry its attachments: %+v", ev.Case.Timeline)
	}
	if _, err := e.cs.ReadAttachment(ctx, attach.ID([]byte("never stored"))); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Fatalf("unknown attachment: %v", err)
	}
}

// TestAttachmentsRefusedStoreNothing: a message the workflow refuses (closed case, too many
// files, a description that is not its bytes) leaves no blob behind.
func TestAttachmentsRefusedStoreNothing(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	c := e.openCase(hall.OpenCaseRequest{Text: "食堂饭菜太咸", Requester: hall.Requester{Phone: "13812345678"}})
	six := make([]hall.AttachmentFile, 6)
	for i := range six {
		six[i] = pngFile(t, "p.png", 4, 4, uint64(10+i))
	}
	if _, err := e.cs.AddDetailsWithFiles(ctx, c.Token, "", six); hall.ErrorCode(err) != hall.EINVALID || hall.ErrorField(err) != "files" {
		t.Fatalf("six files: %v", err)
	}
	lying := pngFile(t, "p.png", 4, 4, 99)
	lying.Data = append(bytes.Clone(lying.Data), 0)
	if _, err := e.cs.AddDetailsWithFiles(ctx, c.Token, "", []hall.AttachmentFile{lying}); hall.ErrorCode(err) != hall.EINVALID {
		t.Fatalf("file whose ID is not its hash: %v", err)
	}
	e.act(hall.CaseAction{Case: c.ID, Action: hall.CaseActNotAccept, Role: hall.RoleSupervisor, Actor: "supervisor", ActorDepartment: hall.OfficeDepartment, Text: "不属于受理范围"})
	if _, err := e.cs.AddDetailsWithFiles(ctx, c.Token, "补充", six[:1]); hall.ErrorCode(err) != hall.ECONFLICT {
		t.Fatalf("closed case: %v", err)
	}
	if metas, chunks := e.blobCount(); metas != 0 || chunks != 0 {
		t.Fatalf("refused messages left %d blobs (%d chunks)", metas, chunks)
	}
}

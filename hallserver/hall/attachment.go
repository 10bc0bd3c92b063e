package hall

import "context"

// Attachment is a file (photo or PDF) attached to one message of a case: a timeline entry (the
// requester's details, the opening request, a reply). The bytes are stored once per content
// (ID is their SHA-256, hex), written before the event that carries this description commits.
type Attachment struct {
	ID   string `json:"id"`   // hex SHA-256 of the stored bytes (after metadata stripping)
	Name string `json:"name"` // cleaned file name, with the extension of its type
	Type string `json:"type"` // the type sniffed from the bytes: image/jpeg, image/png, image/webp, application/pdf
	Size int64  `json:"size"` // bytes stored
}

// AttachmentFile is an accepted file on its way to the store: its description and bytes.
type AttachmentFile struct {
	Attachment
	Data []byte `json:"-"`
}

// PublicFiles reports whether the attachments of an entry of this type are shown on the public
// follow page: the requester's own (the opening request, details they added) and the
// department's reply. Attachments of other entries (notes, interim answers, co-handling) are
// staff-only.
func (t CaseEventType) PublicFiles() bool {
	return t == CaseEvReceived || t == CaseEvDetails || t == CaseEvReplied
}

// Attachments returns every attachment of the case's timeline, in order.
func (c *Case) Attachments() []Attachment {
	var out []Attachment
	for i := range c.Timeline {
		out = append(out, c.Timeline[i].Attachments...)
	}
	return out
}

// Attachment returns the attachment with this ID from the case's timeline (ok false when the
// case has none with it).
func (c *Case) Attachment(id string) (Attachment, bool) {
	for i := range c.Timeline {
		for _, a := range c.Timeline[i].Attachments {
			if a.ID == id {
				return a, true
			}
		}
	}
	return Attachment{}, false
}

// CaseAttachmentService is the part of the case service that takes and serves attachments.
// Implementations write the files before the event that references them commits.
type CaseAttachmentService interface {
	// AddDetailsWithFiles appends the requester's details (text may be empty when files are
	// given) with the files attached to that entry; a case waiting on the requester resumes.
	AddDetailsWithFiles(ctx context.Context, token, text string, files []AttachmentFile) (*Case, error)
	// ReadAttachment returns the stored bytes of an attachment (ENOTFOUND when none). It does
	// not authorize: callers check that the case they may see references the ID.
	ReadAttachment(ctx context.Context, id string) ([]byte, error)
}

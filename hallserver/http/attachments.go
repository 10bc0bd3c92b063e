package http

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"time"

	"onedoor/hallserver/attach"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// Attachments of case messages (docs/CASES.md "Attachments"):
//
//	POST /api/v1/case-follow/{token}/attachments      the requester: details with files (multipart)
//	GET  /api/v1/case-follow/{token}/attachments/{id} the requester: their own files and the reply's
//	GET  /api/v1/cases/{id}/attachments/{file}        staff who may see the case
//	POST /api/v1/cases/{id}/reply                     the lead department: a reply with files (multipart)
//
// The files are checked here (package attach: type from the bytes, size, metadata stripped)
// before anything is stored; the case service stores the bytes before the event that lists
// them.

// Limits of an upload.
const (
	// maxUploadText is the most bytes of the "text" part.
	maxUploadText = 8 << 10
	// maxUploadParts is the most parts of an upload (the files, the text, a little slack).
	maxUploadParts = attach.MaxFiles + 3
	// maxUpload bounds a whole upload body: the files, the text and the multipart framing.
	maxUpload = attach.MaxFiles*attach.MaxSize + 256<<10
)

// attachService returns the case service's attachment side (503 when it has none).
func (s *Server) attachService() (hall.CaseAttachmentService, error) {
	if as, ok := s.cfg.Cases.(hall.CaseAttachmentService); ok && s.cfg.Cases != nil {
		return as, nil
	}
	return nil, hall.Errorf(hall.EUNAVAILABLE, "", "attachments are not available on this server")
}

// readUpload reads a multipart/form-data body: an optional part "text" and up to attach.MaxFiles
// parts "files", each checked by attach.Check. Errors name the file: 415 for a type that is not
// a photo or PDF (or a body that is not multipart), 413 for a file over the limit (or a body
// over maxUpload), 400 for the rest. Nothing is stored here.
func readUpload(w http.ResponseWriter, r *http.Request) (text string, files []hall.AttachmentFile, err error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return "", nil, hall.Errorf(wire.EUNSUPPORTED, "body", "send multipart/form-data (parts \"text\" and \"files\")")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	mr := multipart.NewReader(r.Body, params["boundary"])
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, uploadBodyErr(err)
		}
		if n >= maxUploadParts {
			return "", nil, hall.Errorf(hall.EINVALID, "files", "at most %d files per message", attach.MaxFiles)
		}
		switch part.FormName() {
		case "text":
			b, err := io.ReadAll(io.LimitReader(part, maxUploadText+1))
			if err != nil {
				return "", nil, uploadBodyErr(err)
			}
			if len(b) > maxUploadText {
				return "", nil, hall.Errorf(hall.EINVALID, "text", "text is longer than %d bytes", maxUploadText)
			}
			text = string(b)
		case "files":
			f, err := readUploadFile(part, len(files))
			if err != nil {
				return "", nil, err
			}
			files = append(files, f)
		default:
			return "", nil, hall.Errorf(hall.EINVALID, part.FormName(), "unknown part %q (only \"text\" and \"files\")", part.FormName())
		}
	}
	if len(files) == 0 {
		return "", nil, hall.Errorf(hall.EINVALID, "files", "no file: add 1 to %d parts \"files\"", attach.MaxFiles)
	}
	return text, files, nil
}

// uploadBodyErr is the error of a multipart body that could not be read: 413 over maxUpload,
// 400 otherwise.
func uploadBodyErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return hall.Errorf(ETOOLARGE, "files", "the upload is larger than %d MB", maxUpload>>20)
	}
	return hall.Errorf(hall.EINVALID, "body", "malformed multipart body: %v", err)
}

// readUploadFile reads a part "files" as the message's next file when it already has have
// files, checked by attach.Check (415 for a type that is not a photo or PDF, 413 for a file over
// the limit, 400 for the rest; the error names the file).
func readUploadFile(part *multipart.Part, have int) (hall.AttachmentFile, error) {
	name := part.FileName()
	if have == attach.MaxFiles {
		return hall.AttachmentFile{}, hall.Errorf(hall.EINVALID, "files", "file %q: at most %d files per message", name, attach.MaxFiles)
	}
	b, err := io.ReadAll(io.LimitReader(part, attach.MaxSize+1))
	if err != nil {
		return hall.AttachmentFile{}, uploadBodyErr(err)
	}
	f, err := attach.Check(name, b)
	switch {
	case errors.Is(err, attach.ErrTooLarge):
		return hall.AttachmentFile{}, hall.Errorf(ETOOLARGE, "files", "file %q is larger than %d MB", name, attach.MaxSize>>20)
	case errors.Is(err, attach.ErrType):
		return hall.AttachmentFile{}, hall.Errorf(wire.EUNSUPPORTED, "files", "file %q: %v", name, err)
	case err != nil:
		return hall.AttachmentFile{}, hall.Errorf(hall.EINVALID, "files", "file %q: %v", name, err)
	}
	return hall.AttachmentFile{
		Attachment: hall.Attachment{ID: attach.ID(f.Data), Name: f.Name, Type: f.Type, Size: int64(len(f.Data))},
		Data:       f.Data,
	}, nil
}

func (s *Server) handleCaseAttach(w http.ResponseWriter, r *http.Request) {
	cs, err := s.casesService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	as, err := s.attachService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tok, err := caseToken(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The case first: a stranger's upload to a token that follows nothing is not read.
	if _, tok, err = s.caseByToken(r, cs, tok); err != nil {
		s.writeError(w, r, err)
		return
	}
	text, files, err := readUpload(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := as.AddDetailsWithFiles(r.Context(), tok, text, files)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.caseFollow(r, c))
}

// handleCaseFollowAttachment serves a file of the followed case's public view: the requester's
// own and the reply's (hall.CaseEventType.PublicFiles).
func (s *Server) handleCaseFollowAttachment(w http.ResponseWriter, r *http.Request) {
	_, c, _, err := s.followedCase(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.serveAttachment(w, r, c, r.PathValue("id"))
}

// handleCaseAttachment serves a file of a case to staff who may see it (the case policy, as
// for GET /api/v1/cases/{id}).
func (s *Server) handleCaseAttachment(w http.ResponseWriter, r *http.Request) {
	p, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.caseSvc.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.serveAttachment(w, r, c, r.PathValue("file"))
}

// serveAttachment sends the file id if the case (as the caller sees it) lists it: the stored,
// sniffed type; inline for photos, as a download for PDFs; a CSP that runs nothing (sandbox).
func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request, c *hall.Case, id string) {
	a, ok := c.Attachment(id)
	if !ok || !attach.IsID(id) {
		s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "attachment", "no attachment %q on this case", id))
		return
	}
	as, err := s.attachService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := as.ReadAttachment(r.Context(), a.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	typ := attach.Sniff(b) // what is stored decides, never a description
	if typ == "" {
		typ = "application/octet-stream"
	}
	disp := "inline"
	if !attach.IsImage(typ) {
		disp = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": a.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("ETag", fmt.Sprintf("%q", a.ID))
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

// isMultipart reports whether the request's body is multipart/form-data.
func isMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// readActionUpload reads a staff action sent as multipart/form-data: a reply with files
// (parts "text" and "files", as readUpload). Other actions take JSON only.
func readActionUpload(w http.ResponseWriter, r *http.Request, a *hall.CaseAction) error {
	if action := r.PathValue("action"); action != hall.CaseActReply {
		return hall.Errorf(wire.EUNSUPPORTED, "body", "only a reply takes files (multipart/form-data); send %s as JSON", action)
	}
	text, files, err := readUpload(w, r)
	if err != nil {
		return err
	}
	a.Text, a.Files = text, files
	return nil
}

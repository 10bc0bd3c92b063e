package cases

import (
	"time"

	"onedoor/hallserver/hall"
)

// Limits of attachments the workflow keeps (the file checks themselves are package attach's).
const (
	MaxMessageFiles = 5  // files on one message
	MaxCaseFiles    = 20 // files a requester may attach to one case in all
)

// AddDetailsWithFiles appends the requester's details with files attached to that timeline
// entry (case.details_added; the event's case carries them). The text may be empty when files
// are given. A case waiting on the requester resumes, as with AddDetails.
//
// Errors: ENOTFOUND token; EINVALID text or too many files on the message (field "files");
// ECONFLICT when MaxDetails were already added or the case would hold more than MaxCaseFiles
// of the requester's files.
func (e *Engine) AddDetailsWithFiles(now time.Time, token, text string, files []hall.Attachment) (*hall.Case, Change, error) {
	return e.byTokenCmd(now, token, func(c *hall.Case) error {
		var err error
		if len(files) == 0 {
			text, err = needText("text", text, MaxText)
		} else {
			text, err = optText("text", text, MaxText)
		}
		if err != nil {
			return err
		}
		if len(files) > MaxMessageFiles {
			return hall.Errorf(hall.EINVALID, "files", "at most %d files per message", MaxMessageFiles)
		}
		n, nf := 0, 0
		for _, en := range c.Timeline {
			if en.Type == hall.CaseEvDetails {
				n++
			}
			if en.Type == hall.CaseEvDetails || en.Type == hall.CaseEvReceived {
				nf += len(en.Attachments)
			}
		}
		if n >= MaxDetails {
			return hall.Errorf(hall.ECONFLICT, "text", "at most %d additions per case", MaxDetails)
		}
		if nf+len(files) > MaxCaseFiles {
			return hall.Errorf(hall.ECONFLICT, "files", "at most %d files per case (%d already)", MaxCaseFiles, nf)
		}
		e.emit(now, c, hall.CaseEvDetails, "", c.Department, "", text)
		e.attachLast(c, files)
		if c.State == hall.CaseWaitingRequester {
			e.unpause(now, c)
			c.State = hall.CaseInProgress
			c.Question = ""
			e.emit(now, c, hall.CaseEvResumed, "", c.Department, "", "")
		}
		return nil
	})
}

// attachLast attaches files to the case's last timeline entry and to the snapshot of the event
// just emitted for it (call right after emit).
func (e *Engine) attachLast(c *hall.Case, files []hall.Attachment) {
	if len(files) == 0 || len(c.Timeline) == 0 {
		return
	}
	files = append([]hall.Attachment(nil), files...)
	c.Timeline[len(c.Timeline)-1].Attachments = files
	if n := len(e.ch.Events); n > 0 {
		if snap := e.ch.Events[n-1].Case; snap != nil && len(snap.Timeline) == len(c.Timeline) {
			snap.Timeline[len(snap.Timeline)-1].Attachments = files
		}
	}
}

// actionFiles checks the files of a staff action: only a reply carries files, at most
// MaxMessageFiles.
func actionFiles(a *hall.CaseAction) error {
	if len(a.Attachments) == 0 {
		return nil
	}
	if a.Action != hall.CaseActReply {
		return hall.Errorf(hall.EINVALID, "files", "only a reply carries files")
	}
	if len(a.Attachments) > MaxMessageFiles {
		return hall.Errorf(hall.EINVALID, "files", "at most %d files per message", MaxMessageFiles)
	}
	return nil
}

package wire

import (
	"onedoor/hallserver/hall"
)

// AskRequest is the body of POST /api/v1/ask, the public web portal (no login): a consultation,
// complaint or suggestion from anyone. Sent as JSON, or as multipart/form-data with this JSON in
// the part "request" and up to 5 parts "files" (photos or PDF).
type AskRequest struct {
	Kind hall.Kind `json:"kind"`
	Text string    `json:"text"`
	// Department, when the person picked one ("@相关部门"), skips the router.
	Department string      `json:"department,omitempty"`
	Contact    *AskContact `json:"contact,omitempty"`
	// Anonymous asks the departments not to see who asked (the contact is kept for the office).
	Anonymous bool   `json:"anonymous,omitempty"`
	Lang      string `json:"lang,omitempty"`
	// Website is the honeypot: a field the page hides from people; a request that fills it in
	// is refused.
	Website string `json:"website,omitempty"`
}

// AskContact is the optional contact of a public request.
type AskContact struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	// Number is the student or staff number.
	Number string `json:"number,omitempty"`
}

// AskCase answers POST /api/v1/ask (201): the case number, its follow token and link (the same
// /c/{token} page as a ticket's case) and a QR code of the link to keep.
type AskCase struct {
	WebCase
	// QRURL is a PNG of the follow link's QR code (GET /api/v1/case-follow/{token}/qr).
	QRURL string `json:"qrUrl"`
	// Files is how many attachments were stored with the request.
	Files int `json:"files"`
}

// AskSuggestion answers GET /api/v1/ask/suggest?text=: the department the router would send the
// text to, and the next likely ones, for the person to pick from.
type AskSuggestion struct {
	Department     string          `json:"department"`
	DepartmentName hall.Text       `json:"departmentName"`
	Confidence     float64         `json:"confidence"`
	Alternatives   []AskDepartment `json:"alternatives"`
}

// AskDepartment is a department the router suggests besides the first.
type AskDepartment struct {
	Department     string    `json:"department"`
	DepartmentName hall.Text `json:"departmentName"`
}

// HotlineCase is a case as the hotline desk sees it (cases.HotlineView: the requester's view
// without its token), with the department's name.
type HotlineCase struct {
	hall.Case
	DepartmentName hall.Text `json:"departmentName"`
}

// HotlineCases answers the hotline desk's lists: a caller's earlier cases (GET
// /api/v1/hotline/cases?phone=) and the callback list (GET /api/v1/hotline/callbacks).
type HotlineCases struct {
	Cases []HotlineCase `json:"cases"`
}

// HotlineRating is the body of POST /api/v1/hotline/cases/{number}/rating: the caller's rating
// taken on a callback (回访).
type HotlineRating struct {
	Stars   int    `json:"stars"`
	Comment string `json:"comment,omitempty"`
}

// Package wire holds the JSON bodies of the hall server's API (/api/v1): what the server
// (hallserver/http) encodes and decodes and what the Go client (hallserver/client) sends and
// reads, declared once so the two cannot drift. It imports only package hall and the standard
// library; it has no behaviour beyond small conversions.
//
// The JSON field names are a public contract (browsers, the outside checks and other programs
// read them): never rename one. testdata/ holds answers captured from the server; the tests
// decode and re-encode each and compare.
//
// The stream messages (hall and case streams) and the Open311 bodies live with their own code.
package wire

import (
	"time"

	"onedoor/hallserver/hall"
)

// Error codes the HTTP layer adds to the domain codes of package hall (hall.EINVALID…).
const (
	ETOOLARGE = "too_large"         // the request body is over the size limit (413)
	ETIMEOUT  = "request_timeout"   // the request body did not arrive in time (408)
	ETOOMANY  = "too_many_requests" // refused by a rate limit (429)
	// EUNSUPPORTED is a file (attachment) or body of a type the endpoint does not take (415).
	EUNSUPPORTED = "unsupported_type"
	// EPRECONDITION is a change that must say which version it edits (If-Match) and did not
	// (428).
	EPRECONDITION = "precondition_required"
)

// ErrorBody is the JSON shape of every error answer: {"error":{"code","message","field?"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error object of an ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Errors, when the input had several problems (an invalid campus), lists every one with
	// its field path; code, message and field above are the first one's.
	Errors []ErrorDetail `json:"errors,omitempty"`
	// OpensAt, on service_closed and quota_reached, is when the service issues tickets again
	// (RFC 3339 in the campus zone); omitted when it will not (its season is over).
	OpensAt *time.Time `json:"opensAt,omitempty"`
}

// HallError returns the error as a *hall.Error with the same code, field, message and opensAt.
func (d ErrorDetail) HallError() *hall.Error {
	e := &hall.Error{Code: d.Code, Field: d.Field, Message: d.Message, OpensAt: d.OpensAt}
	for _, x := range d.Errors {
		e.Details = append(e.Details, x.HallError())
	}
	return e
}

// Campus is the campus configuration with its version: the answer of GET and PUT
// /api/v1/admin/campus, and the body of the PUT (which needs only campus; the version it edits
// goes in If-Match). Campus has exactly the keys of the campus YAML.
type Campus struct {
	Version string      `json:"version,omitempty"`
	Campus  hall.Campus `json:"campus"`
}

package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// ETOOLARGE is the error code of a request body over the size limit (413). The HTTP layer adds
// three codes to the domain codes of package hall: ETOOLARGE, ETIMEOUT and ETOOMANY (loginlimit.go).
const ETOOLARGE = wire.ETOOLARGE

// ETIMEOUT is the error code of a request whose body did not arrive within the server's read
// timeout (408).
const ETIMEOUT = wire.ETIMEOUT

// statusClientClosed is the status (nginx's 499 "client closed request") logged and counted in
// onedoor_http_requests_total for a request whose client went away before its answer, e.g. a
// kiosk that hung up while its ticket was being committed. It is not a server error: the change
// is committed all the same (the store's committer never looks at the request context), and the
// client, which never sees this status, gets the result by retrying with its Idempotency-Key.
const statusClientClosed = 499

// clientGone reports whether err comes from the request's own context ending: the client closed
// the connection (or the server closed it) before the answer.
func clientGone(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) && r.Context().Err() != nil
}

// maxBody is the largest request body the API accepts.
const maxBody = 64 << 10

// statusOf maps an error code to its HTTP status (the table is package wire's, shared with the
// client).
func statusOf(code string) int { return wire.Status(code) }

// writeError sends err as a JSON error. Errors that are not domain errors are logged with the
// request and answered with a generic message, so internals never reach the client. A request
// whose client went away is logged at info and answered (to nobody) with statusClientClosed.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := hall.ErrorCode(err)
	msg := hall.ErrorMessage(err)
	field := hall.ErrorField(err)
	status := statusOf(code)
	if clientGone(r, err) {
		s.log.Info("client closed the request", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, statusClientClosed, wire.ErrorBody{Error: wire.ErrorDetail{Code: code, Message: "client closed the request"}})
		return
	}
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "code", code, "err", err)
		if code == hall.EINTERNAL {
			msg, field = "internal error", ""
		}
	}
	d := wire.ErrorDetail{Code: code, Message: msg, Field: field, OpensAt: hall.ErrorOpensAt(err)}
	var he *hall.Error
	if status < 500 && errors.As(err, &he) {
		for _, x := range he.Details {
			d.Errors = append(d.Errors, wire.ErrorDetail{Code: x.Code, Message: x.Message, Field: x.Field})
		}
	}
	writeJSON(w, status, wire.ErrorBody{Error: d})
}

// writeJSON sends v as JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	// Encoded into a pooled buffer (json.Marshal would copy the bytes out, and the newline
	// again): Encode writes what Marshal does, and the newline.
	buf := jsonBufs.Get().(*bytes.Buffer)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		// Only a bug can get here (our own types always marshal).
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"internal error"}}` + "\n")
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = hdrNoStore
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	if buf.Cap() <= 64<<10 { // large answers (a report) are not kept
		jsonBufs.Put(buf)
	}
}

// jsonBufs are writeJSON's buffers.
var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeJSON reads a JSON object from the request body into dst. Unknown fields, trailing data,
// syntax errors and wrong types are EINVALID errors naming the problem (and the field when known);
// a body over maxBody is ETOOLARGE. An empty body is accepted only when optional is true.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	return decodeJSONMax(w, r, dst, optional, maxBody)
}

// decodeJSONMax is decodeJSON with another size limit (a whole campus is larger than maxBody).
func decodeJSONMax(w http.ResponseWriter, r *http.Request, dst any, optional bool, maxBody int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if errors.Is(err, io.EOF) {
		if optional {
			return nil
		}
		return hall.Errorf(hall.EINVALID, "", "request body is required (a JSON object)")
	}
	if err == nil {
		// Anything after the one object is a mistake.
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			var mbe *http.MaxBytesError
			if errors.As(err2, &mbe) {
				return hall.Errorf(ETOOLARGE, "", "request body is larger than %d bytes", maxBody)
			}
			return hall.Errorf(hall.EINVALID, "", "malformed JSON: data after the object")
		}
		return nil
	}
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
		ne  net.Error
	)
	switch {
	case errors.As(err, &mbe):
		return hall.Errorf(ETOOLARGE, "", "request body is larger than %d bytes", maxBody)
	case errors.As(err, &ne) && ne.Timeout():
		return hall.Errorf(ETIMEOUT, "", "the request body did not arrive in time")
	case errors.As(err, &syn):
		return hall.Errorf(hall.EINVALID, "", "malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return hall.Errorf(hall.EINVALID, "", "malformed JSON: the body ends too early")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return hall.Errorf(hall.EINVALID, "", "malformed JSON: expected an object, got %s", typ.Value)
		}
		return hall.Errorf(hall.EINVALID, typ.Field, "field %q must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return hall.Errorf(hall.EINVALID, f, "unknown field %q", f)
	}
	return hall.Errorf(hall.EINVALID, "", "malformed JSON: %v", err)
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	}
	return fmt.Sprintf("a %s", k)
}

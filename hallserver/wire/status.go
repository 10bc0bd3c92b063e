package wire

import (
	"net/http"

	"onedoor/hallserver/hall"
)

// codeStatus pairs an error code with the HTTP status of its answers.
type codeStatus struct {
	code   string
	status int
}

// statuses is the one table of error codes and their statuses, read both ways.
func statuses() [17]codeStatus {
	return [...]codeStatus{
		{hall.EINVALID, http.StatusBadRequest},
		{hall.EUNAUTHORIZED, http.StatusUnauthorized},
		{hall.EFORBIDDEN, http.StatusForbidden},
		{hall.ENOTFOUND, http.StatusNotFound},
		{hall.ECONFLICT, http.StatusConflict},
		{hall.EUNPROCESSABLE, http.StatusUnprocessableEntity},
		{hall.EUNAVAILABLE, http.StatusServiceUnavailable},
		{hall.EINTERNAL, http.StatusInternalServerError},
		{ETOOLARGE, http.StatusRequestEntityTooLarge},
		{ETOOMANY, http.StatusTooManyRequests},
		{ETIMEOUT, http.StatusRequestTimeout},
		{EUNSUPPORTED, http.StatusUnsupportedMediaType},
		{EPRECONDITION, http.StatusPreconditionRequired},
		{hall.ESERVICECLOSED, http.StatusConflict},
		{hall.EQUOTAREACHED, http.StatusConflict},
		{hall.ETOOEARLY, http.StatusConflict},
		{hall.ETOOLATE, http.StatusConflict},
	}
}

// Status returns the HTTP status of an error answer with the code (500 for an unknown code).
func Status(code string) int {
	for _, cs := range statuses() {
		if cs.code == code {
			return cs.status
		}
	}
	return http.StatusInternalServerError
}

// CodeOf returns the error code an answer with the status but without a JSON error body stands
// for (one from a proxy in front of the server, say): the code with that status, unavailable
// for the gateway errors 502 and 504, internal otherwise.
func CodeOf(status int) string {
	if status == http.StatusBadGateway || status == http.StatusGatewayTimeout {
		return hall.EUNAVAILABLE
	}
	for _, cs := range statuses() {
		if cs.status == status {
			return cs.code
		}
	}
	return hall.EINTERNAL
}

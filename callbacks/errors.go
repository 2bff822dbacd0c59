package callbacks

import (
	"errors"
	"net/http"
)

// Error codes of the wire protocol.
const (
	CodeBadRequest      = "bad_request"
	CodeUnauthenticated = "unauthenticated"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	CodeTooLarge        = "too_large"
	// CodeUnsupportedMediaType (415) answers an HTTP call whose body is
	// not sent as application/json.
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeInternal             = "internal"
	CodeTimeout              = "timeout"
	CodeCancelled            = "cancelled"
	CodeUnavailable          = "unavailable"
	// CodeTooMany (429) refuses a call over Config.MaxConcurrentPerCaller.
	CodeTooMany = "too_many"
)

// Error is a callback failure the client sees as it is. A callback that
// returns an *Error (or wraps one) sends its code and message; any other
// error is logged and sent as "internal" with a generic message, so that
// internal details never reach the client.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// NewError returns an *Error with the given code (one of the Code
// constants) and message, which the caller sees as it is.
func NewError(code, message string) *Error { return &Error{Code: code, Message: message} }

// status is the HTTP status of an error code.
func status(code string) int {
	switch code {
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case CodeTimeout:
		return http.StatusGatewayTimeout
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeCancelled:
		return 499 // client closed request, as nginx says
	case CodeTooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// asError turns what a callback returned into the error the client sees.
func asError(err error) (e *Error, internal bool) {
	if errors.As(err, &e) {
		return e, false
	}
	return NewError(CodeInternal, "internal error"), true
}

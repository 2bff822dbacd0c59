package adapter

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ErrBodyTooLarge is what ReadBody returns for a body over its limit;
// package backends exports it as backends.ErrBodyTooLarge.
var ErrBodyTooLarge = errors.New("backends: request body too large")

// ReadBody reads at most limit bytes of a net/http request body. One byte more than the limit is read to tell "exactly at the
// limit" from "over it".
func ReadBody(r *http.Request, limit int) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > int64(limit) {
		return nil, fmt.Errorf("%w: %d bytes declared, limit %d", ErrBodyTooLarge, r.ContentLength, limit)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%w: limit %d", ErrBodyTooLarge, limit)
	}
	return b, nil
}

// HeaderValues returns the values of the named header of a net/http
// request. The names authwire asks for are canonical
// already, so the map is read directly first; canonicalizing
// "Authorization" again on every request costs more than the lookup.
func HeaderValues(h http.Header, name string) []string {
	if v, ok := h[name]; ok {
		return v
	}
	return h.Values(name)
}

// FirstValue returns the first of vs, or "".
func FirstValue(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

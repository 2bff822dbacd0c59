package backends

import (
	"fmt"
	"io"
	"net/http"
)

// readBody reads at most limit bytes of a net/http request body (Gin uses
// it too). One byte more than the limit is read to tell "exactly at the
// limit" from "over it".
func readBody(r *http.Request, limit int) ([]byte, error) {
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

// headerValues returns the values of the named header of a net/http
// request (Gin uses it too). The names authwire asks for are canonical
// already, so the map is read directly first; canonicalizing
// "Authorization" again on every request costs more than the lookup.
func headerValues(h http.Header, name string) []string {
	if v, ok := h[name]; ok {
		return v
	}
	return h.Values(name)
}

// firstValue returns the first of vs, or "".
func firstValue(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

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

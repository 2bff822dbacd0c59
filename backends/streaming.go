package backends

import "net/http"

// StreamingHandler is an optional interface for a handler given to
// fiberbackend.Handler. Streams reports whether the answer to r may be flushed
// before the handler returns. fasthttp can send an answer while a handler
// runs only if the handler runs in a goroutine of its own, which costs a
// hand-off between goroutines on every request; a handler that says a
// request does not stream is run on Fiber's goroutine, buffered. Handlers
// without the method are assumed to stream.
type StreamingHandler interface {
	http.Handler
	Streams(r *http.Request) bool
}

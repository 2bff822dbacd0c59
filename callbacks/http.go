package callbacks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// Handler serves everything under the prefix: POST <prefix>/<name> calls,
// GET <prefix>/client.js, and the WebSocket at <prefix>/ws. A call must be
// sent as application/json (else 415) and, from a browser, by a page of
// the same origin or a trusted one (else 403): see the package
// documentation. [Registry.Mount] mounts it; on a router that is not a
// backends.Router, mount it so that it sees every path below the prefix
// (net/http: "/_callbacks/", with the slash).
//
// A request that did not pass the guard gets 500 (see auth.Auth's
// Guarded). The handler is a backends.StreamingHandler: only calls of
// stream callbacks are streamed, so on Fiber a unary call runs without a
// hand-off between goroutines.
func (r *Registry) Handler() http.Handler {
	return registryHandler{r}
}

// registryHandler is the http.Handler of a Registry.
type registryHandler struct{ r *Registry }

var _ backends.StreamingHandler = registryHandler{}

func (h registryHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) { h.r.serveHTTP(w, req) }

// Streams reports whether req calls a stream callback, whose answer is
// flushed item by item.
func (h registryHandler) Streams(req *http.Request) bool {
	name, ok := strings.CutPrefix(req.URL.Path, h.r.cfg.Prefix+"/")
	if !ok || req.Method != http.MethodPost {
		return false
	}
	cb := h.r.set.get(name)
	return cb != nil && cb.Stream != nil
}

func (r *Registry) serveHTTP(w http.ResponseWriter, req *http.Request) {
	name, ok := strings.CutPrefix(req.URL.Path, r.cfg.Prefix+"/")
	switch {
	case !r.auth.Guarded(req):
		writeError(w, NewError(CodeInternal, "this server is misconfigured: the request did not pass authwire's guard"))
		return
	case !ok:
		writeError(w, NewError(CodeNotFound, "no such callback"))
		return
	case name == "client.js":
		serveClient(w, req)
		return
	case name == "ws":
		if r.ws == nil {
			writeError(w, NewError(CodeNotFound, "the WebSocket transport is not enabled"))
			return
		}
		r.serveSocket(w, req)
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMethodNotAllowed)
		json.NewEncoder(w).Encode(errorFrame{Error: NewError(CodeBadRequest, "call a callback with POST")})
		return
	}
	if err := r.auth.CheckCrossOrigin(backends.HTTPExchange(w, req)); err != nil {
		writeError(w, NewError(CodeForbidden, "cross-origin call refused: call callbacks from the site's own pages"))
		return
	}
	if !isJSON(req.Header.Get("Content-Type")) {
		writeError(w, NewError(CodeUnsupportedMediaType, "send the args as Content-Type: application/json"))
		return
	}
	cb := r.set.get(name)
	if cb == nil {
		writeError(w, NewError(CodeNotFound, "no such callback"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, int64(r.cfg.MaxArgsBytes)+1))
	switch {
	case err != nil:
		writeError(w, NewError(CodeBadRequest, "could not read the body"))
		return
	case len(body) > r.cfg.MaxArgsBytes:
		writeError(w, NewError(CodeTooLarge, "the args are too large"))
		return
	}
	args := json.RawMessage(body)
	if len(strings.TrimSpace(string(body))) == 0 {
		args = json.RawMessage("null")
	} else if !json.Valid(body) {
		writeError(w, NewError(CodeBadRequest, "the body is not valid JSON"))
		return
	}
	id := auth.FromContext(req.Context())
	allow, fallback, refusal := authorize(cb, id)
	switch {
	case refusal != nil:
		writeError(w, refusal)
		return
	case !allow:
		writeJSON(w, http.StatusOK, resultFrame{Result: fallback})
		return
	}
	ctx := req.Context()
	if id != nil {
		var release func()
		ctx, release = r.bindSession(ctx, id.SessionID)
		defer release()
	} else {
		ctx = withClient(ctx, r.auth.ClientNetwork(req))
	}
	if cb.Stream != nil {
		r.serveStream(ctx, w, cb, args)
		return
	}
	result, e := r.invoke(ctx, cb, args, nil)
	if e != nil {
		writeError(w, e)
		return
	}
	b, err := json.Marshal(resultFrame{Result: result})
	if err != nil {
		r.log.Error("authwire: encoding a callback result failed", "callback", cb.Name, "error", err)
		writeError(w, NewError(CodeInternal, "internal error"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(b, '\n'))
}

// isJSON reports whether a Content-Type header is application/json, with
// or without parameters (charset=utf-8). Browsers send a cross-site form
// or a no-cors fetch as text/plain, urlencoded, multipart or with no
// Content-Type at all, without asking the server first; application/json
// is not among them, so requiring it keeps such requests out even from a
// browser that sends neither Sec-Fetch-Site nor Origin.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// serveStream answers a streaming call over HTTP with newline-delimited
// JSON frames: {"data":…} per item, then {"done":true} or {"error":…}.
func (r *Registry) serveStream(ctx context.Context, w http.ResponseWriter, cb *Callback, args json.RawMessage) {
	flusher, _ := w.(http.Flusher)
	var mu sync.Mutex
	over, started := false, false
	// writeLocked sends one frame, with mu held; the 200 and its headers
	// go out with the first, so a stream that fails before any item gets
	// a real status.
	writeLocked := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if !started {
			started = true
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("X-Content-Type-Options", "nosniff")
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	}
	emit := func(item any) error {
		mu.Lock()
		defer mu.Unlock()
		if over {
			return errCallOver
		}
		return writeLocked(dataFrame{Data: item})
	}
	_, e := r.invoke(ctx, cb, args, emit)
	// The stream is over as the last frame is written, under one lock: a
	// callback still running (it ignored its context) cannot slip an item
	// in after it.
	mu.Lock()
	defer mu.Unlock()
	over = true
	switch {
	case e != nil && !started:
		writeError(w, e)
	case e != nil:
		writeLocked(errorFrame{Error: e})
	default:
		writeLocked(doneFrame{Done: true})
	}
}

// errCallOver is what emit returns once its call has been answered.
var errCallOver = errors.New("callbacks: the call is over")

// Frames of the wire protocol. ID is empty over HTTP.
type resultFrame struct {
	ID     string `json:"id,omitempty"`
	Result any    `json:"result"`
}

type dataFrame struct {
	ID   string `json:"id,omitempty"`
	Data any    `json:"data"`
}

type doneFrame struct {
	ID   string `json:"id,omitempty"`
	Done bool   `json:"done"`
}

type errorFrame struct {
	ID    string `json:"id,omitempty"`
	Error *Error `json:"error"`
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, status(e.Code), errorFrame{Error: e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

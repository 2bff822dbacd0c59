package callbacks

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
)

// serveSocket serves the WebSocket transport through the ws server, which
// authenticates the handshake; anonymous sockets are accepted and may call
// public callbacks.
func (r *Registry) serveSocket(w http.ResponseWriter, req *http.Request) {
	r.ws.PublicHandler(r.session).ServeHTTP(w, req)
}

// inFrame is what a client sends.
type inFrame struct {
	ID     string          `json:"id"`
	Call   string          `json:"call"`
	Args   json.RawMessage `json:"args"`
	Cancel bool            `json:"cancel"`
}

// socketSession runs the calls of one socket.
type socketSession struct {
	r     *Registry
	ctx   context.Context
	out   chan []byte   // the send queue
	slots chan struct{} // calls running on this socket
	// admitted counts the calls running or waiting for a slot, up to
	// twice the slots: while calls wait, the socket is still read, so
	// cancel frames, pongs and a disconnect are seen. Beyond that bound
	// reading pauses (backpressure on the client).
	admitted chan struct{}

	mu    sync.Mutex
	calls map[string]context.CancelFunc
	wg    sync.WaitGroup
}

// session reads frames from one socket and runs each call in its own
// goroutine until the socket closes (ctx ends); then it cancels what is
// still running and waits for it.
func (r *Registry) session(ctx context.Context, c *websocket.Conn, id *auth.Identity) {
	if !r.track(&r.sockets) {
		_ = c.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer r.sockets.Done()
	if id != nil {
		ctx = auth.NewContext(ctx, id)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// On Shutdown the calls are cancelled (invoke watches r.life) and the
	// socket is closed with 1001, as ws.Server.Shutdown does: cancelling
	// the read's context instead would drop the connection without a
	// close frame, which the client sees as 1006, a network failure.
	closed := make(chan struct{})
	stopOnShutdown := context.AfterFunc(r.life, func() {
		defer close(closed)
		_ = c.Close(websocket.StatusGoingAway, "server shutting down")
	})
	defer func() {
		if !stopOnShutdown() {
			<-closed // the close began: let it finish before the handler returns
		}
	}()

	s := &socketSession{
		r:        r,
		ctx:      ctx,
		out:      make(chan []byte, r.cfg.SendQueue),
		slots:    make(chan struct{}, r.cfg.MaxConcurrentPerSocket),
		admitted: make(chan struct{}, 2*r.cfg.MaxConcurrentPerSocket),
		calls:    make(map[string]context.CancelFunc),
	}
	c.SetReadLimit(int64(2*r.cfg.MaxArgsBytes + 4096))
	written := make(chan struct{})
	go func() {
		defer close(written)
		s.writeLoop(c, cancel)
	}()
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			break
		}
		if typ != websocket.MessageText {
			s.send(errorFrame{Error: Errorf(CodeBadRequest, "frames must be JSON text")})
			continue
		}
		if !s.handle(data) {
			break
		}
	}
	cancel()
	s.wg.Wait()
	close(s.out)
	<-written
}

// writeLoop writes queued frames in order; a failed write ends the socket.
func (s *socketSession) writeLoop(c *websocket.Conn, cancel context.CancelFunc) {
	for b := range s.out {
		if s.ctx.Err() != nil {
			continue // drain: the socket is going away
		}
		wctx, done := context.WithTimeout(s.ctx, 10*time.Second)
		err := c.Write(wctx, websocket.MessageText, b)
		done()
		if err != nil {
			cancel()
		}
	}
}

// send queues a frame, waiting while the queue is full; it fails once the
// socket is going away.
func (s *socketSession) send(frame any) error { return s.sendCtx(s.ctx, frame) }

// sendCtx is send that also gives up when ctx ends.
func (s *socketSession) sendCtx(ctx context.Context, frame any) error {
	b, err := json.Marshal(frame)
	if err != nil {
		s.r.log.Error("authwire: encoding a callback frame failed", "error", err)
		b, _ = json.Marshal(errorFrame{ID: frameID(frame), Error: Errorf(CodeInternal, "internal error")})
	}
	select {
	case s.out <- b:
		return nil
	case <-ctx.Done():
		return errCallOver
	}
}

// handle acts on one frame; it returns false when the socket should stop
// reading (its context ended while waiting for a call slot).
func (s *socketSession) handle(data []byte) bool {
	var f inFrame
	if err := json.Unmarshal(data, &f); err != nil {
		s.send(errorFrame{Error: Errorf(CodeBadRequest, "the frame is not valid JSON")})
		return true
	}
	switch {
	case f.ID == "" || len(f.ID) > 64:
		s.send(errorFrame{Error: Errorf(CodeBadRequest, "a frame needs an id of 1 to 64 characters")})
		return true
	case f.Cancel:
		s.mu.Lock()
		if stop := s.calls[f.ID]; stop != nil {
			stop()
		}
		s.mu.Unlock()
		return true
	}
	cb := s.r.set.get(f.Call)
	if cb == nil {
		s.send(errorFrame{ID: f.ID, Error: Errorf(CodeNotFound, "no such callback")})
		return true
	}
	if len(f.Args) > s.r.cfg.MaxArgsBytes {
		s.send(errorFrame{ID: f.ID, Error: Errorf(CodeTooLarge, "the args are too large")})
		return true
	}
	if len(f.Args) == 0 {
		f.Args = json.RawMessage("null")
	}
	allow, fallback, refusal := authorize(cb, auth.FromContext(s.ctx))
	switch {
	case refusal != nil:
		s.send(errorFrame{ID: f.ID, Error: refusal})
		return true
	case !allow:
		s.send(resultFrame{ID: f.ID, Result: fallback})
		return true
	}
	s.mu.Lock()
	_, busy := s.calls[f.ID]
	s.mu.Unlock()
	if busy {
		s.send(errorFrame{ID: f.ID, Error: Errorf(CodeBadRequest, "a call with this id is already running")})
		return true
	}
	select {
	case s.admitted <- struct{}{}:
	case <-s.ctx.Done():
		return false
	}
	ctx, stop := context.WithCancel(s.ctx)
	s.mu.Lock()
	s.calls[f.ID] = stop
	s.mu.Unlock()
	s.wg.Add(1)
	go s.run(ctx, stop, cb, f)
	return true
}

// run performs one call and sends its answer.
func (s *socketSession) run(ctx context.Context, stop context.CancelFunc, cb *Callback, f inFrame) {
	defer s.wg.Done()
	defer func() { <-s.admitted }()
	defer stop()
	var emitMu sync.Mutex
	over := false
	emit := func(item any) error {
		emitMu.Lock()
		defer emitMu.Unlock()
		if over || ctx.Err() != nil {
			return errCallOver
		}
		return s.sendCtx(ctx, dataFrame{ID: f.ID, Data: item})
	}
	var result any
	var e *Error
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }() // once the answer is queued
		result, e = s.r.invoke(ctx, cb, f.Args, emit)
	case <-ctx.Done(): // cancelled, or the socket closed, while waiting
		e = s.r.ctxError(ctx)
	}
	stop() // a stream still blocked in emit gives up now
	emitMu.Lock()
	over = true
	emitMu.Unlock()
	// Free the id before the answer leaves: a client may reuse it as soon
	// as it has the answer, and must not be told it is still running.
	s.mu.Lock()
	delete(s.calls, f.ID)
	s.mu.Unlock()
	switch {
	case e != nil:
		s.send(errorFrame{ID: f.ID, Error: e})
	case cb.Stream != nil:
		s.send(doneFrame{ID: f.ID, Done: true})
	default:
		s.send(resultFrame{ID: f.ID, Result: result})
	}
}

// frameID returns the id of an outgoing frame, for error replacement.
func frameID(frame any) string {
	switch f := frame.(type) {
	case resultFrame:
		return f.ID
	case dataFrame:
		return f.ID
	case doneFrame:
		return f.ID
	case errorFrame:
		return f.ID
	}
	return ""
}

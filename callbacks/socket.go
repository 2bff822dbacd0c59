package callbacks

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
)

// serveSocket serves the WebSocket transport through the ws server, which
// authenticates the handshake; anonymous sockets are accepted and may call
// public callbacks.
func (r *Registry) serveSocket(w http.ResponseWriter, req *http.Request) {
	if auth.FromContext(req.Context()) == nil {
		// An anonymous socket's calls count against its client's network
		// (see Config.MaxConcurrentPerCaller); the socket's context keeps
		// the request's values.
		req = req.WithContext(withClient(req.Context(), r.auth.ClientNetwork(req)))
	}
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
//
// One goroutine at a time reads the socket. A call that arrives while no
// other call of the socket is running is run by the reading goroutine
// itself, which saves handing it to another goroutine: on a small machine
// that hand-off costs as much as the rest of a quick round trip. If the
// call is still running after [handOffAfter], the watchdog moves reading
// on to a new goroutine, so cancel frames, further calls and a disconnect
// are still seen at once; the call keeps the goroutine it runs on. A call
// that arrives while others run gets a new goroutine at once. Either way
// no two calls ever share a goroutine at the same time.
//
// Frames are written by the goroutine that has them (the socket
// serialises concurrent writes), except a stream's items, which a writer
// goroutine of the stream's own writes while the callback makes the next
// ones. So a slow client holds up its own calls, never the server's
// memory: at most one frame per admitted call, or streamQueue items per
// stream, wait to be written, and a socket whose writes make no progress
// for [writeTimeout] is closed.
type socketSession struct {
	r      *Registry
	c      *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc // ends the socket's calls and its reading

	slots chan struct{} // calls running on this socket
	// admitted counts the calls running or waiting for a slot, up to
	// twice the slots: while calls wait, the socket is still read, so
	// cancel frames, pongs and a disconnect are seen. Beyond that bound
	// reading pauses (backpressure on the client).
	admitted chan struct{}

	mu    sync.Mutex
	calls map[string]context.CancelFunc

	// wg counts the reading goroutine and the calls not yet answered.
	wg sync.WaitGroup

	// Marks for the watchdog: the call the reading goroutine is running
	// itself, and the writes in progress with the last time one started
	// from none or finished.
	inline        atomic.Pointer[socketCall]
	writes        atomic.Int32
	writeProgress atomic.Int64 // a watchdog.now() value
	watched       atomic.Bool  // in the watchdog's busy set
}

// session serves one socket until it closes (ctx ends) and its calls are
// answered; calls still running then are cancelled.
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
	// On Shutdown the calls are cancelled (admit watches r.life) and the
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
		c:        c,
		ctx:      ctx,
		cancel:   cancel,
		slots:    make(chan struct{}, r.cfg.MaxConcurrentPerSocket),
		admitted: make(chan struct{}, 2*r.cfg.MaxConcurrentPerSocket),
		calls:    make(map[string]context.CancelFunc),
	}
	c.SetReadLimit(int64(2*r.cfg.MaxArgsBytes + 4096))
	// The handler's goroutine only waits: were it to run a call whose
	// callback ignores its context, the socket could not end before the
	// callback returned.
	s.wg.Add(1)
	go s.read()
	s.wg.Wait()
}

// read reads frames until the socket ends, or until the watchdog has
// handed reading on to another goroutine while this one ran a call.
func (s *socketSession) read() {
	for {
		typ, data, err := s.c.Read(s.ctx)
		if err != nil {
			s.cancel()
			s.wg.Done()
			return
		}
		if typ != websocket.MessageText {
			s.send(errorFrame{Error: NewError(CodeBadRequest, "frames must be JSON text")})
			continue
		}
		call, ok := s.handle(data)
		if !ok {
			s.cancel()
			s.wg.Done()
			return
		}
		if call == nil {
			continue
		}
		if len(s.admitted) > 1 { // others are running: no reason to wait
			call.detach()
			go call.run()
			continue
		}
		call.startedAt = s.r.dog.now()
		s.inline.Store(call)
		s.r.dog.watch(s)
		call.run()
		if !s.inline.CompareAndSwap(call, nil) {
			return // the watchdog handed reading on: this goroutine is done
		}
	}
}

// watch is the watchdog's look at the socket at now: it hands reading on
// from a call run for too long on the reading goroutine, and ends the
// socket if its writes have stalled. It reports whether the socket still
// has work to watch.
func (s *socketSession) watch(now time.Duration) bool {
	busy := false
	if c := s.inline.Load(); c != nil {
		if now-c.startedAt < s.r.dog.handOff {
			busy = true
		} else if s.inline.CompareAndSwap(c, nil) {
			c.detach()
			go s.read() // takes over this goroutine's place in wg
		}
	}
	if s.writes.Load() > 0 {
		busy = true
		if now-time.Duration(s.writeProgress.Load()) >= s.r.dog.writeTimeout {
			s.cancel()
		}
	}
	return busy
}

// send writes one frame to the socket; it fails once the socket is going
// away, and ends the socket if the write fails.
func (s *socketSession) send(frame any) error { return s.write(s.encode(frame)) }

// encode encodes a frame; one that cannot be encoded becomes an
// "internal" error frame, logged.
func (s *socketSession) encode(frame any) []byte {
	b, err := json.Marshal(frame)
	if err != nil {
		s.r.log.Error("authwire: encoding a callback frame failed", "error", err)
		b, _ = json.Marshal(errorFrame{ID: frameID(frame), Error: NewError(CodeInternal, "internal error")})
	}
	return b
}

// write writes an encoded frame, as send.
func (s *socketSession) write(b []byte) error {
	if s.ctx.Err() != nil {
		return errCallOver
	}
	if s.writes.Add(1) == 1 {
		s.writeProgress.Store(int64(s.r.dog.now()))
	}
	s.r.dog.watch(s)
	err := s.c.Write(s.ctx, websocket.MessageText, b)
	s.writeProgress.Store(int64(s.r.dog.now()))
	s.writes.Add(-1)
	if err != nil {
		s.cancel()
		return errCallOver
	}
	return nil
}

// handle acts on one frame. It returns the call the frame starts, if it
// starts one, and false when the socket should stop reading (its context
// ended while waiting to admit a call).
func (s *socketSession) handle(data []byte) (*socketCall, bool) {
	var f inFrame
	if err := json.Unmarshal(data, &f); err != nil {
		s.send(errorFrame{Error: NewError(CodeBadRequest, "the frame is not valid JSON")})
		return nil, true
	}
	switch {
	case f.ID == "" || len(f.ID) > 64:
		s.send(errorFrame{Error: NewError(CodeBadRequest, "a frame needs an id of 1 to 64 characters")})
		return nil, true
	case f.Cancel:
		s.mu.Lock()
		if stop := s.calls[f.ID]; stop != nil {
			stop()
		}
		s.mu.Unlock()
		return nil, true
	}
	cb := s.r.set.get(f.Call)
	if cb == nil {
		s.send(errorFrame{ID: f.ID, Error: NewError(CodeNotFound, "no such callback")})
		return nil, true
	}
	if len(f.Args) > s.r.cfg.MaxArgsBytes {
		s.send(errorFrame{ID: f.ID, Error: NewError(CodeTooLarge, "the args are too large")})
		return nil, true
	}
	if len(f.Args) == 0 {
		f.Args = json.RawMessage("null")
	}
	allow, fallback, refusal := authorize(cb, auth.FromContext(s.ctx))
	switch {
	case refusal != nil:
		s.send(errorFrame{ID: f.ID, Error: refusal})
		return nil, true
	case !allow:
		s.send(resultFrame{ID: f.ID, Result: fallback})
		return nil, true
	}
	s.mu.Lock()
	_, busy := s.calls[f.ID]
	s.mu.Unlock()
	if busy {
		s.send(errorFrame{ID: f.ID, Error: NewError(CodeBadRequest, "a call with this id is already running")})
		return nil, true
	}
	select {
	case s.admitted <- struct{}{}:
	case <-s.ctx.Done():
		return nil, false
	}
	ctx, stop := context.WithCancel(s.ctx)
	s.mu.Lock()
	s.calls[f.ID] = stop
	s.mu.Unlock()
	s.wg.Add(1)
	return &socketCall{s: s, id: f.ID, cb: cb, args: f.Args, ctx: ctx, stop: stop}, true
}

// socketCall is one admitted call on a socket. It is answered exactly
// once: by the goroutine running it when the callback returns, or, the
// moment its context ends (cancel frame, socket closed, session ended,
// shutdown, timeout), with the error for that, even if the callback
// ignores its context; a late result is then dropped.
type socketCall struct {
	s         *socketSession
	id        string
	cb        *Callback
	args      json.RawMessage
	ctx       context.Context // the call's, until it is admitted
	stop      context.CancelFunc
	startedAt time.Duration // when it began on the reading goroutine

	// armMu guards detached and admitted: a call detached from the
	// reading goroutine needs its deadline timer, which is armed once
	// both are true.
	armMu    sync.Mutex
	detached bool
	deadline *callContext

	mu   sync.Mutex // held while emitting and answering
	over bool       // answered: emit fails from now on

	// A stream's items go through queue to a writer goroutine, made at
	// the first item, so that the callback makes the next item while the
	// last is written; flushed closes when the writer has written all.
	queue   chan []byte
	flushed chan struct{}
}

// streamQueue bounds the items of one stream waiting to be written.
const streamQueue = 64

// detach records that the call no longer runs on the reading goroutine
// (or never did), so its deadline needs a timer.
func (c *socketCall) detach() {
	c.armMu.Lock()
	c.detached = true
	d := c.deadline
	c.armMu.Unlock()
	if d != nil {
		d.arm()
	}
}

// admitted records the call's context once admitted, arming its deadline
// if the call is detached already or its timeout is too short to wait
// for the watchdog.
func (c *socketCall) admitted(ctx *callContext) {
	c.armMu.Lock()
	c.deadline = ctx
	arm := c.detached || time.Until(ctx.deadline) <= c.s.r.dog.handOff
	c.armMu.Unlock()
	if arm {
		ctx.arm()
	}
}

// run waits for a slot on the socket and in the registry, then runs the
// callback on the calling goroutine.
func (c *socketCall) run() {
	select {
	case c.s.slots <- struct{}{}:
	case <-c.ctx.Done(): // cancelled, or the socket closed, while waiting
		c.answer(errorFrame{ID: c.id, Error: c.s.r.ctxError(c.ctx)}, false)
		return
	}
	ctx, release, e := c.s.r.admit(c.ctx, c.cb)
	if e != nil {
		c.answer(errorFrame{ID: c.id, Error: e}, true)
		return
	}
	defer ctx.end()
	c.admitted(ctx)
	interrupted := context.AfterFunc(ctx, func() {
		c.answer(errorFrame{ID: c.id, Error: c.s.r.ctxError(ctx)}, true)
	})
	result, err := c.s.r.execute(ctx, c.cb, c.args, c.emit)
	release()
	if !interrupted() {
		return // answered when ctx ended
	}
	result, e = c.s.r.outcome(ctx, c.cb, result, err)
	switch {
	case e != nil:
		c.answer(errorFrame{ID: c.id, Error: e}, true)
	case c.cb.Stream != nil:
		c.answer(doneFrame{ID: c.id, Done: true}, true)
	default:
		c.answer(resultFrame{ID: c.id, Result: result}, true)
	}
}

// emit queues one stream item, waiting while the queue is full (the
// client is behind); it fails once the call is answered or its context
// ends.
func (c *socketCall) emit(item any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.over || c.ctx.Err() != nil {
		return errCallOver
	}
	b := c.s.encode(dataFrame{ID: c.id, Data: item})
	if c.queue == nil {
		c.queue, c.flushed = make(chan []byte, streamQueue), make(chan struct{})
		go func() {
			defer close(c.flushed)
			for b := range c.queue {
				c.s.write(b)
			}
		}()
	}
	var ended <-chan struct{}
	if d := c.admittedContext(); d != nil {
		ended = d.Done()
	}
	select {
	case c.queue <- b:
		return nil
	case <-c.ctx.Done():
	case <-ended:
	}
	return errCallOver
}

// admittedContext returns the call's context once admitted, else nil.
func (c *socketCall) admittedContext() *callContext {
	c.armMu.Lock()
	defer c.armMu.Unlock()
	return c.deadline
}

// answer sends the call's last frame, unless it was answered already, and
// releases what the call held on the socket (slotted: a socket slot).
func (c *socketCall) answer(frame any, slotted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.over {
		return
	}
	c.over = true
	c.stop() // a stream still blocked in emit gives up now
	// Free the id before the answer leaves: a client may reuse it as
	// soon as it has the answer, and must not be told it is still
	// running.
	c.s.mu.Lock()
	delete(c.s.calls, c.id)
	c.s.mu.Unlock()
	if c.queue != nil { // the items already queued go first
		close(c.queue)
		<-c.flushed
	}
	c.s.send(frame)
	if slotted {
		<-c.s.slots
	}
	<-c.s.admitted
	c.s.wg.Done()
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

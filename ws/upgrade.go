package ws

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// Func serves one accepted socket. ctx is cancelled when the socket
// closes for any reason (the peer closed it or vanished, or the server
// closed it on logout, revocation, expiry or [Server.Shutdown]); it
// carries the request's values, so auth.FromContext(ctx) is id. For
// [Server.Handler], id is never nil; for [Server.PublicHandler] it is nil
// for an anonymous caller.
//
// The handler must keep reading c (or call c.CloseRead), as
// coder/websocket requires for close frames and pongs to be seen. When it
// returns, the socket is closed with 1000 (normal closure) unless it was
// closed already. A panic is recovered and logged with its stack, and the
// socket closed with 1011 (internal error).
type Func func(ctx context.Context, c *websocket.Conn, id *auth.Identity)

// Handler returns an http.Handler that accepts only authenticated sockets
// whose identity meets every requirement in reqs, and runs f for each.
// [Server.Mount] mounts it and declares its route in one call; mount it
// yourself only on a router that is not a backends.Router, and then
// declare its path with auth.Auth's AddWebSocketRoutes, or a browser whose
// handshake fails authentication sees 1006 instead of 4401.
//
//   - A request that is not a WebSocket handshake gets 426 Upgrade Required.
//   - A handshake from another origin than the request's own (same
//     scheme, host and port) or [Config.OriginPatterns] gets 403, before
//     anything is accepted or authenticated.
//   - A handshake without an identity, or with an expired one, is accepted
//     and closed at once with 4401; one whose identity fails a requirement
//     (Check gives DecisionForbidden) with 4403. With [Config.RejectWithHTTP] they
//     get HTTP 401 and 403 instead.
//   - During and after [Server.Shutdown], handshakes get 503.
//
// A nil f or requirement makes the handler answer 500 to every request,
// so that a rule that was never built fails closed; so does a request
// that did not pass the guard (see auth.Auth's Guarded).
func (s *Server) Handler(f Func, reqs ...auth.Requirement) http.Handler {
	e := &endpoint{srv: s, h: f, reqs: reqs}
	switch {
	case f == nil:
		e.broken = "ws: nil Func"
	case slices.Contains(reqs, nil):
		e.broken = "ws: nil auth.Requirement"
	}
	return e
}

// PublicHandler is like [Server.Handler] without requirements, and it
// also accepts anonymous sockets, whose id is nil: for a socket that
// serves public and protected calls alike. A socket with an identity is
// registered and closed with 4401 when its session ends, exactly as with
// Handler. [Server.MountPublic] mounts it and declares its route.
func (s *Server) PublicHandler(f Func) http.Handler {
	e := &endpoint{srv: s, h: f, public: true}
	if f == nil {
		e.broken = "ws: nil Func"
	}
	return e
}

// endpoint is the http.Handler of one Handler or PublicHandler.
type endpoint struct {
	srv    *Server
	h      Func
	reqs   []auth.Requirement
	public bool
	broken string // why the endpoint cannot serve, or ""
}

// refusal is why a handshake's caller may not have a socket.
type refusal struct {
	code   websocket.StatusCode // 0: allowed
	reason string
}

// decide applies the endpoint's rules to id.
func (e *endpoint) decide(id *auth.Identity) refusal {
	if id == nil {
		if e.public {
			return refusal{}
		}
		return refusal{StatusUnauthenticated, reasonAuthRequired}
	}
	if !id.ExpiresAt.IsZero() && !e.srv.clock.now().Before(id.ExpiresAt) {
		return refusal{StatusUnauthenticated, reasonExpired}
	}
	for _, r := range e.reqs {
		switch r.Check(id) {
		case auth.DecisionAllow:
		case auth.DecisionUnauthenticated:
			return refusal{StatusUnauthenticated, reasonAuthRequired}
		default:
			return refusal{StatusForbidden, reasonForbidden}
		}
	}
	return refusal{}
}

// ServeHTTP upgrades the request, after the checks Handler describes.
func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := e.srv
	switch {
	case e.broken != "":
		s.log.LogAttrs(r.Context(), slog.LevelError, "authwire: "+e.broken)
		http.Error(w, e.broken, http.StatusInternalServerError)
		return
	case !s.auth.Guarded(r):
		http.Error(w, "this server is misconfigured: the request did not pass authwire's guard", http.StatusInternalServerError)
		return
	case !backends.IsWebSocketHandshake(backends.HTTPExchange(w, r)):
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, "this is a WebSocket endpoint: a WebSocket handshake is required", http.StatusUpgradeRequired)
		return
	case !canHijack(w):
		s.log.LogAttrs(r.Context(), slog.LevelError, "authwire: the ResponseWriter cannot be hijacked for a WebSocket (on Fiber, mount with fiberbackend.Router or fiberbackend.Handler)")
		http.Error(w, "WebSockets are not supported here", http.StatusNotImplemented)
		return
	}
	if err := s.checkOrigin(r); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "authwire: WebSocket handshake refused", slog.String("error", err.Error()))
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "this origin may not open a WebSocket here", http.StatusForbidden)
		return
	}
	if !s.enter() {
		http.Error(w, "the server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.leave()

	id := auth.FromContext(r.Context())
	no := e.decide(id)
	if no.code != 0 && s.cfg.RejectWithHTTP {
		rejectHTTP(w, no)
		return
	}
	sk := newSocket(s, r.Context(), id)
	if id == nil {
		sk.client = s.auth.ClientNetwork(r)
	}
	uw := &upgradeWriter{ResponseWriter: w, closed: sk.connClosed}
	c, err := websocket.Accept(uw, r, &s.accept)
	if err != nil {
		// coder/websocket has answered (400 for a malformed
		// handshake).
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "authwire: WebSocket handshake refused", slog.String("error", err.Error()))
		sk.cancel(err)
		return
	}
	if uw.conn == nil { // cannot happen: Accept hijacks through uw
		s.log.LogAttrs(r.Context(), slog.LevelError, "authwire: WebSocket accepted without the server's hijack")
		_ = c.CloseNow()
		return
	}
	c.SetReadLimit(s.cfg.ReadLimit)
	sk.mu.Lock()
	sk.conn, sk.raw = c, uw.conn
	sk.mu.Unlock()
	if no.code != 0 {
		sk.finish(no.code, no.reason)
		return
	}
	switch s.add(sk) {
	case shuttingDown:
		sk.finish(websocket.StatusGoingAway, reasonShutdown)
		return
	case sessionEnded:
		sk.finish(StatusUnauthenticated, reasonEnded)
		return
	case tooManyAnonymous:
		sk.finish(websocket.StatusTryAgainLater, reasonTooMany)
		return
	}
	code, reason := websocket.StatusNormalClosure, ""
	switch {
	case !sk.watchExpiry():
		code, reason = StatusUnauthenticated, reasonExpired
	default:
		sk.startPings()
		sk.startRecheck(e)
		if e.run(sk) {
			code, reason = websocket.StatusInternalError, reasonInternal
		}
	}
	s.remove(sk)
	sk.finish(code, reason)
}

// run calls the handler and reports whether it panicked.
func (e *endpoint) run(sk *socket) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			panicked = true
			attrs := []slog.Attr{slog.Any("panic", v), slog.String("stack", string(debug.Stack()))}
			if sk.id != nil {
				attrs = append(attrs, slog.String("user", sk.id.User))
			}
			e.srv.log.LogAttrs(sk.ctx, slog.LevelError, "authwire: WebSocket handler panicked", attrs...)
		}
	}()
	e.h(sk.ctx, sk.conn, sk.id)
	return false
}

// rejectHTTP answers a refused handshake as an API would.
func rejectHTTP(w http.ResponseWriter, no refusal) {
	status, code := http.StatusUnauthorized, "unauthenticated"
	if no.code == StatusForbidden {
		status, code = http.StatusForbidden, "forbidden"
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error":{"code":"` + code + `","message":"` + no.reason + `"}}` + "\n"))
}

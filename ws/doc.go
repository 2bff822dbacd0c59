// Package ws serves authenticated WebSockets on github.com/coder/websocket,
// behind the guard of package auth, the same way on net/http, Gin and
// Fiber.
//
// A [Server] serves a [Func] for each socket it accepts, and upgrades only
// callers whose identity (from the session cookie, a Basic header or any
// other authenticator of the guard) meets the route's requirements. It
// keeps every accepted socket in a hub, by session and by user, so that a
// session that ends closes its sockets at once:
//
//	a, _ := auth.New(mux, auth.WithUsers(users), auth.WithSessions(cfg))
//	s, _ := ws.New(a, ws.Config{})
//	err := s.Mount(mux, "/ws/echo", echo)
//
// [Server.Mount] registers the socket and declares its path to the guard
// in one call. On Gin, pass ginbackend.Router(engine); on Fiber,
// fiberbackend.Router(app), which serves the socket through fasthttp's
// hijack (Fiber's adaptor.HTTPHandler cannot hijack a connection). On
// shutdown, call [Server.Shutdown] before shutting the HTTP server down:
// neither net/http nor Fiber waits for hijacked connections.
//
// # Close codes
//
// A browser cannot read an HTTP 401 or 403 on a WebSocket upgrade: it only
// sees 1006. So a handshake that fails authentication is accepted and
// closed at once with a code the page can act on:
//
//	4401 StatusUnauthenticated  not logged in, session expired or revoked:
//	                            log in, then reconnect
//	4403 StatusForbidden        logged in, but a group requirement failed:
//	                            do not retry
//	1001 going away             the server is shutting down: reconnect later
//	1013 try again later        an anonymous socket over
//	                            Config.MaxAnonymousPerClient
//	1011 internal error         the handler panicked: reconnect later
//
// A cross-origin handshake is refused with HTTP 403 before anything is
// accepted, rather than accepted and closed with 1008 (policy violation):
// pages of the request's own origin (scheme, host and port) and the
// origins of [Config.OriginPatterns] may connect.
// Non-browser clients can ask for plain 401 and 403 answers with
// [Config.RejectWithHTTP].
//
// For the guard to let an unauthenticated handshake reach the handler, the
// socket's path must be declared to it as a WebSocket route: Mount does
// that. A handler mounted by hand ([Server.Handler]) needs auth.Auth's
// AddWebSocketRoutes, or the guard refuses such a handshake with HTTP 401,
// which a browser sees as 1006.
//
// # Closing on logout, revocation and expiry
//
// New subscribes to the end of sessions (auth.Auth's OnSessionEnd): a
// logout (POST /logout) or auth.Auth's Revoke closes every socket of that
// session with 4401. A socket is also closed with 4401 when its identity's
// ExpiresAt (the session's absolute end) passes; the session's idle
// timeout does not apply to an open socket. [Server.CloseUser] closes all
// of one user's sockets, on every session; [Server.CloseSession] closes one
// session's sockets without revoking it.
//
// # Handlers must read
//
// As with coder/websocket itself, control frames (close, ping, pong) are
// handled only while someone reads the connection. A handler must keep
// reading (c.Read or c.Reader) or call c.CloseRead: without a reader the
// peer's close handshake and the server's pings are never answered, and
// the socket is dropped after [Config.PingInterval] plus
// [Config.WriteTimeout] as a dead peer.
//
// The handler's context is cancelled as soon as the socket closes, for any
// reason: the peer closed it or vanished, or the server closed it (logout,
// revocation, expiry, [Server.Shutdown], a failed ping). When the server
// closed it, context.Cause of the context is a websocket.CloseError with
// the code and reason sent. The cancellation comes just after the close
// frame has left, so a handler blocked in c.Read(ctx) returns without
// cutting the close frame off.
package ws

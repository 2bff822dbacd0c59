package ws

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
)

// Defaults of [Config].
const (
	DefaultReadLimit    = 64 << 10
	DefaultWriteTimeout = 10 * time.Second
	DefaultPingInterval = 30 * time.Second

	DefaultMaxAnonymousPerClient = 32
)

// Config configures a [Server]. The zero value is ready to use: the
// request's own origin only, 64 KiB messages, pings every 30 s.
type Config struct {
	// OriginPatterns are the extra origins allowed to open a socket.
	//
	// A handshake's Origin must be exactly scheme://host[:port], as
	// browsers send it: one with user info ("http://x@host"), a path, a
	// query or a fragment is refused. The request's own origin is always
	// allowed: the same host and port (case-insensitively, with the
	// default port implied) and the same scheme, "http" for a socket
	// reached over plain HTTP and "https" over TLS, or what a trusted
	// proxy's X-Forwarded-Proto says (auth.WithTrustedProxies). So on
	// http://app:8080, "https://app:8080" and "ftp://app:8080" are
	// foreign. Behind a proxy that ends TLS, trust the proxy, or list
	// the https origin here.
	//
	// A pattern is a host pattern matched with path.Match against the
	// origin's host[:port], case-insensitively ("*.example.com",
	// "app.example.org:8443"), which allows that host with the request's
	// own scheme only; or "scheme://host-pattern", which allows that
	// scheme ("https://app.example.org", "chrome-extension://abcdef").
	// A handshake from any other origin is refused with HTTP 403 before
	// it is accepted or authenticated. One without Origin (a program, not
	// a browser page) passes. A bare "*", a pattern with user info, a
	// path or a query, and a malformed one are refused by [New]: "*"
	// would let any site open sockets as its visitors.
	OriginPatterns []string
	// RejectWithHTTP answers a handshake that fails authentication with
	// plain HTTP 401 or 403 and a JSON body, as an API would, instead of
	// accepting it and closing it with 4401 or 4403. Browsers cannot read
	// such answers (they see 1006); use it for non-browser clients only.
	RejectWithHTTP bool
	// ReadLimit is the largest message a socket reads; a bigger one
	// closes the socket with 1009 (message too big). Default: 64 KiB.
	ReadLimit int64
	// WriteTimeout bounds each write the server makes on its own: close
	// frames (with the close handshake that follows) and pings. A ping
	// not answered within it closes the socket. Default: 10 s.
	WriteTimeout time.Duration
	// PingInterval is how often an idle socket is pinged, to find peers
	// that vanished without closing. Negative turns pings off. Default: 30 s.
	PingInterval time.Duration
	// MaxAnonymousPerClient bounds the anonymous sockets (of a
	// PublicHandler) open at once from one client network, as auth.Auth's
	// ClientNetwork finds it (one IPv4 address, one IPv6 /64). A socket over
	// it is accepted and closed at once with 1013 (try again later), and
	// the client's other sockets and everyone else's go on. Sockets with
	// an identity are not counted. Negative: no bound. Default: 32.
	MaxAnonymousPerClient int
	// RecheckInterval is how often an authenticated socket is held
	// against its session and its user's sources (auth.Auth's Recheck):
	// it closes with 4401 once the session has ended in a way no one
	// announced (it went idle or expired, its user left the credential
	// source, a revocation made while this process was cut off from a
	// shared store), with 4403 once the route's requirements no longer
	// hold, and with [StatusRightsChanged] once the user lost a group or
	// section. Logout, Revoke and RevokeUser close sockets at once, not
	// at the next check. A socket's own traffic does not count as use of
	// its session: a session used only by open sockets goes idle after
	// auth.SessionConfig.IdleTimeout and its sockets close. Negative
	// turns rechecks off. Default: [DefaultRecheckInterval] (10 s).
	RecheckInterval time.Duration
	// Logger receives panics of handlers and other failures. Default:
	// slog.Default().
	Logger *slog.Logger
}

// Server accepts authenticated WebSockets for the handlers it makes, and
// closes them when their session ends. It is safe for concurrent use.
type Server struct {
	auth    *auth.Auth
	cfg     Config
	log     *slog.Logger
	accept  websocket.AcceptOptions
	origins []originPattern // Config.OriginPatterns, parsed
	clock   clock

	mu  sync.Mutex
	hub hub
}

// clock is the time source: tests replace it to expire sessions without
// waiting for them.
type clock struct {
	now func() time.Time
	// afterFunc calls f in its own goroutine after d, unless the
	// returned stop is called first.
	afterFunc func(d time.Duration, f func()) (stop func() bool)
}

func realClock() clock {
	return clock{
		now: time.Now,
		afterFunc: func(d time.Duration, f func()) func() bool {
			return time.AfterFunc(d, f).Stop
		},
	}
}

// New returns a Server for the sockets of a, and subscribes it to the end
// of a's sessions (logout, revocation), which closes their sockets with
// 4401. A configuration it cannot honour is an error wrapping
// auth.ErrInvalidConfig.
//
// Declare the socket paths with auth.WithWebSocketRoutes (or
// a.AddWebSocketRoutes), so that a handshake that fails authentication
// reaches the handler and can be closed with 4401.
func New(a *auth.Auth, cfg Config) (*Server, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: ws.New needs an *auth.Auth", auth.ErrInvalidConfig)
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	origins, err := parseOriginPatterns(cfg.OriginPatterns)
	if err != nil {
		return nil, err
	}
	s := &Server{
		auth: a,
		cfg:  cfg,
		log:  cfg.Logger,
		// The origin is checked before Accept (checkOrigin), with the
		// scheme, which coder/websocket's own check ignores.
		accept:  websocket.AcceptOptions{InsecureSkipVerify: true},
		origins: origins,
		clock:   realClock(),
		hub:     newHub(),
	}
	a.OnSessionEnd(s.sessionEnded)
	a.OnUserSessionsEnd(s.userSessionsEnded)
	return s, nil
}

// defaults validates c and fills in its zero fields.
func (c *Config) defaults() error {
	switch {
	case c.ReadLimit < 0:
		return fmt.Errorf("%w: ws ReadLimit %d is negative", auth.ErrInvalidConfig, c.ReadLimit)
	case c.ReadLimit == 0:
		c.ReadLimit = DefaultReadLimit
	}
	switch {
	case c.WriteTimeout < 0:
		return fmt.Errorf("%w: ws WriteTimeout %v is negative", auth.ErrInvalidConfig, c.WriteTimeout)
	case c.WriteTimeout == 0:
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.RecheckInterval == 0 {
		c.RecheckInterval = DefaultRecheckInterval
	}
	if c.MaxAnonymousPerClient == 0 {
		c.MaxAnonymousPerClient = DefaultMaxAnonymousPerClient
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.OriginPatterns = slices.Clone(c.OriginPatterns)
	return nil
}

// sessionEnded is the auth.Auth OnSessionEnd hook.
func (s *Server) sessionEnded(id string) {
	for _, sk := range s.endSession(id) {
		sk.startClose(StatusUnauthenticated, reasonEnded)
	}
}

// CloseSession closes every open socket of the session with ID sessionID
// with 4401, without ending the session itself (use auth.Auth's Revoke for
// that, which closes them too). The closes run concurrently and
// CloseSession does not wait for them. It returns how many sockets it
// began to close; sockets already closing are not counted.
func (s *Server) CloseSession(sessionID string) int {
	return closeAll(s.sessionSockets(sessionID), StatusUnauthenticated, reasonEnded)
}

// CloseUser closes every open socket of user, on all of the user's
// sessions and Basic connections, with 4401: for "log out everywhere" or
// after a password change. It does not end the sessions, so revoke them
// too, or the client can reconnect. It returns how many sockets it began
// to close, without waiting for the closes.
func (s *Server) CloseUser(user string) int {
	return closeAll(s.userSockets(user), StatusUnauthenticated, reasonEnded)
}

// Shutdown closes every open socket with 1001 (going away), refuses new
// handshakes from then on (HTTP 503, or 1001 for a handshake already past
// that check), and waits until every socket handler has returned or ctx
// ends, whichever comes first; in the latter case it returns ctx.Err().
// It may be called more than once. Shut the Server down before the HTTP
// server: http.Server.Shutdown does not wait for hijacked connections.
func (s *Server) Shutdown(ctx context.Context) error {
	open, drained := s.beginShutdown()
	closeAll(open, websocket.StatusGoingAway, reasonShutdown)
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeAll starts closing every socket at once and returns how many began.
func closeAll(socks []*socket, code websocket.StatusCode, reason string) int {
	n := 0
	for _, sk := range socks {
		if sk.startClose(code, reason) {
			n++
		}
	}
	return n
}

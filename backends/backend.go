// Package backends holds what authwire needs from a web framework, and the
// adapter for net/http ([HTTP]).
//
// The core (package auth) never sees a framework type. It sees an [Exchange]
// (one request and its response) and installs a [Guard] through a [Backend].
// The adapters for Gin and Fiber live in packages of their own,
// backends/ginbackend and backends/fiberbackend, so that a program that
// does not use a framework does not compile it; each registers itself
// with [Register] when imported. Anyone can write a Backend for another
// framework; package backends/backendtest checks it behaves like the
// built-in ones.
package backends

import (
	"context"
	"errors"
	"net/http"

	"github.com/authwire/authwire/backends/internal/adapter"
)

// ErrUnknownApp is wrapped by the error [Detect] returns for an
// application value that no adapter recognises.
var ErrUnknownApp = errors.New("backends: unrecognised application type; pass a custom Backend")

// ErrRoutesBeforeGuard is wrapped by the error Install returns when the
// application already has routes the guard could not run before. Gin
// attaches middleware only to routes registered after it, and Fiber runs
// its stack in registration order, so such routes would be served without
// authentication: register routes after auth.New.
var ErrRoutesBeforeGuard = errors.New("backends: routes were registered before the guard; register routes after auth.New")

// ErrBodyTooLarge is returned by [Exchange.Body] for a body over its limit.
var ErrBodyTooLarge = adapter.ErrBodyTooLarge

// Backend connects authwire to one web framework.
type Backend interface {
	// Name is a short lower-case name for logs, such as "net/http".
	Name() string
	// Install arranges for guard to run before every request the
	// application serves, including requests for paths it has no route
	// for. It is called once. A backend that cannot guard routes that
	// already exist must return an error rather than leave them open.
	Install(guard Guard) error
	// Routing describes how the framework maps a request path onto its
	// routes, so that public-route patterns are judged the same way.
	Routing() Routing
}

// Routing describes how a framework compares request paths with routes.
// The zero value is exact, case-sensitive matching (net/http, Gin).
type Routing struct {
	// CaseInsensitive is true when "/Admin" reaches the route "/admin".
	CaseInsensitive bool
	// IgnoreTrailingSlash is true when "/admin/" reaches the route "/admin".
	IgnoreTrailingSlash bool
}

// Guard decides a request before the application sees it. It returns true
// to let the request through; otherwise it has written the response itself.
type Guard func(x Exchange) (pass bool)

// Exchange is the framework-neutral view of one request and its response
// that a [Guard] works on. Its methods are called from the request's own
// goroutine only, and it is not valid after the guard returns: adapters
// may reuse it for a later request.
//
// Strings returned by Method, Path and RawPath may share memory with the
// framework's request buffers (Fiber and fasthttp reuse them once the
// request ends): use them during the call and copy (strings.Clone) any
// that must outlive it. Header, Cookie, Host and RemoteAddr return strings
// that are safe to keep, because authenticators turn them into identities,
// sessions and rate-limit keys, with one exception: Header("Authorization")
// may share memory too. It carries credentials, which must never be kept;
// what is derived from it (a user name) must be built as a new string.
type Exchange interface {
	// Context is the request's context.
	Context() context.Context
	// Method is the request method, such as "GET".
	Method() string
	// Path is the path exactly as the framework matches it against its
	// routes, before the case and trailing-slash folding that [Routing]
	// reports: the percent-decoded path for net/http and Gin (by default),
	// the path as received for Fiber (unless its UnescapePath is set).
	// Public-route patterns are judged against it, so it must never differ
	// from what the router sees.
	Path() string
	// RawPath is the path as received, with its escapes, or "" when it
	// holds no escapes.
	RawPath() string
	// Query is the raw query string, without the "?", or "".
	Query() string
	// Body reads the whole request body, at most limit bytes; a longer
	// body is an error wrapping [ErrBodyTooLarge]. It is called at most
	// once, and only by guards that answer the request themselves.
	Body(limit int) ([]byte, error)
	// Header returns the first value of the named request header, or "".
	Header(name string) string
	// HeaderCount returns how many times the named request header occurs.
	HeaderCount(name string) int
	// Cookie returns the value of the named request cookie, or "".
	Cookie(name string) string
	// RemoteAddr is the network address of the peer, as "host:port".
	RemoteAddr() string
	// Host is the request's Host header.
	Host() string
	// TLS reports whether the request arrived over TLS.
	TLS() bool

	// SetHeader sets a response header, replacing earlier values.
	SetHeader(name, value string)
	// AddHeader adds a response header value.
	AddHeader(name, value string)
	// SetCookie adds a Set-Cookie response header.
	SetCookie(c *http.Cookie)
	// Write sends the response status, a Content-Type and body. It is
	// called at most once per exchange and ends the response.
	Write(status int, contentType string, body []byte)

	// Attach stores value for the handlers that run after the guard: in
	// the request's context under key, and under name in the framework's
	// own per-request store where it has one (Gin's c.Set, Fiber's
	// c.Locals). A nil key attaches nothing to the context.
	Attach(key any, name string, value any)
}

// CookiePeeker is an optional interface for an [Exchange] that can show a
// named cookie's value without copying it or checking its bytes. It is
// for a caller that only looks the value up among values it has seen
// and checked before: package auth finds a session in its cache with
// it, and calls Cookie when the cache does not answer.
type CookiePeeker interface {
	// PeekCookie returns what Cookie would if the first cookie named
	// name held only bytes a cookie value may hold: that cookie's value,
	// or "" when there is none. Unlike Cookie it does not skip a value
	// with other bytes (a later cookie of the name may be the one Cookie
	// returns), and the string may share memory with the framework's
	// request buffers: use it during the call and never keep it. It
	// returns "" exactly when Cookie does too (no cookie of the name, or
	// an empty first one), so a caller need not ask Cookie then.
	PeekCookie(name string) string
}

// ContextReplacer is an optional interface for an [Exchange] whose
// request context starts out as context.Background() and can be replaced
// outright, as Fiber's c.UserContext() can. When Context returns
// context.Background(), a guard may hand ReplaceContext a context it made
// once, instead of deriving one on every request through Attach: package
// auth does so for users fixed at start-up, whose identities never change.
type ContextReplacer interface {
	// ReplaceContext makes ctx the request's context.
	ReplaceContext(ctx context.Context)
}

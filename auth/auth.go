package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/authwire/authwire/backends"
)

// Auth is an installed guard: the chain of authenticators, the public
// routes and the answers it gives. It is safe for concurrent use.
type Auth struct {
	backend   backends.Backend
	chain     []Authenticator
	challenge string // WWW-Authenticate on 401, "" when no authenticator challenges
	folding   routeFolding
	replies   replies
	log       *slog.Logger

	publicMu sync.Mutex // serialises AddPublicRoutes and AddWebSocketRoutes
	public   atomic.Pointer[routeSet]
	sockets  atomic.Pointer[routeSet] // WebSocket routes: see WithWebSocketRoutes
	open     atomic.Pointer[routeSet] // open routes: see WithOpenRoutes

	basic    *basicAuthenticator // nil without Basic credentials
	sessions *sessionManager     // nil without WithSessions
	flow     *loginFlow          // login form and logout; nil without sessions
	forward  *forwardAuth        // the forward-auth endpoint; nil without WithForwardAuth
	oidc     *oidcFlow           // OIDC login; nil without WithOIDC
	origins  *originCheck        // the cross-origin check of state-changing endpoints

	// fixedContexts holds, for each identity prebuilt at New, a context
	// over context.Background() that carries it (see attach).
	fixedContexts map[*Identity]context.Context
}

// New recognises app (an *http.ServeMux or other http.Handler, a
// *gin.Engine, a *fiber.App, or a [backends.Backend]), builds the guard
// the options describe and installs it so that it runs before every
// request. A configuration that is incomplete or contradictory is an
// error wrapping [ErrInvalidConfig]; New never falls back to something
// weaker.
//
// With net/http the handler cannot be changed in place: serve
// [Auth.Handler], not app.
func New(app any, opts ...Option) (*Auth, error) {
	b, err := backends.Detect(app)
	if err != nil {
		return nil, err
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrInvalidConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	a, err := build(&cfg)
	if err != nil {
		return nil, err
	}
	a.backend = b
	r := b.Routing()
	a.folding = routeFolding{caseInsensitive: r.CaseInsensitive, ignoreTrailingSlash: r.IgnoreTrailingSlash}
	if err := b.Install(a.guard); err != nil {
		return nil, fmt.Errorf("auth: installing the guard on %s: %w", b.Name(), err)
	}
	return a, nil
}

// OnSessionEnd registers fn to run whenever a session is revoked (logout,
// [Auth.Revoke]), with its ID. The WebSocket hub uses it to close the
// session's sockets. fn must not block for long. Without sessions it does
// nothing.
func (a *Auth) OnSessionEnd(fn func(sessionID string)) {
	if a.sessions == nil || fn == nil {
		return
	}
	a.sessions.hooksMu.Lock()
	defer a.sessions.hooksMu.Unlock()
	a.sessions.onRevoke = append(a.sessions.onRevoke, func(_ context.Context, id string) { fn(id) })
}

// Backend returns the backend the guard is installed on.
func (a *Auth) Backend() backends.Backend { return a.backend }

// Handler returns the guarded handler to serve when the app is a net/http
// handler (serving the original would bypass the guard). For backends
// guarded in place it returns the backend when that is an http.Handler,
// and nil otherwise (Fiber: serve the *fiber.App itself).
func (a *Auth) Handler() http.Handler {
	h, _ := a.backend.(http.Handler)
	return h
}

// AddPublicRoutes makes more patterns public. It is safe to call while
// requests are served; a bad pattern adds none of them.
func (a *Auth) AddPublicRoutes(patterns ...string) error {
	return a.addRoutes(&a.public, patterns)
}

// AddWebSocketRoutes declares more WebSocket routes (see
// [WithWebSocketRoutes]). It is safe to call while requests are served.
func (a *Auth) AddWebSocketRoutes(patterns ...string) error {
	return a.addRoutes(&a.sockets, patterns)
}

// AddOpenRoutes declares more open routes (see [WithOpenRoutes]). It is
// safe to call while requests are served.
func (a *Auth) AddOpenRoutes(patterns ...string) error {
	return a.addRoutes(&a.open, patterns)
}

// addRoutes adds patterns to one of the route sets; a bad pattern adds
// none of them.
func (a *Auth) addRoutes(set *atomic.Pointer[routeSet], patterns []string) error {
	a.publicMu.Lock()
	defer a.publicMu.Unlock()
	next, err := set.Load().with(patterns...)
	if err != nil {
		return err
	}
	set.Store(&next)
	return nil
}

// Authorize checks the caller of x against reqs (all must pass). It
// returns true to go on; otherwise it has answered 401 (anonymous) or 403
// (authenticated, missing a group). Adapters for route-level rules call it.
func (a *Auth) Authorize(x backends.Exchange, reqs ...Requirement) bool {
	switch checkAll(FromContext(x.Context()), reqs) {
	case Allow:
		return true
	case Unauthenticated:
		a.unauthenticated(x)
	default:
		send(x, a.replies.forbidden)
	}
	return false
}

// Rule returns a guard that enforces reqs (all must pass) on a route, for
// the route-level adapters of each framework: backends.HTTPRule,
// backends.GinRule and backends.FiberRule turn it into middleware.
func (a *Auth) Rule(reqs ...Requirement) backends.Guard {
	return func(x backends.Exchange) bool { return a.Authorize(x, reqs...) }
}

// Require returns net/http middleware that lets a request through only if
// its caller meets every requirement: anonymous callers get 401 and
// authenticated callers without the groups get 403.
//
//	mux.Handle("GET /admin", a.Require(auth.OneOf("admin"))(adminHandler))
func (a *Auth) Require(reqs ...Requirement) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if a.Authorize(backends.HTTPExchange(w, r), reqs...) {
				next.ServeHTTP(w, r)
			}
		})
	}
}

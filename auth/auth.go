package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

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
	now       func() time.Time // WithClock's, or time.Now
	proxies   trustedProxies

	publicMu sync.Mutex // serialises AddPublicRoutes and AddWebSocketRoutes
	public   atomic.Pointer[routeSet]
	sockets  atomic.Pointer[routeSet] // WebSocket routes: see WithWebSocketRoutes
	optional atomic.Pointer[routeSet] // see WithOptionalAuthRoutes

	// anonymous is the context of a request that passed the guard
	// without an identity, for exchanges whose context can be replaced
	// (see attach); unguardedLogged is set once a request that never
	// passed the guard has been logged (see Guarded).
	anonymous       context.Context
	unguardedLogged atomic.Bool

	basic    *basicAuthenticator // nil without Basic credentials
	sessions *sessionManager     // nil without WithSessions
	flow     *loginFlow          // login form and logout; nil without sessions
	forward  *forwardAuth        // the forward-auth endpoint; nil without WithForwardAuth
	// methods holds the login methods (WithLoginMethod), OpenID Connect
	// providers most often; nil without. The guard serves their routes
	// through it.
	methods *loginMethods
	origins *originCheck // the cross-origin check of state-changing endpoints

	// fixedContexts holds, for each identity prebuilt at New, a context
	// over context.Background() that carries it (see attach).
	fixedContexts map[*Identity]context.Context
}

// New recognises app (an *http.ServeMux or other http.Handler, a
// *gin.Engine, a *fiber.App, or a [backends.Backend]), builds the guard
// the options describe and installs it so that it runs before every
// request. A configuration that is incomplete or contradictory, an app
// of a type no adapter recognises and routes registered before the guard
// are errors wrapping [ErrInvalidConfig]; New never falls back to
// something weaker.
//
// Gin and Fiber apps are recognised once their adapter is imported:
//
//	import _ "github.com/authwire/authwire/backends/ginbackend"   // *gin.Engine
//	import _ "github.com/authwire/authwire/backends/fiberbackend" // *fiber.App
//
// With net/http the handler cannot be changed in place: serve
// [Auth.Handler], not app. The handlers authwire gives out ([Auth.Require],
// package ws's and package callbacks') refuse with 500 a request that did
// not pass the guard (see [Auth.Guarded]), but the app's own handlers
// cannot tell.
func New(app any, opts ...Option) (*Auth, error) {
	b, err := backends.Detect(app)
	if err != nil {
		return nil, invalidConfig(err)
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
		return nil, invalidConfig(fmt.Errorf("installing the guard on %s: %w", b.Name(), err))
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

// AddPublicRoutes makes more patterns public (see [WithPublicRoutes]). It
// is safe to call while requests are served; a bad pattern adds none of
// them.
func (a *Auth) AddPublicRoutes(patterns ...string) error {
	return a.addRoutes(&a.public, patterns)
}

// AddWebSocketRoutes declares more WebSocket routes (see
// [WithWebSocketRoutes]). It is safe to call while requests are served.
func (a *Auth) AddWebSocketRoutes(patterns ...string) error {
	return a.addRoutes(&a.sockets, patterns)
}

// AddOptionalAuthRoutes declares more routes where logging in is
// optional (see [WithOptionalAuthRoutes]). It is safe to call while
// requests are served.
func (a *Auth) AddOptionalAuthRoutes(patterns ...string) error {
	return a.addRoutes(&a.optional, patterns)
}

// addRoutes adds patterns to one of the route sets; a bad pattern, or one
// the set holds already, adds none of them and is an error wrapping
// [ErrInvalidConfig] and [ErrBadPattern].
func (a *Auth) addRoutes(set *atomic.Pointer[routeSet], patterns []string) error {
	a.publicMu.Lock()
	defer a.publicMu.Unlock()
	next, err := set.Load().with(patterns...)
	if err != nil {
		return invalidConfig(err)
	}
	set.Store(&next)
	return nil
}

// Authorize checks the caller of x against reqs (all must pass). It
// returns true to go on; otherwise it has answered 401 (anonymous) or 403
// (authenticated, missing a group), or 500 for a request that never
// passed the guard (see [Auth.Guarded]) or a nil requirement, which fail
// closed. Adapters for route-level rules call it.
func (a *Auth) Authorize(x backends.Exchange, reqs ...Requirement) bool {
	ctx := x.Context()
	if !a.guarded(ctx, x.Path(), x.RawPath()) {
		send(x, a.replies.unguarded)
		return false
	}
	if slices.Contains(reqs, nil) {
		a.log.LogAttrs(ctx, slog.LevelError, "authwire: a route rule has a nil auth.Requirement")
		send(x, a.replies.internal)
		return false
	}
	switch checkAll(FromContext(ctx), reqs) {
	case DecisionAllow:
		return true
	case DecisionUnauthenticated:
		a.unauthenticated(x)
	default:
		send(x, a.replies.forbidden)
	}
	return false
}

// Rule returns a guard that enforces reqs (all must pass) on a route, for
// the route-level adapters of each framework: ginbackend.Rule and
// fiberbackend.Rule turn it into middleware ([Auth.Require] is net/http's).
func (a *Auth) Rule(reqs ...Requirement) backends.Guard {
	return func(x backends.Exchange) bool { return a.Authorize(x, reqs...) }
}

// Require returns net/http middleware that lets a request through only if
// its caller meets every requirement: anonymous callers get 401 and
// authenticated callers without the groups get 403.
//
//	mux.Handle("GET /admin", a.Require(auth.OneOf("admin"))(adminHandler))
//
// A request that did not pass the guard (the app served its mux instead
// of [Auth.Handler]), a nil requirement and a nil next get 500.
func (a *Auth) Require(reqs ...Requirement) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			x := backends.HTTPExchange(w, r)
			if next == nil {
				a.log.LogAttrs(r.Context(), slog.LevelError, "authwire: Require was given a nil handler")
				send(x, a.replies.internal)
				return
			}
			if a.Authorize(x, reqs...) {
				next.ServeHTTP(w, r)
			}
		})
	}
}

// Guarded reports whether r passed a's guard, with an identity or
// anonymously (a public route, say). The handlers authwire gives out
// ([Auth.Require], package ws's, package callbacks') refuse other requests
// with 500, because their identity, nil, is not a's decision: that
// happens when a net/http app serves its mux instead of [Auth.Handler],
// which leaves every route open. The first such request is logged at
// Error level, once per Auth.
//
// A request on a public route is taken as guarded by its path alone:
// the guard would have let it through anonymously anyway, and marking it
// would cost every public request an allocation on net/http and Gin.
func (a *Auth) Guarded(r *http.Request) bool {
	return a.guarded(r.Context(), r.URL.Path, r.URL.RawPath)
}

// guarded is Guarded for a request's context and path (decoded and raw).
func (a *Auth) guarded(ctx context.Context, path, rawPath string) bool {
	if FromContext(ctx) != nil || ctx.Value(guardedKey{}) == a {
		return true
	}
	if pub := a.public.Load(); len(pub.src) > 0 && pub.match(path, rawPath, a.folding) {
		return true
	}
	if a.unguardedLogged.CompareAndSwap(false, true) {
		a.log.LogAttrs(ctx, slog.LevelError, "authwire: a request reached an authwire handler without passing the guard; "+
			"with net/http, serve a.Handler() (what auth.New guards), not the mux itself, or every route is open")
	}
	return false
}

// guardedKey is the context key under which the guard marks a request it
// let through without an identity; the value is the *Auth.
type guardedKey struct{}

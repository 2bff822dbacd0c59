package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
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

// build turns a validated configuration into an Auth.
func build(cfg *config) (*Auth, error) {
	a := &Auth{replies: newReplies(), log: cfg.log}
	routes, err := compileRoutes(cfg.public)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	a.public.Store(&routes)
	sockets, err := compileRoutes(cfg.sockets)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	a.sockets.Store(&sockets)
	open, err := compileRoutes(cfg.open)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	a.open.Store(&open)

	basic, err := newBasic(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.login != nil && cfg.sessions == nil {
		return nil, fmt.Errorf("%w: WithLoginForm needs WithSessions", ErrInvalidConfig)
	}
	if cfg.login != nil && basic == nil {
		return nil, fmt.Errorf("%w: WithLoginForm needs a credential source", ErrInvalidConfig)
	}
	if cfg.sessions != nil {
		sm, err := newSessionManager(cfg)
		if err != nil {
			return nil, err
		}
		a.sessions = sm
		a.chain = append(a.chain, sm, basicRechallenge{sm})
		var pc *passwordCheck
		if basic != nil {
			pc = basic.passwords
		}
		if a.flow, err = newLoginFlow(cfg.login, cfg.realm, sm, pc); err != nil {
			return nil, err
		}
	}
	if basic != nil {
		a.basic = basic
		a.chain = append(a.chain, basic)
		a.fixedContexts = make(map[*Identity]context.Context, len(basic.passwords.identities))
		for _, id := range basic.passwords.identities {
			a.fixedContexts[id] = context.WithValue(context.Background(), identityKey{}, id)
		}
	}
	a.chain = append(a.chain, cfg.extra...)
	if len(a.chain) == 0 {
		return nil, fmt.Errorf("%w: no credentials configured (use WithUsers, WithHashedUsers, WithHtpasswdFile, WithVerifyFunc or WithAuthenticator)", ErrInvalidConfig)
	}
	if cfg.oidc != nil {
		var keys [][]byte
		var allowed []string
		if cfg.sessions != nil {
			keys = cfg.sessions.Keys
		}
		if cfg.login != nil {
			allowed = cfg.login.AllowedRedirectHosts
		}
		if a.oidc, err = newOIDCFlow(cfg.oidc, a.sessions, keys, allowed, cfg.log); err != nil {
			return nil, err
		}
		if a.flow != nil && a.flow.form {
			a.flow.sso, a.flow.ssoName = a.oidc.loginPath, a.oidc.cfg.Name
		}
	}
	if cfg.forward != nil {
		if a.forward, err = newForwardAuth(cfg.forward, a, cfg.proxies, a.browserLogin()); err != nil {
			return nil, err
		}
	}
	var challenges []string
	for _, au := range a.chain {
		if c, ok := au.(Challenger); ok && c.Challenge() != "" {
			challenges = append(challenges, c.Challenge())
		}
	}
	a.challenge = strings.Join(challenges, ", ")
	return a, nil
}

// newBasic builds the Basic authenticator, or nil when no credential
// source is configured.
func newBasic(cfg *config) (*basicAuthenticator, error) {
	switch {
	case len(cfg.credNames) > 1:
		return nil, fmt.Errorf("%w: %s are all credential sources; choose one", ErrInvalidConfig, strings.Join(cfg.credNames, ", "))
	case len(cfg.groupNames) > 1:
		return nil, fmt.Errorf("%w: %s are all group sources; choose one", ErrInvalidConfig, strings.Join(cfg.groupNames, ", "))
	case len(cfg.credNames) == 0:
		if len(cfg.groupNames) > 0 {
			return nil, fmt.Errorf("%w: %s needs a credential source", ErrInvalidConfig, cfg.groupNames[0])
		}
		return nil, nil
	}
	pc, err := newPasswordCheck(cfg)
	if err != nil {
		return nil, err
	}
	b := &basicAuthenticator{
		challenge: basicChallenge(cfg.realm),
		maxHeader: cfg.maxHeader,
		passwords: pc,
	}
	b.buffers.New = func() any { return new(credentialBuffer) }
	switch _, fixedGroups := pc.groups.(staticGroups); {
	case !cfg.hashed && cfg.verifyFn == nil && cfg.htpasswd == "" && pc.identities != nil:
		key, err := newKeyedHash()
		if err != nil {
			return nil, err
		}
		b.known, b.knownKey = knownHeaders(key, cfg.users, pc.identities), key
	case pc.creds != nil && (fixedGroups || pc.groups == noGroups{}):
		b.seen = pc.creds
	}
	return b, nil
}

// newPasswordCheck builds the credential, group and regulation sources.
func newPasswordCheck(cfg *config) (*passwordCheck, error) {
	pc := &passwordCheck{fn: cfg.verifyFn, groups: noGroups{}, proxies: cfg.proxies, log: cfg.log}
	var src credentialSource
	switch {
	case cfg.verifyFn != nil:
	case cfg.htpasswd != "":
		f, err := openHtpasswd(cfg.htpasswd, cfg.fileRecheck, cfg.now, cfg.log)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
		src = f
	default:
		s, err := newStaticCredentials(cfg.users, cfg.hashed)
		if err != nil {
			return nil, err
		}
		src = s
	}
	if src != nil {
		cache, err := newVerifiedCache(cfg.cacheTTL, cfg.now)
		if err != nil {
			return nil, err
		}
		pc.creds = newVerifier(src, cache, cfg.maxHashes, cfg.log)
	}
	switch {
	case cfg.userGroups != nil:
		g, err := newStaticGroups(cfg.userGroups)
		if err != nil {
			return nil, err
		}
		pc.groups = g
	case cfg.groupsFn != nil:
		pc.groups = funcGroups(cfg.groupsFn)
	case cfg.htgroup != "":
		f, err := openHtgroup(cfg.htgroup, cfg.fileRecheck, cfg.now, cfg.log)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
		pc.groups = fileGroups{f}
	}
	pc.identities = prebuiltIdentities(src, pc.groups)
	pc.reg = regulation{log: cfg.log}
	switch {
	case cfg.regulationOff:
	case cfg.regulator != nil:
		pc.reg.r = cfg.regulator
	default:
		r, err := NewMemoryRegulator(cfg.regulationPolicy, cfg.now)
		if err != nil {
			return nil, err
		}
		pc.reg.r = r
	}
	return pc, nil
}

// prebuiltIdentities builds every user's Identity once when neither the
// users nor their groups can change, so that authenticating allocates none.
func prebuiltIdentities(src credentialSource, groups groupSource) map[string]*Identity {
	users, ok := src.(*staticCredentials)
	if !ok {
		return nil
	}
	var fixed staticGroups
	switch g := groups.(type) {
	case noGroups:
	case staticGroups:
		fixed = g
	default:
		return nil
	}
	ids := make(map[string]*Identity, len(users.users))
	for name := range users.users {
		ids[name] = newIdentity(name, "basic", fixed[name])
	}
	return ids
}

// passAnonymously reports whether a request the chain did not accept may
// still reach its handler without an identity: a WebSocket handshake on a
// WebSocket route, or any request on an open route whose credentials were
// missing or wrong (not malformed: that stays a 400).
func (a *Auth) passAnonymously(x backends.Exchange, err error) bool {
	if errors.Is(err, ErrMalformedCredentials) || errors.Is(err, ErrCredentialsTooLarge) {
		return false
	}
	path, raw := x.Path(), x.RawPath()
	if backends.IsWebSocketHandshake(x) && a.sockets.Load().match(path, raw, a.folding) {
		return true
	}
	return a.open.Load().match(path, raw, a.folding)
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

// guard is the backends.Guard: public routes pass; otherwise the chain
// must recognise the caller, whose identity is attached for the handlers.
// A WebSocket handshake on a WebSocket route passes even when the chain
// refuses it, with no identity attached: the socket handler accepts it and
// closes it at once with 4401, which a browser can see (it cannot see an
// HTTP 401 on an upgrade).
func (a *Auth) guard(x backends.Exchange) bool {
	if a.forward != nil && a.forward.serve(x) {
		return false
	}
	if a.flow != nil && a.flow.serve(x) {
		return false
	}
	if a.oidc != nil && a.oidc.serve(x) {
		return false
	}
	if a.public.Load().match(x.Path(), x.RawPath(), a.folding) {
		return true
	}
	id, err := a.identify(x)
	if err != nil {
		if a.passAnonymously(x, err) {
			return true
		}
		a.refuse(x, err)
		return false
	}
	if a.sessions != nil && id.SessionID == "" && id.Provider == "basic" {
		// A Basic login starts a session too, so that WebSockets and
		// logout work from the cookie.
		s, err := a.sessions.start(x.Context(), x, id)
		if err != nil {
			a.log.LogAttrs(x.Context(), slog.LevelError, "authwire: starting a session failed", slog.String("error", err.Error()))
		} else {
			id = id.Clone()
			id.SessionID, id.ExpiresAt = s.ID, timeOf(s.ExpiresAt)
		}
	}
	a.attach(x, id)
	return true
}

// attach hands id to the handlers, in the request's context and under
// LocalsKey. An exchange whose context is still context.Background()
// (Fiber's user context) and that can replace it gets the context made at
// New for a fixed user, which saves deriving one per request.
func (a *Auth) attach(x backends.Exchange, id *Identity) {
	if r, ok := x.(backends.ContextReplacer); ok {
		if ctx := a.fixedContexts[id]; ctx != nil && x.Context() == context.Background() {
			r.ReplaceContext(ctx)
			x.Attach(nil, LocalsKey, id)
			return
		}
	}
	x.Attach(identityKey{}, LocalsKey, id)
}

// identify runs the authenticator chain.
func (a *Auth) identify(x backends.Exchange) (*Identity, error) {
	for _, au := range a.chain {
		id, err := au.Authenticate(x)
		switch {
		case err == nil && id != nil:
			return id, nil
		case err == nil || errors.Is(err, ErrNoCredentials):
			continue
		case errors.Is(err, ErrBadCredentials), errors.Is(err, ErrMalformedCredentials), errors.Is(err, ErrCredentialsTooLarge):
			return nil, err
		default:
			a.log.LogAttrs(x.Context(), slog.LevelError, "authwire: authenticator failed", slog.String("error", err.Error()))
			return nil, ErrBadCredentials
		}
	}
	return nil, ErrNoCredentials
}

// refuse answers a request the chain did not accept.
func (a *Auth) refuse(x backends.Exchange, err error) {
	switch {
	case errors.Is(err, ErrMalformedCredentials):
		send(x, a.replies.malformed)
	case errors.Is(err, ErrCredentialsTooLarge):
		send(x, a.replies.tooLarge)
	default:
		a.unauthenticated(x)
	}
}

// unauthenticated sends a browser to the login form when there is one,
// and answers everyone else 401 with the configured challenges.
func (a *Auth) unauthenticated(x backends.Exchange) {
	if login := a.browserLogin(); login != "" && wantsHTML(x) {
		next := x.Path()
		if q := x.Query(); q != "" {
			next += "?" + q
		}
		redirect(x, login+"?next="+url.QueryEscape(next))
		return
	}
	if a.challenge != "" {
		x.SetHeader("WWW-Authenticate", a.challenge)
	}
	x.AddHeader("Vary", "Authorization")
	send(x, a.replies.unauthenticated)
}

// browserLogin is where browsers that are not logged in are sent: the
// login form, else the OIDC login, else nowhere ("").
func (a *Auth) browserLogin() string {
	switch {
	case a.flow != nil && a.flow.form:
		return a.flow.path
	case a.oidc != nil:
		return a.oidc.loginPath
	}
	return ""
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

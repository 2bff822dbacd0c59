// Package backendtest is the conformance suite for authwire backends: one
// table of requests, sent over a real loopback connection, that every
// [backends.Backend] must answer the same way. The net/http, Gin and Fiber
// adapters run it; so can the author of a custom backend:
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, backendtest.Harness{
//			Name: "myrouter",
//			Start: func(t *testing.T, s *backendtest.Setup) string {
//				r := myrouter.New()
//				a := s.Install(NewMyBackend(r)) // auth.New with the suite's options
//				for _, rt := range s.Routes() {
//					// Register rt.ColonPath() (or rt.PathWith(...)) for
//					// rt.Method; when rt.Rule is set, first the router's
//					// rule middleware built from a.Rule(rt.Rule...); then a
//					// handler answering 200 with
//					// rt.Echo(path, ctx, valueFromTheRoutersOwnStore).
//				}
//				return backendtest.ServeHandler(t, r)
//			},
//		})
//	}
//
// The suite checks public and protected routes, the Basic challenge and
// its headers, malformed and oversize credentials, group rules (401 versus
// 403), unknown paths, HEAD and OPTIONS, the identity handlers see (through
// auth.FromContext and the framework's own store), concurrent callers,
// session cookies and logout, the login form (redirect with next, CSRF,
// body limit), the refusal of cross-origin login and logout (Sec-Fetch-Site,
// Origin), the forward-auth endpoint (answers, Remote-* headers,
// ?allowed_groups=), OIDC login against providers on loopback (state
// cookie, callback, session; two providers with the list page, ?idp= and
// each callback refusing the other's state; back-channel logout), and path-confusion attempts
// against public routes.
// Whatever a framework does
// with a confusing path, an anonymous caller must never get the response
// of a protected handler.
//
// Sections are checked alike: section rules (auth.InSection) answer 401
// and 403 as group rules do, a session keeps the sections, forward auth
// answers ?section=, and encoded paths ([SectionCrossingTargets]) never
// bring the viewer, who holds only the marketing section, to the
// response of the hr section's handler.
package backendtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
)

// The credentials and settings the suite configures with [Options].
const (
	AdminUser      = "admin"
	AdminPassword  = "admin"
	AdminGroup     = "admin"
	ViewerUser     = "viewer"
	ViewerPassword = "viewer123"
	ViewerGroup    = "viewer"
	// MarketingSection and HRSection are the sections of the routes
	// /marketing/{page} and /hr/{page}: the admin holds auth.AllSections,
	// the viewer MarketingSection alone.
	MarketingSection = "marketing"
	HRSection        = "hr"
	// Realm is the Basic realm; the challenge is
	// `Basic realm="backendtest", charset="UTF-8"`.
	Realm = "backendtest"
	// MaxHeaderBytes is the Authorization size limit, small enough that a
	// header just above it fits every framework's request buffers, so the
	// guard (not the server) answers 431.
	MaxHeaderBytes = 2048
)

// Options returns the auth options the suite installs the guard with: the
// two users, their groups and sections, the public routes
// "/public/{rest...}" and "/user/<id>/public", [Realm] and
// [MaxHeaderBytes].
func Options() []auth.Option {
	return []auth.Option{
		auth.WithUsers(map[string]string{AdminUser: AdminPassword, ViewerUser: ViewerPassword}),
		auth.WithUserGroups(map[string][]string{AdminUser: {AdminGroup}, ViewerUser: {ViewerGroup}}),
		auth.WithUserSections(map[string][]string{AdminUser: {auth.AllSections}, ViewerUser: {MarketingSection}}),
		auth.WithPublicRoutes("/public/{rest...}", "/user/<id>/public"),
		auth.WithRealm(Realm),
		auth.WithMaxHeaderBytes(MaxHeaderBytes),
	}
}

// Harness builds and serves one application for the suite.
type Harness struct {
	// Name names the backend in test output.
	Name string
	// Start creates a fresh application, calls s.Install with it (which
	// runs auth.New with the suite's options and fails the test on
	// error), registers every route of s.Routes() after that, serves the
	// application on a loopback listener until the test ends (stop it
	// with t.Cleanup), and returns its base URL, such as
	// "http://127.0.0.1:43127". [ServeHandler] does the serving for an
	// http.Handler.
	Start func(t *testing.T, s *Setup) (baseURL string)
	// Expect overrides the expected status of path-confusion cases, by
	// case name (see [ConfusionCases]), for a framework that routes a
	// confusing path differently from the default and safely: Gin
	// redirects "/admin/" to "/admin" itself, for example, and Fiber
	// routes "/%70ublic/x" as received, which matches no public route.
	// The invariants hold whatever the status: no protected handler's
	// response to an anonymous caller, no 5xx, and a 200 only from a
	// public handler.
	Expect map[string]int
	// Options are appended to the suite's [Options], to set a logger for
	// example. They must not change the users, groups, sections, public
	// routes, realm or header limit the cases rely on.
	Options []auth.Option
}

// Setup is what the suite hands a [Harness]: the guard to install and the
// routes to register.
type Setup struct {
	t    *testing.T
	auth *auth.Auth
	opts []auth.Option
}

// Install guards app with auth.New(app, Options()...) and returns the
// Auth; it fails the test if New fails or Install was already called.
func (s *Setup) Install(app any) *auth.Auth {
	s.t.Helper()
	if s.auth != nil {
		s.t.Fatal("backendtest: Setup.Install called twice")
	}
	a, err := auth.New(app, s.opts...)
	if err != nil {
		s.t.Fatalf("backendtest: auth.New: %v", err)
	}
	s.auth = a
	return a
}

// Auth returns the installed Auth, or nil before Install.
func (s *Setup) Auth() *auth.Auth { return s.auth }

// Routes returns the routes the harness must register.
func (s *Setup) Routes() []Route { return StandardRoutes() }

// Route is one route of the application under test. Its handler must
// answer 200 with the body [Route.Echo] makes (Content-Type text/plain).
type Route struct {
	// Method is "GET" for a GET route, which must answer HEAD as well
	// (net/http's ServeMux and Fiber's Get do so themselves; with Gin
	// register HEAD too), or "" for a route that answers every method.
	Method string
	// Pattern is the path in net/http's syntax without a method:
	// "/user/{id}/public", "/public/{rest...}". "/" is the root only.
	Pattern string
	// Public is true for routes the suite makes public, false for
	// protected ones. It is informative: the guard decides.
	Public bool
	// Rule, when not empty, must be enforced with the framework's
	// route-level middleware, built from a.Rule(Rule...):
	// backends.HTTPRule, backends.GinRule or backends.FiberRule.
	Rule []auth.Requirement
}

// StandardRoutes returns the routes every harness registers:
//
//	GET /                    protected; echoes the identity
//	*   /public/{rest...}    public
//	*   /user/{id}/public    public
//	*   /user/{id}/private   protected
//	GET /admin               protected, requires group "admin"
//	GET /marketing/{page}    protected, requires section "marketing"
//	GET /hr/{page}           protected, requires section "hr"
func StandardRoutes() []Route {
	return []Route{
		{Method: "GET", Pattern: "/"},
		{Pattern: "/public/{rest...}", Public: true},
		{Pattern: "/user/{id}/public", Public: true},
		{Pattern: "/user/{id}/private"},
		{Method: "GET", Pattern: "/admin", Rule: []auth.Requirement{auth.OneOf(AdminGroup)}},
		{Method: "GET", Pattern: "/marketing/{page}", Rule: []auth.Requirement{auth.InSection(MarketingSection)}},
		{Method: "GET", Pattern: "/hr/{page}", Rule: []auth.Requirement{auth.InSection(HRSection)}},
	}
}

// Marker is the first line of the route's echo: "public:" or "protected:"
// followed by the pattern, such as "protected:/admin".
func (r Route) Marker() string {
	if r.Public {
		return "public:" + r.Pattern
	}
	return "protected:" + r.Pattern
}

// Echo returns the body the route's handler answers with. path is the
// request path as the handler sees it (r.URL.Path, c.Request.URL.Path,
// c.Path()); ctx is the request context the handler reads the identity
// from with auth.FromContext; idiom is what the framework's own
// per-request store holds under auth.LocalsKey (c.Get, c.Locals), or the
// same identity again where there is no such store.
func (r Route) Echo(path string, ctx context.Context, idiom any) []byte {
	var b strings.Builder
	b.WriteString(r.Marker())
	b.WriteString("\npath=")
	b.WriteString(path)
	id := auth.FromContext(ctx)
	b.WriteString("\nuser=")
	if id != nil {
		b.WriteString(id.User)
	}
	b.WriteString("\ngroups=")
	if id != nil {
		b.WriteString(strings.Join(id.Groups, ","))
	}
	b.WriteString("\nsections=")
	if id != nil {
		b.WriteString(strings.Join(id.Sections, ","))
	}
	b.WriteString("\nsession=")
	if id != nil {
		b.WriteString(id.SessionID)
	}
	b.WriteString("\nidiom=")
	switch v := idiom.(type) {
	case nil:
	case *auth.Identity:
		if v != nil {
			b.WriteString(v.User)
		}
	default:
		fmt.Fprintf(&b, "unexpected %T", v)
	}
	b.WriteString("\n")
	return []byte(b.String())
}

// PathWith returns the pattern with each wildcard rewritten by param, for
// routers with their own syntax. param gets the wildcard's name and
// whether it matches the rest of the path.
func (r Route) PathWith(param func(name string, rest bool) string) string {
	segs := strings.Split(r.Pattern, "/")
	for i, s := range segs {
		if len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' {
			name := s[1 : len(s)-1]
			rest := strings.HasSuffix(name, "...")
			segs[i] = param(strings.TrimSuffix(name, "..."), rest)
		}
	}
	return strings.Join(segs, "/")
}

// ColonPath returns the pattern in the syntax of Gin and httprouter:
// "/user/:id/public", "/public/*rest".
func (r Route) ColonPath() string {
	return r.PathWith(func(name string, rest bool) string {
		if rest {
			return "*" + name
		}
		return ":" + name
	})
}

// ServeMuxPattern returns the pattern for net/http's ServeMux, with its
// method and with "/" limited to the root: "GET /{$}", "/user/{id}/public".
func (r Route) ServeMuxPattern() string {
	p := r.Pattern
	if p == "/" {
		p = "/{$}"
	}
	if r.Method != "" {
		p = r.Method + " " + p
	}
	return p
}

// startWith starts an application of h with the suite's options, h's own
// and extra, and returns its Setup and base URL.
func startWith(t *testing.T, h Harness, extra ...auth.Option) (*Setup, string) {
	t.Helper()
	s := &Setup{t: t, opts: append(append(Options(), h.Options...), extra...)}
	base := h.Start(t, s)
	if s.auth == nil {
		t.Fatal("backendtest: Harness.Start did not call Setup.Install")
	}
	return s, base
}

// sessionKeys returns a fresh random key pair. KeysFromSecrets runs
// argon2id (64 MiB) on every call, which a suite run on every backend
// would pay many times.
func sessionKeys() [][]byte {
	hash, block := auth.GenerateKeyPair()
	return [][]byte{hash, block}
}

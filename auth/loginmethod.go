package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/authwire/authwire/backends"
)

// LoginMethod is a way to log in besides the password form, such as an
// OpenID Connect provider (package auth/oidclogin). [WithLoginMethod]
// installs one. A method serves its own routes (where a login starts,
// the provider's callback), starts sessions through the [LoginSessions] it is
// given, and gets an entry on the login page; everything after the login
// (the session cookie, WebSockets, logout, revocation) is the core's.
type LoginMethod interface {
	// InstallLogin is called once, by New, with the handle through which
	// the method starts sessions. It returns what the method is to the
	// guard and the login page, or an error (New fails with it, wrapped
	// in ErrInvalidConfig when it is not already).
	InstallLogin(s *LoginSessions) (LoginInfo, error)
	// ServeLogin answers a request for one of LoginInfo.Paths, whatever
	// its HTTP method, with path the request's path. The guard calls it
	// before public routes and before the application's routes, for a
	// caller logged in or not.
	ServeLogin(x backends.Exchange, path string)
}

// SessionEnder is a [LoginMethod] that also ends its sessions where they
// came from, as OpenID Connect's RP-initiated logout does at the provider.
//
// The logout endpoint (LoginConfig.LogoutPath) calls EndSession for a
// session whose Identity.Provider is the method's name, after the session
// has been revoked and its cookie cleared, so that nothing the method
// does can keep the user logged in. A browser is then sent to the
// location it returns instead of the usual page after logout; "" keeps
// the usual page. A script's logout (answered 204) calls EndSession too,
// so that the method can clear what it keeps, and ignores the location.
type SessionEnder interface {
	LoginMethod
	EndSession(x backends.Exchange, id *Identity) (location string)
}

// Refresher is a [LoginMethod] whose sessions follow their source after
// the login, as an OpenID Connect session with a refresh token follows
// its provider: the source may change the session's groups and sections,
// or end it.
//
// For a session whose Identity.Provider is the method's name, the guard
// calls Refresh where it re-reads a password session's rights: on the
// session's first request in this process, then at most once per
// SessionConfig.RecheckInterval, on a request or on a WebSocket's
// recheck ([Auth.Recheck]), whichever comes first. Refresh gets the
// session's identity as last known and returns it as it stands now: id
// itself when nothing changed, or an identity whose Groups and Sections
// replace the session's (its other fields are not read; names that
// cannot be group or section names are dropped). An error wrapping
// [ErrSessionEnded] ends the session as a revocation does: the request
// gets 401 or the login redirect, and the session's WebSockets close with
// 4401. Any other error (the source cannot be reached) keeps the rights
// read last, is logged, and the next recheck calls Refresh again.
// Refresh runs on the request's goroutine; it must be safe for concurrent
// use, and cheap when nothing is due.
type Refresher interface {
	LoginMethod
	Refresh(ctx context.Context, id *Identity) (*Identity, error)
}

// LoginInfo is what a [LoginMethod] tells New about itself.
type LoginInfo struct {
	// Name names the method: it is Identity.Provider of the sessions it
	// starts, qualifies their user names (see PlainUserNames), and
	// selects it on the login page with ?idp=<Name>. ASCII letters,
	// digits, '.', '_' and '-'; not "basic" or "form", the password
	// logins' names; unique among the methods.
	Name string
	// Label is the text of the method's entry on the login page, as in
	// "Sign in with <Label>". Required.
	Label string
	// StartPath begins a login: GET, with an optional ?next= naming
	// where to go afterwards. The login page links to it, and browsers
	// are sent to it when the method is the only way to log in.
	StartPath string
	// Paths are every path the method serves, StartPath among them. Each
	// is a plain absolute path, unique among the methods and different
	// from the login, logout and forward-auth paths.
	Paths []string
	// PlainUserNames makes the user of a session the method starts the
	// name it gives, as it is. By default it is qualified with Name, as
	// in "corp:alice", so that a user of the method is never the same
	// principal as a local user (whose name cannot hold a colon) or
	// another method's.
	PlainUserNames bool
}

// WithLoginMethod adds a way to log in besides the password form, such as
// an OpenID Connect provider from package auth/oidclogin. It needs
// [WithSessions]; give it once per method. The login page (see
// [WithLoginForm]) lists every method beside the form, and
// GET <login path>?idp=<name> goes straight to one (an unknown name is
// answered 400). Browsers that are not logged in are sent to the form
// when there is one; else to the only method, or, with several, to a page
// at /login that lists them.
func WithLoginMethod(m LoginMethod) Option {
	return func(c *config) error {
		if m == nil {
			return fmt.Errorf("%w: WithLoginMethod(nil)", ErrInvalidConfig)
		}
		c.methods = append(c.methods, m)
		return nil
	}
}

// loginMethods holds the installed login methods and serves their routes.
// The guard reaches it as Auth.methods.
type loginMethods struct {
	// loginPath is where a browser that is not logged in goes when there
	// is no login form: the one method's StartPath, or the login path,
	// which lists several.
	loginPath string
	list      []*installedMethod // in the order they were given
	routes    []methodRoute      // every method's paths
}

// installedMethod is a login method with what it said at installation.
type installedMethod struct {
	method LoginMethod
	info   LoginInfo
}

// methodRoute maps one path to the method that serves it.
type methodRoute struct {
	path   string
	method LoginMethod
}

// installLoginMethods installs cfg's login methods beside flow (the login
// form or the list page, and logout) and the forward-auth path, which no
// method path may take.
func installLoginMethods(cfg *config, sm *sessionManager, flow *loginFlow) (*loginMethods, error) {
	if sm == nil {
		return nil, fmt.Errorf("%w: WithLoginMethod needs WithSessions", ErrInvalidConfig)
	}
	secret, err := methodSecret(cfg.sessions.Keys)
	if err != nil {
		return nil, err
	}
	taken := map[string]string{flow.logoutPath: "the logout path"}
	if flow.form || len(cfg.methods) > 1 {
		taken[flow.path] = "the login path"
	}
	if cfg.forward != nil {
		p := cfg.forward.Path
		if p == "" {
			p = defaultForwardAuthPath
		}
		taken[p] = "the forward-auth path"
	}
	names := map[string]bool{}
	ms := &loginMethods{}
	for _, m := range cfg.methods {
		s := &LoginSessions{manager: sm, flow: flow, secret: secret, log: cfg.log}
		info, err := m.InstallLogin(s)
		switch {
		case errors.Is(err, ErrInvalidConfig):
			return nil, err
		case err != nil:
			return nil, invalidConfig(err)
		}
		if err := checkLoginInfo(&info, names, taken); err != nil {
			return nil, err
		}
		s.name, s.plain = info.Name, info.PlainUserNames
		if r, ok := m.(Refresher); ok {
			sm.refreshers[info.Name] = r
		}
		ms.list = append(ms.list, &installedMethod{method: m, info: info})
		for _, p := range info.Paths {
			ms.routes = append(ms.routes, methodRoute{path: p, method: m})
		}
	}
	ms.loginPath = ms.list[0].info.StartPath
	if len(ms.list) > 1 {
		ms.loginPath = flow.path
	}
	return ms, nil
}

// checkLoginInfo checks what a method said against the names and paths
// taken already, and takes its own.
func checkLoginInfo(info *LoginInfo, names map[string]bool, taken map[string]string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: login method %q: %s", ErrInvalidConfig, info.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case !providerName(info.Name):
		return bad("the name must be ASCII letters, digits, '.', '_' and '-', and not basic or form")
	case names[info.Name]:
		return bad("another login method has this name")
	case info.Label == "":
		return bad("the label is required")
	case !slices.Contains(info.Paths, info.StartPath):
		return bad("its Paths must hold its StartPath %q", info.StartPath)
	}
	names[info.Name] = true
	for _, p := range info.Paths {
		if len(p) < 2 || !safeRoutePath(p) || safeRedirect(p, nil, "") != p {
			return bad("%q is not a plain absolute path such as /oidc/login", p)
		}
		if what, ok := taken[p]; ok {
			return bad("its path %s is %s", p, what)
		}
		taken[p] = fmt.Sprintf("a path of login method %q", info.Name)
	}
	return nil
}

// serve hands x, whose path is path, to the method that serves path, and
// reports whether there was one.
func (ms *loginMethods) serve(x backends.Exchange, path string) bool {
	for _, r := range ms.routes {
		if r.path == path {
			r.method.ServeLogin(x, path)
			return true
		}
	}
	return false
}

// named returns the method called name, or nil.
func (ms *loginMethods) named(name string) *installedMethod {
	if ms == nil {
		return nil
	}
	for _, m := range ms.list {
		if m.info.Name == name {
			return m
		}
	}
	return nil
}

// several reports whether there is more than one login method, which
// makes the login path a page listing them even without the form.
func (ms *loginMethods) several() bool { return ms != nil && len(ms.list) > 1 }

// providerName reports whether s can name a login method: it must not
// hold the colon that ends the method's part of a qualified user name,
// nor take the name of a password login.
func providerName(s string) bool {
	if s == "" || s == "basic" || s == "form" {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

package auth

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/authwire/authwire/backends"
)

// ForwardAuthConfig configures the endpoint a reverse proxy asks whether
// to let a request through: nginx's auth_request, and Traefik's or Caddy's
// forward auth. See [WithForwardAuth].
type ForwardAuthConfig struct {
	// Path is the endpoint's path. Default "/auth/verify".
	Path string
	// LoginURL is where an unauthenticated browser is sent, with the
	// original URL in its "next" parameter when the proxy told it. A
	// path or an absolute http(s) URL. Default: the login form's path
	// (WithLoginForm), else where a login method starts (WithLoginMethod:
	// the only method's start path, or the login path listing several),
	// else none.
	LoginURL string
	// Sections, when not nil, restrict users to parts of the proxied
	// site by path: each user maps to the path prefixes they may reach
	// ("/grafana" covers "/grafana" and "/grafana/…", not "/grafanas"),
	// or to "_all_" for everything. A user with no entry may reach
	// nothing. Sections are judged on the original path the proxy
	// reports, so they need WithTrustedProxies; without a trusted
	// original path, only "_all_" passes.
	//
	// These prefixes are the endpoint's own. The sections an identity
	// carries (Identity.Sections, from WithUserSections and the other
	// section sources, kept by the session) are asked for per location
	// with ?section=name instead: see WithForwardAuth.
	Sections map[string][]string
}

// WithForwardAuth serves the forward-auth endpoint (default path
// /auth/verify, any method, as proxies ask with the original request's)
// for a reverse proxy in front of other applications. The
// proxy sends the client's request headers (Cookie, Authorization) to the
// endpoint, which recognises the caller as the guard would and answers:
//
//   - 200, allowing the request, with the caller in Remote-User,
//     Remote-Groups (comma-separated, sorted) and Remote-Email (an
//     "email" claim, when there is one and it is a single clean value),
//     and the same in X-Auth-Request-User, -Groups and -Email, for the
//     proxy to pass on upstream. Names are sent as they are, never
//     escaped: group names cannot hold a comma, a control character or
//     white space at an end (see Identity.Groups), and a caller whose
//     user name holds one is refused with 403 (and logged), so that an
//     upstream that splits or trims the headers reads back exactly the
//     names authwire checked. Users of a login method such as an OIDC
//     provider are qualified, as in "oidc:admin" (see
//     LoginInfo.PlainUserNames);
//   - 401 for an anonymous caller: with the login URL in Location for a
//     browser, and the Basic challenge for other clients (nginx copies
//     WWW-Authenticate to the client). A request carrying
//     X-Forwarded-Method from a trusted proxy (Traefik and Caddy send it)
//     gets the forward-auth answer instead: 303 to the login URL for a
//     browser, 401 for scripts. nginx turns any 3xx into a 500, so its
//     configuration must not send X-Forwarded-Method;
//   - 403 for a caller outside the groups listed in the endpoint's own
//     query (?allowed_groups=admin,ops: one of them is needed), outside
//     the section it names (?section=hr: the caller's Identity.Sections
//     must hold hr or AllSections, and a trusted original path must be
//     clean, with no escaped slash or dot and no dot segment, so that an
//     encoded path cannot cross from one section's location into
//     another's), or outside their ForwardAuthConfig.Sections.
//
// The original request is read only from trusted proxies
// (WithTrustedProxies): X-Original-URL, or X-Forwarded-Proto and
// X-Forwarded-Host (or Host) with X-Original-URI or X-Forwarded-Uri. The
// endpoint never starts a session, never caches (Cache-Control:
// no-store) and counts failed Basic passwords for brute-force
// regulation like the guard does.
func WithForwardAuth(cfg ForwardAuthConfig) Option {
	return func(c *config) error {
		cp := cfg
		cp.Sections = make(map[string][]string, len(cfg.Sections))
		for user, prefixes := range cfg.Sections {
			for _, p := range prefixes {
				if p != AllSections && (!safeRoutePath(p) || strings.HasSuffix(p, "/") && p != "/") {
					return fmt.Errorf("%w: forward-auth section %s must be a clean path such as /grafana", ErrInvalidConfig, p)
				}
			}
			cp.Sections[user] = slices.Clone(prefixes)
		}
		if cfg.Sections == nil {
			cp.Sections = nil
		}
		c.forward = &cp
		return nil
	}
}

// defaultForwardAuthPath is ForwardAuthConfig.Path's default.
const defaultForwardAuthPath = "/auth/verify"

// forwardAuth serves the forward-auth endpoint.
type forwardAuth struct {
	path     string
	login    string
	sections map[string][]string
	auth     *Auth
	proxies  trustedProxies
}

func newForwardAuth(cfg *ForwardAuthConfig, a *Auth, proxies trustedProxies, loginPath string) (*forwardAuth, error) {
	f := &forwardAuth{path: defaultForwardAuthPath, login: cfg.LoginURL, sections: cfg.Sections, auth: a, proxies: proxies}
	if cfg.Path != "" {
		f.path = cfg.Path
	}
	if len(f.path) < 2 || f.path[0] != '/' || safeRedirect(f.path, nil, "") != f.path || strings.ContainsAny(f.path, "?#") {
		return nil, fmt.Errorf("%w: the forward-auth path must be a plain absolute path such as /auth/verify", ErrInvalidConfig)
	}
	if f.login == "" {
		f.login = loginPath
	}
	if f.login != "" {
		u, err := url.Parse(f.login)
		switch {
		case err != nil, u.User != nil, u.Fragment != "",
			u.Scheme == "" && (u.Host != "" || !strings.HasPrefix(u.Path, "/")),
			u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https",
			u.Scheme != "" && u.Host == "":
			return nil, fmt.Errorf("%w: the forward-auth LoginURL must be a path or an http(s) URL", ErrInvalidConfig)
		}
	}
	return f, nil
}

// serve answers x, whose path is path, if it is for the endpoint, and
// reports whether it was.
func (f *forwardAuth) serve(x backends.Exchange, path string) bool {
	if path != f.path {
		return false
	}
	x.SetHeader("Cache-Control", "no-store")
	orig, forwardStyle := f.original(x)
	id, err := f.auth.identify(x)
	if err != nil || id == nil {
		f.unauthenticated(x, orig, forwardStyle)
		return true
	}
	if !headerName(id.User) || !allHeaderNames(id.Groups) {
		// The identity did not come through an entry that normalises
		// it (a user name from a password source, say): sent as it is,
		// it could read upstream as someone else.
		f.auth.log.LogAttrs(x.Context(), slog.LevelWarn, "authwire: forward auth refused a caller whose user or group names cannot be sent in a header",
			slog.String("user", id.User))
		send(x, f.auth.replies.forbidden)
		return true
	}
	if !f.allowed(x, id, orig) {
		send(x, f.auth.replies.forbidden)
		return true
	}
	for _, prefix := range []string{"Remote-", "X-Auth-Request-"} {
		x.SetHeader(prefix+"User", id.User)
		x.SetHeader(prefix+"Groups", strings.Join(id.Groups, ","))
		if email, ok := id.Claims["email"].(string); ok && headerName(email) {
			x.SetHeader(prefix+"Email", email)
		}
	}
	x.Write(http.StatusOK, "text/plain; charset=utf-8", []byte("ok\n"))
	return true
}

// originalRequest is what a trusted proxy says about the request it asks
// about; empty fields are unknown.
type originalRequest struct {
	url  string // absolute, when scheme and host are known
	path string // decoded path, when known and clean
	raw  bool   // a path was given but is not clean: sections refuse it
}

// original reads the original request from a trusted proxy's headers, and
// whether the proxy asks forward-auth style (X-Forwarded-Method).
func (f *forwardAuth) original(x backends.Exchange) (originalRequest, bool) {
	if !f.proxies.trusts(parseHostAddr(x.RemoteAddr())) {
		return originalRequest{}, false
	}
	single := func(name string) string {
		if x.HeaderCount(name) != 1 {
			return ""
		}
		return strings.TrimSpace(x.Header(name))
	}
	forwardStyle := single("X-Forwarded-Method") != ""
	var o originalRequest
	var uri string
	if full := single("X-Original-URL"); full != "" {
		u, err := url.Parse(full)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return originalRequest{raw: true}, forwardStyle
		}
		o.url, uri = full, u.RequestURI()
	} else {
		uri = single("X-Original-URI")
		if uri == "" {
			uri = single("X-Forwarded-Uri")
		}
		if uri == "" {
			return o, forwardStyle
		}
		scheme, host := strings.ToLower(single("X-Forwarded-Proto")), single("X-Forwarded-Host")
		if host == "" {
			host = x.Host()
		}
		if (scheme == "http" || scheme == "https") && host != "" && strings.HasPrefix(uri, "/") {
			if u, err := url.Parse(scheme + "://" + host + uri); err == nil && u.User == nil && u.Host == host {
				o.url = u.String()
			}
		}
	}
	rawPath, _, _ := strings.Cut(uri, "?")
	path, err := url.PathUnescape(rawPath)
	if err != nil || !safeRoutePath(rawPath) || !safeRoutePath(path) {
		o.raw = true
		return o, forwardStyle
	}
	o.path = path
	return o, forwardStyle
}

// allowed applies the endpoint's ?allowed_groups and ?section, and the
// user's Sections.
func (f *forwardAuth) allowed(x backends.Exchange, id *Identity, o originalRequest) bool {
	q, err := url.ParseQuery(x.Query())
	if err != nil || !sectionQueryAllowed(q, id, o) {
		return false
	}
	if v, ok := q["allowed_groups"]; ok {
		var groups []string
		for _, s := range v {
			for g := range strings.SplitSeq(s, ",") {
				if g = strings.TrimSpace(g); g != "" {
					groups = append(groups, g)
				}
			}
		}
		if len(groups) == 0 || checkAll(id, []Requirement{OneOf(groups...)}) != DecisionAllow {
			return false
		}
	}
	if f.sections == nil {
		return true
	}
	for _, s := range f.sections[id.User] {
		if s == AllSections {
			return true
		}
		if o.path != "" && !o.raw && (s == "/" || o.path == s || strings.HasPrefix(o.path, s+"/")) {
			return true
		}
	}
	return false
}

// unauthenticated answers an anonymous caller (see WithForwardAuth).
func (f *forwardAuth) unauthenticated(x backends.Exchange, o originalRequest, forwardStyle bool) {
	browser := wantsHTML(x)
	if browser && f.login != "" {
		location := f.loginLocation(o)
		if forwardStyle {
			redirect(x, location)
			return
		}
		x.SetHeader("Location", location)
	} else if f.auth.challenge != "" {
		x.SetHeader("WWW-Authenticate", f.auth.challenge)
	}
	send(x, f.auth.replies.unauthenticated)
}

// loginLocation is the login URL with the original URL (or path) in next.
func (f *forwardAuth) loginLocation(o originalRequest) string {
	next := o.url
	if next == "" && o.path != "" {
		next = o.path
	}
	if next == "" {
		return f.login
	}
	sep := "?"
	if strings.Contains(f.login, "?") {
		sep = "&"
	}
	return f.login + sep + "next=" + url.QueryEscape(next)
}

// headerSafe reports whether s can be a header value as it is: valid
// UTF-8 with no control characters.
func headerSafe(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, isCTL)
}

package auth

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/authwire/authwire/backends"
)

// ErrCrossOrigin is wrapped by the error [Auth.CheckCrossOrigin] returns
// for a browser request from another origin that may change state.
var ErrCrossOrigin = errors.New("auth: cross-origin request refused")

// WithTrustedOrigins names origins, such as "https://login.example.com",
// whose pages may send state-changing requests to the endpoints authwire
// serves (POST to the login form and to logout, calls of callbacks over
// HTTP) although they are cross-origin: for a login page on another host
// of the site, for example. An origin is a scheme (http or https), a
// host and an optional port, with nothing after it; it is matched
// exactly against the request's Origin header, so "http://login.example.com"
// does not trust "https://login.example.com" or another port. Default:
// none, and every cross-origin browser request to those endpoints is
// refused with 403 (see [Auth.CheckCrossOrigin]). Several calls add up;
// an origin that is not scheme://host[:port] makes New fail.
//
// Trusting an origin lifts only this check: the CSRF token of the login
// and logout forms is still required, and authwire sends no CORS headers,
// so a script on a trusted origin can post a form but not read answers.
func WithTrustedOrigins(origins ...string) Option {
	return func(c *config) error {
		for _, o := range origins {
			norm, err := parseTrustedOrigin(o)
			if err != nil {
				return fmt.Errorf("%w: WithTrustedOrigins: %w", ErrInvalidConfig, err)
			}
			c.trustedOrigins = append(c.trustedOrigins, norm)
		}
		return nil
	}
}

// parseTrustedOrigin checks o and returns it as browsers write the Origin
// header: scheme and host in lower case, no default port.
func parseTrustedOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	switch {
	case err != nil:
		return "", fmt.Errorf("origin %q does not parse: %w", o, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("origin %q: the scheme must be http or https", o)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("origin %q: a host is required", o)
	case u.User != nil:
		return "", fmt.Errorf("origin %q: user info is not allowed", o)
	case u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(o, "#"):
		return "", fmt.Errorf("origin %q: only scheme://host[:port], with no path, query or fragment", o)
	}
	return u.Scheme + "://" + strings.ToLower(withoutDefaultPort(u.Host, u.Scheme)), nil
}

// originCheck refuses cross-origin browser requests with an unsafe method,
// by the rules of Go's http.CrossOriginProtection, on any backend.
type originCheck struct {
	trusted []string // normalised origins; not changed after New
	refusal reply
}

func newOriginCheck(trusted []string) *originCheck {
	return &originCheck{
		trusted: trusted,
		refusal: newReply(http.StatusForbidden, "forbidden",
			"cross-origin request refused: this endpoint takes requests from pages of its own origin only"),
	}
}

// check returns nil for a request that may go on, and an error wrapping
// ErrCrossOrigin for one to refuse:
//
//   - GET, HEAD and OPTIONS are safe methods and always go on;
//   - Sec-Fetch-Site "same-origin" or "none" (the user typed the URL or
//     used a bookmark) goes on; any other value ("cross-site", and
//     "same-site", which includes another port of the same host) is
//     refused unless Origin is trusted;
//   - without Sec-Fetch-Site (older browsers, and clients that are no
//     browser), a request without Origin goes on: curl, scripts and
//     servers send neither header, and a browser always sends one of
//     them on a cross-origin POST;
//   - an Origin whose host:port is the Host header goes on, unless the
//     request came over TLS and Origin is http: (the scheme cannot be
//     told apart when a proxy ends TLS, so plain http takes both);
//   - any other Origin, "null" included, is refused unless trusted.
func (c *originCheck) check(x backends.Exchange) error {
	switch x.Method() {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	origin := x.Header("Origin")
	switch site := x.Header("Sec-Fetch-Site"); site {
	case "same-origin", "none":
		return nil
	case "":
	default:
		if c.isTrusted(origin) {
			return nil
		}
		return fmt.Errorf("%w: the browser says it comes from another site (Sec-Fetch-Site)", ErrCrossOrigin)
	}
	if origin == "" || sameOrigin(origin, x.Host(), x.TLS()) || c.isTrusted(origin) {
		return nil
	}
	return fmt.Errorf("%w: Origin does not match Host", ErrCrossOrigin)
}

// refuse answers x 403 and reports true when check refuses it.
func (c *originCheck) refuse(x backends.Exchange) bool {
	if c.check(x) == nil {
		return false
	}
	send(x, c.refusal)
	return true
}

// isTrusted reports whether origin, as the browser sent it, is trusted.
func (c *originCheck) isTrusted(origin string) bool {
	if origin == "" {
		return false
	}
	for _, t := range c.trusted {
		if origin == t {
			return true
		}
	}
	return false
}

// sameOrigin reports whether the Origin header names the host the request
// was sent to.
func sameOrigin(origin, host string, tls bool) bool {
	scheme, rest, ok := strings.Cut(origin, "://")
	if !ok || rest == "" || host == "" || strings.ContainsAny(rest, "/?#@") {
		return false
	}
	switch scheme {
	case "https":
	case "http":
		if tls {
			return false
		}
	default:
		return false
	}
	if strings.EqualFold(rest, host) {
		return true
	}
	// A default port on one side only: "https://example.com" and Host
	// "example.com:443".
	return strings.EqualFold(withoutDefaultPort(rest, scheme), withoutDefaultPort(host, scheme))
}

// withoutDefaultPort drops ":80" (http) or ":443" (https) from hostport.
func withoutDefaultPort(hostport, scheme string) string {
	h, port, err := net.SplitHostPort(hostport)
	if err != nil || !(scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		return hostport
	}
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// CheckCrossOrigin returns nil when x may go on to a handler that
// changes state, and an error wrapping [ErrCrossOrigin] when it is a
// browser request from a page of another origin that is not trusted
// ([WithTrustedOrigins]). It applies the rules of Go's
// http.CrossOriginProtection (Sec-Fetch-Site, else Origin against Host;
// safe methods and requests with neither header go on) the same way on
// every backend. The login form, logout and package callbacks' HTTP
// transport call it; an application can call it for its own endpoints,
// or use http.CrossOriginProtection with the same trusted origins.
func (a *Auth) CheckCrossOrigin(x backends.Exchange) error {
	return a.origins.check(x)
}

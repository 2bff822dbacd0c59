package ws

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/authwire/authwire/auth"
)

// originPattern is one entry of Config.OriginPatterns, parsed.
type originPattern struct {
	scheme string // lower case; "" for a pattern without one: the request's scheme
	host   string // lower case, for path.Match against the origin's host[:port]
}

// parseOriginPatterns checks and parses Config.OriginPatterns. Errors
// wrap auth.ErrInvalidConfig.
func parseOriginPatterns(patterns []string) ([]originPattern, error) {
	out := make([]originPattern, 0, len(patterns))
	for _, p := range patterns {
		op := originPattern{host: strings.ToLower(p)}
		if scheme, host, ok := strings.Cut(op.host, "://"); ok {
			op.scheme, op.host = scheme, host
		}
		_, err := path.Match(op.host, "")
		switch {
		case strings.TrimSpace(p) != p || op.host == "":
			return nil, fmt.Errorf("%w: ws origin pattern %q is empty or padded", auth.ErrInvalidConfig, p)
		case errors.Is(err, path.ErrBadPattern):
			return nil, fmt.Errorf("%w: ws origin pattern %q is malformed", auth.ErrInvalidConfig, p)
		case op.host == "*":
			return nil, fmt.Errorf("%w: ws origin pattern %q allows every site to open sockets with its visitors' cookies; list the hosts", auth.ErrInvalidConfig, p)
		case strings.Contains(p, "://") && !validScheme(op.scheme), strings.ContainsAny(op.host, "@/?#"):
			return nil, fmt.Errorf("%w: ws origin pattern %q must be a host pattern such as *.example.com, or scheme://host with no user, path or query", auth.ErrInvalidConfig, p)
		}
		out = append(out, op)
	}
	return out, nil
}

// validScheme reports whether s is a URL scheme (RFC 3986, section 3.1).
func validScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// errOrigin is why checkOrigin refuses a handshake.
var errOrigin = errors.New("ws: the handshake's Origin may not open a socket here")

// checkOrigin decides whether the handshake r may open a socket, by its
// Origin header (see Config.OriginPatterns). A handshake without Origin
// comes from a program, not a browser page, and passes: the origin check
// protects a browser's cookies from other sites' pages, and browsers
// always send Origin on a WebSocket handshake.
func (s *Server) checkOrigin(r *http.Request) error {
	values := r.Header.Values("Origin")
	switch len(values) {
	case 0:
		return nil
	case 1:
	default:
		return fmt.Errorf("%w: more than one Origin header", errOrigin)
	}
	scheme, host, ok := parseOrigin(values[0])
	if !ok {
		return fmt.Errorf("%w: Origin %q is not scheme://host[:port]", errOrigin, values[0])
	}
	own := s.auth.RequestScheme(r)
	if scheme == own && r.Host != "" && siteKey(scheme, host) == siteKey(own, strings.ToLower(r.Host)) {
		return nil
	}
	for _, p := range s.origins {
		want := p.scheme
		if want == "" {
			want = own
		}
		if scheme != want {
			continue
		}
		if ok, _ := path.Match(p.host, host); ok {
			return nil
		}
	}
	return fmt.Errorf("%w: Origin %q, for %s://%s", errOrigin, values[0], own, r.Host)
}

// parseOrigin splits an Origin header value, which must be exactly a
// serialised origin, scheme "://" host [":" port], as browsers send it:
// no user info, path, query or fragment. Scheme and host come back lower
// case.
func parseOrigin(v string) (scheme, host string, ok bool) {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || !validScheme(u.Scheme) || !strings.EqualFold(u.Scheme+"://"+u.Host, v) {
		return "", "", false
	}
	return u.Scheme, strings.ToLower(u.Host), true
}

// siteKey is host (lower case) without the default port of scheme, so
// that "example.com" and "example.com:443" are the same https site.
func siteKey(scheme, host string) string {
	switch {
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	}
	return host
}

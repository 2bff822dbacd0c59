package auth

import (
	"net/http"
	"strings"
)

// RequestScheme returns the scheme the client used for r, "https" or
// "http": "https" when r arrived over TLS, unless the peer is a trusted
// proxy ([WithTrustedProxies]) that sends one X-Forwarded-Proto of
// "http" or "https", which then says. Package ws compares it with the
// scheme of a WebSocket handshake's Origin.
func (a *Auth) RequestScheme(r *http.Request) string {
	if v := r.Header.Values("X-Forwarded-Proto"); len(v) == 1 && a.proxies.trusts(parseHostAddr(r.RemoteAddr)) {
		switch p := strings.ToLower(strings.TrimSpace(v[0])); p {
		case "http", "https":
			return p
		}
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

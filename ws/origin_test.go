package ws

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
)

// TestOriginSchemeAndUserinfo sends handshakes from origins on the
// server's own host and port, on every backend: only the server's own
// scheme (http here), with nothing but scheme, host and port, may open a
// socket. coder/websocket's own check compares the host only, and let
// https://, ftp:// and x@ origins in.
func TestOriginSchemeAndUserinfo(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		app := newTestApp(t, be, Config{OriginPatterns: []string{"good.example", "https://secure.example", "*.wild.example:8443"}})
		cookie, _ := app.login("admin", "admin")
		hostPort := strings.TrimPrefix(app.base, "http://")
		_, port, _ := strings.Cut(hostPort, ":")
		for _, tc := range []struct {
			origin string // "" sends none
			ok     bool
		}{
			{"", true},
			{"http://" + hostPort, true},
			{"HTTP://" + hostPort, true},
			{"https://" + hostPort, false},
			{"ftp://" + hostPort, false},
			{"ws://" + hostPort, false},
			{"wss://" + hostPort, false},
			{"file://" + hostPort, false},
			{"http://x@" + hostPort, false},
			{"http://x:y@" + hostPort, false},
			{"http://" + hostPort + "/", false},
			{"http://" + hostPort + "/page", false},
			{"http://" + hostPort + "?q", false},
			{"http://" + hostPort + "#f", false},
			{"http://127.0.0.1", false},
			{"http://127.0.0.2:" + port, false},
			{"http://localhost:" + port, false},
			{"null", false},
			{"http://", false},
			// Host patterns allow the request's own scheme only.
			{"http://good.example", true},
			{"http://GOOD.example", true},
			{"https://good.example", false},
			{"ftp://good.example", false},
			{"http://x@good.example", false},
			{"http://good.example:8080", false},
			{"http://a.wild.example:8443", true},
			{"https://a.wild.example:8443", false},
			// A pattern with a scheme allows that scheme only.
			{"https://secure.example", true},
			{"http://secure.example", false},
			{"https://x@secure.example", false},
		} {
			h := cookieHeader(cookie)
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			c, resp, err := app.dial("/ws/echo", h)
			switch {
			case tc.ok && err != nil:
				t.Errorf("Origin %q: refused (%v, HTTP %s), want a socket", tc.origin, err, status(resp))
			case tc.ok:
				mustEcho(t, c)
			case err == nil || resp == nil || resp.StatusCode != http.StatusForbidden:
				t.Errorf("Origin %q: err %v, HTTP %s, want 403", tc.origin, err, status(resp))
			}
		}
		// Two Origin headers are refused.
		h := cookieHeader(cookie)
		h["Origin"] = []string{app.base, app.base}
		if _, resp, err := app.dial("/ws/echo", h); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("two Origin headers: err %v, HTTP %s, want 403", err, status(resp))
		}
	})
}

// TestOriginBehindTrustedProxy checks that X-Forwarded-Proto gives the
// request's scheme when it comes from a trusted proxy, on every backend,
// and is ignored from anyone else.
func TestOriginBehindTrustedProxy(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		for _, tc := range []struct {
			name    string
			trusted bool
			proto   string
			origin  string
			ok      bool
		}{
			{"trusted https", true, "https", "https://", true},
			{"trusted https, http origin", true, "https", "http://", false},
			{"trusted http", true, "http", "http://", true},
			{"trusted junk", true, "gopher", "http://", true},
			{"untrusted https", false, "https", "https://", false},
			{"untrusted https, http origin", false, "https", "http://", true},
		} {
			var extra []auth.Option
			if tc.trusted {
				extra = append(extra, auth.WithTrustedProxies("127.0.0.1/32", "::1/128"))
			}
			app := newTestApp(t, be, Config{}, extra...)
			hostPort := strings.TrimPrefix(app.base, "http://")
			cookie, _ := app.login("admin", "admin")
			h := cookieHeader(cookie)
			h.Set("X-Forwarded-Proto", tc.proto)
			h.Set("Origin", tc.origin+hostPort)
			c, resp, err := app.dial("/ws/echo", h)
			switch {
			case tc.ok && err != nil:
				t.Errorf("%s: refused (%v, HTTP %s)", tc.name, err, status(resp))
			case tc.ok:
				mustEcho(t, c)
			case err == nil || resp == nil || resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s: err %v, HTTP %s, want 403", tc.name, err, status(resp))
			}
		}
	})
}

// TestCheckOriginOverTLS checks the scheme of a socket reached over TLS,
// and the default ports, on requests made by hand.
func TestCheckOriginOverTLS(t *testing.T) {
	s, err := New(testAuth(t), Config{OriginPatterns: []string{"good.example", "http://plain.example"}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tls          bool
		host, origin string
		ok           bool
	}{
		{true, "app.example", "https://app.example", true},
		{true, "app.example:443", "https://app.example", true},
		{true, "app.example", "https://app.example:443", true},
		{true, "App.Example", "https://app.example", true},
		{true, "app.example", "http://app.example", false},
		{true, "app.example:8443", "https://app.example", false},
		{true, "app.example", "https://good.example", true},
		{true, "app.example", "http://good.example", false},
		{true, "app.example", "http://plain.example", true},
		{false, "app.example", "http://app.example:80", true},
		{false, "app.example:80", "http://app.example", true},
		{false, "app.example", "https://app.example", false},
		{false, "[::1]:8080", "http://[::1]:8080", true},
		{false, "[::1]:8080", "http://[::1]:8081", false},
		{false, "", "http://app.example", false},
	} {
		r := httptest.NewRequest("GET", "/ws", nil)
		r.Host = tc.host
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		r.Header.Set("Origin", tc.origin)
		err := s.checkOrigin(r)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, errOrigin) {
			t.Errorf("TLS %v, Host %q, Origin %q: %v, want ok %v", tc.tls, tc.host, tc.origin, err, tc.ok)
		}
	}
}

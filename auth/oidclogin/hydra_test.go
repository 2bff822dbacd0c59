package oidclogin_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/internal/hydratest"
	"github.com/authwire/authwire/internal/testclock"
)

// walk follows the redirects from u, across the application, the
// provider and its login app, until a response that is no redirect or a
// redirect to stop, and returns the last URL asked and its status, or
// stop and 0 when it got there.
func (b *browser) walk(u, stop string) (string, int, string) {
	b.t.Helper()
	for range 20 {
		status, loc, body := b.get(u)
		if status/100 != 3 {
			return u, status, body
		}
		next, err := url.Parse(loc)
		if err != nil {
			b.t.Fatalf("%s: bad Location %q", u, loc)
		}
		if next.Host == "" {
			next = mustParse(u).ResolveReference(next)
		}
		if next.String() == stop {
			return stop, 0, ""
		}
		u = next.String()
	}
	b.t.Fatalf("more than 20 redirects from %s", u)
	return "", 0, ""
}

// TestHydra logs in and out through Ory Hydra, a real provider: the code
// flow with PKCE, the ID token's claims in the session, and RP-initiated
// logout, which ends the login Hydra remembers (the login after it is no
// longer skipped) and comes back to the post-logout redirect URI.
func TestHydra(t *testing.T) {
	h := hydratest.Start(t)
	var signedOut string
	app := serve(t, func(base string) []auth.Option {
		signedOut = base + "/signed-out"
		id, secret := h.Client(t, base+"/oidc/hydra/callback", signedOut)
		return []auth.Option{
			auth.WithSessions(auth.SessionConfig{Keys: testKeys(), InsecureCookies: true}),
			auth.WithLoginMethod(oidclogin.New(oidclogin.Config{
				Name: "hydra", Label: "Hydra", Issuer: h.Issuer, ClientID: id, ClientSecret: secret,
				RedirectURL: base + "/oidc/hydra/callback", PostLogoutRedirectURL: signedOut,
			})),
		}
	}).URL
	b := newBrowser(t)
	login := func(what string) {
		t.Helper()
		last, status, body := b.walk(app+"/private", "")
		if last != app+"/private" || status != 200 || body != "hydra:alice [admins ops] hydra" {
			t.Fatalf("%s: ended at %s with %d %q", what, last, status, body)
		}
	}
	login("the first login")
	// Hydra remembers alice: a second login through it is skipped.
	b.c.Jar.SetCookies(mustParse(app), []*http.Cookie{{Name: auth.DefaultSessionCookie, Value: "", Path: "/", MaxAge: -1}})
	login("the second login")
	session := b.cookie(app, auth.DefaultSessionCookie)

	status, loc := b.logout(app)
	if status != http.StatusSeeOther || mustParse(loc).Query().Get("id_token_hint") == "" {
		t.Fatalf("logout: %d %q", status, loc)
	}
	checkRevoked(t, app, session)
	if last, status, body := b.walk(loc, signedOut); last != signedOut {
		t.Fatalf("logout at hydra ended at %s with %d %q, not at %s", last, status, body, signedOut)
	}
	if h.Logouts() != 1 {
		t.Fatalf("hydra's logout requests: %d", h.Logouts())
	}
	login("the login after logout")
	if got := h.Logins(); len(got) != 3 || got[0] || !got[1] || got[2] {
		t.Fatalf("hydra skipped logins %v, want [false true false]: the logout did not end its session", got)
	}
}

// TestHydraBackchannel checks back-channel logout with Ory Hydra: the
// client is registered with its backchannel_logout_uri, and the session
// here, with its open WebSocket (4401), ends when the user logs out at
// Hydra itself (Hydra's logout URL, no application involved), and when
// an administrator ends the login session through Hydra's admin API.
func TestHydraBackchannel(t *testing.T) {
	h := hydratest.Start(t)
	app := serveProvider(t, func(base string) oidclogin.Config {
		id, secret := h.BackchannelClient(t, base+"/oidc/hydra/callback", base+"/signed-out", base+"/oidc/hydra/backchannel-logout")
		return oidclogin.Config{Name: "hydra", Label: "Hydra", Issuer: h.Issuer, ClientID: id, ClientSecret: secret,
			RedirectURL: base + "/oidc/hydra/callback"}
	}, auth.SessionConfig{Keys: testKeys(), InsecureCookies: true})
	b := newBrowser(t)
	login := func(what string) *websocket.Conn {
		t.Helper()
		if last, status, body := b.walk(app.URL+"/private", ""); last != app.URL+"/private" || status != 200 || body != "hydra:alice" {
			t.Fatalf("%s: ended at %s with %d %q", what, last, status, body)
		}
		return dialSocket(t, b, app.URL)
	}
	ended := func(what string, socket *websocket.Conn) {
		t.Helper()
		select {
		case status := <-app.backchannel:
			if status != http.StatusOK {
				t.Fatalf("%s: the back-channel logout was answered %d", what, status)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: hydra sent no back-channel logout in 30 s", what)
		}
		if code := closeStatus(t, socket); code != 4401 {
			t.Fatalf("%s: the socket closed with %d, want 4401", what, code)
		}
		if loggedIn(t, b, app.URL) {
			t.Fatalf("%s: the session outlived its back-channel logout", what)
		}
	}

	socket := login("the first login")
	// The user logs out at Hydra, which has the browser confirm through
	// its logout app and then posts the logout token.
	if last, status, body := b.walk(h.Issuer+"/oauth2/sessions/logout", ""); status != 200 || body != hydratest.SignedOut || h.Logouts() != 1 {
		t.Fatalf("logout at hydra ended at %s with %d %q; logouts accepted %d", last, status, body, h.Logouts())
	}
	ended("logout at hydra", socket)

	socket = login("the login after it")
	sessions := h.LoginSessions()
	if len(sessions) != 2 || sessions[1] == "" || sessions[1] == sessions[0] {
		t.Fatalf("hydra's login sessions: %q", sessions)
	}
	h.EndLoginSession(t, sessions[1])
	ended("the administrator's end of the login session", socket)
}

// countingTransport counts the POSTs it carries to paths ending in
// /oauth2/token.
type countingTransport struct {
	base    *http.Transport
	mu      sync.Mutex
	posts   int
	revokes []int // the statuses of the revocation endpoint's answers
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/oauth2/token") {
		c.mu.Lock()
		c.posts++
		c.mu.Unlock()
	}
	res, err := c.base.RoundTrip(r)
	if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/oauth2/revoke") {
		c.mu.Lock()
		status := 0
		if err == nil {
			status = res.StatusCode
		}
		c.revokes = append(c.revokes, status)
		c.mu.Unlock()
	}
	return res, err
}

func (c *countingTransport) revocations() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.revokes)
}

func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.posts
}

// TestHydraRefresh follows a session with a refresh token from Hydra
// (offline_access): once the access token (an hour) is near its expiry
// the session is refreshed at Hydra, and once the subject's consent is
// revoked there, the next refresh is refused: the socket closes with
// 4401 at its recheck, with no request, and the session is over.
func TestHydraRefresh(t *testing.T) {
	h := hydratest.Start(t)
	clk := testclock.New(time.Now())
	tokens := &countingTransport{base: &http.Transport{}}
	t.Cleanup(tokens.base.CloseIdleConnections)
	app := serveProvider(t, func(base string) oidclogin.Config {
		id, secret := h.Client(t, base+"/oidc/hydra/callback", base+"/signed-out")
		return oidclogin.Config{Name: "hydra", Label: "Hydra", Issuer: h.Issuer, ClientID: id, ClientSecret: secret,
			RedirectURL: base + "/oidc/hydra/callback", Scopes: []string{"profile", "email", "offline_access"},
			HTTPClient: &http.Client{Transport: tokens, Timeout: 10 * time.Second}}
	}, auth.SessionConfig{Keys: testKeys(), InsecureCookies: true, Lifetime: 24 * time.Hour, IdleTimeout: 12 * time.Hour},
		auth.WithClock(clk.Now))
	b := newBrowser(t)
	if last, status, body := b.walk(app.URL+"/private", ""); last != app.URL+"/private" || status != 200 || body != "hydra:alice" {
		t.Fatalf("login: ended at %s with %d %q", last, status, body)
	}
	if tokens.count() != 1 {
		t.Fatalf("%d token requests at login", tokens.count())
	}
	clk.Advance(time.Hour)
	if g := groupsOf(t, b, app.URL); g != "admins,ops" || tokens.count() != 2 {
		t.Fatalf("an hour on: groups %q, %d token requests", g, tokens.count())
	}
	socket := dialSocket(t, b, app.URL)
	h.RevokeConsent(t, "u-1")
	clk.Advance(time.Hour)
	if code := closeStatus(t, socket); code != 4401 {
		t.Fatalf("the socket closed with %d, want 4401", code)
	}
	if g := groupsOf(t, b, app.URL); g != http.StatusText(http.StatusUnauthorized) || tokens.count() != 3 {
		t.Fatalf("after the refused refresh: %q, %d token requests", g, tokens.count())
	}

	// A new login, and its logout revokes its refresh token at Hydra's
	// revocation_endpoint, which takes the client's Basic credentials.
	if last, status, body := b.walk(app.URL+"/private", ""); last != app.URL+"/private" || status != 200 || body != "hydra:alice" {
		t.Fatalf("second login: ended at %s with %d %q", last, status, body)
	}
	if status, _ := b.logout(app.URL); status != http.StatusSeeOther {
		t.Fatalf("logout: %d", status)
	}
	if got := tokens.revocations(); !slices.Equal(got, []int{http.StatusOK}) {
		t.Fatalf("revocation requests at logout answered %v, want one 200", got)
	}
}

package oidclogin_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/internal/oidctest"
)

const idTokenCookie = "authwire_idt_oidc"

// endSessionQuery checks that loc is p's end-session endpoint and returns
// its query.
func endSessionQuery(t *testing.T, p *oidctest.Provider, loc string) url.Values {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != p.URL+"/logout" {
		t.Fatalf("logout sent the browser to %q, not to the provider's end-session endpoint", loc)
	}
	return u.Query()
}

// checkRevoked checks that a browser holding only session's cookie is not
// logged in at app.
func checkRevoked(t *testing.T, app, session string) {
	t.Helper()
	thief := newBrowser(t)
	thief.c.Jar.SetCookies(mustParse(app), []*http.Cookie{{Name: auth.DefaultSessionCookie, Value: session, Path: "/"}})
	if status, _, _ := thief.get(app + "/private"); status != http.StatusSeeOther {
		t.Fatalf("the session's cookie still works after logout: %d", status)
	}
}

// TestLogoutAtProvider checks RP-initiated logout: the ID token is kept
// in a cookie only logout sees, the session is revoked here, and the
// browser is sent to the provider with id_token_hint, client_id and
// post_logout_redirect_uri.
func TestLogoutAtProvider(t *testing.T) {
	p := oidctest.New(t)
	const after = "http://localhost/signed-out"
	app := oidcApp(t, p, func(c *oidclogin.Config) { c.PostLogoutRedirectURL = after })
	b := newBrowser(t)
	b.login(app + "/oidc/login")
	if b.cookie(app+"/logout", idTokenCookie) == "" || b.cookie(app+"/private", idTokenCookie) != "" {
		t.Fatal("the ID token cookie is missing, or sent beyond the logout path")
	}
	session := b.cookie(app, auth.DefaultSessionCookie)

	status, loc := b.logout(app)
	if status != http.StatusSeeOther {
		t.Fatalf("logout: %d %q", status, loc)
	}
	q := endSessionQuery(t, p, loc)
	tokens := p.IDTokens()
	if q.Get("client_id") != p.ClientID || q.Get("id_token_hint") != tokens[len(tokens)-1] || q.Get("post_logout_redirect_uri") != after {
		t.Fatalf("end-session request %v", q)
	}
	if b.cookie(app+"/logout", idTokenCookie) != "" || b.cookie(app, auth.DefaultSessionCookie) != "" {
		t.Fatal("logout left the ID token or the session cookie")
	}
	checkRevoked(t, app, session)
	if status, back, _ := b.get(loc); status != http.StatusFound || back != after || len(p.Logouts()) != 1 {
		t.Fatalf("at the provider: %d %q, logouts %v", status, back, p.Logouts())
	}
}

// TestLogoutWithoutEndSession checks that a provider that advertises no
// end_session_endpoint gets no ID token kept and no redirect at logout.
func TestLogoutWithoutEndSession(t *testing.T) {
	p := oidctest.New(t)
	p.AdvertiseEndSession(false)
	for _, tc := range []struct {
		name string
		opts []auth.Option
		want string
	}{
		{"alone", nil, "/"},
		{"beside the form", []auth.Option{auth.WithUsers(map[string]string{"bob": "bob-pw"}), auth.WithLoginForm(auth.LoginConfig{})}, "/login"},
	} {
		app := oidcApp(t, p, nil, tc.opts...)
		b := newBrowser(t)
		b.login(app + "/oidc/login")
		if b.cookie(app+"/logout", idTokenCookie) != "" {
			t.Errorf("%s: an ID token was kept for a provider without end-session endpoint", tc.name)
		}
		session := b.cookie(app, auth.DefaultSessionCookie)
		if status, loc := b.logout(app); status != http.StatusSeeOther || loc != app+tc.want {
			t.Errorf("%s: logout: %d %q, want %s", tc.name, status, loc, tc.want)
		}
		checkRevoked(t, app, session)
	}
	if len(p.Logouts()) != 0 {
		t.Fatalf("the provider was sent logouts: %v", p.Logouts())
	}
}

// TestLogoutProviderDown checks that a provider that is down keeps no
// one logged in: a process that has its discovery document still sends
// the browser there, one that has not ends the logout here; either way
// the session is revoked first.
func TestLogoutProviderDown(t *testing.T) {
	p := oidctest.New(t)
	keys, revs := testKeys(), auth.NewMemoryRevocations(time.Now)
	process := func() string {
		return serve(t, func(base string) []auth.Option {
			return []auth.Option{
				auth.WithSessions(auth.SessionConfig{Keys: keys, InsecureCookies: true, Revocations: revs}),
				auth.WithLoginMethod(oidclogin.New(config(p, base))),
			}
		}).URL
	}
	// Two processes sharing keys and revocations (cookies do not tell
	// ports apart, so a browser's cookies reach both).
	app1, app2 := process(), process()
	b1, b2 := newBrowser(t), newBrowser(t)
	b1.login(app1 + "/oidc/login")
	b2.login(app1 + "/oidc/login")
	s1, s2 := b1.cookie(app1, auth.DefaultSessionCookie), b2.cookie(app1, auth.DefaultSessionCookie)
	p.Close()

	if status, loc := b1.logout(app2); status != http.StatusSeeOther || loc != app2+"/" {
		t.Fatalf("logout where the provider was never reached: %d %q, want the local page", status, loc)
	}
	if status, loc := b2.logout(app1); status != http.StatusSeeOther || endSessionQuery(t, p, loc).Get("id_token_hint") == "" {
		t.Fatalf("logout where the provider is known: %d %q", status, loc)
	}
	checkRevoked(t, app1, s1)
	checkRevoked(t, app1, s2)
}

// TestLogoutTokenIsTheSessions checks that the ID token cookie of an
// earlier session is not sent as the hint for a later one.
func TestLogoutTokenIsTheSessions(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, nil)
	b := newBrowser(t)
	b.login(app + "/oidc/login")
	earlier := b.cookie(app+"/logout", idTokenCookie)
	b.login(app + "/oidc/login")
	if later := b.cookie(app+"/logout", idTokenCookie); later == "" || later == earlier {
		t.Fatal("the second login kept no ID token of its own")
	}
	b.c.Jar.SetCookies(mustParse(app+"/logout"), []*http.Cookie{{Name: idTokenCookie, Value: earlier, Path: "/logout"}})
	_, loc := b.logout(app)
	if q := endSessionQuery(t, p, loc); q.Has("id_token_hint") || q.Get("client_id") != p.ClientID {
		t.Fatalf("logout with the earlier session's token: %v", q)
	}
}

// TestLogoutLargeIDToken checks that an ID token too large for a cookie
// is not kept, and that logout still goes to the provider, with client_id.
func TestLogoutLargeIDToken(t *testing.T) {
	p := oidctest.New(t)
	p.Forge(func(c map[string]any) { c["blob"] = strings.Repeat("x", 3000) }, false, "")
	app := oidcApp(t, p, nil)
	b := newBrowser(t)
	b.login(app + "/oidc/login")
	if b.cookie(app+"/logout", idTokenCookie) != "" {
		t.Fatal("an ID token too large for a cookie was kept")
	}
	if status, _, _ := b.get(app + "/private"); status != 200 {
		t.Fatalf("logged in with a large ID token: %d", status)
	}
	_, loc := b.logout(app)
	if q := endSessionQuery(t, p, loc); q.Has("id_token_hint") || q.Get("client_id") != p.ClientID {
		t.Fatalf("logout: %v", q)
	}
}

// TestScriptLogout checks that a script's logout is answered 204, with
// the ID token cookie cleared and the session revoked.
func TestScriptLogout(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, nil)
	b := newBrowser(t)
	b.login(app + "/oidc/login")
	session := b.cookie(app, auth.DefaultSessionCookie)
	res := b.do("GET", app+"/csrf", nil)
	token, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res = b.do("POST", app+"/logout", nil, "Accept", "application/json", "X-CSRF-Token", string(token))
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Location") != "" || b.cookie(app+"/logout", idTokenCookie) != "" {
		t.Fatalf("a script's logout: %d Location %q, ID token cookie %v", res.StatusCode, res.Header.Get("Location"), b.cookie(app+"/logout", idTokenCookie) != "")
	}
	checkRevoked(t, app, session)
}

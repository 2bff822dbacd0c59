package oidclogin_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/internal/oidctest"
)

func TestLogin(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, nil)
	b := newBrowser(t)

	status, login, _ := b.get(app + "/private?tab=2")
	if status != http.StatusSeeOther || login != app+"/oidc/login?next="+url.QueryEscape("/private?tab=2") {
		t.Fatalf("anonymous browser: %d %q", status, login)
	}
	callback := b.toCallback(login)
	if !strings.HasPrefix(callback, app+"/oidc/callback?") {
		t.Fatalf("the provider sent the browser to %q", callback)
	}
	status, next, _ := b.get(callback)
	if status != http.StatusSeeOther || next != app+"/private?tab=2" {
		t.Fatalf("callback: %d %q", status, next)
	}
	if status, _, body := b.get(next); status != 200 || body != "oidc:alice [admins ops] oidc" {
		t.Fatalf("after login: %d %q", status, body)
	}
	// The state cookie is single-use: the same callback again is refused.
	if status, _, _ := newBrowser(t).get(callback); status != http.StatusBadRequest {
		t.Fatalf("a callback without the state cookie: %d", status)
	}
	if status, _, _ := b.get(callback); status != http.StatusBadRequest {
		t.Fatalf("a replayed callback: %d", status)
	}
}

func TestRefusesBadLogins(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, nil)
	for _, tc := range []struct {
		name   string
		setup  func()
		alter  func(callback string) string
		status int
	}{
		{"another state", nil, func(cb string) string { return strings.Replace(cb, "state=", "state=x", 1) }, http.StatusBadRequest},
		{"no code", nil, func(cb string) string {
			u, _ := url.Parse(cb)
			q := u.Query()
			q.Del("code")
			u.RawQuery = q.Encode()
			return u.String()
		}, http.StatusBadRequest},
		{"a bad query", nil, func(cb string) string { return cb + "&%zz" }, http.StatusBadRequest},
		{"another nonce", func() { p.Forge(func(c map[string]any) { c["nonce"] = "forged" }, false, "") }, nil, http.StatusUnauthorized},
		{"another audience", func() { p.Forge(func(c map[string]any) { c["aud"] = "another-app" }, false, "") }, nil, http.StatusUnauthorized},
		{"another issuer", func() { p.Forge(func(c map[string]any) { c["iss"] = "https://evil.example" }, false, "") }, nil, http.StatusUnauthorized},
		{"expired", func() { p.Forge(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, false, "") }, nil, http.StatusUnauthorized},
		{"signed with another key", func() { p.Forge(nil, true, "") }, nil, http.StatusUnauthorized},
		{"no user claim", func() {
			p.Forge(func(c map[string]any) { delete(c, "preferred_username"); delete(c, "email"); c["sub"] = "" }, false, "")
		}, nil, http.StatusUnauthorized},
		{"refused at the provider", func() { p.Forge(nil, false, "access_denied") }, nil, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.Forge(nil, false, "")
			if tc.setup != nil {
				tc.setup()
			}
			b := newBrowser(t)
			callback := b.toCallback(app + "/oidc/login?next=/private")
			if tc.alter != nil {
				callback = tc.alter(callback)
			}
			if status, _, _ := b.get(callback); status != tc.status {
				t.Fatalf("callback: %d, want %d", status, tc.status)
			}
			if status, _, _ := b.get(app + "/private"); status != http.StatusSeeOther {
				t.Fatalf("a refused login left a session: %d", status)
			}
		})
	}
}

// TestNextAndFixation checks that the login form links to the provider
// keeping next, that a foreign next is dropped, and that the login starts
// a new session and revokes the one the browser came with.
func TestNextAndFixation(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, nil, auth.WithUsers(map[string]string{"bob": "bob-pw"}), auth.WithLoginForm(auth.LoginConfig{}))
	b := newBrowser(t)

	// A session from a browser's Basic login first.
	b.ask(app+"/private", "Authorization", basic("bob", "bob-pw"), "Sec-Fetch-Mode", "navigate")
	before := b.cookie(app, auth.DefaultSessionCookie)
	if before == "" {
		t.Fatal("no session before the OIDC login")
	}

	if status, _, body := b.get(app + "/login?next=/private"); status != 200 ||
		!strings.Contains(body, `<a href="/oidc/login?next=%2Fprivate">Sign in with single sign-on</a>`) {
		t.Fatalf("login form: %d, no link to the provider in %s", status, body)
	}
	// A next to another site is dropped, and so is one to the login page.
	for _, next := range []string{"https://evil.example/", "/login"} {
		status, loc, _ := b.get(b.toCallback(app + "/oidc/login?next=" + url.QueryEscape(next)))
		if status != http.StatusSeeOther || loc != app+"/" {
			t.Fatalf("callback with next %s: %d %q", next, status, loc)
		}
	}
	after := b.cookie(app, auth.DefaultSessionCookie)
	if after == "" || after == before {
		t.Fatal("the OIDC login did not start a new session")
	}
	// The old session is revoked.
	old := newBrowser(t)
	old.c.Jar.SetCookies(mustParse(app), []*http.Cookie{{Name: auth.DefaultSessionCookie, Value: before, Path: "/"}})
	if status, _, _ := old.get(app + "/private"); status != http.StatusSeeOther {
		t.Fatalf("the session from before the OIDC login still works: %d", status)
	}
}

func TestProviderDown(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, nil)
	p.Close()
	if status, _, body := newBrowser(t).get(app + "/oidc/login"); status != http.StatusBadGateway || !strings.Contains(body, "cannot be reached") {
		t.Fatalf("login with the provider down: %d %q, want 502", status, body)
	}
}

func TestConfigErrors(t *testing.T) {
	sessions := auth.WithSessions(auth.SessionConfig{Keys: testKeys(), Revocations: auth.NewMemoryRevocations(time.Now)})
	good := oidclogin.Config{Issuer: "https://idp.example", ClientID: "app", RedirectURL: "https://app.example/oidc/callback"}
	with := func(tweak func(*oidclogin.Config)) auth.Option {
		c := good
		tweak(&c)
		return auth.WithLoginMethod(oidclogin.New(c))
	}
	shared := oidclogin.New(good)
	if _, err := auth.New(http.NewServeMux(), sessions, auth.WithLoginMethod(shared)); err != nil {
		t.Fatalf("a good configuration: %v", err)
	}
	for _, tc := range []struct {
		name string
		opts []auth.Option
	}{
		{"no sessions", []auth.Option{auth.WithUsers(map[string]string{"a": "b"}), auth.WithLoginMethod(oidclogin.New(good))}},
		{"no client", []auth.Option{sessions, with(func(c *oidclogin.Config) { c.ClientID = "" })}},
		{"http issuer", []auth.Option{sessions, with(func(c *oidclogin.Config) { c.Issuer = "http://idp.example" })}},
		{"issuer with user info", []auth.Option{sessions, with(func(c *oidclogin.Config) { c.Issuer = "https://u:p@idp.example" })}},
		{"http post-logout redirect", []auth.Option{sessions, with(func(c *oidclogin.Config) { c.PostLogoutRedirectURL = "http://app.example/bye" })}},
		{"relative redirect", []auth.Option{sessions, with(func(c *oidclogin.Config) { c.RedirectURL = "/oidc/callback" })}},
		{"callback is the login path", []auth.Option{sessions, with(func(c *oidclogin.Config) {
			c.RedirectURL, c.LoginPath = "https://app.example/sso", "/sso"
		})}},
		{"unclean callback path", []auth.Option{sessions, with(func(c *oidclogin.Config) { c.RedirectURL = "https://app.example/a/../cb" })}},
		{"the callback is the logout path", []auth.Option{sessions, with(func(c *oidclogin.Config) { c.RedirectURL = "https://app.example/logout" })}},
		{"the same name twice", []auth.Option{sessions, auth.WithLoginMethod(oidclogin.New(good)), with(func(c *oidclogin.Config) {
			c.RedirectURL, c.LoginPath = "https://app.example/other/callback", "/other/login"
		})}},
		{"the same callback twice", []auth.Option{sessions, auth.WithLoginMethod(oidclogin.New(good)), with(func(c *oidclogin.Config) { c.Name = "corp" })}},
		{"a Provider in two Auths", []auth.Option{sessions, auth.WithLoginMethod(shared)}},
	} {
		if _, err := auth.New(http.NewServeMux(), tc.opts...); !errors.Is(err, auth.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", tc.name, err)
		} else if strings.Count(err.Error(), "invalid configuration") != 1 {
			t.Errorf("%s: %q says invalid configuration more than once", tc.name, err)
		}
	}
	for _, name := range []string{"basic", "form", "a:b", "a b", "a,b", "é"} {
		if _, err := auth.New(http.NewServeMux(), sessions, with(func(c *oidclogin.Config) { c.Name = name })); !errors.Is(err, auth.ErrInvalidConfig) {
			t.Errorf("Name %q: %v, want ErrInvalidConfig", name, err)
		}
	}
}

// TestEmailReachesForwardAuth checks that the email claim of an OIDC
// login stays with its session: the forward-auth endpoint reports it in
// Remote-Email on later requests carrying only the cookie.
func TestEmailReachesForwardAuth(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, nil, auth.WithForwardAuth(auth.ForwardAuthConfig{}))
	b := newBrowser(t)
	b.login(app + "/oidc/login")
	res := b.ask(app + "/auth/verify")
	if res.StatusCode != 200 || res.Header.Get("Remote-User") != "oidc:alice" || res.Header.Get("Remote-Email") != "alice@example.com" ||
		res.Header.Get("Remote-Groups") != "admins,ops" {
		t.Fatalf("verify with the OIDC session: %d %v", res.StatusCode, res.Header)
	}
}

// TestIsForwardAuthsLogin checks that without a login form, forward auth
// sends browsers to the provider's login.
func TestIsForwardAuthsLogin(t *testing.T) {
	app := oidcApp(t, oidctest.New(t), nil, auth.WithForwardAuth(auth.ForwardAuthConfig{}))
	status, loc, _ := newBrowser(t).get(app + "/auth/verify")
	if status != http.StatusUnauthorized || loc != app+"/oidc/login" {
		t.Fatalf("anonymous browser at the endpoint: %d Location %q", status, loc)
	}
}

// TestAllowedRedirectHosts checks that, without a login form, the
// provider's own allowed hosts let a login return to a site a proxy
// protects, and nowhere else.
func TestAllowedRedirectHosts(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, func(c *oidclogin.Config) { c.AllowedRedirectHosts = []string{"grafana.example.com"} })
	for next, want := range map[string]string{
		"https://grafana.example.com/d/1": "https://grafana.example.com/d/1",
		"https://evil.example.com/":       app + "/",
	} {
		b := newBrowser(t)
		status, loc, _ := b.get(b.toCallback(app + "/oidc/login?next=" + url.QueryEscape(next)))
		if status != http.StatusSeeOther || loc != want {
			t.Errorf("next %s: %d %q, want %q", next, status, loc, want)
		}
	}
}

// TestEdges covers the methods the endpoints take and refuse (HEAD: the
// start takes it, the callback refuses it) and a groups claim given as
// one string.
func TestEdges(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, nil)
	for _, path := range []string{"/oidc/login", "/oidc/callback"} {
		res, err := http.Post(app+path, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") == "" {
			t.Errorf("POST %s: %d Allow %q, want 405 with Allow", path, res.StatusCode, res.Header.Get("Allow"))
		}
	}
	// HEAD starts a login as GET does, but the callback refuses it: its
	// GET uses up the state cookie (and clears it, whatever it held) and
	// the code.
	for path, want := range map[string]int{"/oidc/login": http.StatusSeeOther, "/oidc/callback": http.StatusMethodNotAllowed} {
		req, _ := http.NewRequest("HEAD", app+path, nil)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("HEAD %s: %d, want %d", path, res.StatusCode, want)
		}
		if want == http.StatusMethodNotAllowed && (res.Header.Get("Allow") != "GET" || len(res.Cookies()) != 0) {
			t.Errorf("HEAD %s: Allow %q, cookies %v; want Allow GET and no cookie", path, res.Header.Get("Allow"), res.Cookies())
		}
	}
	p.Forge(func(c map[string]any) { c["groups"] = "ops" }, false, "")
	b := newBrowser(t)
	b.login(app + "/oidc/login?next=/private")
	if status, _, body := b.get(app + "/private"); status != 200 || body != "oidc:alice [ops] oidc" {
		t.Fatalf("a one-string groups claim: %d %q", status, body)
	}
}

// TestRedirectFromConfiguration checks that the authorization request
// names the configured callback whatever Host, X-Forwarded-Host and
// X-Forwarded-Proto the browser or an untrusted peer sends.
func TestRedirectFromConfiguration(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, nil)
	b := newBrowser(t)
	res := b.ask(app+"/oidc/login", "Accept", "text/html", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https")
	req, _ := http.NewRequest("GET", app+"/oidc/login", nil)
	req.Host = "evil.example"
	res2, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	for _, r := range []*http.Response{res, res2} {
		u, err := url.Parse(r.Header.Get("Location"))
		if r.StatusCode != http.StatusSeeOther || err != nil || u.Query().Get("redirect_uri") != app+"/oidc/callback" {
			t.Errorf("login start: %d, redirect_uri %q, want %s", r.StatusCode, u.Query().Get("redirect_uri"), app+"/oidc/callback")
		}
	}
}

func mustParse(u string) *url.URL {
	p, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	return p
}

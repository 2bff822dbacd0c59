package auth_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/internal/oidctest"
)

// oidcApp serves a guarded mux that logs in with p, and returns its URL.
// /private answers with the identity.
func oidcApp(t *testing.T, p *oidctest.Provider, extra ...auth.Option) string {
	t.Helper()
	return oidcAppWith(t, p, nil, extra...)
}

// oidcAppWith is oidcApp with tweak applied to the OIDC configuration.
func oidcAppWith(t *testing.T, p *oidctest.Provider, tweak func(*auth.OIDCConfig), extra ...auth.Option) string {
	t.Helper()
	var h atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	keys := testKeys()
	mux := http.NewServeMux()
	opts := append([]auth.Option{
		auth.WithLogger(slog.New(slog.DiscardHandler)),
		auth.WithSessions(auth.SessionConfig{Keys: keys, InsecureCookies: true}),
	}, extra...)
	cfg := auth.OIDCConfig{Issuer: p.URL, ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: srv.URL + "/oidc/callback"}
	if tweak != nil {
		tweak(&cfg)
	}
	opts = append(opts, auth.WithOIDC(cfg))
	a, err := auth.New(mux, opts...)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/private", func(w http.ResponseWriter, r *http.Request) {
		id := auth.FromContext(r.Context())
		fmt.Fprintf(w, "%s %v %s", id.User, id.Groups, id.Provider)
	})
	h.Store(a.Handler())
	return srv.URL
}

// oidcBrowser is a client with cookies that shows every redirect.
type oidcBrowser struct {
	t *testing.T
	c *http.Client
}

func newOIDCBrowser(t *testing.T) *oidcBrowser {
	jar, _ := cookiejar.New(nil)
	return &oidcBrowser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *oidcBrowser) get(u string) (int, string, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "text/html")
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	loc := res.Header.Get("Location")
	if loc != "" && strings.HasPrefix(loc, "/") {
		base, _ := url.Parse(u)
		loc = base.Scheme + "://" + base.Host + loc
	}
	return res.StatusCode, loc, string(body)
}

// toCallback runs a login from start up to the provider's redirect back,
// and returns the callback URL.
func (b *oidcBrowser) toCallback(start string) string {
	b.t.Helper()
	status, toIdP, _ := b.get(start)
	if status != http.StatusSeeOther || !strings.Contains(toIdP, "/authorize?") {
		b.t.Fatalf("login start: %d %q", status, toIdP)
	}
	u, _ := url.Parse(toIdP)
	if q := u.Query(); q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" {
		b.t.Fatalf("the authorization request lacks PKCE, nonce or state: %s", toIdP)
	}
	status, back, _ := b.get(toIdP)
	if status != http.StatusFound || !strings.Contains(back, "/oidc/callback?") {
		b.t.Fatalf("provider: %d %q", status, back)
	}
	return back
}

func TestOIDCLogin(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p)
	b := newOIDCBrowser(t)

	status, login, _ := b.get(app + "/private?tab=2")
	if status != http.StatusSeeOther || login != app+"/oidc/login?next="+url.QueryEscape("/private?tab=2") {
		t.Fatalf("anonymous browser: %d %q", status, login)
	}
	callback := b.toCallback(login)
	status, next, _ := b.get(callback)
	if status != http.StatusSeeOther || next != app+"/private?tab=2" {
		t.Fatalf("callback: %d %q", status, next)
	}
	if status, _, body := b.get(next); status != 200 || body != "oidc:alice [admins ops] oidc" {
		t.Fatalf("after login: %d %q", status, body)
	}
	// The state cookie is single-use: the same callback again is refused.
	if status, _, _ := newOIDCBrowser(t).get(callback); status != http.StatusBadRequest {
		t.Fatalf("a callback without the state cookie: %d", status)
	}
	if status, _, _ := b.get(callback); status != http.StatusBadRequest {
		t.Fatalf("a replayed callback: %d", status)
	}
}

func TestOIDCRefusesBadLogins(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p)
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
			b := newOIDCBrowser(t)
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

func TestOIDCNextAndFixation(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, auth.WithUsers(map[string]string{"bob": "bob-pw"}), auth.WithLoginForm(auth.LoginConfig{}))
	b := newOIDCBrowser(t)

	// A session from a browser's Basic login first.
	req, _ := http.NewRequest("GET", app+"/private", nil)
	req.SetBasicAuth("bob", "bob-pw")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	appURL, _ := url.Parse(app)
	var before string
	for _, c := range b.c.Jar.Cookies(appURL) {
		if c.Name == auth.DefaultSessionCookie {
			before = c.Value
		}
	}
	if before == "" {
		t.Fatal("no session before the OIDC login")
	}

	// The form links to the OIDC login, keeping next.
	if status, _, body := b.get(app + "/login?next=/private"); status != 200 ||
		!strings.Contains(body, `href="/oidc/login?next=%2fprivate"`) && !strings.Contains(body, `href="/oidc/login?next=%2Fprivate"`) {
		t.Fatalf("login form: %d, no OIDC link in %s", status, body)
	}
	// A next to another site is dropped.
	status, next, _ := b.get(b.toCallback(app + "/oidc/login?next=" + url.QueryEscape("https://evil.example/")))
	if status != http.StatusSeeOther || next != app+"/" {
		t.Fatalf("callback with a foreign next: %d %q", status, next)
	}
	var after string
	for _, c := range b.c.Jar.Cookies(appURL) {
		if c.Name == auth.DefaultSessionCookie {
			after = c.Value
		}
	}
	if after == "" || after == before {
		t.Fatal("the OIDC login did not start a new session")
	}
	// The old session is revoked.
	old := newOIDCBrowser(t)
	old.c.Jar.SetCookies(appURL, []*http.Cookie{{Name: auth.DefaultSessionCookie, Value: before, Path: "/"}})
	if status, _, _ := old.get(app + "/private"); status != http.StatusSeeOther {
		t.Fatalf("the session from before the OIDC login still works: %d", status)
	}
}

func TestOIDCProviderDown(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p)
	p.Close()
	if status, _, _ := newOIDCBrowser(t).get(app + "/oidc/login"); status != http.StatusBadGateway {
		t.Fatalf("login with the provider down: %d, want 502", status)
	}
}

func TestOIDCConfigErrors(t *testing.T) {
	keys := testKeys()
	sessions := auth.WithSessions(auth.SessionConfig{Keys: keys})
	good := auth.OIDCConfig{Issuer: "https://idp.example", ClientID: "app", RedirectURL: "https://app.example/oidc/callback"}
	for _, tc := range []struct {
		name string
		opts []auth.Option
	}{
		{"no sessions", []auth.Option{auth.WithOIDC(good)}},
		{"no client", []auth.Option{sessions, auth.WithOIDC(auth.OIDCConfig{Issuer: good.Issuer, RedirectURL: good.RedirectURL})}},
		{"http issuer", []auth.Option{sessions, auth.WithOIDC(auth.OIDCConfig{Issuer: "http://idp.example", ClientID: "app", RedirectURL: good.RedirectURL})}},
		{"relative redirect", []auth.Option{sessions, auth.WithOIDC(auth.OIDCConfig{Issuer: good.Issuer, ClientID: "app", RedirectURL: "/oidc/callback"})}},
		{"callback is the login path", []auth.Option{sessions, auth.WithOIDC(auth.OIDCConfig{Issuer: good.Issuer, ClientID: "app",
			RedirectURL: "https://app.example/sso", LoginPath: "/sso"})}},
		{"twice", []auth.Option{sessions, auth.WithOIDC(good), auth.WithOIDC(good)}},
	} {
		if _, err := auth.New(http.NewServeMux(), tc.opts...); !errors.Is(err, auth.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", tc.name, err)
		}
	}
	if _, err := auth.New(http.NewServeMux(), sessions, auth.WithOIDC(good)); err != nil {
		t.Errorf("a good configuration: %v", err)
	}
}

// TestOIDCEmailReachesForwardAuth checks that the email claim of an OIDC
// login stays with its session: the forward-auth endpoint reports it in
// Remote-Email on later requests carrying only the cookie.
func TestOIDCEmailReachesForwardAuth(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, auth.WithForwardAuth(auth.ForwardAuthConfig{}))
	b := newOIDCBrowser(t)
	if status, _, _ := b.get(b.toCallback(app + "/oidc/login")); status != http.StatusSeeOther {
		t.Fatalf("login: %d", status)
	}
	req, _ := http.NewRequest("GET", app+"/auth/verify", nil)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Remote-User") != "oidc:alice" || res.Header.Get("Remote-Email") != "alice@example.com" ||
		res.Header.Get("Remote-Groups") != "admins,ops" {
		t.Fatalf("verify with the OIDC session: %d %v", res.StatusCode, res.Header)
	}
}

// TestOIDCIsForwardAuthsLogin checks that without a login form, forward
// auth sends browsers to the OIDC login.
func TestOIDCIsForwardAuthsLogin(t *testing.T) {
	app := oidcApp(t, oidctest.New(t), auth.WithForwardAuth(auth.ForwardAuthConfig{}))
	status, loc, _ := newOIDCBrowser(t).get(app + "/auth/verify")
	if status != http.StatusUnauthorized || loc != app+"/oidc/login" {
		t.Fatalf("anonymous browser at the endpoint: %d Location %q", status, loc)
	}
}

// TestOIDCAllowedRedirectHosts checks that, without a login form, the
// OIDC configuration's own allowed hosts let a login return to a site a
// proxy protects, and nowhere else.
func TestOIDCAllowedRedirectHosts(t *testing.T) {
	p := oidctest.New(t)
	app := oidcAppWith(t, p, func(c *auth.OIDCConfig) { c.AllowedRedirectHosts = []string{"grafana.example.com"} })
	for next, want := range map[string]string{
		"https://grafana.example.com/d/1": "https://grafana.example.com/d/1",
		"https://evil.example.com/":       app + "/",
	} {
		b := newOIDCBrowser(t)
		status, loc, _ := b.get(b.toCallback(app + "/oidc/login?next=" + url.QueryEscape(next)))
		if status != http.StatusSeeOther || loc != want {
			t.Errorf("next %s: %d %q, want %q", next, status, loc, want)
		}
	}
}

// TestOIDCEdges covers the methods the endpoints refuse and a groups
// claim given as one string.
func TestOIDCEdges(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p)
	for _, path := range []string{"/oidc/login", "/oidc/callback"} {
		res, err := http.Post(app+path, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: %d, want 405", path, res.StatusCode)
		}
	}
	p.Forge(func(c map[string]any) { c["groups"] = "ops" }, false, "")
	b := newOIDCBrowser(t)
	b.get(b.toCallback(app + "/oidc/login?next=/private"))
	if status, _, body := b.get(app + "/private"); status != 200 || body != "oidc:alice [ops] oidc" {
		t.Fatalf("a one-string groups claim: %d %q", status, body)
	}
}

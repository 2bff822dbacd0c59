package oidclogin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/internal/oidctest"
)

// twoProviders serves an application that logs in with corp (through pa)
// and partner (through pb), each with a callback of its own, and extra
// options after.
func twoProviders(t *testing.T, pa, pb *oidctest.Provider, extra ...auth.Option) string {
	t.Helper()
	return serve(t, func(base string) []auth.Option {
		corp, partner := config(pa, base), config(pb, base)
		corp.Name, corp.Label, corp.RedirectURL = "corp", "Corp SSO", base+"/oidc/corp/callback"
		partner.Name, partner.RedirectURL = "partner", base+"/oidc/partner/callback"
		return append([]auth.Option{
			auth.WithSessions(auth.SessionConfig{Keys: testKeys(), InsecureCookies: true}),
			auth.WithLoginMethod(oidclogin.New(corp)),
			auth.WithLoginMethod(oidclogin.New(partner)),
		}, extra...)
	}).URL
}

// TestSeveralProviders checks the list page without a form, ?idp=, and
// that each session records the provider that logged it in.
func TestSeveralProviders(t *testing.T) {
	app := twoProviders(t, oidctest.New(t), oidctest.New(t))
	b := newBrowser(t)
	status, login, _ := b.get(app + "/private")
	if status != http.StatusSeeOther || login != app+"/login?next=%2Fprivate" {
		t.Fatalf("anonymous browser: %d %q", status, login)
	}
	status, _, page := b.get(login)
	for _, want := range []string{`<a href="/oidc/corp/login?next=%2Fprivate">Sign in with Corp SSO</a>`,
		`<a href="/oidc/partner/login?next=%2Fprivate">Sign in with partner</a>`} {
		if status != 200 || !strings.Contains(page, want) || strings.Contains(page, "<form") {
			t.Fatalf("list page: %d, want %s and no form in %s", status, want, page)
		}
	}
	b.login(app + "/oidc/partner/login?next=/private")
	if status, _, body := b.get(app + "/private"); status != 200 || body != "partner:alice [admins ops] partner" {
		t.Fatalf("after partner's login: %d %q", status, body)
	}
	status, start, _ := b.get(app + "/login?idp=corp&next=/private")
	if status != http.StatusSeeOther || start != app+"/oidc/corp/login?next=%2Fprivate" {
		t.Fatalf("?idp=corp: %d %q", status, start)
	}
	b.login(start)
	if status, _, body := b.get(app + "/private"); status != 200 || body != "corp:alice [admins ops] corp" {
		t.Fatalf("after corp's login: %d %q", status, body)
	}
	if status, _, body := b.get(app + "/login?idp=nobody"); status != http.StatusBadRequest || !strings.Contains(body, "no login method") {
		t.Fatalf("?idp=nobody: %d %q", status, body)
	}
}

// TestProvidersBesideTheForm checks that the login form lists both
// providers and that a local user and a provider's user stay apart.
func TestProvidersBesideTheForm(t *testing.T) {
	app := twoProviders(t, oidctest.New(t), oidctest.New(t),
		auth.WithUsers(map[string]string{"alice": "alice-pw"}), auth.WithLoginForm(auth.LoginConfig{}))
	status, login, _ := newBrowser(t).get(app + "/private")
	if status != http.StatusSeeOther || login != app+"/login?next=%2Fprivate" {
		t.Fatalf("anonymous browser: %d %q", status, login)
	}
	status, _, page := newBrowser(t).get(login)
	if status != 200 || !strings.Contains(page, `name="password"`) || !strings.Contains(page, "Sign in with Corp SSO") ||
		!strings.Contains(page, "Sign in with partner") || strings.Index(page, "Corp SSO") > strings.Index(page, ">Sign in with partner") {
		t.Fatalf("login page: %d %s", status, page)
	}
	b := newBrowser(t)
	b.login(app + "/oidc/corp/login?next=/private")
	if _, _, body := b.get(app + "/private"); body != "corp:alice [admins ops] corp" {
		t.Fatalf("corp's alice: %q", body)
	}
	local := newBrowser(t)
	if res := local.ask(app+"/private", "Authorization", basic("alice", "alice-pw")); res.StatusCode != 200 {
		t.Fatalf("the local alice: %d", res.StatusCode)
	}
}

// TestStateIsTheProvidersOwn checks that partner's callback state never
// finishes a login at corp: not without corp's state cookie, not with
// partner's cookie copied under corp's name, not with a cookie corp
// minted for another login. It holds with two issuers, and with one
// issuer and client behind both names, whose tokens would verify at
// either callback.
func TestStateIsTheProvidersOwn(t *testing.T) {
	shared := oidctest.New(t)
	for name, providers := range map[string][2]*oidctest.Provider{
		"two issuers": {oidctest.New(t), oidctest.New(t)},
		"one issuer":  {shared, shared},
	} {
		t.Run(name, func(t *testing.T) {
			app := twoProviders(t, providers[0], providers[1])
			b := newBrowser(t)
			back := b.toCallback(app + "/oidc/partner/login?next=/private")
			if !strings.HasPrefix(back, app+"/oidc/partner/callback?") {
				t.Fatalf("partner's callback: %q", back)
			}
			atCorp := strings.Replace(back, "/oidc/partner/callback", "/oidc/corp/callback", 1)
			partnerState := b.cookie(back, "authwire_idp_partner")
			if partnerState == "" || b.cookie(atCorp, "authwire_idp_partner") != "" {
				t.Fatal("partner's state cookie is missing, or not scoped to partner's callback")
			}
			// Corp's callback with partner's state and code, with no
			// cookie, then with partner's cookie under corp's name.
			for _, cookie := range []string{"", "authwire_idp_corp=" + partnerState, "authwire_idp_partner=" + partnerState} {
				req, _ := http.NewRequest("GET", atCorp, nil)
				if cookie != "" {
					req.Header.Set("Cookie", cookie)
				}
				res, err := http.DefaultTransport.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusBadRequest || hasSession(res) {
					t.Fatalf("corp's callback with partner's state, Cookie %q: %d, session %v", cookie, res.StatusCode, hasSession(res))
				}
			}
			// With a state cookie of corp's own, from a login started
			// and not finished.
			if status, _, _ := b.get(app + "/oidc/corp/login"); status != http.StatusSeeOther || b.cookie(atCorp, "authwire_idp_corp") == "" {
				t.Fatalf("corp's login start: %d", status)
			}
			if status, _, _ := b.get(atCorp); status != http.StatusBadRequest {
				t.Fatalf("corp's callback with partner's state and corp's cookie: %d", status)
			}
			if status, _, _ := b.get(app + "/private"); status != http.StatusSeeOther {
				t.Fatalf("a refused callback logged the browser in: %d", status)
			}
			// The callback was partner's all along: there it works.
			if status, next, _ := b.get(back); status != http.StatusSeeOther || next != app+"/private" {
				t.Fatalf("partner's own callback: %d %q", status, next)
			}
			if _, _, body := b.get(app + "/private"); body != "partner:alice [admins ops] partner" {
				t.Fatalf("after partner's callback: %q", body)
			}
		})
	}
}

// hasSession reports whether res sets a session cookie.
func hasSession(res *http.Response) bool {
	for _, c := range res.Cookies() {
		if c.Name == auth.DefaultSessionCookie && c.MaxAge >= 0 && c.Value != "" {
			return true
		}
	}
	return false
}

// TestProviderDefaults checks the defaults a second provider gets from
// its name: its login path, label and state cookie.
func TestProviderDefaults(t *testing.T) {
	p := oidctest.New(t)
	app := oidcApp(t, p, func(c *oidclogin.Config) { c.Name = "corp" })
	b := newBrowser(t)
	if status, loc, _ := b.get(app + "/private"); status != http.StatusSeeOther || loc != app+"/oidc/corp/login?next=%2Fprivate" {
		t.Fatalf("anonymous browser: %d %q", status, loc)
	}
	res := b.ask(app+"/oidc/corp/login", "Accept", "text/html")
	var state *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "authwire_idp_corp" {
			state = c
		}
	}
	if res.StatusCode != http.StatusSeeOther || state == nil || state.Path != "/oidc/callback" || !state.HttpOnly {
		t.Fatalf("login start: %d, state cookie %+v", res.StatusCode, state)
	}
	u, _ := url.Parse(res.Header.Get("Location"))
	if u.Query().Get("redirect_uri") != app+"/oidc/callback" {
		t.Fatalf("redirect_uri %q", u.Query().Get("redirect_uri"))
	}
}

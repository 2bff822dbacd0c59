package backendtest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/internal/oidctest"
)

// checkOIDC starts an application with sessions and OIDC login against a
// provider on loopback and follows a browser through it: the redirect to
// /oidc/login with next, the state cookie scoped to the callback path
// (Exchange.SetCookie), the provider, the callback's query and cookie
// (Exchange.Query, Exchange.Cookie), the session that follows, and the
// logout that ends it here and then at the provider.
func checkOIDC(t *testing.T, h Harness) {
	p := oidctest.New(t)
	// The application's address is known only once it serves; the
	// provider's redirect goes to this placeholder, and the test sends
	// the browser to the same path on the application.
	const placeholder = "http://127.0.0.1:1"
	s, base := startWith(t, h,
		auth.WithSessions(auth.SessionConfig{Keys: sessionKeys(), InsecureCookies: true}),
		auth.WithLoginMethod(oidclogin.New(oidclogin.Config{Issuer: p.URL, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			RedirectURL: placeholder + "/oidc/callback", PostLogoutRedirectURL: placeholder + "/login"})))

	browse := [2]string{"Accept", "text/html"}
	res, _ := roundTrip(t, base, "GET", "/admin?tab=2", "", browse)
	login := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || login != "/oidc/login?next="+url.QueryEscape("/admin?tab=2") {
		t.Fatalf("anonymous browser: %d Location %q", res.StatusCode, login)
	}
	state, back := startOIDCLogin(t, base, login, p.URL, "oidc", "/oidc/callback", placeholder)
	res, _ = roundTrip(t, base, "GET", back, "", browse, [2]string{"Cookie", state.Name + "=" + state.Value})
	session, idToken := sessionCookie(res), namedCookie(res, "authwire_idt_oidc")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin?tab=2" || session == "" {
		t.Fatalf("callback: %d Location %q, session cookie %v", res.StatusCode, res.Header.Get("Location"), session != "")
	}
	if idToken == nil || idToken.Path != "/logout" || !idToken.HttpOnly {
		t.Fatalf("callback: the ID token cookie is %+v, want one scoped to /logout", idToken)
	}
	// The provider's user is alice in groups ops and admins: logged in,
	// but not in the suite's admin group, and qualified with the
	// provider, so never the same principal as a local user alice.
	res, body := roundTrip(t, base, "GET", "/", "", [2]string{"Cookie", auth.DefaultSessionCookie + "=" + session})
	if res.StatusCode != http.StatusOK || echoLine(body, "user") != "oidc:alice" || echoLine(body, "groups") != "admins,ops" {
		t.Fatalf("after login: %d %q", res.StatusCode, body)
	}
	// A callback without the state cookie is refused.
	if res, _ := roundTrip(t, base, "GET", back, "", browse); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback without the state cookie: %d", res.StatusCode)
	}
	// Logout ends the session here, then sends the browser to the
	// provider with the ID token as the hint, and clears its cookie.
	token := s.auth.CSRFToken(auth.NewContext(context.Background(), &auth.Identity{SessionID: echoLine(body, "session")}))
	res, _ = roundTrip(t, base, "POST", "/logout", url.Values{"csrf_token": {token}}.Encode(), browse,
		[2]string{"Cookie", auth.DefaultSessionCookie + "=" + session + "; " + idToken.Name + "=" + idToken.Value})
	end, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(end.String(), p.URL+"/logout?") ||
		end.Query().Get("id_token_hint") != p.IDTokens()[0] || end.Query().Get("post_logout_redirect_uri") != placeholder+"/login" {
		t.Fatalf("logout: %d Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	if c := namedCookie(res, idToken.Name); c == nil || c.MaxAge >= 0 || c.Path != "/logout" {
		t.Fatalf("logout left the ID token cookie: %+v", c)
	}
	if res, _ := roundTrip(t, base, "GET", "/", "", [2]string{"Cookie", auth.DefaultSessionCookie + "=" + session}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the session after logout: %d", res.StatusCode)
	}
}

// namedCookie is the cookie called name that res sets, or nil.
// startOIDCLogin follows a browser from a provider's login path: the
// application must answer 303 to the provider's /authorize with a state
// cookie authwire_idp_<name> scoped to callback, and the provider must
// send the browser back to the application (placeholder is the base URL
// the provider was told). It returns the state cookie and the path and
// query the browser is sent back to.
func startOIDCLogin(t *testing.T, base, login, provider, name, callback, placeholder string) (*http.Cookie, string) {
	t.Helper()
	res, _ := roundTrip(t, base, "GET", login, "", [2]string{"Accept", "text/html"})
	state := namedCookie(res, "authwire_idp_"+name)
	toProvider := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || state == nil || state.Path != callback || !strings.HasPrefix(toProvider, provider+"/authorize?") {
		t.Fatalf("%s login start: %d Location %q, state cookie %+v", name, res.StatusCode, toProvider, state)
	}
	res, _ = roundTrip(t, provider, "GET", strings.TrimPrefix(toProvider, provider), "")
	back, ok := strings.CutPrefix(res.Header.Get("Location"), placeholder)
	if res.StatusCode != http.StatusFound || !ok {
		t.Fatalf("provider: %d Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	return state, back
}

// namedCookie returns the cookie res sets under name, or nil.
func namedCookie(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// checkOIDCProviders starts an application with two providers and no
// login form and follows a browser through them: the list page at /login,
// ?idp= (Exchange.Query), partner's state cookie scoped to partner's
// callback, corp's callback refusing partner's state and cookie, and the
// session partner's callback starts.
func checkOIDCProviders(t *testing.T, h Harness) {
	pa, pb := oidctest.New(t), oidctest.New(t)
	const placeholder = "http://127.0.0.1:1"
	_, base := startWith(t, h,
		auth.WithSessions(auth.SessionConfig{Keys: sessionKeys(), InsecureCookies: true}),
		auth.WithLoginMethod(oidclogin.New(oidclogin.Config{Name: "corp", Issuer: pa.URL, ClientID: pa.ClientID, ClientSecret: pa.ClientSecret,
			RedirectURL: placeholder + "/oidc/corp/callback"})),
		auth.WithLoginMethod(oidclogin.New(oidclogin.Config{Name: "partner", Issuer: pb.URL, ClientID: pb.ClientID, ClientSecret: pb.ClientSecret,
			RedirectURL: placeholder + "/oidc/partner/callback"})))

	browse := [2]string{"Accept", "text/html"}
	res, _ := roundTrip(t, base, "GET", "/admin", "", browse)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fadmin" {
		t.Fatalf("anonymous browser: %d Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, page := roundTrip(t, base, "GET", "/login?next=%2Fadmin", "", browse)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `href="/oidc/corp/login?next=%2Fadmin"`) ||
		!strings.Contains(page, `href="/oidc/partner/login?next=%2Fadmin"`) {
		t.Fatalf("list page: %d %s", res.StatusCode, page)
	}
	res, _ = roundTrip(t, base, "GET", "/login?idp=partner&next=%2Fadmin", "", browse)
	start := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || start != "/oidc/partner/login?next=%2Fadmin" {
		t.Fatalf("?idp=partner: %d Location %q", res.StatusCode, start)
	}
	state, back := startOIDCLogin(t, base, start, pb.URL, "partner", "/oidc/partner/callback", placeholder)
	atCorp := strings.Replace(back, "/oidc/partner/callback", "/oidc/corp/callback", 1)
	res, _ = roundTrip(t, base, "GET", atCorp, "", browse, [2]string{"Cookie", "authwire_idp_corp=" + state.Value})
	if res.StatusCode != http.StatusBadRequest || sessionCookie(res) != "" {
		t.Fatalf("corp's callback with partner's state and cookie: %d, session %v", res.StatusCode, sessionCookie(res) != "")
	}
	res, _ = roundTrip(t, base, "GET", back, "", browse, [2]string{"Cookie", state.Name + "=" + state.Value})
	session := sessionCookie(res)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin" || session == "" {
		t.Fatalf("partner's callback: %d Location %q, session cookie %v", res.StatusCode, res.Header.Get("Location"), session != "")
	}
	res, body := roundTrip(t, base, "GET", "/", "", [2]string{"Cookie", auth.DefaultSessionCookie + "=" + session})
	if res.StatusCode != http.StatusOK || echoLine(body, "user") != "partner:alice" {
		t.Fatalf("after partner's login: %d %q", res.StatusCode, body)
	}
}

// sessionCookie is the session cookie res sets, or "".
func sessionCookie(res *http.Response) string {
	for _, c := range res.Cookies() {
		if c.Name == auth.DefaultSessionCookie && c.MaxAge >= 0 {
			return c.Value
		}
	}
	return ""
}

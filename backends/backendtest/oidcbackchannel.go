package backendtest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/oidclogin"
	"github.com/authwire/authwire/internal/oidctest"
)

// checkOIDCBackchannel logs a browser in through a provider on loopback
// and has the provider post logout tokens, server to server, to the
// back-channel logout endpoint (Exchange.Body, Exchange.Header): a
// token with another audience and another method are refused with the
// session left alone, and the provider's token ends the session, with
// 200 and no-store, however cross-site the post says it is.
func checkOIDCBackchannel(t *testing.T, h Harness) {
	p := oidctest.New(t)
	const placeholder = "http://127.0.0.1:1"
	_, base := startWith(t, h,
		auth.WithSessions(auth.SessionConfig{Keys: sessionKeys(), InsecureCookies: true}),
		auth.WithLoginMethod(oidclogin.New(oidclogin.Config{Issuer: p.URL, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			RedirectURL: placeholder + "/oidc/callback"})))
	browse := [2]string{"Accept", "text/html"}
	state, back := startOIDCLogin(t, base, "/oidc/login", p.URL, "oidc", "/oidc/callback", placeholder)
	res, _ := roundTrip(t, base, "GET", back, "", browse, [2]string{"Cookie", state.Name + "=" + state.Value})
	session := sessionCookie(res)
	if res.StatusCode != http.StatusSeeOther || session == "" {
		t.Fatalf("callback: %d, session cookie %v", res.StatusCode, session != "")
	}
	cookie := [2]string{"Cookie", auth.DefaultSessionCookie + "=" + session}
	loggedIn := func() bool {
		res, _ := roundTrip(t, base, "GET", "/", "", cookie)
		return res.StatusCode == http.StatusOK
	}
	logout := func(method, token string) *http.Response {
		res, _ := roundTrip(t, base, method, "/oidc/backchannel-logout", url.Values{"logout_token": {token}}.Encode(),
			[2]string{"Sec-Fetch-Site", "cross-site"}, [2]string{"Origin", "https://idp.example"})
		return res
	}
	if !loggedIn() {
		t.Fatal("not logged in after the callback")
	}
	if res := logout("POST", p.LogoutToken(func(c map[string]any) { c["aud"] = "another-client" }, false)); res.StatusCode != http.StatusBadRequest || !loggedIn() {
		t.Fatalf("a logout token for another client: %d, still logged in %v", res.StatusCode, loggedIn())
	}
	if res := logout("PUT", p.LogoutToken(nil, false)); res.StatusCode != http.StatusMethodNotAllowed || !loggedIn() {
		t.Fatalf("PUT to the back-channel logout endpoint: %d, still logged in %v", res.StatusCode, loggedIn())
	}
	res = logout("POST", p.LogoutToken(nil, false))
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("back-channel logout: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if loggedIn() {
		t.Fatal("the session outlived its back-channel logout")
	}
}

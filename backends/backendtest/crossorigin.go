package backendtest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
)

// checkCrossOrigin starts an application with sessions and the login form
// and checks, over the real connection, that a page of another origin can
// neither log in nor log out, even with valid tokens: Sec-Fetch-Site
// cross-site and same-site (another port of the host), and a foreign
// Origin without Sec-Fetch-Site, get 403 and change nothing. A
// same-origin browser and a client that sends neither header (curl) keep
// working. The check reads Method, Header and Host of the Exchange, so a
// backend that loses one of them fails here.
func checkCrossOrigin(t *testing.T, h Harness) {
	s, base := startWith(t, h, auth.WithSessions(auth.SessionConfig{Keys: sessionKeys()}), auth.WithLoginForm(auth.LoginConfig{}))
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	otherPort := "http://" + u.Hostname() + ":1"
	refused := []struct {
		name    string
		headers [][2]string
	}{
		{"Sec-Fetch-Site cross-site", [][2]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}}},
		{"Sec-Fetch-Site same-site from another port", [][2]string{{"Sec-Fetch-Site", "same-site"}, {"Origin", otherPort}}},
		{"foreign Origin", [][2]string{{"Origin", "https://evil.example"}}},
		{"Origin of another port", [][2]string{{"Origin", otherPort}}},
	}
	allowed := []struct {
		name    string
		headers [][2]string
	}{
		{"same-origin", [][2]string{{"Sec-Fetch-Site", "same-origin"}, {"Origin", base}}},
		{"Origin is Host", [][2]string{{"Origin", base}}},
		{"no browser headers", nil},
	}
	cookies := func(res *http.Response) map[string]string {
		m := map[string]string{}
		for _, c := range res.Cookies() {
			m[c.Name] = c.Value
		}
		return m
	}
	// login gets a form and posts it with a valid token and extra headers.
	login := func(headers [][2]string) (*http.Response, string) {
		t.Helper()
		res, body := roundTrip(t, base, "GET", "/login", "", [2]string{"Accept", "text/html"})
		m := csrfField.FindStringSubmatch(body)
		bind := cookies(res)["authwire_login"]
		if res.StatusCode != 200 || m == nil || bind == "" {
			t.Fatalf("login page: %d", res.StatusCode)
		}
		form := url.Values{"username": {AdminUser}, "password": {AdminPassword}, "csrf_token": {m[1]}, "next": {"/"}}.Encode()
		hs := append([][2]string{{"Accept", "application/json"}, {"Cookie", "authwire_login=" + bind}}, headers...)
		res, body = roundTrip(t, base, "POST", "/login", form, hs...)
		return res, body
	}
	for _, tc := range refused {
		t.Run("login/"+tc.name, func(t *testing.T) {
			res, body := login(tc.headers)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, `"code":"forbidden"`) || cookies(res)[auth.DefaultSessionCookie] != "" {
				t.Fatalf("cross-origin login: %d, session cookie %q, body %q", res.StatusCode, cookies(res)[auth.DefaultSessionCookie], body)
			}
		})
	}
	for _, tc := range allowed {
		t.Run("login/"+tc.name, func(t *testing.T) {
			if res, body := login(tc.headers); res.StatusCode != http.StatusSeeOther || cookies(res)[auth.DefaultSessionCookie] == "" {
				t.Fatalf("login: %d %q", res.StatusCode, body)
			}
		})
	}

	// session starts one with Basic, returning its cookie and logout token.
	session := func() (cookie [2]string, token string) {
		t.Helper()
		res, body := roundTrip(t, base, "GET", "/", "", [2]string{"Authorization", basic(AdminUser, AdminPassword)}, browserFetch)
		value := cookies(res)[auth.DefaultSessionCookie]
		sid := echoLine(body, "session")
		if res.StatusCode != 200 || value == "" || sid == "" {
			t.Fatalf("Basic login: %d", res.StatusCode)
		}
		token = s.auth.CSRFToken(auth.NewContext(context.Background(), &auth.Identity{SessionID: sid}))
		return [2]string{"Cookie", auth.DefaultSessionCookie + "=" + value}, token
	}
	alive := func(cookie [2]string) bool {
		res, _ := roundTrip(t, base, "GET", "/", "", cookie, [2]string{"Accept", "application/json"})
		return res.StatusCode == 200
	}
	for _, tc := range refused {
		t.Run("logout/"+tc.name, func(t *testing.T) {
			cookie, token := session()
			hs := append([][2]string{cookie, {"X-CSRF-Token", token}, {"Accept", "application/json"}}, tc.headers...)
			res, body := roundTrip(t, base, "POST", "/logout", "", hs...)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, `"code":"forbidden"`) {
				t.Fatalf("cross-origin logout: %d %q", res.StatusCode, body)
			}
			if !alive(cookie) {
				t.Fatal("a refused cross-origin logout ended the session")
			}
		})
	}
	for _, tc := range allowed {
		t.Run("logout/"+tc.name, func(t *testing.T) {
			cookie, token := session()
			hs := append([][2]string{cookie, {"X-CSRF-Token", token}, {"Accept", "application/json"}}, tc.headers...)
			if res, body := roundTrip(t, base, "POST", "/logout", "", hs...); res.StatusCode != http.StatusNoContent {
				t.Fatalf("logout: %d %q", res.StatusCode, body)
			}
			if alive(cookie) {
				t.Fatal("the session outlived its logout")
			}
		})
	}
}

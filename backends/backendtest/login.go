package backendtest

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
)

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// checkLoginForm starts an application with sessions and the login form
// and drives the form over the real connection: the redirect of a browser
// to the form with its query kept in next (Exchange.Query), the form and
// its CSRF cookie (SetCookie), a body over the limit (Exchange.Body, 413),
// a forged token (403), and a good login (303 to next with a session
// cookie that then authenticates). These are the parts of an Exchange the
// Basic cases never touch.
func checkLoginForm(t *testing.T, h Harness) {
	_, base := startWith(t, h, auth.WithSessions(auth.SessionConfig{Keys: sessionKeys()}), auth.WithLoginForm(auth.LoginConfig{}))
	type answer struct {
		status  int
		header  http.Header
		cookies map[string]string
		body    string
	}
	call := func(method, path, body string, headers ...[2]string) answer {
		t.Helper()
		res, b := roundTrip(t, base, method, path, body, append([][2]string{{"Accept", "text/html"}}, headers...)...)
		a := answer{res.StatusCode, res.Header, map[string]string{}, b}
		for _, c := range res.Cookies() {
			a.cookies[c.Name] = c.Value
		}
		return a
	}

	got := call("GET", "/admin?tab=2", "")
	if want := "/login?next=" + url.QueryEscape("/admin?tab=2"); got.status != http.StatusSeeOther || got.header.Get("Location") != want {
		t.Fatalf("anonymous browser: %d Location %q, want 303 %q", got.status, got.header.Get("Location"), want)
	}
	// HEAD answers as GET does, without a body, on every backend (Gin
	// routes HEAD only where asked to; the guard serves the form itself).
	if got := call("HEAD", "/login", ""); got.status != http.StatusOK || got.body != "" {
		t.Fatalf("HEAD /login: %d %q", got.status, got.body)
	}
	page := call("GET", "/login", "")
	m := csrfField.FindStringSubmatch(page.body)
	bind := page.cookies["authwire_login"]
	if page.status != 200 || m == nil || bind == "" {
		t.Fatalf("login page: %d, token found %v, binding cookie %q", page.status, m != nil, bind)
	}
	withBind := [2]string{"Cookie", "authwire_login=" + bind}
	form := func(token string) string {
		return url.Values{"username": {AdminUser}, "password": {AdminPassword}, "csrf_token": {token}, "next": {"/admin?tab=2"}}.Encode()
	}
	if got := call("POST", "/login", "username="+strings.Repeat("a", 20000), withBind); got.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("login body over the limit: %d", got.status)
	}
	if got := call("POST", "/login", form("forged"), withBind); got.status != http.StatusForbidden {
		t.Fatalf("login with a forged token: %d", got.status)
	}
	got = call("POST", "/login", form(m[1]), withBind)
	session := got.cookies[auth.DefaultSessionCookie]
	if got.status != http.StatusSeeOther || got.header.Get("Location") != "/admin?tab=2" || session == "" {
		t.Fatalf("login: %d Location %q, session cookie %v", got.status, got.header.Get("Location"), session != "")
	}
	got = call("GET", "/admin", "", [2]string{"Cookie", auth.DefaultSessionCookie + "=" + session})
	if got.status != 200 || echoLine(got.body, "user") != AdminUser {
		t.Fatalf("after login: %d %q", got.status, got.body)
	}
}

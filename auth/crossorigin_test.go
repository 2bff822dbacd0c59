package auth_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
)

// crossOriginHeaders are the requests of a page on another origin, as
// browsers send them: another site, another port of the same host
// (same-site), and an older browser that sends only Origin.
func crossOriginHeaders(base string) map[string]map[string]string {
	u, _ := url.Parse(base)
	otherPort := "http://" + u.Hostname() + ":1"
	return map[string]map[string]string{
		"cross-site":           {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		"same-site other port": {"Sec-Fetch-Site": "same-site", "Origin": otherPort},
		"foreign Origin only":  {"Origin": "https://evil.example"},
		"other port Origin":    {"Origin": otherPort},
		"Origin null":          {"Origin": "null"},
	}
}

// TestLoginRefusesCrossOrigin is the fix for finding 3 of issue 12 on the
// login form: a page of another origin cannot post it, even with a valid
// token (a login CSRF), and nothing is checked or started; a same-origin
// browser and a client that sends neither header still log in.
func TestLoginRefusesCrossOrigin(t *testing.T) {
	srv, _, _ := sessionServer(t)
	attempt := func(headers map[string]string) (answer, string) {
		t.Helper()
		b := newBrowser(t, srv)
		page := b.do("GET", "/login", nil, headers) // GET is safe: always served
		m := csrfField.FindStringSubmatch(page.body)
		if page.status != 200 || m == nil {
			t.Fatalf("login page: %d", page.status)
		}
		got := b.do("POST", "/login", url.Values{"username": {"admin"}, "password": {"admin"}, "csrf_token": {m[1]}, "next": {"/"}}, headers)
		return got, b.cookie(auth.DefaultSessionCookie)
	}
	for name, h := range crossOriginHeaders(srv.URL) {
		got, session := attempt(h)
		if got.status != http.StatusForbidden || !strings.Contains(got.body, "cross-origin") || session != "" {
			t.Errorf("%s: %d, session %v: %s", name, got.status, session != "", got.body)
		}
		if got.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", name, got.header.Get("Cache-Control"))
		}
	}
	for name, h := range map[string]map[string]string{
		"same-origin":        {"Sec-Fetch-Site": "same-origin", "Origin": srv.URL},
		"old browser":        {"Origin": srv.URL},
		"typed URL":          {"Sec-Fetch-Site": "none"},
		"no browser headers": nil,
	} {
		if got, session := attempt(h); got.status != http.StatusSeeOther || session == "" {
			t.Errorf("%s: %d, session %v: %s", name, got.status, session != "", got.body)
		}
	}
}

// TestLogoutRefusesCrossOrigin: a page of another origin cannot end the
// session, even with the right token; the session lives on, and a
// same-origin logout then ends it.
func TestLogoutRefusesCrossOrigin(t *testing.T) {
	srv, a, _ := sessionServer(t)
	b := newBrowser(t, srv)
	if got := b.login("admin", "admin", "/"); got.status != http.StatusSeeOther {
		t.Fatalf("login: %d", got.status)
	}
	token := b.csrfFor(a)
	for name, h := range crossOriginHeaders(srv.URL) {
		got := b.do("POST", "/logout", url.Values{"csrf_token": {token}}, h)
		if got.status != http.StatusForbidden || !strings.Contains(got.body, "cross-origin") {
			t.Errorf("%s: %d %s", name, got.status, got.body)
		}
		if still := b.do("GET", "/", nil, jsonAccept); still.status != 200 {
			t.Fatalf("%s: the session ended: %d", name, still.status)
		}
	}
	got := b.do("POST", "/logout", url.Values{"csrf_token": {token}}, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": srv.URL})
	if got.status != http.StatusSeeOther {
		t.Fatalf("same-origin logout: %d %s", got.status, got.body)
	}
}

// TestTrustedOrigins: a login page on a trusted origin may post the form;
// the same host with another scheme may not.
func TestTrustedOrigins(t *testing.T) {
	srv, _, _ := sessionServer(t, auth.WithTrustedOrigins("https://login.example.com"))
	for origin, want := range map[string]int{
		"https://login.example.com": http.StatusSeeOther,
		"http://login.example.com":  http.StatusForbidden,
		"https://evil.example":      http.StatusForbidden,
	} {
		b := newBrowser(t, srv)
		page := b.do("GET", "/login", nil, nil)
		m := csrfField.FindStringSubmatch(page.body)
		if m == nil {
			t.Fatal("no token")
		}
		h := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": origin}
		if got := b.do("POST", "/login", url.Values{"username": {"admin"}, "password": {"admin"}, "csrf_token": {m[1]}}, h); got.status != want {
			t.Errorf("%s: %d, want %d", origin, got.status, want)
		}
	}
	for _, bad := range []string{"login.example.com", "https://login.example.com/", "ftp://x.example"} {
		_, err := auth.New(http.NewServeMux(), demoUsers, auth.WithTrustedOrigins(bad))
		if !errors.Is(err, auth.ErrInvalidConfig) || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

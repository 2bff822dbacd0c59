package auth_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
)

// clock is a settable time source for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sessionServer serves a guarded mux with sessions and the login form.
func sessionServer(t *testing.T, extra ...auth.Option) (*httptest.Server, *auth.Auth, *clock) {
	t.Helper()
	clk := &clock{t: time.Now()}
	keys := testKeys()
	opts := append([]auth.Option{
		demoUsers, demoGroups,
		auth.WithClock(clk.now),
		auth.WithSessions(auth.SessionConfig{Keys: keys, InsecureCookies: true}),
		auth.WithLoginForm(auth.LoginConfig{}),
		auth.WithPublicRoutes("/public/{rest...}"),
	}, extra...)
	srv, a := newServer(t, opts...)
	return srv, a, clk
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each answer.
type browser struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
}

func newBrowser(t *testing.T, srv *httptest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: srv.Client().Transport, Jar: jar}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, srv: srv, c: c}
}

func (b *browser) do(method, path string, form url.Values, headers map[string]string) answer {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(raw)}
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.srv.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// login fetches the form and posts it.
func (b *browser) login(user, pass, next string) answer {
	b.t.Helper()
	page := b.do("GET", "/login", nil, nil)
	m := csrfField.FindStringSubmatch(page.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on the login page: %d %s", page.status, page.body)
	}
	return b.do("POST", "/login", url.Values{"username": {user}, "password": {pass}, "csrf_token": {m[1]}, "next": {next}}, nil)
}

// logout posts the logout form with the session's token.
func (b *browser) logout(a *auth.Auth) answer {
	b.t.Helper()
	return b.do("POST", "/logout", url.Values{"csrf_token": {b.csrfFor(a)}}, nil)
}

// csrfFor asks the app for the logout token of the browser's session.
func (b *browser) csrfFor(*auth.Auth) string {
	b.t.Helper()
	got := b.do("GET", "/csrf", nil, nil)
	if got.status != 200 {
		b.t.Fatalf("GET /csrf: %d", got.status)
	}
	return got.body
}

// sessionID asks the app which session the browser is in.
func (b *browser) sessionID() string {
	b.t.Helper()
	got := b.do("GET", "/sid", nil, nil)
	if got.status != 200 {
		return ""
	}
	return got.body
}

func TestLoginFormFlow(t *testing.T) {
	srv, _, _ := sessionServer(t)
	b := newBrowser(t, srv)

	// A browser that is not logged in is sent to the form with next.
	got := b.do("GET", "/admin?tab=2", nil, nil)
	if got.status != http.StatusSeeOther || got.header.Get("Location") != "/login?next="+url.QueryEscape("/admin?tab=2") {
		t.Fatalf("anonymous browser: %d Location %q", got.status, got.header.Get("Location"))
	}
	// An API caller still gets 401.
	api := do(t, srv, request{path: "/admin"})
	if api.status != 401 || !strings.Contains(api.body, "unauthenticated") {
		t.Fatalf("API caller: %d %s", api.status, api.body)
	}
	// The form page is accessible and carries the CSRF token.
	page := b.do("GET", "/login", nil, nil)
	if page.status != 200 || !strings.Contains(page.body, `<label for="password">`) || b.cookie("authwire_login") == "" {
		t.Fatalf("login page: %d", page.status)
	}
	if page.header.Get("Cache-Control") != "no-store" || page.header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("login page headers: %v", page.header)
	}
	// A wrong password shows the form again with a generic message.
	bad := b.login("admin", "wrong", "/admin")
	if bad.status != 401 || !strings.Contains(bad.body, "Invalid user name or password.") {
		t.Fatalf("wrong password: %d", bad.status)
	}
	if b.cookie(auth.DefaultSessionCookie) != "" {
		t.Fatal("a failed login set a session cookie")
	}
	// The right password redirects to next with a session cookie.
	ok := b.login("admin", "admin", "/admin?tab=2")
	if ok.status != http.StatusSeeOther || ok.header.Get("Location") != "/admin?tab=2" {
		t.Fatalf("login: %d Location %q", ok.status, ok.header.Get("Location"))
	}
	if b.cookie(auth.DefaultSessionCookie) == "" {
		t.Fatal("no session cookie after login")
	}
	if got := b.do("GET", "/admin", nil, nil); got.status != 200 || !strings.Contains(got.body, "admin admin,ops") {
		t.Fatalf("after login: %d %q", got.status, got.body)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	keys := testKeys()
	srv, _ := newServer(t, demoUsers, auth.WithSessions(auth.SessionConfig{Keys: keys}))
	got := do(t, srv, request{path: "/", user: "admin", pass: "admin", headers: browserNavigation})
	var c *http.Cookie
	for _, k := range (&http.Response{Header: got.header}).Cookies() {
		if k.Name == auth.DefaultSessionCookie {
			c = k
		}
	}
	if c == nil {
		t.Fatalf("Basic login set no session cookie: %v", got.header)
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0 {
		t.Fatalf("cookie flags: %+v", c)
	}
}

// TestLoginFormCarriesNext follows a browser from a protected page to the
// form and back: the form keeps the guard's next in its hidden field, so
// the login lands on the page first asked for. A next it may not follow
// becomes "/".
func TestLoginFormCarriesNext(t *testing.T) {
	srv, _, _ := sessionServer(t)
	nextField := regexp.MustCompile(`name="next" value="([^"]*)"`)
	for _, tc := range []struct{ location, want string }{
		{"", "/admin?tab=2"},
		{"/login?next=" + url.QueryEscape("https://evil.example/"), "/"},
	} {
		b := newBrowser(t, srv)
		location := tc.location
		if location == "" {
			location = b.do("GET", "/admin?tab=2", nil, nil).header.Get("Location")
		}
		page := b.do("GET", location, nil, nil)
		csrf, next := csrfField.FindStringSubmatch(page.body), nextField.FindStringSubmatch(page.body)
		if page.status != 200 || csrf == nil || next == nil {
			t.Fatalf("form at %s: %d", location, page.status)
		}
		if got := html.UnescapeString(next[1]); got != tc.want {
			t.Fatalf("form at %s carries next %q, want %q", location, got, tc.want)
		}
		got := b.do("POST", "/login", url.Values{"username": {"admin"}, "password": {"admin"}, "csrf_token": {csrf[1]}, "next": {html.UnescapeString(next[1])}}, nil)
		if got.status != http.StatusSeeOther || got.header.Get("Location") != tc.want {
			t.Fatalf("login from %s: %d Location %q, want %q", location, got.status, got.header.Get("Location"), tc.want)
		}
	}
}

func TestNextRedirectIsValidated(t *testing.T) {
	srv, _, _ := sessionServer(t)
	for _, next := range []string{"//evil.example/", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "/logout"} {
		b := newBrowser(t, srv)
		got := b.login("viewer", "viewer123", next)
		if got.status != http.StatusSeeOther || got.header.Get("Location") != "/" {
			t.Errorf("next=%q: %d Location %q", next, got.status, got.header.Get("Location"))
		}
	}
}

func TestLoginCSRF(t *testing.T) {
	srv, _, _ := sessionServer(t)
	b := newBrowser(t, srv)
	b.do("GET", "/login", nil, nil) // sets the binding cookie
	for _, token := range []string{"", "forged", strings.Repeat("A", 43)} {
		got := b.do("POST", "/login", url.Values{"username": {"admin"}, "password": {"admin"}, "csrf_token": {token}}, nil)
		if got.status != http.StatusForbidden {
			t.Errorf("token %q: %d", token, got.status)
		}
	}
	// A token from another browser's page does not fit this browser's cookie.
	other := newBrowser(t, srv)
	m := csrfField.FindStringSubmatch(other.do("GET", "/login", nil, nil).body)
	got := b.do("POST", "/login", url.Values{"username": {"admin"}, "password": {"admin"}, "csrf_token": {m[1]}}, nil)
	if got.status != http.StatusForbidden {
		t.Fatalf("cross-browser token: %d", got.status)
	}
}

func TestLoginBadInput(t *testing.T) {
	srv, _, _ := sessionServer(t)
	b := newBrowser(t, srv)
	b.do("GET", "/login", nil, nil)
	huge := url.Values{"username": {strings.Repeat("a", 20000)}}
	if got := b.do("POST", "/login", huge, nil); got.status != http.StatusRequestEntityTooLarge {
		t.Errorf("huge body: %d", got.status)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader("a=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed form: %d", res.StatusCode)
	}
	if got := b.do("PUT", "/login", nil, nil); got.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT /login: %d", got.status)
	}
	if got := b.do("GET", "/logout", nil, nil); got.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout: %d", got.status)
	}
}

func TestBadSessionCookiesAreNoSession(t *testing.T) {
	srv, _, _ := sessionServer(t)
	b := newBrowser(t, srv)
	b.login("admin", "admin", "/")
	good := b.cookie(auth.DefaultSessionCookie)
	for name, value := range map[string]string{
		"tampered":  good[:len(good)/2] + string(rune('A'+(good[len(good)/2]-'A'+1)%26)) + good[len(good)/2+1:],
		"truncated": good[:len(good)-10],
		"garbage":   "%%%not-a-cookie",
		"oversized": strings.Repeat("A", 3900),
	} {
		c := newBrowser(t, srv)
		c.setCookie(auth.DefaultSessionCookie, value)
		got := c.do("GET", "/", nil, map[string]string{"Accept": "application/json"})
		if got.status != http.StatusUnauthorized {
			t.Errorf("%s cookie: %d %s", name, got.status, got.body)
		}
	}
}

func TestSessionFixation(t *testing.T) {
	srv, _, _ := sessionServer(t)
	b := newBrowser(t, srv)
	b.login("viewer", "viewer123", "/")
	before := b.cookie(auth.DefaultSessionCookie)
	idBefore := b.sessionID()
	// Log in again (as another user) with the old cookie still present:
	// the session must be a new one, and the old one dead.
	b.login("admin", "admin", "/")
	after := b.cookie(auth.DefaultSessionCookie)
	if before == "" || after == "" || before == after {
		t.Fatalf("session cookie not replaced at login")
	}
	if got := b.sessionID(); got == "" || got == idBefore {
		t.Fatalf("session ID before login %q, after %q", idBefore, got)
	}
	replay := newBrowser(t, srv)
	replay.setCookie(auth.DefaultSessionCookie, before)
	if got := replay.do("GET", "/", nil, map[string]string{"Accept": "application/json"}); got.status != 401 {
		t.Fatalf("pre-login session still valid: %d", got.status)
	}
}

// TestLoginRefusesQualifiedUserNames checks that a form login cannot
// pose as a provider-qualified user, even before a VerifyFunc that would
// accept the name.
func TestLoginRefusesQualifiedUserNames(t *testing.T) {
	srv, _ := newServer(t,
		auth.WithVerifyFunc(func(context.Context, string, string) (bool, error) { return true, nil }),
		auth.WithSessions(auth.SessionConfig{Keys: testKeys(), InsecureCookies: true}),
		auth.WithLoginForm(auth.LoginConfig{}),
	)
	if got := newBrowser(t, srv).login("alice", "x", "/"); got.status != http.StatusSeeOther {
		t.Fatalf("a plain name: %d", got.status)
	}
	if got := newBrowser(t, srv).login("oidc:alice", "x", "/"); got.status == http.StatusSeeOther {
		t.Fatalf("a provider-qualified name logged in: %d %q", got.status, got.header.Get("Location"))
	}
}

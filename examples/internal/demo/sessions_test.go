package demo_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// browserLogin is one browser: a cookie jar logged in as user through the
// form, and its session cookie.
type browserLogin struct {
	c       *http.Client
	session string // the authwire_session cookie's value
}

// loginForm logs user in through the login form with a fresh cookie jar.
func loginForm(t *testing.T, base, user, pass string) browserLogin {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	html := map[string]string{"Accept": "text/html"}
	form := get(t, c, base+"/login", html)
	m := csrfField.FindStringSubmatch(form.body)
	if form.status != 200 || m == nil {
		t.Fatalf("login page: %d", form.status)
	}
	if r := do(t, c, "POST", base+"/login", url.Values{"username": {user}, "password": {pass}, "csrf_token": {m[1]}}, html); r.status != 303 {
		t.Fatalf("login of %s: %d %q", user, r.status, r.body)
	}
	u, _ := url.Parse(base)
	for _, k := range jar.Cookies(u) {
		if k.Name == "authwire_session" {
			return browserLogin{c: c, session: k.Value}
		}
	}
	t.Fatalf("login of %s set no session cookie", user)
	return browserLogin{}
}

// sessionRow finds the rows of the sessions page: each session's handle,
// and whether it is marked current.
var sessionRow = regexp.MustCompile(`<tr data-handle="([^"]+)"( data-current="true")?`)

// sessionsPage is what GET /sessions shows a browser: the handles of the
// listed sessions, the current one's, and the page's CSRF token.
type sessionsPage struct {
	handles []string
	current string
	csrf    string
}

// readSessions loads GET /sessions as b and checks its headers, that one
// session is marked current, and that GET /api/sessions agrees.
func readSessions(t *testing.T, base string, b browserLogin) sessionsPage {
	t.Helper()
	r := get(t, b.c, base+"/sessions", map[string]string{"Accept": "text/html"})
	if r.status != 200 {
		t.Fatalf("GET /sessions: %d %q", r.status, r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("X-Frame-Options") != "DENY" ||
		!strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("the sessions page may be cached or framed: %v", r.header)
	}
	var p sessionsPage
	for _, m := range sessionRow.FindAllStringSubmatch(r.body, -1) {
		p.handles = append(p.handles, m[1])
		if m[2] != "" {
			if p.current != "" {
				t.Errorf("two sessions marked current: %s and %s", p.current, m[1])
			}
			p.current = m[1]
		}
	}
	if p.current == "" || strings.Count(r.body, `id="this-session"`) != 1 {
		t.Errorf("no session, or more than one, is marked current on the page:\n%s", r.body)
	}
	m := csrfField.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no CSRF token on the sessions page")
	}
	p.csrf = m[1]

	api := get(t, b.c, base+"/api/sessions", nil)
	var body struct {
		Sessions []struct {
			Handle   string `json:"handle"`
			Provider string `json:"provider"`
			Current  bool   `json:"current"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(api.body), &body); err != nil || api.status != 200 || api.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET /api/sessions: %d %v %q", api.status, err, api.body)
	}
	var handles []string
	for _, s := range body.Sessions {
		handles = append(handles, s.Handle)
		if s.Current != (s.Handle == p.current) || s.Current && s.Provider != "form" {
			t.Errorf("/api/sessions: %+v (the page's current session is %s)", s, p.current)
		}
	}
	if strings.Join(handles, " ") != strings.Join(p.handles, " ") {
		t.Errorf("/api/sessions lists %q, the page %q", handles, p.handles)
	}
	return p
}

// checkSessions checks the sessions page on a running demo: two logins
// of admin (two cookie jars), each with the dashboard's callbacks socket
// open, see each other; one revokes the other, whose cookie and socket
// then end (401, 4401); a session that revokes itself is sent to log in;
// then the first logs out everywhere, which ends it and a third admin
// session with its socket, and not the viewer's. Forms without the CSRF token, from another origin
// or naming another user's session are refused and end nothing. It
// revokes every admin session, so it comes last.
func checkSessions(t *testing.T, base string) {
	html := map[string]string{"Accept": "text/html"}
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if r := get(t, anon, base+"/sessions", html); r.status != 303 || r.header.Get("Location") != "/login?next=%2Fsessions" {
		t.Errorf("anonymous browser at /sessions: %d %q", r.status, r.header.Get("Location"))
	}
	if r := get(t, anon, base+"/api/sessions", nil); r.status != 401 {
		t.Errorf("anonymous GET /api/sessions: %d", r.status)
	}

	one, two := loginForm(t, base, "admin", "admin"), loginForm(t, base, "admin", "admin")
	viewer := loginForm(t, base, "viewer", "viewer123")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The dashboard's socket: callbacks over /_callbacks/ws.
	dial := func(b browserLogin) *websocket.Conn {
		t.Helper()
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/_callbacks/ws",
			&websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {"authwire_session=" + b.session}}})
		if err != nil {
			t.Fatalf("dial the callbacks socket: %v", err)
		}
		t.Cleanup(func() { conn.CloseNow() })
		return conn
	}
	whoami := func(conn *websocket.Conn) string {
		t.Helper()
		if err := conn.Write(ctx, websocket.MessageText, []byte(`{"id":"w","call":"whoami","args":{}}`)); err != nil {
			t.Fatal(err)
		}
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("whoami over the socket: %v", err)
		}
		return string(b)
	}
	closedWith := func(conn *websocket.Conn) websocket.StatusCode {
		_, _, err := conn.Read(ctx)
		return websocket.CloseStatus(err)
	}
	alive := func(what string, b browserLogin, want int) {
		t.Helper()
		r := get(t, http.DefaultClient, base+"/api/whoami", map[string]string{"Cookie": "authwire_session=" + b.session})
		if r.status != want {
			t.Errorf("%s: the cookie gets %d, want %d", what, r.status, want)
		}
	}
	sockOne, sockTwo := dial(one), dial(two)
	for _, conn := range []*websocket.Conn{sockOne, sockTwo} {
		if got := whoami(conn); !strings.Contains(got, `"user":"admin"`) {
			t.Fatalf("whoami over an admin socket: %s", got)
		}
	}

	p1, p2 := readSessions(t, base, one), readSessions(t, base, two)
	if p1.current == p2.current {
		t.Fatalf("both logins have the session %s", p1.current)
	}
	for _, p := range []sessionsPage{p1, p2} {
		if !slices.Contains(p.handles, p1.current) || !slices.Contains(p.handles, p2.current) {
			t.Errorf("the sessions page lists %q, want both %s and %s", p.handles, p1.current, p2.current)
		}
	}
	// The viewer's page lists the viewer's sessions only (the earlier
	// checks started some with Basic in a browser).
	pv := readSessions(t, base, viewer)
	if !slices.Contains(pv.handles, pv.current) || slices.Contains(pv.handles, p1.current) || slices.Contains(pv.handles, p2.current) {
		t.Errorf("the viewer's page lists %q, with admin's %s or %s", pv.handles, p1.current, p2.current)
	}

	// Refused: each leaves the second session alive.
	post := func(path string, form url.Values, headers map[string]string) result {
		t.Helper()
		return do(t, one.c, "POST", base+path, form, headers)
	}
	for _, tc := range []struct {
		what, path string
		form       url.Values
		headers    map[string]string
		status     int
	}{
		{"no CSRF token", "/sessions/revoke", url.Values{"handle": {p2.current}}, html, 403},
		{"a wrong CSRF token", "/sessions/revoke", url.Values{"handle": {p2.current}, "csrf_token": {p2.csrf}}, html, 403},
		{"cross-origin (Origin)", "/sessions/revoke", url.Values{"handle": {p2.current}, "csrf_token": {p1.csrf}},
			map[string]string{"Accept": "text/html", "Origin": "http://evil.example"}, 403},
		{"cross-site (Sec-Fetch-Site)", "/sessions/revoke", url.Values{"handle": {p2.current}, "csrf_token": {p1.csrf}},
			map[string]string{"Accept": "text/html", "Origin": base, "Sec-Fetch-Site": "cross-site"}, 403},
		{"revoke-all without CSRF token", "/sessions/revoke-all", url.Values{}, html, 403},
		{"revoke-all cross-origin", "/sessions/revoke-all", url.Values{"csrf_token": {p1.csrf}},
			map[string]string{"Accept": "text/html", "Origin": "http://evil.example"}, 403},
		{"the viewer's session", "/sessions/revoke", url.Values{"handle": {pv.current}},
			map[string]string{"X-CSRF-Token": p1.csrf}, 404},
		{"no such session", "/sessions/revoke", url.Values{"handle": {"nope"}, "csrf_token": {p1.csrf}}, nil, 404},
		{"no handle", "/sessions/revoke", url.Values{"csrf_token": {p1.csrf}}, nil, 400},
		{"a body too large", "/sessions/revoke", url.Values{"handle": {strings.Repeat("x", 8<<10)}, "csrf_token": {p1.csrf}}, nil, 413},
	} {
		if r := post(tc.path, tc.form, tc.headers); r.status != tc.status {
			t.Errorf("%s: %d %q, want %d", tc.what, r.status, r.body, tc.status)
		}
	}
	alive("the second admin session after refused revokes", two, 200)
	alive("the viewer's session after another user named it", viewer, 200)
	// A Basic script has no session, so no token: it cannot post.
	if r := do(t, anon, "POST", base+"/sessions/revoke-all", url.Values{}, basic("admin", "admin")); r.status != 403 {
		t.Errorf("revoke-all with Basic credentials: %d", r.status)
	}

	// The first revokes the second: back to the page, the second's cookie
	// is refused and its socket closes with 4401; the first's lives on.
	r := post("/sessions/revoke", url.Values{"handle": {p2.current}, "csrf_token": {p1.csrf}}, map[string]string{"Accept": "text/html", "Origin": base})
	if r.status != 303 || r.header.Get("Location") != "/sessions" {
		t.Fatalf("revoke: %d %q %q", r.status, r.header.Get("Location"), r.body)
	}
	alive("the revoked session", two, 401)
	if code := closedWith(sockTwo); code != 4401 {
		t.Errorf("the revoked session's socket closed with %d, want 4401", code)
	}
	alive("the session that revoked the other", one, 200)
	if got := whoami(sockOne); !strings.Contains(got, `"user":"admin"`) {
		t.Errorf("the first socket after revoking the second: %s", got)
	}
	after := readSessions(t, base, one)
	if slices.Contains(after.handles, p2.current) || after.current != p1.current {
		t.Errorf("after the revoke the page lists %q, current %s", after.handles, after.current)
	}

	// A session that revokes itself is logged out: to the login page.
	self := loginForm(t, base, "admin", "admin")
	ps := readSessions(t, base, self)
	r = do(t, self.c, "POST", base+"/sessions/revoke", url.Values{"handle": {ps.current}, "csrf_token": {ps.csrf}}, html)
	if r.status != 303 || r.header.Get("Location") != "/login" {
		t.Errorf("a session revoking itself: %d %q %q", r.status, r.header.Get("Location"), r.body)
	}
	alive("a session that revoked itself", self, 401)

	// Log out everywhere from the first, with a third admin login open:
	// every admin session and socket ends, the viewer's does not.
	three := loginForm(t, base, "admin", "admin")
	sockThree := dial(three)
	r = post("/sessions/revoke-all", url.Values{"csrf_token": {p1.csrf}}, map[string]string{"Accept": "text/html", "Origin": base})
	if r.status != 303 || r.header.Get("Location") != "/login" {
		t.Fatalf("revoke-all: %d %q %q", r.status, r.header.Get("Location"), r.body)
	}
	alive("the session that logged out everywhere", one, 401)
	alive("another admin session after revoke-all", three, 401)
	for name, conn := range map[string]*websocket.Conn{"first": sockOne, "third": sockThree} {
		if code := closedWith(conn); code != 4401 {
			t.Errorf("the %s admin socket after revoke-all closed with %d, want 4401", name, code)
		}
	}
	alive("the viewer's session after admin's revoke-all", viewer, 200)
}

package auth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
)

// linkLogin is a login method of the kind a mailed link is: its start
// path mints a one-time code and sends the browser to its callback with
// it, and the callback logs the browser in as the configured user. It
// uses nothing but the extension points a login method has.
type linkLogin struct {
	info   auth.LoginInfo
	user   string
	groups []string
	email  string
	sid    string // the provider session the next login names; "" none

	sessions *auth.LoginSessions
	mu       sync.Mutex
	codes    map[string]string // one-time code → next
	started  []*auth.Identity  // what Start returned
	errs     []error           // what Start refused with
}

func newLinkLogin(name, user string, groups ...string) *linkLogin {
	return &linkLogin{
		info: auth.LoginInfo{Name: name, Label: "a link for " + name, StartPath: "/" + name + "/start", Paths: []string{"/" + name + "/start", "/" + name + "/callback"}},
		user: user, groups: groups,
		codes: map[string]string{},
	}
}

func (l *linkLogin) InstallLogin(s *auth.LoginSessions) (auth.LoginInfo, error) {
	l.sessions = s
	return l.info, nil
}

func (l *linkLogin) ServeLogin(x backends.Exchange, path string) {
	q, _ := url.ParseQuery(x.Query())
	switch path {
	case l.info.StartPath:
		code := rand.Text()
		l.mu.Lock()
		l.codes[code] = q.Get("next")
		l.mu.Unlock()
		x.SetHeader("Location", l.info.Paths[1]+"?code="+code)
		x.Write(http.StatusSeeOther, "text/plain", nil)
	default:
		l.mu.Lock()
		next, ok := l.codes[q.Get("code")]
		delete(l.codes, q.Get("code"))
		sid := l.sid
		l.mu.Unlock()
		if !ok {
			auth.WriteError(x, http.StatusBadRequest, "bad_request", "no such code")
			return
		}
		claims := map[string]any{"email": l.email, "other": "dropped"}
		if sid != "" {
			claims["sid"] = sid
		}
		id, err := l.sessions.Start(x, &auth.Identity{User: l.user, Groups: l.groups, Claims: claims})
		l.mu.Lock()
		l.started, l.errs = append(l.started, id), append(l.errs, err)
		l.mu.Unlock()
		if err != nil {
			auth.WriteError(x, http.StatusUnauthorized, "unauthenticated", err.Error())
			return
		}
		x.SetHeader("Location", l.sessions.SafeRedirect(next, nil))
		x.Write(http.StatusSeeOther, "text/plain", nil)
	}
}

// endingLinkLogin is a linkLogin that ends its sessions "at the source":
// it records what it was called with and whether the session was revoked
// by then, and sends the browser to to.
type endingLinkLogin struct {
	*linkLogin
	revs  auth.RevocationList
	to    string
	mu    sync.Mutex
	ended []string // "user session-ID revoked-yet"
}

func (e *endingLinkLogin) EndSession(x backends.Exchange, id *auth.Identity) string {
	revoked, err := e.revs.Revoked(x.Context(), id.SessionID)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ended = append(e.ended, fmt.Sprintf("%s %s %v %v", id.User, id.SessionID, revoked, err))
	return e.to
}

// methodServer serves a mux guarded with sessions, opts and the methods;
// "/" answers with the identity as JSON, "/csrf" with the logout token.
func methodServer(t *testing.T, revs auth.RevocationList, opts ...auth.Option) (*httptest.Server, *auth.Auth) {
	t.Helper()
	if revs == nil {
		revs = auth.NewMemoryRevocations(time.Now)
	}
	mux := http.NewServeMux()
	a, err := auth.New(mux, append([]auth.Option{
		auth.WithLogger(slog.New(slog.DiscardHandler)),
		auth.WithSessions(auth.SessionConfig{Keys: testKeys(), InsecureCookies: true, Revocations: revs}),
		auth.WithPublicRoutes("/open/{rest...}"),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(auth.FromContext(r.Context()))
	})
	mux.HandleFunc("GET /csrf", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, a.CSRFToken(r.Context()))
	})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv, a
}

// linkIn logs b in through the method whose start path is start, and
// returns where the callback sent it.
func linkIn(t *testing.T, b *browser, start string) answer {
	t.Helper()
	got := b.do("GET", start, nil, nil)
	if got.status != http.StatusSeeOther {
		t.Fatalf("GET %s: %d %s", start, got.status, got.body)
	}
	return b.do("GET", got.header.Get("Location"), nil, nil)
}

// whoIs returns the identity b is logged in as, or nil.
func whoIs(t *testing.T, b *browser) *auth.Identity {
	t.Helper()
	got := b.do("GET", "/", nil, map[string]string{"Accept": "application/json"})
	if got.status != 200 {
		return nil
	}
	var id auth.Identity
	if err := json.Unmarshal([]byte(got.body), &id); err != nil {
		t.Fatal(err)
	}
	return &id
}

// TestLoginMethodStartsSessions checks LoginSessions.Start through a method
// the guard serves before routing: a qualified user, the method's name as
// Provider, groups normalised, only the email kept, and a fresh session
// that revokes the one the browser came with.
func TestLoginMethodStartsSessions(t *testing.T) {
	link := newLinkLogin("link", "carol", "ops", "admin", "ops", "viewer,admin")
	link.email = "carol@example.com"
	srv, _ := methodServer(t, nil, auth.WithUsers(map[string]string{"bob": "bob-pw"}), auth.WithPublicRoutes("/link/{rest...}"), auth.WithLoginMethod(link))
	b := newBrowser(t, srv)

	// A session from a Basic login first.
	if got := b.do("GET", "/", nil, map[string]string{"Authorization": basic("bob", "bob-pw")}); got.status != 200 {
		t.Fatalf("Basic login: %d", got.status)
	}
	before := b.cookie(auth.DefaultSessionCookie)

	got := linkIn(t, b, "/link/start?next=/after")
	if got.status != http.StatusSeeOther || got.header.Get("Location") != "/after" {
		t.Fatalf("callback: %d %q %s", got.status, got.header.Get("Location"), got.body)
	}
	id := whoIs(t, b)
	if id == nil || id.User != "link:carol" || id.Provider != "link" || strings.Join(id.Groups, ",") != "admin,ops" ||
		len(id.Claims) != 1 || id.Claims["email"] != "carol@example.com" {
		t.Fatalf("after the login: %+v", id)
	}
	if len(link.started) != 1 || link.started[0].SessionID != id.SessionID || link.started[0].ExpiresAt.IsZero() {
		t.Fatalf("Start returned %+v, the session is %s", link.started, id.SessionID)
	}
	if after := b.cookie(auth.DefaultSessionCookie); after == "" || after == before {
		t.Fatal("the login did not start a new session")
	}
	old := newBrowser(t, srv)
	old.setCookie(auth.DefaultSessionCookie, before)
	if whoIs(t, old) != nil {
		t.Fatal("the session from before the login still works")
	}
}

// TestLoginMethodUserNames checks PlainUserNames and the names Start
// refuses, with ErrBadCredentials and no session.
func TestLoginMethodUserNames(t *testing.T) {
	for _, tc := range []struct {
		user  string
		plain bool
		want  string // "" for refused
	}{
		{"carol", true, "carol"},
		{"a:b", false, "link:a:b"},
		{"a:b", true, ""},
		{"", false, ""},
		{"viewer,admin", false, ""},
		{" carol", false, ""},
		{"carol\u00a0", false, ""},
		{"ca\x01rol", true, ""},
	} {
		link := newLinkLogin("link", tc.user)
		link.info.PlainUserNames = tc.plain
		srv, _ := methodServer(t, nil, auth.WithLoginMethod(link))
		b := newBrowser(t, srv)
		got := linkIn(t, b, "/link/start")
		id := whoIs(t, b)
		switch {
		case tc.want == "" && (got.status != http.StatusUnauthorized || id != nil || !errors.Is(link.errs[0], auth.ErrBadCredentials)):
			t.Errorf("user %q, plain %v: %d, logged in as %+v, error %v; want 401 and ErrBadCredentials", tc.user, tc.plain, got.status, id, link.errs)
		case tc.want != "" && (id == nil || id.User != tc.want):
			t.Errorf("user %q, plain %v: logged in as %+v, want %s", tc.user, tc.plain, id, tc.want)
		}
	}
}

// TestLoginMethodPage checks the login page's entries: beside the form;
// alone at /login with several methods and no form; skipped for the only
// method without a form; and ?idp=.
func TestLoginMethodPage(t *testing.T) {
	users := auth.WithUsers(map[string]string{"bob": "bob-pw"})
	t.Run("beside the form", func(t *testing.T) {
		srv, _ := methodServer(t, nil, users, auth.WithLoginForm(auth.LoginConfig{}),
			auth.WithLoginMethod(newLinkLogin("one", "carol")), auth.WithLoginMethod(newLinkLogin("two", "dave")))
		b := newBrowser(t, srv)
		if got := b.do("GET", "/private", nil, nil); got.status != http.StatusSeeOther || got.header.Get("Location") != "/login?next=%2Fprivate" {
			t.Fatalf("anonymous browser: %d %q", got.status, got.header.Get("Location"))
		}
		page := b.do("GET", "/login?next=/private", nil, nil)
		for _, want := range []string{`name="password"`, `<a href="/one/start?next=%2Fprivate">Sign in with a link for one</a>`,
			`<a href="/two/start?next=%2Fprivate">Sign in with a link for two</a>`} {
			if page.status != 200 || !strings.Contains(page.body, want) {
				t.Errorf("login page: %d, no %s in %s", page.status, want, page.body)
			}
		}
		if got := b.do("GET", "/login?idp=two&next=/private", nil, nil); got.status != http.StatusSeeOther || got.header.Get("Location") != "/two/start?next=%2Fprivate" {
			t.Errorf("?idp=two: %d %q", got.status, got.header.Get("Location"))
		}
		if got := b.do("GET", "/login?idp=three", nil, nil); got.status != http.StatusBadRequest || !strings.Contains(got.body, "no login method") {
			t.Errorf("?idp=three: %d %s", got.status, got.body)
		}
		if got := b.do("GET", "/login?idp=two&next=https://evil.example/", nil, nil); got.header.Get("Location") != "/two/start?next=%2F" {
			t.Errorf("?idp= with a foreign next: %q", got.header.Get("Location"))
		}
	})
	t.Run("several without the form", func(t *testing.T) {
		srv, _ := methodServer(t, nil, auth.WithLoginMethod(newLinkLogin("one", "carol")), auth.WithLoginMethod(newLinkLogin("two", "dave")))
		b := newBrowser(t, srv)
		if got := b.do("GET", "/private", nil, nil); got.status != http.StatusSeeOther || got.header.Get("Location") != "/login?next=%2Fprivate" {
			t.Fatalf("anonymous browser: %d %q", got.status, got.header.Get("Location"))
		}
		page := b.do("GET", "/login?next=/private", nil, nil)
		if page.status != 200 || strings.Contains(page.body, "<form") || !strings.Contains(page.body, `href="/one/start?next=%2Fprivate"`) ||
			!strings.Contains(page.body, `href="/two/start?next=%2Fprivate"`) || page.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("list page: %d %v %s", page.status, page.header, page.body)
		}
		if b.cookie("authwire_login") != "" {
			t.Error("the list page set the form's CSRF cookie")
		}
		if got := b.do("POST", "/login", url.Values{"username": {"x"}}, nil); got.status != http.StatusMethodNotAllowed || got.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST to the list page: %d Allow %q", got.status, got.header.Get("Allow"))
		}
		start := b.do("GET", "/login?idp=two&next=/private", nil, nil).header.Get("Location")
		if got := linkIn(t, b, start); got.status != http.StatusSeeOther || got.header.Get("Location") != "/private" {
			t.Fatalf("?idp=two: %s, then %d %q", start, got.status, got.header.Get("Location"))
		}
		if id := whoIs(t, b); id == nil || id.User != "two:dave" || id.Provider != "two" {
			t.Fatalf("after ?idp=two: %+v", id)
		}
	})
	t.Run("one without the form", func(t *testing.T) {
		srv, _ := methodServer(t, nil, auth.WithLoginMethod(newLinkLogin("one", "carol")))
		b := newBrowser(t, srv)
		if got := b.do("GET", "/private?x=1", nil, nil); got.status != http.StatusSeeOther || got.header.Get("Location") != "/one/start?next=%2Fprivate%3Fx%3D1" {
			t.Fatalf("anonymous browser: %d %q", got.status, got.header.Get("Location"))
		}
		// /login stays the application's.
		if got := b.do("GET", "/login", nil, nil); got.status != http.StatusSeeOther || got.header.Get("Location") != "/one/start?next=%2Flogin" {
			t.Fatalf("GET /login: %d %q", got.status, got.header.Get("Location"))
		}
	})
}

// TestLoginMethodRoutesComeFirst checks that a method's paths are its
// own even where a public route covers them, for any HTTP method.
func TestLoginMethodRoutesComeFirst(t *testing.T) {
	link := newLinkLogin("open", "carol")
	srv, _ := methodServer(t, nil, auth.WithLoginMethod(link))
	b := newBrowser(t, srv)
	if got := b.do("POST", "/open/callback?code=nope", nil, nil); got.status != http.StatusBadRequest || !strings.Contains(got.body, "no such code") {
		t.Fatalf("POST to the method's callback under a public route: %d %s", got.status, got.body)
	}
	if got := b.do("GET", "/open/other", nil, map[string]string{"Accept": "application/json"}); got.status != 200 || got.body != "null\n" {
		t.Fatalf("another public path: %d %s", got.status, got.body)
	}
}

// TestLoginMethodConfigErrors checks what New refuses.
func TestLoginMethodConfigErrors(t *testing.T) {
	sessions := auth.WithSessions(auth.SessionConfig{Keys: testKeys(), Revocations: auth.NewMemoryRevocations(time.Now)})
	with := func(tweak func(*auth.LoginInfo)) auth.Option {
		l := newLinkLogin("link", "carol")
		tweak(&l.info)
		return auth.WithLoginMethod(l)
	}
	for _, tc := range []struct {
		name string
		opts []auth.Option
	}{
		{"nil", []auth.Option{sessions, auth.WithLoginMethod(nil)}},
		{"no sessions", []auth.Option{auth.WithUsers(map[string]string{"a": "b"}), with(func(*auth.LoginInfo) {})}},
		{"bad name", []auth.Option{sessions, with(func(i *auth.LoginInfo) { i.Name = "a:b" })}},
		{"name basic", []auth.Option{sessions, with(func(i *auth.LoginInfo) { i.Name = "basic" })}},
		{"no label", []auth.Option{sessions, with(func(i *auth.LoginInfo) { i.Label = "" })}},
		{"start not among the paths", []auth.Option{sessions, with(func(i *auth.LoginInfo) { i.StartPath = "/elsewhere" })}},
		{"relative path", []auth.Option{sessions, with(func(i *auth.LoginInfo) { i.Paths = append(i.Paths, "cb") })}},
		{"unclean path", []auth.Option{sessions, with(func(i *auth.LoginInfo) { i.Paths = append(i.Paths, "/a/../b") })}},
		{"the logout path", []auth.Option{sessions, with(func(i *auth.LoginInfo) { i.Paths = append(i.Paths, "/logout") })}},
		{"the forward-auth path", []auth.Option{sessions, auth.WithForwardAuth(auth.ForwardAuthConfig{}),
			with(func(i *auth.LoginInfo) { i.Paths = append(i.Paths, "/auth/verify") })}},
		{"the form's path", []auth.Option{sessions, auth.WithUsers(map[string]string{"a": "b"}), auth.WithLoginForm(auth.LoginConfig{}),
			with(func(i *auth.LoginInfo) { i.Paths = append(i.Paths, "/login") })}},
		{"the list page's path", []auth.Option{sessions, auth.WithLoginMethod(newLinkLogin("other", "x")),
			with(func(i *auth.LoginInfo) { i.Paths = append(i.Paths, "/login") })}},
		{"the same name twice", []auth.Option{sessions, auth.WithLoginMethod(newLinkLogin("link", "x")),
			with(func(i *auth.LoginInfo) { i.StartPath, i.Paths = "/b", []string{"/b"} })}},
		{"another method's path", []auth.Option{sessions, auth.WithLoginMethod(newLinkLogin("other", "x")),
			with(func(i *auth.LoginInfo) { i.Paths = append(i.Paths, "/other/callback") })}},
		{"refused by the method", []auth.Option{sessions, auth.WithLoginMethod(refusingMethod{})}},
	} {
		_, err := auth.New(http.NewServeMux(), tc.opts...)
		if !errors.Is(err, auth.ErrInvalidConfig) || strings.Count(err.Error(), "invalid configuration") != 1 {
			t.Errorf("%s: %v, want ErrInvalidConfig said once", tc.name, err)
		}
	}
	// One method without the form leaves /login to the application.
	if _, err := auth.New(http.NewServeMux(), sessions, with(func(i *auth.LoginInfo) { i.Paths = append(i.Paths, "/login") })); err != nil {
		t.Errorf("the only method serving /login: %v", err)
	}
}

// refusingMethod fails its installation.
type refusingMethod struct{}

func (refusingMethod) InstallLogin(*auth.LoginSessions) (auth.LoginInfo, error) {
	return auth.LoginInfo{}, errors.New("no issuer")
}
func (refusingMethod) ServeLogin(backends.Exchange, string) {}

// TestSessionsHelpers checks the handle's keys, cookies, redirect rule
// and logout path, and that Start is refused during installation.
func TestSessionsHelpers(t *testing.T) {
	keys := testKeys()
	install := func(cfg auth.SessionConfig, login *auth.LoginConfig) *auth.LoginSessions {
		t.Helper()
		l := newLinkLogin("link", "carol")
		cfg.Revocations = auth.NewMemoryRevocations(time.Now)
		opts := []auth.Option{auth.WithSessions(cfg), auth.WithLoginMethod(l)}
		if login != nil {
			opts = append(opts, auth.WithUsers(map[string]string{"a": "b"}), auth.WithLoginForm(*login))
		}
		if _, err := auth.New(http.NewServeMux(), opts...); err != nil {
			t.Fatal(err)
		}
		return l.sessions
	}
	s1 := install(auth.SessionConfig{Keys: keys}, &auth.LoginConfig{LogoutPath: "/bye", AllowedRedirectHosts: []string{"wiki.example"}})
	s2 := install(auth.SessionConfig{Keys: keys, InsecureCookies: true}, nil)
	s3 := install(auth.SessionConfig{Keys: testKeys()}, nil)
	if k := s1.Key("a"); len(k) != 32 || !bytes.Equal(k, s2.Key("a")) || bytes.Equal(k, s1.Key("b")) || bytes.Equal(k, s3.Key("a")) ||
		bytes.Equal(k, keys[0]) || bytes.Equal(k, keys[1]) {
		t.Error("Key: not 32 bytes, not the same for the same keys and purpose, or the same for others")
	}
	c := s1.Cookie("x", "v", 60)
	if c.Name != "x" || c.Value != "v" || c.MaxAge != 60 || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("Cookie: %+v", c)
	}
	if s2.Cookie("x", "", -1).Secure {
		t.Error("Cookie is Secure with InsecureCookies")
	}
	for next, want := range map[string]string{
		"/a?b=1": "/a?b=1", "https://wiki.example/p": "https://wiki.example/p", "https://grafana.example/": "https://grafana.example/",
		"https://evil.example/": "/", "//evil.example": "/", "/bye": "/", "/login": "/", "javascript:alert(1)": "/",
	} {
		if got := s1.SafeRedirect(next, []string{"grafana.example"}); got != want {
			t.Errorf("SafeRedirect(%q) = %q, want %q", next, got, want)
		}
	}
	if s1.LogoutPath() != "/bye" || s2.LogoutPath() != "/logout" || s1.Logger() == nil {
		t.Errorf("LogoutPath %q and %q, Logger %v", s1.LogoutPath(), s2.LogoutPath(), s1.Logger())
	}
	early := &startingMethod{linkLogin: newLinkLogin("early", "x")}
	if _, err := auth.New(http.NewServeMux(), auth.WithSessions(auth.SessionConfig{Keys: keys}), auth.WithLoginMethod(early)); err != nil {
		t.Fatal(err)
	}
	if early.err == nil {
		t.Error("Start during InstallLogin did not fail")
	}
}

// startingMethod calls Start while it is installed, which must fail.
type startingMethod struct {
	*linkLogin
	err error
}

func (m *startingMethod) InstallLogin(s *auth.LoginSessions) (auth.LoginInfo, error) {
	x := backends.HTTPExchange(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	_, m.err = s.Start(x, &auth.Identity{User: "x"})
	return m.linkLogin.InstallLogin(s)
}

// TestSessionEnder checks that logout hands a method's session to its
// EndSession only once it is revoked, sends a browser where it says, and
// calls it for a script's logout too, but never for a password session.
func TestSessionEnder(t *testing.T) {
	revs := auth.NewMemoryRevocations(time.Now)
	ender := &endingLinkLogin{linkLogin: newLinkLogin("link", "carol"), revs: revs, to: "https://idp.example/bye?x=1"}
	srv, _ := methodServer(t, revs, auth.WithUsers(map[string]string{"bob": "bob-pw"}), auth.WithLoginForm(auth.LoginConfig{}), auth.WithLoginMethod(ender))

	b := newBrowser(t, srv)
	linkIn(t, b, "/link/start")
	id := whoIs(t, b)
	got := b.logoutWith(url.Values{"csrf_token": {b.csrfFor(nil)}})
	if got.status != http.StatusSeeOther || got.header.Get("Location") != "https://idp.example/bye?x=1" {
		t.Fatalf("logout: %d %q", got.status, got.header.Get("Location"))
	}
	if want := id.User + " " + id.SessionID + " true <nil>"; len(ender.ended) != 1 || ender.ended[0] != want {
		t.Fatalf("EndSession calls %q, want [%s]", ender.ended, want)
	}
	if whoIs(t, b) != nil {
		t.Fatal("still logged in after logout")
	}

	// A script's logout: 204, EndSession still called.
	linkIn(t, b, "/link/start")
	token := b.csrfFor(nil)
	if got := b.do("POST", "/logout", nil, map[string]string{"Accept": "application/json", "X-CSRF-Token": token}); got.status != http.StatusNoContent {
		t.Fatalf("a script's logout: %d", got.status)
	}
	if len(ender.ended) != 2 {
		t.Fatalf("EndSession calls after a script's logout: %q", ender.ended)
	}

	// A password session's logout is the usual one.
	b.login("bob", "bob-pw", "/")
	if got := b.logoutWith(url.Values{"csrf_token": {b.csrfFor(nil)}}); got.status != http.StatusSeeOther || got.header.Get("Location") != "/login" || len(ender.ended) != 2 {
		t.Fatalf("a password session's logout: %d %q, EndSession calls %q", got.status, got.header.Get("Location"), ender.ended)
	}
}

// logoutWith posts the logout form.
func (b *browser) logoutWith(form url.Values) answer {
	b.t.Helper()
	return b.do("POST", "/logout", form, nil)
}

// TestWriteError checks both shapes, and that the HTML one escapes.
func TestWriteError(t *testing.T) {
	for _, accept := range []string{"application/json", "text/html"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(context.Background(), "GET", "/", nil)
		req.Header.Set("Accept", accept)
		auth.WriteError(backends.HTTPExchange(rec, req), http.StatusTeapot, "teapot", `<b>"short" & stout</b>`)
		body := rec.Body.String()
		switch {
		case rec.Code != http.StatusTeapot || rec.Header().Get("Cache-Control") != "no-store":
			t.Errorf("%s: %d %v", accept, rec.Code, rec.Header())
		case accept == "text/html" && (strings.Contains(body, "<b>") || !strings.Contains(body, "&lt;b&gt;&#34;short&#34; &amp; stout&lt;/b&gt;") ||
			rec.Header().Get("X-Frame-Options") != "DENY"):
			t.Errorf("HTML: %v %s", rec.Header(), body)
		case accept == "application/json" && body != `{"error":{"code":"teapot","message":"\u003cb\u003e\"short\" \u0026 stout\u003c/b\u003e"}}`:
			t.Errorf("JSON: %s", body)
		}
	}
}

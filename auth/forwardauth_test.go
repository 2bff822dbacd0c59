package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
)

const (
	proxyAddr     = "192.0.2.10:40000" // the trusted proxy
	untrustedAddr = "198.51.100.7:40000"
)

// forwardHandler is a guarded mux with sessions, the login form and the
// forward-auth endpoint; 192.0.2.10 is the trusted proxy.
func forwardHandler(t testing.TB, cfg auth.ForwardAuthConfig) http.Handler {
	t.Helper()
	keys := testKeys()
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123", "ops": "ops"}),
		auth.WithUserGroups(map[string][]string{"admin": {"admin"}, "viewer": {"viewer"}, "ops": {"ops"}}),
		auth.WithSessions(auth.SessionConfig{Keys: keys, InsecureCookies: true}),
		auth.WithLoginForm(auth.LoginConfig{AllowedRedirectHosts: []string{"app.example.com"}}),
		auth.WithTrustedProxies("192.0.2.10/32"),
		auth.WithoutRegulation(),
		auth.WithForwardAuth(cfg),
	)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("home")) })
	return a.Handler()
}

// verify asks the endpoint as the proxy at peer would, for the original
// request described by the X-Original/X-Forwarded headers in hdr.
func verify(h http.Handler, target, peer string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = peer
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func basic(user, pass string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func TestForwardAuthAnswers(t *testing.T) {
	h := forwardHandler(t, auth.ForwardAuthConfig{
		Sections: map[string][]string{"viewer": {"/grafana"}, "admin": {auth.AllSections}},
	})
	original := map[string]string{"X-Original-URI": "/grafana/d/1?x=1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range original {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	wantNext := "/login?next=" + url.QueryEscape("https://app.example.com/grafana/d/1?x=1")
	for _, tc := range []struct {
		name        string
		target      string
		peer        string
		hdr         map[string]string
		status      int
		location    string
		challenge   bool
		remoteUser  string
		remoteGroup string
	}{
		{"anonymous script: 401 with the challenge", "/auth/verify", proxyAddr, original, 401, "", true, "", ""},
		{"anonymous browser, nginx: 401 with Location", "/auth/verify", proxyAddr,
			with(map[string]string{"Accept": "text/html"}), 401, wantNext, false, "", ""},
		{"anonymous browser, forward-auth proxy: redirect", "/auth/verify", proxyAddr,
			with(map[string]string{"Accept": "text/html", "X-Forwarded-Method": "GET"}), 303, wantNext, false, "", ""},
		{"anonymous script, forward-auth proxy: 401", "/auth/verify", proxyAddr,
			with(map[string]string{"X-Forwarded-Method": "GET"}), 401, "", true, "", ""},
		{"untrusted peer: its headers are not believed", "/auth/verify", untrustedAddr,
			with(map[string]string{"Accept": "text/html", "X-Forwarded-Method": "GET"}), 401, "/login", false, "", ""},
		{"wrong password", "/auth/verify", proxyAddr, with(map[string]string{"Authorization": basic("admin", "nope")}), 401, "", true, "", ""},
		{"malformed header is 401, not 400 (nginx makes that a 500)", "/auth/verify", proxyAddr,
			with(map[string]string{"Authorization": "Basic !!!"}), 401, "", true, "", ""},
		{"admin anywhere", "/auth/verify", proxyAddr, with(map[string]string{"Authorization": basic("admin", "admin")}), 200, "", false, "admin", "admin"},
		{"admin, no original path known", "/auth/verify", untrustedAddr,
			map[string]string{"Authorization": basic("admin", "admin")}, 200, "", false, "admin", "admin"},
		{"viewer in the section", "/auth/verify", proxyAddr, with(map[string]string{"Authorization": basic("viewer", "viewer123")}), 200, "", false, "viewer", "viewer"},
		{"viewer at the section's root", "/auth/verify", proxyAddr,
			with(map[string]string{"Authorization": basic("viewer", "viewer123"), "X-Original-URI": "/grafana"}), 200, "", false, "viewer", "viewer"},
		{"viewer outside the section", "/auth/verify", proxyAddr,
			with(map[string]string{"Authorization": basic("viewer", "viewer123"), "X-Original-URI": "/admin/"}), 403, "", false, "", ""},
		{"viewer in a look-alike section", "/auth/verify", proxyAddr,
			with(map[string]string{"Authorization": basic("viewer", "viewer123"), "X-Original-URI": "/grafanas/x"}), 403, "", false, "", ""},
		{"viewer escaping the section with dot segments", "/auth/verify", proxyAddr,
			with(map[string]string{"Authorization": basic("viewer", "viewer123"), "X-Original-URI": "/grafana/../admin"}), 403, "", false, "", ""},
		{"viewer escaping the section with encoded dots", "/auth/verify", proxyAddr,
			with(map[string]string{"Authorization": basic("viewer", "viewer123"), "X-Original-URI": "/grafana/%2e%2e/admin"}), 403, "", false, "", ""},
		{"viewer escaping with an encoded slash", "/auth/verify", proxyAddr,
			with(map[string]string{"Authorization": basic("viewer", "viewer123"), "X-Original-URI": "/grafana%2F..%2Fadmin"}), 403, "", false, "", ""},
		{"viewer, path from an untrusted peer", "/auth/verify", untrustedAddr,
			with(map[string]string{"Authorization": basic("viewer", "viewer123")}), 403, "", false, "", ""},
		{"viewer, full original URL", "/auth/verify", proxyAddr,
			map[string]string{"Authorization": basic("viewer", "viewer123"), "X-Original-URL": "https://app.example.com/grafana/x"}, 200, "", false, "viewer", "viewer"},
		{"ops has no sections", "/auth/verify", proxyAddr, with(map[string]string{"Authorization": basic("ops", "ops")}), 403, "", false, "", ""},
		{"allowed_groups: admin passes", "/auth/verify?allowed_groups=ops,admin", proxyAddr,
			with(map[string]string{"Authorization": basic("admin", "admin")}), 200, "", false, "admin", "admin"},
		{"allowed_groups: viewer is refused", "/auth/verify?allowed_groups=ops,admin", proxyAddr,
			with(map[string]string{"Authorization": basic("viewer", "viewer123")}), 403, "", false, "", ""},
		{"allowed_groups empty: refused", "/auth/verify?allowed_groups=", proxyAddr,
			with(map[string]string{"Authorization": basic("admin", "admin")}), 403, "", false, "", ""},
		{"a forged Remote-User is not echoed", "/auth/verify", proxyAddr,
			with(map[string]string{"Authorization": basic("viewer", "viewer123"), "Remote-User": "admin"}), 200, "", false, "viewer", "viewer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := verify(h, tc.target, tc.peer, tc.hdr)
			res := rec.Result()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%s)", res.StatusCode, tc.status, rec.Body)
			}
			if got := res.Header.Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
			if got := res.Header.Get("WWW-Authenticate") != ""; got != tc.challenge {
				t.Errorf("challenge %v, want %v", got, tc.challenge)
			}
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
			}
			for _, prefix := range []string{"Remote-", "X-Auth-Request-"} {
				if got := res.Header.Get(prefix + "User"); got != tc.remoteUser {
					t.Errorf("%sUser %q, want %q", prefix, got, tc.remoteUser)
				}
				if got := res.Header.Get(prefix + "Groups"); got != tc.remoteGroup {
					t.Errorf("%sGroups %q, want %q", prefix, got, tc.remoteGroup)
				}
			}
			if c := res.Header.Values("Set-Cookie"); len(c) > 0 {
				t.Errorf("the endpoint set cookies: %q", c)
			}
		})
	}
}

func TestForwardAuthSessionCookie(t *testing.T) {
	h := forwardHandler(t, auth.ForwardAuthConfig{})
	// A browser's Basic login through the guard starts a session; its
	// cookie alone then satisfies the endpoint.
	login := verify(h, "/", untrustedAddr, map[string]string{"Authorization": basic("viewer", "viewer123"), "Sec-Fetch-Mode": "navigate"})
	var cookie string
	for _, c := range login.Result().Cookies() {
		if c.Name == auth.DefaultSessionCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	if login.Code != 200 || cookie == "" {
		t.Fatalf("login: %d, cookie %q", login.Code, cookie)
	}
	rec := verify(h, "/auth/verify", proxyAddr, map[string]string{"Cookie": cookie})
	if rec.Code != 200 || rec.Header().Get("Remote-User") != "viewer" {
		t.Fatalf("with the session cookie: %d %q", rec.Code, rec.Header().Get("Remote-User"))
	}
	rec = verify(h, "/auth/verify", proxyAddr, map[string]string{"Cookie": auth.DefaultSessionCookie + "=garbage"})
	if rec.Code != 401 {
		t.Fatalf("with a forged cookie: %d", rec.Code)
	}
	// Without sections everyone authenticated passes everywhere.
	rec = verify(h, "/auth/verify", proxyAddr, map[string]string{"Cookie": cookie, "X-Original-URI": "/anything"})
	if rec.Code != 200 {
		t.Fatalf("no sections: %d", rec.Code)
	}
}

func TestForwardAuthConfigErrors(t *testing.T) {
	for _, cfg := range []auth.ForwardAuthConfig{
		{Path: "auth/verify"},
		{Path: "//evil/verify"},
		{Path: "/auth/verify?x=1"},
		{LoginURL: "javascript:alert(1)"},
		{LoginURL: "login"},
		{LoginURL: "https://user@login.example.com/"},
		{Sections: map[string][]string{"viewer": {"grafana"}}},
		{Sections: map[string][]string{"viewer": {"/grafana/"}}},
		{Sections: map[string][]string{"viewer": {"/a/../b"}}},
	} {
		_, err := auth.New(http.NewServeMux(), auth.WithUsers(map[string]string{"a": "b"}), auth.WithForwardAuth(cfg))
		if !errors.Is(err, auth.ErrInvalidConfig) {
			t.Errorf("%+v: err %v, want ErrInvalidConfig", cfg, err)
		}
	}
	// Without a login form and LoginURL, browsers get the challenge.
	mux := http.NewServeMux()
	a, err := auth.New(mux, auth.WithUsers(map[string]string{"a": "b"}), auth.WithForwardAuth(auth.ForwardAuthConfig{Path: "/verify"}))
	if err != nil {
		t.Fatal(err)
	}
	rec := verify(a.Handler(), "/verify", untrustedAddr, map[string]string{"Accept": "text/html"})
	if rec.Code != 401 || rec.Header().Get("Location") != "" || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("no login URL: %d %v", rec.Code, rec.Header())
	}
}

package backendtest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/authwire/authwire/auth"
)

// checkBugClasses sends the requests that broke peer projects, each a
// known class of authentication bug, to an application with sessions, the
// login form and forward auth, and no trusted proxy.
func checkBugClasses(t *testing.T, h Harness) {
	s, base := startWith(t, h,
		auth.WithSessions(auth.SessionConfig{Keys: sessionKeys()}),
		auth.WithLoginForm(auth.LoginConfig{}),
		auth.WithForwardAuth(auth.ForwardAuthConfig{Sections: map[string][]string{ViewerUser: {"/marketing"}}}),
	)
	// Cleanups run last first: this one, before the harness stops the
	// server, which some servers (fasthttp) do only once every
	// connection is closed.
	t.Cleanup(func() {
		if tr, ok := http.DefaultTransport.(*http.Transport); ok {
			tr.CloseIdleConnections()
		}
	})
	viewer := [2]string{"Authorization", "Basic " + b64(ViewerUser+":"+ViewerPassword)}
	jsonAccept := [2]string{"Accept", "application/json"}

	t.Run("forwarded headers from an untrusted peer", func(t *testing.T) {
		// Believed, each would put the viewer in the /marketing section.
		for _, hdr := range [][2]string{
			{"X-Original-URI", "/marketing/x"},
			{"X-Forwarded-Uri", "/marketing/x"},
			{"X-Original-URL", "http://127.0.0.1/marketing/x"},
		} {
			res, body := roundTrip(t, base, "GET", "/auth/verify", "", viewer, hdr, jsonAccept)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("viewer with %s from an untrusted peer: %d %s", hdr[0], res.StatusCode, body)
			}
		}
	})

	t.Run("X-Forwarded-Prefix in redirects", func(t *testing.T) {
		for _, path := range []string{"/admin", "/auth/verify"} {
			res, _ := roundTrip(t, base, "GET", path, "",
				[2]string{"Accept", "text/html"},
				[2]string{"X-Forwarded-Prefix", "//evil.example"},
				[2]string{"X-Forwarded-Host", "evil.example"},
				[2]string{"X-Original-URL", "https://evil.example/x"})
			loc := res.Header.Get("Location")
			if loc == "" || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
				t.Errorf("GET %s with forged forwarding headers: %d Location %q, want a path on this site", path, res.StatusCode, loc)
			}
			if strings.Contains(loc, "evil") {
				t.Errorf("GET %s: the forged prefix or host reached Location %q", path, loc)
			}
		}
	})

	t.Run("malformed cookies", func(t *testing.T) {
		res, _ := roundTrip(t, base, "GET", "/", "", [2]string{"Authorization", "Basic " + b64(AdminUser+":"+AdminPassword)}, jsonAccept, browserFetch)
		var good string
		for _, c := range res.Cookies() {
			if c.Name == auth.DefaultSessionCookie {
				good = c.Value
			}
		}
		if good == "" {
			t.Fatal("no session cookie")
		}
		name := auth.DefaultSessionCookie
		for i, cookie := range []string{
			name + "=",
			name + `="` + good + `"x`,
			name + "=" + good[:len(good)/2],
			name + "=" + good + "A",
			// The cookie is in the session cache since the login: bytes a
			// cookie may not hold, around it, must never find it there.
			name + "=" + good + `\`,
			name + "=" + good + "\xc3\xa9",
			name + "=" + `\` + good,
			name + "=" + strings.Repeat("A", 3000),
			name + "=%00%00",
			"x" + name + "=" + good,
			name + "x=" + good,
		} {
			res, body := roundTrip(t, base, "GET", "/", "", [2]string{"Cookie", cookie}, jsonAccept)
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("Cookie %d (%d bytes, ends %q): %d %.80q, want 401", i, len(cookie), cookie[max(0, len(cookie)-8):], res.StatusCode, body)
			}
		}
		// The same session cookie in the forms a Cookie header may carry it
		// is read alike by every backend: among other cookies, with blanks
		// around it, in double quotes (RFC 6265 allows them), and as the
		// first of two cookies of the same name, or the first valid one.
		for i, cookie := range []string{
			"a=1; " + name + "=" + good + "; b=2",
			"  " + name + "=" + good + " ;x=1",
			"a=1;\t" + name + "=" + good + "\t; b=2",
			name + `="` + good + `"`,
			name + "=" + good + "; " + name + "=stale",
			// A first cookie of the name holding a byte no cookie value
			// may hold is skipped, as net/http's Request.Cookie skips it.
			name + `=bad\; ` + name + "=" + good,
			name + "=bad\xc3\xa9; " + name + "=" + good,
		} {
			res, body := roundTrip(t, base, "GET", "/", "", [2]string{"Cookie", cookie}, jsonAccept)
			if res.StatusCode != http.StatusOK || echoLine(body, "user") != AdminUser {
				t.Errorf("well-formed Cookie %d: %d %.80q, want 200 as %s", i, res.StatusCode, body, AdminUser)
			}
		}
	})

	t.Run("logout racing requests", func(t *testing.T) {
		res, body := roundTrip(t, base, "GET", "/", "", [2]string{"Authorization", "Basic " + b64(AdminUser+":"+AdminPassword)}, jsonAccept, browserFetch)
		sid := echoLine(body, "session")
		var cookie string
		for _, c := range res.Cookies() {
			if c.Name == auth.DefaultSessionCookie {
				cookie = c.Value
			}
		}
		if sid == "" || cookie == "" {
			t.Fatalf("Basic login: %d %s", res.StatusCode, body)
		}
		token := s.auth.CSRFToken(auth.NewContext(context.Background(), &auth.Identity{User: AdminUser, SessionID: sid}))
		withCookie := [2]string{"Cookie", auth.DefaultSessionCookie + "=" + cookie}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			cookies = []string{cookie}
		)
		for i := range 21 {
			wg.Go(func() {
				if i == 10 {
					res, body := roundTrip(t, base, "POST", "/logout", "", withCookie, jsonAccept, [2]string{"X-CSRF-Token", token})
					if res.StatusCode != http.StatusNoContent {
						t.Errorf("logout: %d %s", res.StatusCode, body)
					}
					return
				}
				res, _ := roundTrip(t, base, "GET", "/", "", withCookie, jsonAccept)
				for _, c := range res.Cookies() {
					if c.Name == auth.DefaultSessionCookie && c.Value != "" {
						mu.Lock()
						cookies = append(cookies, c.Value)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		for _, c := range cookies {
			res, body := roundTrip(t, base, "GET", "/", "", [2]string{"Cookie", auth.DefaultSessionCookie + "=" + c}, jsonAccept)
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("a cookie issued around the logout still works: %d %s", res.StatusCode, body)
			}
		}
	})

	t.Run("tokens full of separators", func(t *testing.T) {
		for _, hdr := range [][2]string{
			{"Authorization", "Basic " + strings.Repeat(",", MaxHeaderBytes-10)},
			{"Authorization", strings.Repeat(" ", 100) + "Basic " + strings.Repeat("=", 1000)},
			{"Cookie", strings.Repeat(";", 7000)},
			{"Cookie", strings.Repeat("a=b; ", 1400)},
			{"Cookie", strings.Repeat(auth.DefaultSessionCookie+"=; ", 300)},
		} {
			res, body := roundTrip(t, base, "GET", "/", "", hdr, jsonAccept)
			if res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusBadRequest &&
				res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("%s of %d bytes of separators: %d %.80q, want 400, 401 or 431", hdr[0], len(hdr[1]), res.StatusCode, body)
			}
		}
	})
}

package auth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/internal/loadtest"
)

// replay sends the same session cookie value every time, as a script or a
// proxy that drops Set-Cookie does, and returns the status and how many
// Set-Cookie headers for the session came back.
func replay(t *testing.T, url, cookie string) (status, setCookies int) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.AddCookie(&http.Cookie{Name: auth.DefaultSessionCookie, Value: cookie})
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == auth.DefaultSessionCookie {
			setCookies++
		}
	}
	return res.StatusCode, setCookies
}

// TestReplayedCookieRefreshesOncePerInterval: a client that never stores
// the refreshed cookie gets one Set-Cookie per refresh interval, not one
// per request, and its use keeps the session live in this process.
func TestReplayedCookieRefreshesOncePerInterval(t *testing.T) {
	srv, _, clk := sessionServer(t)
	b := newBrowser(t, srv)
	b.login("admin", "admin", "/")
	cookie := b.cookie(auth.DefaultSessionCookie)
	url := srv.URL + "/"

	count := func(n int) int {
		t.Helper()
		total := 0
		for range n {
			status, sets := replay(t, url, cookie)
			if status != 200 {
				t.Fatalf("replayed live cookie: %d", status)
			}
			total += sets
		}
		return total
	}
	if got := count(5); got != 0 {
		t.Fatalf("a fresh cookie was refreshed %d times", got)
	}
	clk.advance(61 * time.Second)
	if got := count(10); got != 1 {
		t.Fatalf("10 requests a minute on: %d Set-Cookie, want 1", got)
	}
	// Used every 50 minutes, the session outlives the 1 h idle timeout
	// measured from the cookie's own last-seen time: this process saw it
	// used.
	for range 3 {
		clk.advance(50 * time.Minute)
		if got := count(1); got != 1 {
			t.Fatalf("after 50 minutes: %d Set-Cookie, want 1", got)
		}
	}
	// An hour of silence ends it.
	clk.advance(61 * time.Minute)
	if status, _ := replay(t, url, cookie); status != http.StatusUnauthorized {
		t.Fatalf("after an idle hour: %d, want 401", status)
	}
}

// TestCachedSessionRevokedAtOnce: a cookie answered from the cache many
// times is refused on the very next request after a revocation.
func TestCachedSessionRevokedAtOnce(t *testing.T) {
	srv, a, _ := sessionServer(t)
	b := newBrowser(t, srv)
	b.login("viewer", "viewer123", "/")
	cookie := b.cookie(auth.DefaultSessionCookie)
	for range 20 {
		if status, _ := replay(t, srv.URL+"/", cookie); status != 200 {
			t.Fatalf("live cookie: %d", status)
		}
	}
	if err := a.Revoke(t.Context(), b.sessionID()); err != nil {
		t.Fatal(err)
	}
	if status, sets := replay(t, srv.URL+"/", cookie); status != http.StatusUnauthorized || sets != 1 {
		t.Fatalf("revoked cached cookie: %d with %d Set-Cookie, want 401 clearing it", status, sets)
	}
}

// TestSessionCheckAllocations: a request with a known session cookie
// costs at most two allocations in the guard on net/http (the request
// copy that carries the identity is one).
func TestSessionCheckAllocations(t *testing.T) {
	if loadtest.Race {
		t.Skip("allocation counts mean nothing under the race detector; .ci/run runs this test without it")
	}
	a, err := auth.New(okHandler(), demoUsers, demoGroups,
		auth.WithSessions(auth.SessionConfig{Keys: testKeys(), Revocations: auth.NewMemoryRevocations(nil)}))
	if err != nil {
		t.Fatal(err)
	}
	login, _ := http.NewRequest("GET", "http://example.test/", nil)
	login.SetBasicAuth("admin", "admin")
	login.Header.Set("Accept", "text/html")
	w := &discardWriter{h: make(http.Header)}
	a.Handler().ServeHTTP(w, login)
	cookies := (&http.Response{Header: w.h}).Cookies()
	if len(cookies) == 0 {
		t.Fatal("no session cookie")
	}
	req, _ := http.NewRequest("GET", "http://example.test/dashboard", nil)
	req.AddCookie(cookies[0])
	h := a.Handler()
	n := testing.AllocsPerRun(200, func() {
		w.status = 200
		clear(w.h)
		h.ServeHTTP(w, req)
	})
	if w.status != 200 {
		t.Fatalf("status %d", w.status)
	}
	if n > 2 {
		t.Fatalf("a cached session check allocates %v times, want at most 2", n)
	}
}

// TestBasicStartsSessionsForBrowsersOnly: a script's Basic request (no
// Fetch Metadata, no HTML asked for) gets no session cookie, so a client
// without a cookie jar costs no session per request; a browser's
// navigation or fetch, or a request for an HTML page, starts one.
func TestBasicStartsSessionsForBrowsersOnly(t *testing.T) {
	srv, _ := newServer(t, demoUsers, auth.WithSessions(auth.SessionConfig{Keys: testKeys()}))
	for _, tc := range []struct {
		name    string
		headers map[string]string
		session bool
	}{
		{"curl", map[string]string{"Accept": "*/*", "User-Agent": "curl/8.5.0"}, false},
		{"API client", map[string]string{"Accept": "application/json"}, false},
		{"navigation", map[string]string{"Sec-Fetch-Mode": "navigate"}, true},
		{"fetch from a page", map[string]string{"Sec-Fetch-Mode": "cors", "Accept": "*/*"}, true},
		{"HTML page without Fetch Metadata", map[string]string{"Accept": "text/html,application/xhtml+xml"}, true},
	} {
		got := do(t, srv, request{path: "/", user: "admin", pass: "admin", headers: tc.headers})
		cookies := (&http.Response{Header: got.header}).Cookies()
		if got.status != 200 || (len(cookies) > 0) != tc.session {
			t.Errorf("%s: %d with cookies %v, want a session: %v", tc.name, got.status, cookies, tc.session)
		}
	}
}

// TestCachedCookieReadAsNetHTTPReadsIt: the session cache is asked with
// the first session cookie as sent, before its bytes are checked, so a
// value with a byte a cookie may not hold must never find the cached
// session of the value it extends, and a bad first cookie must not hide
// a good later one, exactly as net/http's Request.Cookie reads them.
func TestCachedCookieReadAsNetHTTPReadsIt(t *testing.T) {
	srv, _, _ := sessionServer(t)
	b := newBrowser(t, srv)
	b.login("viewer", "viewer123", "/")
	cookie := b.cookie(auth.DefaultSessionCookie)
	name := auth.DefaultSessionCookie
	send := func(header string) int {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Cookie", header)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := send(name + "=" + cookie); st != 200 {
		t.Fatalf("the cookie itself: %d", st) // and it is cached from here on
	}
	for _, tc := range []struct {
		header string
		want   int
	}{
		{name + "=" + cookie, 200},
		{name + `="` + cookie + `"`, 200},             // quotes removed, as net/http does
		{name + "=" + cookie + `\`, 401},              // a byte no cookie may hold
		{name + "=" + cookie + "é", 401},              // and another
		{name + "=" + `\` + cookie, 401},              // in front
		{name + `=bad\; ` + name + "=" + cookie, 200}, // a bad first one hides nothing
		{name + "=" + cookie + "; " + name + "=other", 200},
		{name + "=other; " + name + "=" + cookie, 401}, // the first valid one counts
	} {
		if st := send(tc.header); st != tc.want {
			t.Errorf("Cookie: %.60q…: %d, want %d", tc.header, st, tc.want)
		}
	}
}

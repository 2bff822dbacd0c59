package backendtest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
)

// checkSessions starts a second application with sessions on and checks,
// over the real connection, the session cookie's attributes, that the
// cookie alone authenticates with the user's sections, that a tampered
// cookie is no session, and
// that logout revokes: the same cookie replayed afterwards gets 401.
func checkSessions(t *testing.T, h Harness) {
	s, base := startWith(t, h, auth.WithSessions(auth.SessionConfig{Keys: sessionKeys()}))
	call := func(method, path string, headers ...[2]string) (*http.Response, string) {
		t.Helper()
		return roundTrip(t, base, method, path, "", append([][2]string{{"Accept", "application/json"}}, headers...)...)
	}

	// A script's Basic request (no Fetch Metadata, no HTML wanted) is
	// answered without a session: it keeps no cookies, so one would be
	// minted per request.
	res, body := call("GET", "/", [2]string{"Authorization", "Basic " + b64(AdminUser+":"+AdminPassword)})
	if res.StatusCode != 200 || echoLine(body, "session") != "" || len(res.Header["Set-Cookie"]) != 0 {
		t.Fatalf("a script's Basic request: %d, Set-Cookie %q, body %s", res.StatusCode, res.Header["Set-Cookie"], body)
	}
	// A browser's starts one.
	res, body = call("GET", "/", [2]string{"Authorization", "Basic " + b64(AdminUser+":"+AdminPassword)}, browserFetch)
	if res.StatusCode != 200 {
		t.Fatalf("Basic login: %d %s", res.StatusCode, body)
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == auth.DefaultSessionCookie {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("a Basic login set no session cookie: %v", res.Header["Set-Cookie"])
	}
	if !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.MaxAge <= 0 {
		t.Fatalf("session cookie attributes: %q", res.Header.Get("Set-Cookie"))
	}
	sid := echoLine(body, "session")
	if len(sid) < 40 {
		t.Fatalf("identity carries session %q", sid)
	}
	withCookie := [2]string{"Cookie", auth.DefaultSessionCookie + "=" + cookie.Value}

	res, body = call("GET", "/", withCookie)
	if res.StatusCode != 200 || echoLine(body, "user") != AdminUser || echoLine(body, "session") != sid ||
		echoLine(body, "sections") != auth.AllSections {
		t.Fatalf("cookie alone: %d %s", res.StatusCode, body)
	}
	// The viewer's session keeps the viewer's sections: its cookie alone
	// reaches marketing and is refused hr.
	res, _ = call("GET", "/marketing/q3", [2]string{"Authorization", "Basic " + b64(ViewerUser+":"+ViewerPassword)}, browserFetch)
	var viewerCookie string
	for _, c := range res.Cookies() {
		if c.Name == auth.DefaultSessionCookie {
			viewerCookie = auth.DefaultSessionCookie + "=" + c.Value
		}
	}
	if res.StatusCode != 200 || viewerCookie == "" {
		t.Fatalf("viewer's Basic login: %d, Set-Cookie %q", res.StatusCode, res.Header["Set-Cookie"])
	}
	if res, body := call("GET", "/marketing/q3", [2]string{"Cookie", viewerCookie}); res.StatusCode != 200 || echoLine(body, "sections") != MarketingSection {
		t.Fatalf("viewer's cookie alone in marketing: %d %s", res.StatusCode, body)
	}
	if res, body := call("GET", "/hr/pay", [2]string{"Cookie", viewerCookie}); res.StatusCode != 403 {
		t.Fatalf("viewer's cookie alone in hr: %d %s", res.StatusCode, body)
	}
	tampered := cookie.Value[:len(cookie.Value)-4] + "AAAA"
	if res, body := call("GET", "/", [2]string{"Cookie", auth.DefaultSessionCookie + "=" + tampered}); res.StatusCode != 401 {
		t.Fatalf("tampered cookie: %d %s", res.StatusCode, body)
	}
	if res, _ := call("POST", "/logout", withCookie, [2]string{"X-CSRF-Token", "forged"}); res.StatusCode != 403 {
		t.Fatalf("logout with a forged CSRF token: %d", res.StatusCode)
	}
	token := s.auth.CSRFToken(auth.NewContext(context.Background(), &auth.Identity{SessionID: sid}))
	if res, body := call("POST", "/logout", withCookie, [2]string{"X-CSRF-Token", token}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d %s", res.StatusCode, body)
	}
	if res, body := call("GET", "/", withCookie); res.StatusCode != 401 {
		t.Fatalf("cookie replayed after logout: %d %s", res.StatusCode, body)
	}
}

// echoLine returns the value of one "name=value" line of an echo body.
func echoLine(body, name string) string {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			return v
		}
	}
	return ""
}

// roundTrip sends one request to base+path on a connection of its own,
// without following redirects or keeping cookies, with a form body when
// body is not empty, and returns the response and its body, read.
func roundTrip(t *testing.T, base, method, path, body string, headers ...[2]string) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, kv := range headers {
		req.Header.Set(kv[0], kv[1])
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

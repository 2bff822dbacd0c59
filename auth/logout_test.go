package auth_test

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/authwire/authwire/auth"
)

var jsonAccept = map[string]string{"Accept": "application/json"}

func TestLogoutRevokesAndReplayFails(t *testing.T) {
	srv, a, _ := sessionServer(t)
	b := newBrowser(t, srv)
	b.login("admin", "admin", "/")
	stolen := b.cookie(auth.DefaultSessionCookie)
	token := b.csrfFor(a)

	// Logout without or with a wrong token is refused and changes nothing.
	if got := b.do("POST", "/logout", url.Values{"csrf_token": {"nope"}}, nil); got.status != http.StatusForbidden {
		t.Fatalf("logout with a bad token: %d", got.status)
	}
	if got := b.do("GET", "/", nil, jsonAccept); got.status != 200 {
		t.Fatalf("session ended by a forged logout: %d", got.status)
	}
	got := b.do("POST", "/logout", url.Values{"csrf_token": {token}}, nil)
	if got.status != http.StatusSeeOther || got.header.Get("Location") != "/login" {
		t.Fatalf("logout: %d Location %q", got.status, got.header.Get("Location"))
	}
	if b.cookie(auth.DefaultSessionCookie) != "" {
		t.Fatal("logout left the session cookie")
	}
	// The cookie copied before logout is dead.
	thief := newBrowser(t, srv)
	thief.setCookie(auth.DefaultSessionCookie, stolen)
	if got := thief.do("GET", "/", nil, jsonAccept); got.status != http.StatusUnauthorized {
		t.Fatalf("replayed cookie after logout: %d", got.status)
	}
}

func TestLogoutWithHeaderToken(t *testing.T) {
	srv, a, _ := sessionServer(t)
	b := newBrowser(t, srv)
	b.login("viewer", "viewer123", "/")
	token := b.csrfFor(a)
	got := b.do("POST", "/logout", nil, map[string]string{"Accept": "application/json", "X-CSRF-Token": token})
	if got.status != http.StatusNoContent {
		t.Fatalf("API logout: %d %s", got.status, got.body)
	}
	if got := b.do("GET", "/", nil, jsonAccept); got.status != http.StatusUnauthorized {
		t.Fatalf("after API logout: %d", got.status)
	}
}

func TestRevokeAPI(t *testing.T) {
	srv, a, _ := sessionServer(t)
	b := newBrowser(t, srv)
	b.login("viewer", "viewer123", "/")
	if err := a.Revoke(t.Context(), b.sessionID()); err != nil {
		t.Fatal(err)
	}
	if got := b.do("GET", "/", nil, jsonAccept); got.status != http.StatusUnauthorized {
		t.Fatalf("revoked session: %d", got.status)
	}
}

func TestSessionIdleAndAbsoluteExpiry(t *testing.T) {
	srv, _, clk := sessionServer(t)
	b := newBrowser(t, srv)
	b.login("admin", "admin", "/")

	// Used every 50 minutes, the session survives the 1 h idle timeout...
	for range 5 {
		clk.advance(50 * time.Minute)
		if got := b.do("GET", "/", nil, jsonAccept); got.status != 200 {
			t.Fatalf("active session expired early: %d", got.status)
		}
	}
	// ...but not 61 minutes of silence.
	clk.advance(61 * time.Minute)
	if got := b.do("GET", "/", nil, jsonAccept); got.status != http.StatusUnauthorized {
		t.Fatalf("idle session still valid: %d", got.status)
	}

	// And never past the 12 h lifetime, however active.
	b2 := newBrowser(t, srv)
	b2.login("admin", "admin", "/")
	for i := 0; i < 14; i++ {
		clk.advance(55 * time.Minute)
		got := b2.do("GET", "/", nil, jsonAccept)
		elapsed := time.Duration(i+1) * 55 * time.Minute
		if want := 200; elapsed >= 12*time.Hour {
			want = http.StatusUnauthorized
			if got.status != want {
				t.Fatalf("after %v: %d, want %d", elapsed, got.status, want)
			}
			return
		} else if got.status != want {
			t.Fatalf("after %v: %d, want %d", elapsed, got.status, want)
		}
	}
	t.Fatal("lifetime never reached")
}

func TestSessionKeyRotation(t *testing.T) {
	oldKeys := testKeys()
	newKeys := append(testKeys(), oldKeys...)
	oldSrv, _ := newServer(t, demoUsers, auth.WithSessions(auth.SessionConfig{Keys: oldKeys, InsecureCookies: true}))
	b := newBrowser(t, oldSrv)
	b.do("GET", "/", nil, map[string]string{"Authorization": "Basic " + b64("admin:admin")})
	cookie := b.cookie(auth.DefaultSessionCookie)
	if cookie == "" {
		t.Fatal("no cookie from the old server")
	}
	newSrv, _ := newServer(t, demoUsers, auth.WithSessions(auth.SessionConfig{Keys: newKeys, InsecureCookies: true}))
	nb := newBrowser(t, newSrv)
	nb.setCookie(auth.DefaultSessionCookie, cookie)
	if got := nb.do("GET", "/", nil, jsonAccept); got.status != 200 {
		t.Fatalf("old-key cookie refused after rotation: %d", got.status)
	}
	// New cookies use the new key: the old server cannot read them.
	fresh := newBrowser(t, newSrv)
	fresh.do("GET", "/", nil, map[string]string{"Authorization": "Basic " + b64("viewer:viewer123")})
	ob := newBrowser(t, oldSrv)
	ob.setCookie(auth.DefaultSessionCookie, fresh.cookie(auth.DefaultSessionCookie))
	if got := ob.do("GET", "/", nil, jsonAccept); got.status != http.StatusUnauthorized {
		t.Fatalf("new cookie readable with only the old key: %d", got.status)
	}
}

func TestBasicRechallengeAfterLogout(t *testing.T) {
	keys := testKeys()
	srv, a := newServer(t, demoUsers, auth.WithSessions(auth.SessionConfig{Keys: keys, InsecureCookies: true}))
	b := newBrowser(t, srv)
	creds := map[string]string{"Authorization": "Basic " + b64("admin:admin"), "Accept": "text/html"}
	if got := b.do("GET", "/", nil, creds); got.status != 200 {
		t.Fatalf("Basic login: %d", got.status)
	}
	if b.cookie(auth.DefaultSessionCookie) == "" {
		t.Fatal("Basic login started no session")
	}
	got := b.do("POST", "/logout", url.Values{"csrf_token": {b.csrfFor(a)}}, creds)
	if got.status != http.StatusSeeOther {
		t.Fatalf("logout: %d %s", got.status, got.body)
	}
	// The browser resends its cached credentials: challenged once...
	got = b.do("GET", "/", nil, creds)
	if got.status != http.StatusUnauthorized || !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("cached credentials after logout: %d %q", got.status, got.header.Get("WWW-Authenticate"))
	}
	// ...then, when the user types them again, let in.
	if got := b.do("GET", "/", nil, creds); got.status != 200 {
		t.Fatalf("credentials typed again: %d", got.status)
	}
}

func TestRegulationBansAndUnbans(t *testing.T) {
	srv, _, clk := sessionServer(t, auth.WithTrustedProxies("127.0.0.1", "::1"))
	from := func(addr string) map[string]string {
		return map[string]string{"X-Forwarded-For": addr, "Accept": "application/json"}
	}
	attempt := func(user, pass, addr string) int {
		h := from(addr)
		h["Authorization"] = "Basic " + b64(user+":"+pass)
		return newBrowser(t, srv).do("GET", "/", nil, h).status
	}
	for i := range 5 {
		if got := attempt("admin", "guess", "203.0.113.7"); got != 401 {
			t.Fatalf("failure %d: %d", i, got)
		}
	}
	// Banned: the right password gets the same 401 as a wrong one.
	banned := newBrowser(t, srv).do("GET", "/", nil, map[string]string{
		"X-Forwarded-For": "198.51.100.1", "Accept": "application/json",
		"Authorization": "Basic " + b64("admin:admin")})
	wrong := newBrowser(t, srv).do("GET", "/", nil, map[string]string{
		"X-Forwarded-For": "198.51.100.2", "Accept": "application/json",
		"Authorization": "Basic " + b64("viewer:nope")})
	if banned.status != 401 || banned.body != wrong.body || banned.header.Get("WWW-Authenticate") != wrong.header.Get("WWW-Authenticate") {
		t.Fatalf("banned user's answer differs from a wrong password's: %d %q vs %d %q", banned.status, banned.body, wrong.status, wrong.body)
	}
	// The attacker's address is banned for other users too; a legitimate
	// user elsewhere is not.
	if got := attempt("viewer", "viewer123", "203.0.113.7"); got != 401 {
		t.Fatalf("banned address let viewer in: %d", got)
	}
	if got := attempt("viewer", "viewer123", "192.0.2.50"); got != 200 {
		t.Fatalf("viewer from a clean address: %d", got)
	}
	// The form is regulated the same way.
	b := newBrowser(t, srv)
	b.do("GET", "/login", nil, nil)
	if got := b.login("admin", "admin", "/"); got.status != http.StatusUnauthorized {
		t.Fatalf("form login of a banned user: %d", got.status)
	}
	// After the ban, the right password works again.
	clk.advance(6 * time.Minute)
	if got := attempt("admin", "admin", "192.0.2.60"); got != 200 {
		t.Fatalf("after the ban: %d", got)
	}
}

func TestSessionsMisconfiguration(t *testing.T) {
	keys := testKeys()
	for name, opts := range map[string][]auth.Option{
		"no keys":             {demoUsers, auth.WithSessions(auth.SessionConfig{})},
		"login without sess":  {demoUsers, auth.WithLoginForm(auth.LoginConfig{})},
		"bad cookie name":     {demoUsers, auth.WithSessions(auth.SessionConfig{Keys: keys, CookieName: "a b"})},
		"short lifetime":      {demoUsers, auth.WithSessions(auth.SessionConfig{Keys: keys, Lifetime: time.Second})},
		"odd keys":            {demoUsers, auth.WithSessions(auth.SessionConfig{Keys: keys[:1]})},
		"same login logout":   {demoUsers, auth.WithSessions(auth.SessionConfig{Keys: keys}), auth.WithLoginForm(auth.LoginConfig{Path: "/x", LogoutPath: "/x"})},
		"relative login path": {demoUsers, auth.WithSessions(auth.SessionConfig{Keys: keys}), auth.WithLoginForm(auth.LoginConfig{Path: "login"})},
		"bad proxy":           {demoUsers, auth.WithTrustedProxies("0.0.0.0/0")},
		"nil regulator":       {demoUsers, auth.WithRegulator(nil)},
		"short secret":        nil,
	} {
		if name == "short secret" {
			if _, err := auth.KeysFromSecrets("short"); err == nil {
				t.Errorf("short secret accepted")
			}
			continue
		}
		if _, err := auth.New(http.NewServeMux(), opts...); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestGorillaFilesystemStoreEndToEnd(t *testing.T) {
	hk, bk := auth.GenerateKeyPair()
	store := auth.GorillaStore(sessions.NewFilesystemStore(t.TempDir(), hk, bk), auth.DefaultSessionCookie)
	srv, a := newServer(t, demoUsers, auth.WithSessions(auth.SessionConfig{Store: store, InsecureCookies: true}))
	b := newBrowser(t, srv)
	if got := b.do("GET", "/", nil, map[string]string{"Authorization": "Basic " + b64("viewer:viewer123")}); got.status != 200 {
		t.Fatalf("Basic login: %d", got.status)
	}
	cookie := b.cookie(auth.DefaultSessionCookie)
	if got := b.do("GET", "/", nil, jsonAccept); got.status != 200 || !strings.Contains(got.body, "viewer") {
		t.Fatalf("cookie from the gorilla store: %d %q", got.status, got.body)
	}
	if got := b.logout(a); got.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", got.status)
	}
	replay := newBrowser(t, srv)
	replay.setCookie(auth.DefaultSessionCookie, cookie)
	if got := replay.do("GET", "/", nil, jsonAccept); got.status != 401 {
		t.Fatalf("replay after logout: %d", got.status)
	}
}

// TestLogoutForm submits the form LogoutForm renders, as a browser would:
// its action and token log the session out.
func TestLogoutForm(t *testing.T) {
	srv, _, _ := sessionServer(t)
	b := newBrowser(t, srv)
	if got := b.do("GET", "/logout-form", nil, nil); got.status == 200 && got.body != "" {
		t.Fatalf("an anonymous caller got a logout form: %q", got.body)
	}
	b.login("admin", "admin", "/")
	form := b.do("GET", "/logout-form", nil, nil).body
	m := regexp.MustCompile(`^<form method="post" action="([^"]+)" class="authwire-logout"><input type="hidden" name="csrf_token" value="([^"]+)"><button type="submit">Log out</button></form>$`).FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("logout form: %q", form)
	}
	if got := b.do("POST", m[1], url.Values{"csrf_token": {m[2]}}, nil); got.status != http.StatusSeeOther {
		t.Fatalf("submitting the logout form: %d", got.status)
	}
	if got := b.do("GET", "/", nil, jsonAccept); got.status != http.StatusUnauthorized {
		t.Fatalf("after the logout form: %d", got.status)
	}
}

// TestNewSaysLogoutsAreForgotten checks the warning New logs when
// revocations live only in memory, and that it is quiet with a list of
// the caller's.
func TestNewSaysLogoutsAreForgotten(t *testing.T) {
	for _, revs := range []auth.RevocationList{nil, auth.NewMemoryRevocations(time.Now)} {
		var logs strings.Builder
		_, err := auth.New(http.NewServeMux(), demoUsers,
			auth.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
			auth.WithSessions(auth.SessionConfig{Keys: testKeys(), Revocations: revs}))
		if err != nil {
			t.Fatal(err)
		}
		if said := strings.Contains(logs.String(), "a logout is forgotten when the process restarts"); said != (revs == nil) {
			t.Errorf("Revocations %T: warned %v:\n%s", revs, said, logs.String())
		}
	}
}

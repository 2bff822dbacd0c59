package auth

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authwire/authwire/backends"
)

// BenchmarkSessionCheck measures the session check alone, on net/http:
// the session manager's Authenticate for a request whose cookie the
// session cache knows (reading the cookie, its keyed hash, the cache,
// expiry and idle time, revocation by ID and by user, rights), without
// the rest of the guard or the request copy that carries the identity.
// BenchmarkGuard/session_cookie is the whole guarded request.
func BenchmarkSessionCheck(b *testing.B) {
	hashKey, blockKey := GenerateKeyPair()
	a, err := New(http.NotFoundHandler(),
		WithUsers(map[string]string{"admin": "correct horse"}),
		WithUserGroups(map[string][]string{"admin": {"admin", "ops"}}),
		WithSessions(SessionConfig{Keys: [][]byte{hashKey, blockKey}}),
		WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	login := httptest.NewRequest(http.MethodGet, "/", nil)
	login.SetBasicAuth("admin", "correct horse")
	login.Header.Set("Sec-Fetch-Mode", "navigate") // a browser's login starts a session
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, login)
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		b.Fatal("no session cookie")
	}
	req := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
	req.Header.Set("Cookie", "theme=dark; "+cookies[0].String()+"; lang=en")
	x := backends.HTTPExchange(httptest.NewRecorder(), req)
	if id, err := a.sessions.Authenticate(x); err != nil || id.User != "admin" {
		b.Fatalf("Authenticate = %v, %v", id, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if id, _ := a.sessions.Authenticate(x); id == nil {
			b.Fatal("session refused")
		}
	}
	b.ReportMetric(float64(len(cookies[0].Value)), "cookie-bytes")
}

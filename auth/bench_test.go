package auth_test

import (
	"net/http"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/authwire/authwire/auth"
)

// discardWriter is a ResponseWriter that keeps nothing, so benchmarks
// measure the guard rather than a recorder.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }

func benchGuard(b *testing.B, h http.Handler, user, pass string, want int) {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://example.test/dashboard", nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	benchRequest(b, h, req, want)
}

func benchRequest(b *testing.B, h http.Handler, req *http.Request, want int) {
	b.Helper()
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		w.status = 200
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	if w.status != want {
		b.Fatalf("status %d, want %d", w.status, want)
	}
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth.FromContext(r.Context()) == nil {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
}

func BenchmarkGuard(b *testing.B) {
	b.Run("bare_handler", func(b *testing.B) {
		benchGuard(b, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), "", "", 200)
	})
	b.Run("plaintext_map", func(b *testing.B) {
		a, err := auth.New(okHandler(), auth.WithUsers(map[string]string{"admin": "correct horse"}))
		if err != nil {
			b.Fatal(err)
		}
		benchGuard(b, a.Handler(), "admin", "correct horse", 200)
	})
	b.Run("bcrypt_cached", func(b *testing.B) {
		h, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), 10)
		a, err := auth.New(okHandler(), auth.WithHashedUsers(map[string]string{"admin": string(h)}))
		if err != nil {
			b.Fatal(err)
		}
		benchGuard(b, a.Handler(), "admin", "correct horse", 200)
	})
	b.Run("session_cookie", func(b *testing.B) {
		keys := testKeys()
		a, err := auth.New(okHandler(),
			auth.WithUsers(map[string]string{"admin": "correct horse"}),
			auth.WithUserGroups(map[string][]string{"admin": {"admin", "ops"}}),
			auth.WithSessions(auth.SessionConfig{Keys: keys}))
		if err != nil {
			b.Fatal(err)
		}
		// Log in once with Basic to get a session cookie, then measure
		// requests that carry only the cookie.
		login, _ := http.NewRequest(http.MethodGet, "http://example.test/", nil)
		login.SetBasicAuth("admin", "correct horse")
		login.Header.Set("Sec-Fetch-Mode", "navigate") // a browser's login starts a session
		w := &discardWriter{h: make(http.Header)}
		a.Handler().ServeHTTP(w, login)
		cookie := (&http.Response{Header: w.h}).Cookies()
		if len(cookie) == 0 {
			b.Fatal("no session cookie")
		}
		req, _ := http.NewRequest(http.MethodGet, "http://example.test/dashboard", nil)
		req.AddCookie(cookie[0])
		benchRequest(b, a.Handler(), req, 200)
	})
	b.Run("public_route", func(b *testing.B) {
		a, err := auth.New(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}),
			auth.WithUsers(map[string]string{"admin": "correct horse"}), auth.WithPublicRoutes("/dashboard"))
		if err != nil {
			b.Fatal(err)
		}
		benchGuard(b, a.Handler(), "", "", 200)
	})
	b.Run("unauthenticated", func(b *testing.B) {
		a, err := auth.New(okHandler(), auth.WithUsers(map[string]string{"admin": "correct horse"}))
		if err != nil {
			b.Fatal(err)
		}
		benchGuard(b, a.Handler(), "", "", 401)
	})
}
